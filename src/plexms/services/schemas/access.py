"""Vascular access lines and their events (issue 17, item 3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from plexms.core.vocabulary import (
    LINE_EVENTS,
    LINE_KINDS,
    LINE_REMOVAL_REASONS,
    LINE_SITES,
    LINE_TYPES,
    LOCK_SOLUTIONS,
)
from plexms.services.schemas.common import In, OneOf, Out, Stamped, Text

__all__ = [
    "AccessLineIn",
    "AccessLineOut",
    "AccessLineRemoveIn",
    "AccessSummary",
    "LineEventIn",
    "LineEventOut",
]

Day = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 1, 1))]


class AccessLineIn(In):
    """A line put in. ``kind`` follows ``line_type`` (given, it must agree). Dates may not lie
    in the future; ``removed_on`` (a line recorded after it came out) not before insertion."""

    kind: Annotated[str, OneOf(LINE_KINDS)] | None = None
    line_type: Annotated[str, OneOf(LINE_TYPES)]
    site: Annotated[str, OneOf(LINE_SITES)]
    lumens: int = Field(default=1, ge=1, le=4)
    inserted_on: Day
    removed_on: Day | None = None
    removal_reason: Annotated[str, OneOf(LINE_REMOVAL_REASONS, blank=True)] = ""
    lock_solution: Annotated[str, OneOf(LOCK_SOLUTIONS, blank=True)] = ""
    notes: Text = ""


class AccessLineRemoveIn(In):
    """The line came out: when and why."""

    removed_on: Day
    removal_reason: Annotated[str, OneOf(LINE_REMOVAL_REASONS)]
    notes: Text = ""


class LineEventIn(In):
    """A dressing change, flush, line problem or infection of one line, on a date within the
    line's time in place (insertion to removal; no future dates)."""

    event_type: Annotated[str, OneOf(LINE_EVENTS)]
    event_on: Day
    notes: Text = ""


class LineEventOut(Stamped):
    patient_id: int
    line_id: int
    event_type: str
    event_on: dt.date
    notes: str


class AccessLineOut(Stamped):
    patient_id: int
    kind: str
    line_type: str
    site: str
    lumens: int
    inserted_on: dt.date
    removed_on: dt.date | None
    removal_reason: str
    lock_solution: str
    notes: str
    #: Line-days to today (or to removal), both ends counted (core.access_lines.line_days).
    line_days: int = 0
    events: list[LineEventOut] = Field(default_factory=list)


class AccessSummary(Out):
    """A patient's lines (newest first), the one the pre-session check would take, and the
    patient's line infections per 1,000 line-days to ``as_of``."""

    patient_id: int
    as_of: dt.date
    lines: list[AccessLineOut]
    precheck_access: str | None
    line_days: int
    infections: int
    problems: int
    per_1000_line_days: float | None
    ci95_per_1000: tuple[float, float] | None
