"""POST /api/courses/{id}/fit and GET /api/priors (issue 18 items 1 and 5): a stored course
fitted to its measured IgG and fibrinogen, an implausible sample flagged, 422 without a
measurement, 404 for another centre's course, and the learned priors beside the literature
ones. Both backends, real HTTP in process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.services.admin.demo import _demo_levels
from plexms.services.clinical import courses, sessions
from plexms.services.schemas.clinical import CoursePlanIn, LabIn, SessionRecordIn


def _course(world: Any, done: int, *, outlier: bool = False) -> int:
    pid = world.patient().id
    data = CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-16"})
    course_id = courses.plan_course(world.ctx("physician"), pid, data).id
    nurse = world.ctx("nurse")
    sheets = courses.list_course_sessions(nurse, course_id)
    levels = _demo_levels(course_id, sheets[:done])
    for sheet in sheets[:done]:
        start = sheet.planned_start
        sessions.record_session(
            nurse,
            sheet.id,
            SessionRecordIn(
                status="done",
                actual_start=start,
                actual_end=start + dt.timedelta(hours=2),
                plasma_removed_ml=sheet.planned_plasma_volume_ml,
            ),
            sheet.version,
        )
        for (analyte, timing), value in levels[sheet.sequence].items():
            if outlier and sheet.sequence == 2 and timing == "post" and analyte == "igg":
                value *= 3.0  # IVIG given, or another patient's tube
            at = (
                start - dt.timedelta(minutes=15)
                if timing == "pre"
                else start + dt.timedelta(hours=2, minutes=15)
            )
            sessions.add_lab(
                nurse,
                pid,
                LabIn(
                    taken_at=at, analyte=analyte, value=round(value, 2), unit="g/L", timing=timing
                ),
            )
    return course_id


def test_stored_course_fit(client, world) -> None:  # type: ignore[no-untyped-def]
    course_id = _course(world, 3, outlier=True)
    r = client.post(f"/api/courses/{course_id}/fit", headers=world.headers("nurse"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["course_id"] == course_id and body["priors"] == "population"
    igg, fib = body["substances"]["igg"], body["substances"]["fibrinogen"]
    assert [b["exchange"] for b in fib["before_exchanges"]] == [4, 5]
    for row in fib["predicted"] + igg["before_exchanges"]:
        assert row["low"] <= row["value"] <= row["high"] and row["unit"] == "g/L"
    assert len(igg["flags"]) == 1 and igg["flags"][0]["z"] > 3
    assert fib["flags"] == []
    assert any("implausible" in a for a in body["advice"])
    assert any(a.startswith("Fibrinogen predicted") for a in body["advice"])
    assert {s["key"] for s in body["sources"]} >= {"WODAJO_2024", "REVERBERI_2007"}
    assert 0.6 < igg["parameters"]["elimination_half_life_h"]["value"] / 504 < 1.6
    # the same answer through the registry's priors (no other course: the literature's)
    learned = client.post(
        f"/api/courses/{course_id}/fit", json={"priors": "registry"}, headers=world.headers("nurse")
    )
    assert learned.status_code == 200, learned.text
    assert learned.json()["substances"]["igg"]["prior"] == "registry"
    bad = client.post(
        f"/api/courses/{course_id}/fit", json={"priors": "mine"}, headers=world.headers("nurse")
    )
    assert bad.status_code == 422


def test_course_without_measurements_is_422_and_other_centre_404(client, world) -> None:  # type: ignore[no-untyped-def]
    course_id = _course(world, 0)
    r = client.post(f"/api/courses/{course_id}/fit", headers=world.headers("physician"))
    assert r.status_code == 422 and "measurements" in r.text
    other = client.post(f"/api/courses/{course_id}/fit", headers=world.headers("physician", "b"))
    assert other.status_code == 404


def test_learned_priors(client, world) -> None:  # type: ignore[no-untyped-def]
    _course(world, 3)
    r = client.get("/api/priors", params={"scope": "centre"}, headers=world.headers("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    igg = body["substances"]["igg"]
    assert body["scope"] == "centre" and igg["courses"] == 1
    assert igg["population"]["elimination_half_life_h"] == {"median": 504.0, "sd_log": 0.2}
    assert igg["learned"]["elimination_half_life_h"]["median"] != 504.0
    same = client.get(
        "/api/priors", params={"scope": "population"}, headers=world.headers("viewer")
    )
    assert same.json()["substances"]["igg"]["courses"] == 0
