"""The plan value: a course laid out with named closures, and its parts in one place."""

from __future__ import annotations

import dataclasses
import datetime as dt

from plexms.core.plan import PREDICTED_SUBSTANCES, plan_treatment
from plexms.core.policy import CentrePolicy
from plexms.core.prescription import prescribe
from plexms.core.volumes import estimate_volumes

POLICY = CentrePolicy()
CHRISTMAS = dt.date(2026, 12, 25)


def _plan(start: dt.date, **changes: object):  # type: ignore[no-untyped-def]
    volumes = estimate_volumes("female", height_cm=165, weight_kg=60, hematocrit=0.4)
    rx = prescribe(volumes, POLICY.prescription)
    hours = dataclasses.replace(POLICY.hours, closed_dates=frozenset({CHRISTMAS}))
    return plan_treatment(
        volumes,
        rx,
        start,
        exchanges=5,
        hours=hours,
        schedule_policy=POLICY.schedule,
        setup_minutes=POLICY.prescription.setup_minutes,
        **changes,  # type: ignore[arg-type]
    )


def test_a_named_closure_is_named_in_the_note_and_kept_in_the_plan() -> None:
    plan = _plan(CHRISTMAS, holidays={CHRISTMAS: "Christmas Day", dt.date(2027, 6, 1): "later"})
    assert plan.course.notes[0].startswith(
        "Start moved: 2026-12-25 (Friday) is a closed date (Christmas Day);"
    )
    assert dict(plan.holidays) == {CHRISTMAS: "Christmas Day"}  # only those within the course
    assert plan.first_date == dt.date(2026, 12, 28)


def test_an_unnamed_closure_is_only_closed() -> None:
    plan = _plan(CHRISTMAS)
    assert plan.course.notes[0].startswith("Start moved: 2026-12-25 (Friday) is a closed date;")
    assert plan.holidays == {}


def test_the_parts_come_together() -> None:
    plan = _plan(dt.date(2026, 11, 30), interval_days=1, course_days=10)
    assert tuple(plan.predicted) == PREDICTED_SUBSTANCES
    assert plan.time_zero == dt.datetime(2026, 11, 30, 9, 0)
    assert plan.warnings == (*plan.prescription.warnings, *plan.course.warnings)
    assert any("Daily exchanges" in w for w in plan.warnings)
    assert plan.sources[: len(plan.volumes.sources)] == plan.volumes.sources
    assert set(plan.prediction_sources) <= set(plan.sources)
    assert len(set(plan.sources)) == len(plan.sources)
