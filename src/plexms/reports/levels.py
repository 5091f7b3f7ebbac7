"""Predicted vs measured IgG and fibrinogen over a course (the course summary's chart).

The prediction is :func:`plexms.core.kinetics.predict_course` for the exchanges as they ran
(or as planned), scaled by the patient's own pre-course level; measured values are the stored
labs of the course's window. Without a pre-course level the chart shows percentages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from plexms.core.kinetics import ExchangeEvent, predict_course
from plexms.core.record import Course, ExchangeSession, LabResult
from plexms.reports.charts import LevelPanel
from plexms.reports.inputs import CANONICAL, LabDisplay, ReportRecord, session_window

__all__ = ["ANALYTES", "LevelsFigure", "course_levels"]

ANALYTES = (("igg", "IgG"), ("fibrinogen", "Fibrinogen"))
_TAIL_H = 72.0
_BASELINE_SLACK = dt.timedelta(hours=1)  # a pre-exchange sample stamped at the start counts


@dataclass(frozen=True)
class LevelsFigure:
    """The chart's panels, the sources of the prediction, and what could not be predicted."""

    panels: tuple[LevelPanel, ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...]


def _events(
    sessions: Sequence[ExchangeSession], fallback_ml: float | None
) -> tuple[dt.datetime, list[ExchangeEvent]] | None:
    runs = [s for s in sessions if s.status in ("done", "planned")]
    if not runs:
        return None
    t0 = session_window(runs[0])[0]
    events = []
    for s in runs:
        start, end = session_window(s)
        volume = s.plasma_removed_ml or s.planned_plasma_volume_ml or fallback_ml
        if volume is None or end <= start:
            return None
        hours = (start - t0).total_seconds() / 3600
        events.append(ExchangeEvent(hours, (end - start).total_seconds() / 3600, float(volume)))
    return t0, events


def _baseline(labs: Sequence[LabResult], t0: dt.datetime) -> float | None:
    before = [lab for lab in labs if lab.taken_at <= t0 + _BASELINE_SLACK]
    return before[-1].value if before else None


def course_levels(
    record: ReportRecord, course: Course, display: LabDisplay = CANONICAL
) -> LevelsFigure:
    """Panels for IgG and fibrinogen of ``course`` (days from the first exchange)."""
    prescription = course.prescription or {}
    plasma_volume = prescription.get("plasma_volume_ml")
    exchange_ml = prescription.get("exchange_volume_ml")
    sessions = [s for s in record.sessions if s.course_id == course.id]
    timing = _events(sessions, exchange_ml)
    if not isinstance(plasma_volume, int | float) or plasma_volume <= 0 or timing is None:
        why = "no plasma volume in the prescription" if timing else "no exchange times/volumes"
        return LevelsFigure((), (), (f"No predicted levels: {why}.",))
    t0, events = timing
    panels: list[LevelPanel] = []
    sources: list[str] = []
    notes: list[str] = []
    for analyte, label in ANALYTES:
        labs = [lab for lab in record.labs if lab.analyte == analyte]
        baseline = _baseline(labs, t0)
        last_h = max((lab.taken_at - t0).total_seconds() / 3600 for lab in labs) if labs else 0.0
        end_h = events[-1].start_h + events[-1].duration_h
        prediction = predict_course(
            analyte,
            plasma_volume_ml=float(plasma_volume),
            exchanges=events,
            sample_every_h=2.0,
            until_h=max(end_h + _TAIL_H, last_h + 2.0),
        )
        sources.extend(prediction.sources)
        unit, factor = display.scale(analyte)
        scale = baseline * factor if baseline else 100.0
        unit = unit if baseline else "% of pre-course level"
        if not baseline:
            notes.append(f"{label}: no pre-course level measured; predicted as a percentage.")
        measured = (
            tuple(((lab.taken_at - t0).total_seconds() / 86400, lab.value * factor) for lab in labs)
            if baseline
            else ()
        )
        curve = tuple((t / 24, level * scale) for t, level in prediction.curve)
        panels.append(LevelPanel(label, unit, curve, measured))
    return LevelsFigure(tuple(panels), tuple(dict.fromkeys(sources)), tuple(notes))
