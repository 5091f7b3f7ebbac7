"""One patient's TPE plan: volumes, the exchange prescription, the course and what each exchange
is expected to remove (the answer of ``plexms calc plan``, before any JSON).

:func:`plan_treatment` lays out the course (:func:`plexms.core.schedule.plan_course`) for a
prescription and predicts the IgG and fibrinogen levels over it with the two-compartment model
(:func:`plexms.core.kinetics.predict_course`; sources in each prediction). The caller gives the
clinic hours with the public holidays already closed, and their names for the notes.

>>> import datetime as dt
>>> from plexms.core.policy import CentrePolicy
>>> from plexms.core.prescription import prescribe
>>> from plexms.core.volumes import estimate_volumes
>>> policy = CentrePolicy()
>>> volumes = estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=0.4)
>>> rx = prescribe(volumes, policy.prescription)
>>> plan = plan_treatment(volumes, rx, dt.date(2026, 11, 30), exchanges=5, hours=policy.hours,
...                       schedule_policy=policy.schedule, setup_minutes=30)
>>> plan.first_date, plan.last_date, round(plan.predicted["igg"].post[-1], 2)
(datetime.date(2026, 11, 30), datetime.date(2026, 12, 9), 0.15)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from plexms.core.kinetics import CoursePrediction, ExchangeEvent, predict_course
from plexms.core.plan_levels import LevelForecast, forecast_level, level_warning
from plexms.core.policy import ClinicHours, SchedulePolicy
from plexms.core.prescription import Prescription
from plexms.core.schedule import CourseSchedule, plan_course
from plexms.core.volumes import VolumeEstimate

__all__ = ["PREDICTED_SUBSTANCES", "PREDICTION_MODEL", "Plan", "plan_treatment"]

PREDICTED_SUBSTANCES: tuple[str, ...] = ("igg", "fibrinogen")
PREDICTION_MODEL = "two-compartment (intravascular + extravascular), exact per segment"


@dataclass(frozen=True)
class Plan:
    """The plan of one course: every number unrounded (the JSON contract rounds them)."""

    volumes: VolumeEstimate
    prescription: Prescription
    exchanges: int
    course: CourseSchedule
    time_zone: str
    # The run sits in the middle of the chair time; time zero is the first exchange's start.
    time_zero: dt.datetime
    predicted: Mapping[str, CoursePrediction]
    # Public holidays from the first day asked for to the last exchange, by date.
    holidays: Mapping[dt.date, str] = field(default_factory=dict)
    # Absolute levels before each exchange from a measured value (plexms.core.plan_levels).
    levels: Mapping[str, LevelForecast] = field(default_factory=dict)
    unforecast: tuple[str, ...] = ()

    @property
    def first_date(self) -> dt.date:
        """The day of the first exchange."""
        return self.course.appointments[0].date

    @property
    def last_date(self) -> dt.date:
        """The day of the last exchange."""
        return self.course.appointments[-1].date

    @property
    def warnings(self) -> tuple[str, ...]:
        """The prescription's warnings, then the schedule's, then the predicted levels'."""
        levels = (level_warning(f) for f in self.levels.values())
        return (
            *self.prescription.warnings,
            *self.course.warnings,
            *(w for w in levels if w is not None),
        )

    @property
    def notes(self) -> tuple[str, ...]:
        """The prescription's notes, then the schedule's (a moved exchange names the holiday),
        then why a measured level has no forecast."""
        skipped = tuple(
            f"No {key} forecast: plasma is in the replacement and the model predicts "
            f"albumin-only exchanges; measure {key} before each exchange."
            for key in self.unforecast
        )
        return (*self.prescription.notes, *self.course.notes, *skipped)

    @property
    def rules(self) -> tuple[str, ...]:
        """Rule ids of the prescription's findings, then PLAN-LEVEL-<SUBSTANCE> per crossing."""
        crossing = (f"PLAN-LEVEL-{k.upper()}" for k, f in self.levels.items() if f.first_below)
        return (*self.prescription.rules, *crossing)

    @property
    def prediction_sources(self) -> tuple[str, ...]:
        """The source keys of the predictions, each once."""
        keys = (key for p in self.predicted.values() for key in p.sources)
        return tuple(dict.fromkeys(keys))

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source key behind the plan, each once, in the order the parts use them."""
        keys = (
            *self.volumes.sources,
            *self.prescription.sources,
            *self.course.sources,
            *self.prediction_sources,
        )
        return tuple(dict.fromkeys(keys))


def plan_treatment(
    volumes: VolumeEstimate,
    prescription: Prescription,
    start_date: dt.date,
    *,
    exchanges: int,
    hours: ClinicHours,
    schedule_policy: SchedulePolicy,
    setup_minutes: int,
    holidays: Mapping[dt.date, str] | None = None,
    interval_days: int | None = None,
    course_days: int | None = None,
    start_time: dt.time | None = None,
    measured_levels: Mapping[str, float] | None = None,
    level_thresholds: Mapping[str, float] | None = None,
) -> Plan:
    """Lay out the course of ``exchanges`` from ``start_date`` and predict the levels over it.

    ``hours`` has the holidays closed already; ``holidays`` names them (for the notes and the
    plan). ``measured_levels`` (g/L by substance, taken before the course) give absolute
    predictions against ``level_thresholds``. Raises :class:`~plexms.core.errors.InputError`
    or ``InfeasibleError`` as :func:`~plexms.core.schedule.plan_course` does.
    """
    named = dict(holidays or {})
    course = plan_course(
        start_date,
        exchanges=exchanges,
        session_minutes=prescription.session_minutes,
        hours=hours,
        policy=schedule_policy,
        interval_days=interval_days,
        course_days=course_days,
        start_time=start_time,
        closures=named,
    )
    first = course.appointments[0]
    time_zero = dt.datetime.combine(first.date, first.start)
    lead = dt.timedelta(minutes=setup_minutes / 2)
    events = [
        ExchangeEvent(
            start_h=(dt.datetime.combine(a.date, a.start) + lead - time_zero).total_seconds()
            / 3600,
            duration_h=prescription.run_minutes / 60,
            volume_ml=prescription.exchange_volume_ml,
        )
        for a in course.appointments
    ]
    predicted = {
        key: predict_course(key, plasma_volume_ml=prescription.plasma_volume_ml, exchanges=events)
        for key in PREDICTED_SUBSTANCES
    }
    last = course.appointments[-1].date
    thresholds = level_thresholds or {}
    levels = {
        key: forecast_level(key, value, thresholds[key], events, prescription.plasma_volume_ml)
        for key, value in (measured_levels or {}).items()
        # The model predicts albumin-only exchanges: with plasma, no fibrinogen forecast.
        if key in thresholds and not (key == "fibrinogen" and prescription.replacement.plasma_ml)
    }
    return Plan(
        volumes=volumes,
        prescription=prescription,
        exchanges=exchanges,
        course=course,
        time_zone=hours.time_zone,
        time_zero=time_zero,
        predicted=predicted,
        holidays={day: name for day, name in sorted(named.items()) if start_date <= day <= last},
        levels=levels,
        unforecast=tuple(k for k in measured_levels or {} if k in thresholds and k not in levels),
    )
