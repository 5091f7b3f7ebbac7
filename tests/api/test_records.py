"""Corrections over HTTP: soft delete (428 without If-Match, 412 stale, 410 afterwards, history
kept) of courses, sessions, outcome visits and adverse events; If-Match updates of adverse
events; stopping a course needs a reason."""

from __future__ import annotations

from sqlalchemy import func, select

from plexms.store.models import AuditEvent, ExchangeSession


def _course(client, world):  # type: ignore[no-untyped-def]
    pid = world.patient().id
    r = client.post(
        f"/api/patients/{pid}/courses",
        headers=world.headers("physician"),
        json={"plan": {"exchanges": 5, "start_date": "2026-11-30"}},
    )
    assert r.status_code == 201, r.text
    return pid, r.json()


def _tag(client, world, url: str) -> str:  # type: ignore[no-untyped-def]
    r = client.get(url, headers=world.headers("physician"))
    assert r.status_code == 200, r.text
    return str(r.headers["etag"])


def _delete(client, world, url: str) -> int:  # type: ignore[no-untyped-def]
    """DELETE as the physician with the current ETag."""
    headers = {**world.headers("physician"), "If-Match": _tag(client, world, url)}
    return int(client.delete(url, headers=headers).status_code)


def test_soft_delete_of_a_session_and_a_course(client, world) -> None:  # type: ignore[no-untyped-def]
    _, course = _course(client, world)
    doc = world.headers("physician")
    sessions = client.get(f"/api/courses/{course['id']}/sessions", headers=doc).json()
    url = f"/api/sessions/{sessions[0]['id']}"
    assert client.delete(url, headers=doc).status_code == 428
    assert client.delete(url, headers={**doc, "If-Match": '"v99"'}).status_code == 412
    nurse = {**world.headers("nurse"), "If-Match": _tag(client, world, url)}
    assert client.delete(url, headers=nurse).status_code == 403
    assert _delete(client, world, url) == 204
    assert client.get(url, headers=doc).status_code == 410
    curl = f"/api/courses/{course['id']}"
    assert _delete(client, world, curl) == 204
    assert client.get(curl, headers=doc).status_code == 410
    assert client.get(f"/api/sessions/{sessions[1]['id']}", headers=doc).status_code == 410
    with world.db.read() as s:  # kept, with who deleted them
        kept = s.execute(
            select(func.count())
            .select_from(ExchangeSession)
            .where(
                ExchangeSession.course_id == course["id"], ExchangeSession.deleted_by.is_not(None)
            )
        ).scalar_one()
        deletes = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "delete")
        ).scalar_one()
    assert kept == 5 and deletes == 2


def test_stopping_a_course_needs_a_reason(client, world) -> None:  # type: ignore[no-untyped-def]
    _, course = _course(client, world)
    doc = world.headers("physician")
    url = f"/api/courses/{course['id']}"
    stop = f"{url}/status"
    tag = _tag(client, world, url)
    r = client.post(stop, headers={**doc, "If-Match": tag}, json={"status": "stopped"})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(
        stop,
        headers={**doc, "If-Match": _tag(client, world, url)},
        json={"status": "stopped", "reason": "patient withdrew consent"},
    )
    assert r.status_code == 200 and r.json()["stop_reason"] == "patient withdrew consent"


def test_adverse_event_update_and_delete(client, world) -> None:  # type: ignore[no-untyped-def]
    pid, _ = _course(client, world)
    nurse = world.headers("nurse")
    made = client.post(
        f"/api/patients/{pid}/adverse-events",
        headers=nurse,
        json={"event_type": "hypotension", "severity": "mild", "onset_at": "2026-11-30T10:00:00Z"},
    )
    assert made.status_code == 201, made.text
    url = f"/api/adverse-events/{made.json()['id']}"
    first = _tag(client, world, url)
    body = {"severity": "moderate", "action": "fluids", "outcome": "resolved"}
    assert client.patch(url, headers=nurse, json=body).status_code == 428
    ok = client.patch(url, headers={**nurse, "If-Match": first}, json=body)
    assert ok.status_code == 200 and ok.json()["severity"] == "moderate"
    assert ok.headers["etag"] != first
    stale = client.patch(url, headers={**nurse, "If-Match": first}, json={"notes": "late"})
    assert stale.status_code == 412
    doc = {**world.headers("physician"), "If-Match": ok.headers["etag"]}
    assert client.delete(url, headers=doc).status_code == 204
    assert client.get(url, headers=doc).status_code == 410
    listed = client.get(f"/api/adverse-events?patient_id={pid}", headers=doc).json()
    assert listed["total"] == 0
    other = world.headers("physician", "b")
    assert client.get(url, headers=other).status_code == 404


def test_outcome_delete(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    made = client.post(
        f"/api/patients/{pid}/outcomes",
        headers=world.headers("nurse"),
        json={"timepoint": "baseline", "assessed_on": "2026-10-29", "va_right_logmar": 0.3},
    )
    assert made.status_code == 201, made.text
    url = f"/api/outcomes/{made.json()['id']}"
    doc = world.headers("physician")
    assert _delete(client, world, url) == 204
    assert client.get(url, headers=doc).status_code == 410
    assert client.get(f"/api/patients/{pid}/outcomes", headers=doc).json() == []


def test_outcome_tnd_corrected_and_the_response_reclassified(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    nurse = world.headers("nurse")
    base = {"timepoint": "baseline", "assessed_on": "2026-10-29", "va_right_logmar": 0.3}
    visits = f"/api/patients/{pid}/outcomes"
    assert client.post(visits, headers=nurse, json=base).status_code == 201
    later = {
        "timepoint": "1_month",
        "assessed_on": "2026-11-26",
        "va_right_logmar": 0.2,
        "targeted_deficit": "mild",
    }
    made = client.post(visits, headers=nurse, json=later).json()
    assert made["result"]["response"]["criteria"]["tnd"]["responder"] is False
    url = f"/api/outcomes/{made['id']}"
    body = {"targeted_deficit": "marked", "notes": "graded by the neurologist"}
    assert client.patch(url, headers=nurse, json=body).status_code == 428
    tag = _tag(client, world, url)
    r = client.patch(url, headers={**nurse, "If-Match": tag}, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["targeted_deficit"] == "marked" and out["inputs"]["response"]["tnd"] == "marked"
    assert out["result"]["response"]["criteria"]["tnd"]["responder"] is True
    assert out["result"]["response"]["baseline"]["from"] == "outcome"
    assert out["rule_version"].count("response:") == 1
    assert client.patch(url, headers={**nurse, "If-Match": tag}, json=body).status_code == 412
