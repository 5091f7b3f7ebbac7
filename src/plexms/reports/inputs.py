"""What a report is made from: a patient's record (read by the service layer) and a formatter.

The service passes the record it loaded (``plexms.core.record.PatientRecord`` fits this
protocol) and a lab formatter that shows values in the centre's unit convention, so this
package needs neither the database, the interop package nor the settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from plexms.core.record import (
    AdverseEvent,
    Centre,
    Course,
    DmtHistory,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    OutcomeAssessment,
    OutcomeMeasure,
    Patient,
    SteroidCourse,
)

__all__ = ["CANONICAL", "LabDisplay", "ReportRecord", "pick_course", "session_window"]


@dataclass(frozen=True)
class LabDisplay:
    """How lab values are shown: ``text(analyte, value, stored unit) -> "9.5 mg/dL"`` and
    ``scale(analyte) -> (unit label, factor from the canonical unit)`` for charts."""

    text: Callable[[str, float, str], str]
    scale: Callable[[str], tuple[str, float]]
    #: a date, and an aware time in the centre's zone, in the centre's style (``12/04/2026``,
    #: ``12/04/2026 9:00 AM``); ISO by default
    date: Callable[[dt.date], str] = dt.date.isoformat
    datetime: Callable[[dt.datetime], str] = lambda value: f"{value:%Y-%m-%d %H:%M}"
    time: Callable[[dt.datetime | dt.time], str] = lambda value: f"{value:%H:%M}"


CANONICAL = LabDisplay(
    text=lambda _a, value, unit: f"{value:g} {unit}", scale=lambda _a: ("g/L", 1)
)


class ReportRecord(Protocol):
    """The rows of one patient a report reads (live rows only, each list in a stable order)."""

    @property
    def centre(self) -> Centre: ...
    @property
    def patient(self) -> Patient: ...
    @property
    def episodes(self) -> Sequence[Episode]: ...
    @property
    def steroid_courses(self) -> Sequence[SteroidCourse]: ...
    @property
    def dmts(self) -> Sequence[DmtHistory]: ...
    @property
    def courses(self) -> Sequence[Course]: ...
    @property
    def sessions(self) -> Sequence[ExchangeSession]: ...
    @property
    def labs(self) -> Sequence[LabResult]: ...
    @property
    def adverse_events(self) -> Sequence[AdverseEvent]: ...
    @property
    def outcomes(self) -> Sequence[OutcomeAssessment]: ...
    @property
    def hand_backs(self) -> Sequence[HandBack]: ...
    @property
    def measures(self) -> Sequence[OutcomeMeasure]: ...


def pick_course(record: ReportRecord, course_id: int | None) -> Course | None:
    """The course asked for, else the latest one (by start date); ``None`` when there is none."""
    if course_id is not None:
        for course in record.courses:
            if course.id == course_id:
                return course
        return None
    return record.courses[-1] if record.courses else None


def session_window(session: ExchangeSession) -> tuple[dt.datetime, dt.datetime]:
    """When a session ran (actual times when recorded, else the planned ones)."""
    start = session.actual_start or session.planned_start
    end = session.actual_end or session.planned_end
    return start, end
