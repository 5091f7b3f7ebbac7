"""The session sheet over the API: a partial PUT never erases, sign-off is its own route and
changes nothing, a signed sheet answers 409 to edits and is corrected by POST .../addenda."""

from __future__ import annotations

import datetime as dt

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)  # earlier on the suite's frozen day


def _sheet(client, world) -> dict:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    doctor = world.headers("physician")
    body = {"plan": {"exchanges": 5, "start_date": "2026-11-30"}}
    course = client.post(f"/api/patients/{pid}/courses", headers=doctor, json=body)
    assert course.status_code == 201, course.text
    listed = client.get(f"/api/courses/{course.json()['id']}/sessions", headers=doctor)
    return listed.json()[0]  # type: ignore[no-any-return]


def test_partial_put_sign_off_and_addendum(client, world) -> None:  # type: ignore[no-untyped-def]
    nurse = world.headers("nurse")
    sheet = _sheet(client, world)
    url = f"/api/sessions/{sheet['id']}"
    full = {
        "status": "done",
        "actual_start": START.isoformat(),
        "actual_end": (START + dt.timedelta(hours=2)).isoformat(),
        "plasma_removed_ml": 2750,
        "whole_blood_processed_ml": 5400,
        "anticoagulant": "ACD-A",
        "anticoagulant_ml": 310,
        "calcium_gluconate_ml": 25,
        "pre_weight_kg": 75,
        "notes": "fine",
    }
    saved = client.put(f"{url}/record", headers={**nurse, "If-Match": '"v1"'}, json=full)
    assert saved.status_code == 200, saved.text
    partial = {"status": "done", "plasma_removed_ml": 2760}
    again = client.put(f"{url}/record", headers={**nurse, "If-Match": '"v2"'}, json=partial)
    assert again.status_code == 200, again.text
    kept = again.json()
    assert kept["plasma_removed_ml"] == 2760 and kept["whole_blood_processed_ml"] == 5400
    assert kept["anticoagulant_ml"] == 310 and kept["pre_weight_kg"] == 75
    assert kept["notes"] == "fine"

    signed = client.post(f"{url}/sign-off", headers={**nurse, "If-Match": '"v3"'})
    assert signed.status_code == 200, signed.text
    after = signed.json()
    assert after["signed_off_at"] and after["version"] == 4
    for name in ("plasma_removed_ml", "whole_blood_processed_ml", "notes", "pre_weight_kg"):
        assert after[name] == kept[name], name

    edit = client.put(f"{url}/record", headers={**nurse, "If-Match": '"v4"'}, json=partial)
    assert edit.status_code == 409, edit.text

    body = {"reason": "Machine total re-read", "changes": {"plasma_removed_ml": 2700}}
    viewer = client.post(f"{url}/addenda", headers=world.headers("viewer"), json=body)
    assert viewer.status_code == 403
    added = client.post(f"{url}/addenda", headers=nurse, json=body)
    assert added.status_code == 201, added.text
    assert added.json()["changes"] == [{"field": "plasma_removed_ml", "old": 2760.0, "new": 2700.0}]
    shown = client.get(url, headers=nurse).json()
    assert shown["plasma_removed_ml"] == 2760  # as signed
    assert [a["reason"] for a in shown["addenda"]] == ["Machine total re-read"]
    bad = client.post(f"{url}/addenda", headers=nurse, json={"reason": "x", "changes": {}})
    assert bad.status_code == 422


def test_no_sign_off_of_a_session_in_the_future(client, world) -> None:  # type: ignore[no-untyped-def]
    nurse = world.headers("nurse")
    sheet = _sheet(client, world)
    start = dt.datetime.fromisoformat(sheet["planned_start"])
    body = {"status": "done", "actual_start": start.isoformat(), "plasma_removed_ml": 2500}
    url = f"/api/sessions/{sheet['id']}"
    assert client.put(f"{url}/record", headers={**nurse, "If-Match": '"v1"'}, json=body).is_success
    refused = client.post(f"{url}/sign-off", headers={**nurse, "If-Match": '"v2"'})
    assert refused.status_code == 422 and "actual_start" in refused.text
