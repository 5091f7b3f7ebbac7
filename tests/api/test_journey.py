"""A patient walked through referral -> assessment -> course -> sessions -> outcomes purely
over HTTP (httpx ASGI transport in process, and a real socket with uvicorn), checking the
stored record and the audit trail at each step."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select
from tests.live import LiveServer

from plexms.services import calc as calc_service
from plexms.store import audit_chain
from plexms.store.models import AuditEvent, Course, ExchangeSession, Patient

FS = {
    "visual": 0,
    "brainstem": 1,
    "pyramidal": 3,
    "cerebellar": 2,
    "sensory": 2,
    "bowel_bladder": 1,
    "cerebral": 0,
}
FS_AFTER = {**FS, "pyramidal": 2, "cerebellar": 1}


def _audit(db, **where) -> int:  # type: ignore[no-untyped-def]
    with db.read() as s:
        query = select(func.count()).select_from(AuditEvent)
        for k, v in where.items():
            query = query.where(getattr(AuditEvent, k) == v)
        return int(s.execute(query).scalar_one())


def _ok(r: httpx.Response, status: int = 200) -> dict:  # type: ignore[type-arg]
    assert r.status_code == status, r.text
    return r.json() if r.content else {}


def walk(http, world) -> int:  # type: ignore[no-untyped-def]
    """The journey; ``http`` has ``.request(method, url, **kw)`` (sync). Returns patient id."""
    db = world.db
    doc, nurse, coord = (world.headers(r) for r in ("physician", "nurse", "coordinator"))

    # 1. referral from a neurologist, triaged by the coordinator (creates the patient)
    ref = _ok(
        http.request(
            "POST",
            "/api/referrals",
            headers=coord,
            json={
                "referrer_name": "Dr Neuro",
                "patient_given_name": "Ada",
                "patient_family_name": "Journeyname",
                "presentation": "relapse",
                "onset_date": "2026-11-20",
                "reason": "steroid-refractory relapse",
            },
        ),
        201,
    )
    etag = f'"v{ref["version"]}"'
    tri = _ok(
        http.request(
            "POST",
            f"/api/referrals/{ref['id']}/triage",
            headers={**coord, "If-Match": etag},
            json={
                "status": "accepted",
                "new_patient": {
                    "mrn": "J-1",
                    "family_name": "Journeyname",
                    "given_name": "Ada",
                    "birth_date": "1984-05-17",
                    "sex": "female",
                },
            },
        )
    )
    pid = tri["patient_id"]
    assert _audit(db, patient_id=pid, action="create", entity="patient") == 1
    episodes = _ok(http.request("GET", f"/api/patients/{pid}/episodes", headers=doc))
    assert episodes[0]["onset_date"] == "2026-11-20"
    _ok(
        http.request(
            "POST",
            f"/api/patients/{pid}/measurements",
            headers=nurse,
            json={
                "measured_at": "2026-11-25T09:00:00-08:00",
                "height_cm": 165,
                "weight_kg": 60,
                "hematocrit": 0.40,
            },
        ),
        201,
    )

    # 2. eligibility assessment (when the core's calculator is in this build)
    r = http.request(
        "POST",
        f"/api/patients/{pid}/assessments",
        headers=doc,
        json={"episode_id": episodes[0]["id"], "request": {}},
    )
    if "assess" in calc_service.calculators() or "eligibility" in calc_service.calculators():
        assert r.status_code in (201, 422), r.text
    else:
        assert r.status_code == 501, r.text

    # 3. plan the course: prescription and schedule from the core, sessions created
    course = _ok(
        http.request(
            "POST",
            f"/api/patients/{pid}/courses",
            headers=doc,
            json={
                "episode_id": episodes[0]["id"],
                "plan": {"exchanges": 5, "start_date": "2026-11-30"},
            },
        ),
        201,
    )
    assert course["planned_exchanges"] == 5 and course["status"] == "planned"
    assert course["inputs"]["height_cm"] == 165  # filled from the record
    assert course["prescription"]["exchange_volume_ml"] > 0 and course["rule_version"]
    with db.read() as s:
        assert s.get_one(Patient, pid).stage == "course_planned"
        n = s.execute(
            select(func.count())
            .select_from(ExchangeSession)
            .where(ExchangeSession.course_id == course["id"])
        ).scalar_one()
        assert n == 5
    assert _audit(db, patient_id=pid, entity="course", action="create") == 1

    # 4. five sessions, one adverse event, labs
    sessions = _ok(http.request("GET", f"/api/courses/{course['id']}/sessions", headers=nurse))
    assert [x["sequence"] for x in sessions] == [1, 2, 3, 4, 5]
    for sheet in sessions:
        start = dt.datetime.fromisoformat(sheet["planned_start"])
        body = {
            "status": "done",
            "actual_start": start.isoformat(),
            "actual_end": (start + dt.timedelta(hours=2)).isoformat(),
            "plasma_removed_ml": sheet["planned_plasma_volume_ml"],
            "replacement_fluids": [{"fluid": "albumin_5", "volume_ml": 3500}],
            "anticoagulant": "ACD-A",
            "anticoagulant_ml": 300,
            "calcium_gluconate_ml": 35,
            "vascular_access": "peripheral",
            "vitals": [
                {
                    "at": start.isoformat(),
                    "phase": "pre",
                    "systolic_mmhg": 120,
                    "diastolic_mmhg": 75,
                    "heart_rate_bpm": 70,
                }
            ],
        }
        rec = _ok(
            http.request(
                "PUT",
                f"/api/sessions/{sheet['id']}/record",
                headers={**nurse, "If-Match": f'"v{sheet["version"]}"'},
                json=body,
            )
        )
        assert rec["signed_off_at"] is None and rec["operator"] == "nurse-a"
        # the course lies ahead of the suite's clock: no sign-off of a session in the future
        early = http.request(
            "POST",
            f"/api/sessions/{sheet['id']}/sign-off",
            headers={**nurse, "If-Match": f'"v{rec["version"]}"'},
        )
        assert early.status_code == 422 and "actual_start" in early.text
        if sheet["sequence"] == 2:
            _ok(
                http.request(
                    "POST",
                    f"/api/patients/{pid}/adverse-events",
                    headers=nurse,
                    json={
                        "session_id": sheet["id"],
                        "event_type": "hypocalcaemia",
                        "severity": "mild",
                        "onset_at": start.isoformat(),
                        "action": "calcium bolus",
                        "outcome": "resolved",
                    },
                ),
                201,
            )
    lab = _ok(
        http.request(
            "POST",
            f"/api/patients/{pid}/labs",
            headers=nurse,
            json={
                "taken_at": "2026-12-08T08:00:00-08:00",
                "analyte": "fibrinogen",
                "value": 150,
                "unit": "mg/dL",
                "session_id": sessions[-1]["id"],
                "timing": "pre",
            },
        ),
        201,
    )
    assert lab["unit"] == "g/L" and abs(lab["value"] - 1.5) < 1e-9
    with db.read() as s:
        assert s.get_one(Course, course["id"]).status == "active"
        assert s.get_one(Patient, pid).stage == "course_active"
    assert _audit(db, patient_id=pid, entity="session", action="update") == 5
    assert _audit(db, patient_id=pid, entity="adverse_event", action="create") == 1

    # 5. complete the course; outcome visits with EDSS computed by the core
    cur = _ok(http.request("GET", f"/api/courses/{course['id']}", headers=doc))
    _ok(
        http.request(
            "POST",
            f"/api/courses/{course['id']}/status",
            headers={**doc, "If-Match": f'"v{cur["version"]}"'},
            json={"status": "completed"},
        )
    )
    base = _ok(
        http.request(
            "POST",
            f"/api/patients/{pid}/outcomes",
            headers=doc,
            json={
                "course_id": course["id"],
                "timepoint": "baseline",
                "assessed_on": "2026-11-20",
                "edss": {"fs": FS, "ambulation_score": 0},
                "va_right_logmar": 0.3,
            },
        ),
        201,
    )
    after = _ok(
        http.request(
            "POST",
            f"/api/patients/{pid}/outcomes",
            headers=doc,
            json={
                "course_id": course["id"],
                "timepoint": "1_month",
                "assessed_on": "2026-11-26",
                "edss": {"fs": FS_AFTER, "ambulation_score": 0},
                "targeted_deficit": "moderate",
            },
        ),
        201,
    )
    assert base["edss"] == calc_service.run("edss", {"fs": FS, "ambulation_score": 0}).body["edss"]
    assert after["edss"] < base["edss"] and after["rule_version"].startswith("edss:")

    # 6. hand-back; the whole record; the audit chain holds
    _ok(
        http.request(
            "POST",
            f"/api/patients/{pid}/handbacks",
            headers=doc,
            json={
                "course_id": course["id"],
                "planned_dmt": "ocrelizumab",
                "earliest_dose_date": "2027-01-15",
                "plan": "resume DMT after the course",
            },
        ),
        201,
    )
    record = _ok(http.request("GET", f"/api/patients/{pid}/record", headers=doc))
    assert record["patient"]["stage"] == "handed_back"
    assert len(record["sessions"]) == 5 and len(record["adverse_events"]) == 1
    assert len(record["outcomes"]) == 2 and len(record["labs"]) == 1
    assert _audit(db, patient_id=pid, entity="record", action="read") == 1
    with db.read() as s:
        assert audit_chain.verify(s).ok
    return int(pid)


def test_journey_in_process(client, world) -> None:
    walk(client, world)


@pytest.fixture
def live_url(app, world):  # type: ignore[no-untyped-def]
    with LiveServer(app, log_level="error", lifespan="off") as server:
        yield server.url


def test_journey_over_a_socket(live_url, world) -> None:
    with httpx.Client(base_url=live_url, timeout=30) as http:
        assert http.get("/api/health").json()["status"] == "ok"
        walk(http, world)
