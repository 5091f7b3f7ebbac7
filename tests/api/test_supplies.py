"""Stock counts and the supplies forecast over the API (both backends): whole units per
session from the prescription, a stopped course adds nothing, what was used since the count
is taken off, the first short day; who may enter a count."""

from __future__ import annotations

import datetime as dt

from plexms.core.policy import SuppliesPolicy
from plexms.core.supplies import session_units


def _course(client, world, mrn: str) -> dict:  # type: ignore[no-untyped-def]
    pid = world.patient("a", mrn=mrn).id
    body = {"plan": {"exchanges": 5, "start_date": "2026-11-30"}}
    course = client.post(
        f"/api/patients/{pid}/courses", headers=world.headers("physician"), json=body
    )
    assert course.status_code == 201, course.text
    return course.json()  # type: ignore[no-any-return]


def _units(course: dict) -> dict[str, int]:
    rx = course["prescription"]
    return session_units(
        albumin_g=rx["replacement"]["albumin_needed_g"],
        acd_a_ml=rx["anticoagulant"]["volume_ml"],
        calcium_ml=rx["calcium_gluconate_10pct_ml"],
        policy=SuppliesPolicy(),
    )


def test_forecast_against_the_stock(client, world) -> None:  # type: ignore[no-untyped-def]
    nurse = world.headers("nurse")
    course = _course(client, world, "MRN-1")
    stopped = _course(client, world, "MRN-2")
    stop = client.post(
        f"/api/courses/{stopped['id']}/status",
        headers={**world.headers("physician"), "If-Match": f'"v{stopped["version"]}"'},
        json={"status": "stopped", "reason": "patient declined"},
    )
    assert stop.status_code == 200, stop.text
    units = _units(course)
    assert units["albumin"] >= 1 and units["tubing_set"] == 1

    counted = "2026-11-26T08:00:00+00:00"
    for item, quantity in (("albumin", 3 * units["albumin"]), ("tubing_set", 4)):
        body = {"item": item, "quantity": quantity, "counted_at": counted}
        saved = client.post("/api/supplies/stock", headers=nurse, json=body)
        assert saved.status_code == 201, saved.text
    # the first session was done after the count: it used one session's supplies
    sessions = client.get(f"/api/courses/{course['id']}/sessions", headers=nurse).json()
    start = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)
    done = client.put(
        f"/api/sessions/{sessions[0]['id']}/record",
        headers={**nurse, "If-Match": f'"v{sessions[0]["version"]}"'},
        json={"status": "done", "actual_start": start.isoformat(), "plasma_removed_ml": 2500},
    )
    assert done.status_code == 200, done.text

    answer = client.get("/api/supplies/forecast?days=21", headers=world.headers("viewer"))
    assert answer.status_code == 200, answer.text
    f = answer.json()
    assert f["start"] == "2026-11-26" and len(f["per_day"]) == 21
    booked = [d for d in f["per_day"] if d["sessions"]]
    assert sum(d["sessions"] for d in booked) == 4  # 5 planned, 1 done; the stopped course: 0
    assert all(d["needs"] == units for d in booked)
    items = {i["item"]: i for i in f["items"]}
    albumin = items["albumin"]
    assert albumin["counted"] == 3 * units["albumin"]
    assert albumin["used_since_count"] == units["albumin"]
    assert albumin["stock"] == 2 * units["albumin"]
    assert albumin["needed"] == 4 * units["albumin"]
    assert albumin["short_on"] == booked[2]["day"]  # the third booked session runs short
    tubing = items["tubing_set"]
    assert (tubing["stock"], tubing["needed"], tubing["short_on"]) == (3, 4, booked[3]["day"])
    assert items["acd_a"]["stock"] is None and items["acd_a"]["short_on"] is None
    assert [s["item"] for s in f["shortages"]] == ["albumin", "tubing_set"]
    assert "500 mL" in f["sizes"]["albumin"]

    stock = client.get("/api/supplies/stock", headers=world.headers("viewer")).json()
    assert [(s["item"], s["counted_by"]) for s in stock] == [
        ("albumin", "nurse-a"),
        ("tubing_set", "nurse-a"),
    ]


def test_stock_entry_permissions_and_bad_input(client, world) -> None:  # type: ignore[no-untyped-def]
    body = {"item": "acd_a", "quantity": 12}
    for role, status in (("viewer", 403), ("physician", 403), ("coordinator", 201), ("admin", 201)):
        answer = client.post("/api/supplies/stock", headers=world.headers(role), json=body)
        assert answer.status_code == status, (role, answer.text)
    nurse = world.headers("nurse")
    future = {**body, "counted_at": "2026-11-27T08:00:00+00:00"}
    refused = client.post("/api/supplies/stock", headers=nurse, json=future)
    assert refused.status_code == 422 and "counted_at" in refused.text
    for bad in ({"item": "gauze", "quantity": 1}, {"item": "acd_a", "quantity": -1}):
        assert client.post("/api/supplies/stock", headers=nurse, json=bad).status_code == 422
    for days in ("0", "85", "x"):
        assert client.get(f"/api/supplies/forecast?days={days}", headers=nurse).status_code == 422
    default = client.get("/api/supplies/forecast", headers=nurse).json()
    assert default["days"] == 14 and default["shortages"] == []
