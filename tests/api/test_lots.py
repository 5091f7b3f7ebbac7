"""Lots and serials on the session sheet, and the recall query over the API (both backends):
exactly the patients whose sessions used the lot, of the caller's centre only; typed or
scanned (GS1); kept on sign-off and corrected by addendum; audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from plexms.store.models import AuditEvent

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
SCAN = "(01)09506000134352(17)271231(10)ALB-2026-01"


def _first_session(client, world, centre: str, mrn: str, name: str) -> dict:  # type: ignore[no-untyped-def]
    pid = world.patient(centre, mrn=mrn, family_name=name, phone="+1 555 0100").id
    doctor = world.headers("physician", centre)
    body = {"plan": {"exchanges": 5, "start_date": "2026-11-30"}}
    course = client.post(f"/api/patients/{pid}/courses", headers=doctor, json=body)
    assert course.status_code == 201, course.text
    listed = client.get(f"/api/courses/{course.json()['id']}/sessions", headers=doctor)
    return listed.json()[0]  # type: ignore[no-any-return]


def _record(client, world, centre: str, sheet: dict, lots: list[dict]):  # type: ignore[no-untyped-def]
    body = {
        "status": "done",
        "actual_start": START.isoformat(),
        "actual_end": (START + dt.timedelta(hours=2)).isoformat(),
        "plasma_removed_ml": 2750,
        "lots": lots,
    }
    headers = {**world.headers("nurse", centre), "If-Match": f'"v{sheet["version"]}"'}
    return client.put(f"/api/sessions/{sheet['id']}/record", headers=headers, json=body)


def _names(answer) -> list[str]:  # type: ignore[no-untyped-def]
    return [p["family_name"] for p in answer.json()["patients"]]


def test_recall_finds_exactly_the_patients_with_the_lot(client, world) -> None:  # type: ignore[no-untyped-def]
    one = _first_session(client, world, "a", "MRN-1", "Arden")
    two = _first_session(client, world, "a", "MRN-2", "Baker")
    other = _first_session(client, world, "a", "MRN-3", "Carver")
    elsewhere = _first_session(client, world, "b", "MRN-9", "Dorsey")
    saved = _record(
        client,
        world,
        "a",
        one,
        [{"kind": "albumin", "barcode": SCAN}, {"kind": "machine", "serial": "OPT-12345"}],
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["lots"][0] == {
        "kind": "albumin",
        "lot": "ALB-2026-01",
        "serial": "",
        "gtin": "09506000134352",
        "expiry": "2027-12-31",
    }
    assert _record(
        client,
        world,
        "a",
        two,
        [{"kind": "albumin", "lot": " alb-2026-01"}, {"kind": "acd_a", "lot": "ACD-7"}],
    ).is_success
    assert _record(
        client, world, "a", other, [{"kind": "albumin", "lot": "ALB-2026-02"}]
    ).is_success
    assert _record(
        client, world, "b", elsewhere, [{"kind": "albumin", "lot": "ALB-2026-01"}]
    ).is_success

    answer = client.get("/api/lots/ALB-2026-01/sessions", headers=world.headers("nurse"))
    assert answer.status_code == 200, answer.text
    assert _names(answer) == ["Arden", "Baker"]
    first = answer.json()["patients"][0]
    assert first["mrn"] == "MRN-1" and first["phone"] == "+1 555 0100"
    assert first["sessions"][0]["session_date"] == "2026-11-26"
    assert first["sessions"][0]["kind"] == "albumin"
    b = client.get("/api/lots/alb-2026-01/sessions", headers=world.headers("coordinator", "b"))
    assert _names(b) == ["Dorsey"]
    by_serial = client.get("/api/lots/OPT-12345/sessions", headers=world.headers("physician"))
    assert _names(by_serial) == ["Arden"]
    assert client.get("/api/lots/NOPE/sessions", headers=world.headers("admin")).json() == {
        "lot": "NOPE",
        "patients": [],
        "sessions": 0,
    }
    assert (
        client.get("/api/lots/ALB-2026-01/sessions", headers=world.headers("viewer")).status_code
        == 403
    )

    with world.db.read() as session:
        rows = (
            session.execute(
                select(AuditEvent).where(
                    AuditEvent.entity == "lot_recall", AuditEvent.actor_role == "nurse"
                )
            )
            .scalars()
            .all()
        )
    assert {r.patient_id for r in rows} == {None, one["patient_id"], two["patient_id"]}


def test_lots_kept_on_sign_off_and_corrected_by_addendum(client, world) -> None:  # type: ignore[no-untyped-def]
    nurse = world.headers("nurse")
    sheet = _first_session(client, world, "a", "MRN-1", "Arden")
    first = _record(client, world, "a", sheet, [{"kind": "tubing_set", "lot": "TS-1"}])
    assert first.status_code == 200, first.text
    url = f"/api/sessions/{sheet['id']}"
    v = first.json()["version"]
    partial = client.put(
        f"{url}/record",
        headers={**nurse, "If-Match": f'"v{v}"'},
        json={"status": "done", "notes": "ok"},
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["lots"][0]["lot"] == "TS-1"  # a save without lots keeps them
    signed = client.post(f"{url}/sign-off", headers={**nurse, "If-Match": f'"v{v + 1}"'})
    assert signed.status_code == 200, signed.text
    assert signed.json()["lots"][0]["lot"] == "TS-1"
    edit = client.put(
        f"{url}/record",
        headers={**nurse, "If-Match": f'"v{v + 2}"'},
        json={"status": "done", "lots": [{"kind": "tubing_set", "lot": "TS-2"}]},
    )
    assert edit.status_code == 409
    fix = {
        "reason": "Wrong set label read",
        "changes": {"lots": [{"kind": "tubing_set", "lot": "TS-2"}]},
    }
    added = client.post(f"{url}/addenda", headers=nurse, json=fix)
    assert added.status_code == 201, added.text
    assert added.json()["changes"][0]["old"][0]["lot"] == "TS-1"
    assert client.get(url, headers=nurse).json()["lots"][0]["lot"] == "TS-1"  # as signed
    assert _names(client.get("/api/lots/TS-1/sessions", headers=nurse)) == []
    assert _names(client.get("/api/lots/TS-2/sessions", headers=nurse)) == ["Arden"]


def test_bad_lots_answer_422_naming_the_field(client, world) -> None:  # type: ignore[no-untyped-def]
    sheet = _first_session(client, world, "a", "MRN-1", "Arden")
    bad = _record(
        client, world, "a", sheet, [{"kind": "albumin", "barcode": "(01)09506000134353(10)X"}]
    )
    assert bad.status_code == 422
    assert "lots[0].barcode" in bad.text and "check digit" in bad.text
    clash = _record(
        client, world, "a", sheet, [{"kind": "albumin", "lot": "Y", "barcode": "(10)X"}]
    )
    assert clash.status_code == 422 and "lots[0].lot" in clash.text
    empty = _record(client, world, "a", sheet, [{"kind": "albumin"}])
    assert empty.status_code == 422
    unknown = _record(client, world, "a", sheet, [{"kind": "gauze", "lot": "1"}])
    assert unknown.status_code == 422
    raw = _record(
        client,
        world,
        "a",
        sheet,
        [{"kind": "calcium", "barcode": "010950600013435210CA-9\x1d21S1"}],
    )
    assert raw.status_code == 200, raw.text
    assert raw.json()["lots"][0]["lot"] == "CA-9" and raw.json()["lots"][0]["serial"] == "S1"
