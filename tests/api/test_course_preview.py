"""``POST /api/patients/{id}/course-preview``: the plan a course would store, not stored.

The service hands back the typed preview (the filled request and the core's Plan); the route
writes the JSON, and its ``result`` is byte for byte what ``POST /api/calc/plan`` answers for
the same (filled) request.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from plexms.clock import utcnow
from plexms.core.plan import Plan
from plexms.services.clinical import courses
from plexms.store.models import Course

REQUESTS = (
    {"exchanges": 5},
    {"exchanges": 6, "plasma_volumes_per_exchange": 1.5, "start_date": "2026-12-01"},
)


def _compact(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def test_preview_is_the_calc_plan_answer_for_the_filled_request(client, world) -> None:  # type: ignore[no-untyped-def]
    patient = world.patient()
    headers = world.headers("physician")
    today = utcnow().astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()
    for request in REQUESTS:
        response = client.post(
            f"/api/patients/{patient.id}/course-preview", headers=headers, json=request
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["inputs", "result"]
        inputs = body["inputs"]
        # The patient's record fills what the request leaves out; the request wins.
        assert inputs["sex"] == "female" and inputs["weight_kg"] == 60
        assert inputs["start_date"] == request.get("start_date", today)
        answer = client.post("/api/calc/plan", headers=headers, json=inputs)
        assert answer.status_code == 200, answer.text
        expected = b'{"inputs":' + _compact(inputs) + b',"result":' + answer.content + b"}"
        assert response.content == expected
    with world.db.read() as session:
        assert session.execute(select(func.count()).select_from(Course)).scalar_one() == 0


def test_preview_service_gives_the_typed_plan(world) -> None:  # type: ignore[no-untyped-def]
    patient = world.patient()
    preview = courses.preview_course(world.ctx("nurse"), patient.id, {"exchanges": 5})
    assert isinstance(preview.plan, Plan)
    assert len(preview.plan.course.appointments) == 5
    assert preview.inputs["exchanges"] == 5 and preview.inputs["sex"] == "female"


def test_refused_preview_names_the_field(client, world) -> None:  # type: ignore[no-untyped-def]
    patient = world.patient()
    response = client.post(
        f"/api/patients/{patient.id}/course-preview",
        headers=world.headers("physician"),
        json={"exchanges": 0},
    )
    assert response.status_code == 422
    assert response.json()["field"].startswith("plan.exchanges")
