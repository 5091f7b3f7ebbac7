"""Unit utilisation (issue 17 item 7): per day and week, and run-time per session."""

from __future__ import annotations

import datetime as dt

from plexms.services.schemas.common import Out

__all__ = ["PeriodOut", "RunTimeOut", "UtilisationOut"]


class PeriodOut(Out):
    """A day or a week (``first``-``last``, local dates): minutes booked and available per
    resource (place and machine minutes include set-up and turnover; nurse capacity = shift
    minutes x patients per nurse), utilisation as a fraction (``None``: nothing available),
    and turnover between patients at a place."""

    first: dt.date
    last: dt.date
    open_minutes: int
    sessions: int
    place_booked: int
    place_available: int
    place_utilisation: float | None
    machine_booked: int
    machine_available: int
    machine_utilisation: float | None
    nurse_booked: int
    nurse_available: int
    nurse_utilisation: float | None
    changeovers: int
    turnover_minutes: int
    mean_turnover: float | None


class RunTimeOut(Out):
    """A booked session's run: planned minutes (from the prescription, as booked) against the
    recorded ``actual_end - actual_start`` (``None`` while not recorded)."""

    session_id: int
    day: dt.date
    planned_minutes: int
    actual_minutes: int | None
    over_minutes: int | None


class UtilisationOut(Out):
    """Utilisation from ``start`` to ``end`` (local dates, inclusive)."""

    start: dt.date
    end: dt.date
    time_zone: str
    days: list[PeriodOut]
    weeks: list[PeriodOut]
    runs: list[RunTimeOut]
