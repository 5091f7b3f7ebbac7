"""A course of exchanges laid out in the centre's opening hours.

Rules (sources in brackets):

- 5-7 exchanges over 10-14 days, every other day (SEED_PROTOCOL, ASFA_MS_FACT_SHEET);
  1-10 exchanges are accepted, with a warning outside 5-7 (LOCAL_POLICY).
- Each appointment (run + setup minutes, from the prescription) starts at the requested start
  time, or at opening time if later, and must end by closing time (ClinicHours: weekday hours
  plus closed dates such as public holidays, resolved by the service layer).
- A start date on which the session cannot be held moves to the next day on which it can.
- Minimum interval: each exchange is at least ``interval_days`` after the previous one (every
  other day leaves a clear day for fibrinogen and other factors to recover, ORLIN_1980,
  WODAJO_2024). When that day is closed the exchange moves to the next open day; the gap
  only grows, so the interval is never shortened.
- The course (first to last exchange, inclusive) must fit in ``course_days``; otherwise an
  :class:`InfeasibleError` names the reason and the nearest feasible alternatives.

>>> import datetime as dt
>>> from plexms.core.policy import ClinicHours, SchedulePolicy
>>> course = plan_course(dt.date(2026, 11, 28), exchanges=5, session_minutes=135,
...                      hours=ClinicHours(), policy=SchedulePolicy())
>>> [a.date.isoformat() for a in course.appointments]
['2026-11-30', '2026-12-02', '2026-12-04', '2026-12-07', '2026-12-09']
>>> first = course.appointments[0]
>>> first.start.isoformat("minutes"), first.end.isoformat("minutes")
('09:00', '11:15')
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from plexms.core.errors import InfeasibleError, InputError
from plexms.core.policy import ClinicHours, SchedulePolicy

__all__ = [
    "ACCEPTED_EXCHANGES",
    "PROTOCOL_EXCHANGES",
    "Appointment",
    "CourseSchedule",
    "plan_course",
]

PROTOCOL_EXCHANGES = (5, 7)  # SEED_PROTOCOL, ASFA_MS_FACT_SHEET
ACCEPTED_EXCHANGES = (1, 10)  # LOCAL_POLICY
_INTERVAL_RANGE = (1, 7)  # LOCAL_POLICY: daily to weekly
_COURSE_DAYS_RANGE = (1, 28)  # LOCAL_POLICY
_SESSION_RANGE = (1, 24 * 60)
_START_SEARCH_DAYS = 60  # how far a start date may move to find an open day
_HORIZON_DAYS = 366  # how far a course is laid out before giving up
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SOURCES = ("SEED_PROTOCOL", "ASFA_MS_FACT_SHEET", "ORLIN_1980", "WODAJO_2024", "LOCAL_POLICY")


@dataclass(frozen=True)
class Appointment:
    """One exchange: its number (from 1), date and local start and end time."""

    exchange: int
    date: dt.date
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class CourseSchedule:
    """The appointments of a course and how they were placed."""

    appointments: tuple[Appointment, ...]
    course_days: int
    interval_days: int
    session_minutes: int
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    sources: tuple[str, ...]


def _check_int(field: str, value: int, bounds: tuple[int, int], note: str = "") -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(
            field, f"{value!r} is outside the accepted range{note}", allowed=f"{low}-{high}"
        )


_Slot = tuple[dt.time, dt.time]


def _slot_finder(
    hours: ClinicHours, start_time: dt.time, session_minutes: int
) -> Callable[[dt.date], _Slot | None]:
    length = dt.timedelta(minutes=session_minutes)

    def slot(day: dt.date) -> _Slot | None:
        open_close = hours.hours_on(day)
        if open_close is None:
            return None
        opens, closes = open_close
        begin = dt.datetime.combine(day, max(opens, start_time))
        end = begin + length
        if end.date() != day or end.time() > closes:
            return None
        return begin.time(), end.time()

    return slot


def _why_not(hours: ClinicHours, day: dt.date, closures: Mapping[dt.date, str]) -> str:
    name = f"{day.isoformat()} ({_WEEKDAYS[day.weekday()]})"
    if day in hours.closed_dates:
        why = f" ({closures[day]})" if day in closures else ""
        return f"{name} is a closed date{why}"
    if hours.weekly[day.weekday()] is None:
        return f"{name}: the clinic is closed"
    return f"{name}: the session does not fit in the opening hours"


def _next_slot(
    day: dt.date, slot: Callable[[dt.date], _Slot | None], horizon: dt.date
) -> tuple[dt.date, _Slot] | None:
    """The first day from ``day`` to ``horizon`` with room for the session, and its slot."""
    while day <= horizon:
        found = slot(day)
        if found is not None:
            return day, found
        day += dt.timedelta(days=1)
    return None


def _place(
    first: dt.date, exchanges: int, interval_days: int, slot: Callable[[dt.date], _Slot | None]
) -> list[tuple[dt.date, _Slot]] | None:
    """Days and slots of the course from ``first``, or ``None`` past the horizon."""
    placed: list[tuple[dt.date, _Slot]] = []
    horizon = first + dt.timedelta(days=_HORIZON_DAYS)
    day = first
    for _ in range(exchanges):
        found = _next_slot(day, slot, horizon)
        if found is None:
            return None
        placed.append(found)
        day = found[0] + dt.timedelta(days=interval_days)
    return placed


def _span(placed: list[tuple[dt.date, _Slot]] | None) -> int | None:
    return None if placed is None else (placed[-1][0] - placed[0][0]).days + 1


def _first_open(start: dt.date, slot: Callable[[dt.date], _Slot | None]) -> dt.date | None:
    found = _next_slot(start, slot, start + dt.timedelta(days=_START_SEARCH_DAYS))
    return None if found is None else found[0]


def _room_minutes(hours: ClinicHours, start_time: dt.time) -> int:
    """The longest session that fits on any weekday when starting at ``start_time``."""
    day = dt.date(2000, 1, 1)
    room = [
        (
            dt.datetime.combine(day, dt.time.fromisoformat(closes))
            - dt.datetime.combine(day, max(dt.time.fromisoformat(opens), start_time))
        ).total_seconds()
        // 60
        for opens, closes in (h for h in hours.weekly if h is not None)
    ]
    return int(max(room, default=0))


def _alternatives(
    first: dt.date,
    exchanges: int,
    interval_days: int,
    course_days: int,
    slot: Callable[[dt.date], _Slot | None],
) -> list[str]:
    def fits(count: int, start: dt.date = first, interval: int = interval_days) -> int | None:
        span = _span(_place(start, count, interval, slot))
        return span if span is not None and span <= course_days else None

    # A single exchange always fits (``first`` is open), so this ends with a feasible count.
    fewer = exchanges - 1
    while fewer > 1 and fits(fewer) is None:
        fewer -= 1
    options = [f"exchanges={fewer}: {fewer} exchanges fit in {fits(fewer)} days"]
    span = _span(_place(first, exchanges, interval_days, slot))
    if span is not None and span <= _COURSE_DAYS_RANGE[1]:
        options.append(f"course_days={span}: a course of {span} days holds all {exchanges}")
    if interval_days > 1:
        span = fits(exchanges, interval=1)
        if span is not None:
            options.append(
                f"interval_days=1: daily exchanges fit in {span} days (less time for "
                "fibrinogen to recover between exchanges, ORLIN_1980)"
            )
    for offset in range(1, 8):
        later = _first_open(first + dt.timedelta(days=offset), slot)
        span = None if later is None else fits(exchanges, start=later)
        if later is not None and span is not None:
            options.append(f"start_date={later.isoformat()}: the course fits in {span} days")
            break
    return options


def plan_course(
    start_date: dt.date,
    *,
    exchanges: int,
    session_minutes: int,
    hours: ClinicHours,
    policy: SchedulePolicy,
    interval_days: int | None = None,
    course_days: int | None = None,
    start_time: dt.time | None = None,
    closures: Mapping[dt.date, str] | None = None,
) -> CourseSchedule:
    """Lay out ``exchanges`` sessions of ``session_minutes`` from ``start_date``.

    ``closures`` names closed dates (e.g. public holidays) for the notes of moved exchanges.

    Raises :class:`InputError` for out-of-range inputs and :class:`InfeasibleError` (with
    alternatives) when the course cannot fit. Sources: SEED_PROTOCOL, ASFA_MS_FACT_SHEET.

    >>> import datetime as dt
    >>> from plexms.core.policy import ClinicHours, SchedulePolicy
    >>> plan_course(dt.date(2026, 11, 30), exchanges=7, session_minutes=135,
    ...             hours=ClinicHours(), policy=SchedulePolicy(), course_days=10)
    Traceback (most recent call last):
    ...
    plexms.core.errors.InfeasibleError: exchanges: 7 exchanges every 2 days need 15 days ...
    """
    interval = policy.interval_days if interval_days is None else interval_days
    window = policy.max_course_days if course_days is None else course_days
    _check_int("exchanges", exchanges, ACCEPTED_EXCHANGES, " (protocol 5-7)")
    _check_int("interval_days", interval, _INTERVAL_RANGE)
    _check_int("course_days", window, _COURSE_DAYS_RANGE)
    _check_int("session_minutes", session_minutes, _SESSION_RANGE)
    latest = dt.date.max - dt.timedelta(days=2 * (_HORIZON_DAYS + _START_SEARCH_DAYS))
    if start_date > latest:
        raise InputError("start_date", "is too far in the future", allowed=f"<= {latest}")
    if start_time is None:
        try:
            start_time = dt.time.fromisoformat(policy.default_start)
        except ValueError:
            raise InputError("default_start", f"{policy.default_start!r} is not a time") from None
    named = closures or {}
    warnings: list[str] = []
    notes: list[str] = []
    low, high = PROTOCOL_EXCHANGES
    if not low <= exchanges <= high:
        warnings.append(
            f"{exchanges} exchanges is outside the MS protocol's {low}-{high} "
            "(SEED_PROTOCOL, ASFA_MS_FACT_SHEET): accepted, check the course."
        )
    if interval == 1:
        warnings.append(
            "Daily exchanges: fibrinogen and other factors recover over 48-72 h "
            "(ORLIN_1980, WODAJO_2024); check fibrinogen before each exchange."
        )

    slot = _slot_finder(hours, start_time, session_minutes)
    room = _room_minutes(hours, start_time)
    if session_minutes > room:
        alternatives = [
            f"session_minutes<={room}: fewer plasma volumes per exchange or a faster inlet flow"
        ]
        at_opening = _room_minutes(hours, dt.time(0, 0))
        if session_minutes <= at_opening:
            alternatives.append("start_time at opening time: the session fits then")
        raise InfeasibleError(
            "session_minutes",
            f"a session of {session_minutes} min from {start_time.isoformat('minutes')} does "
            f"not fit in any day's opening hours (at most {room} min)",
            alternatives=alternatives,
            allowed=f"<= {room} min",
        )
    first = _first_open(start_date, slot)
    if first is None:
        raise InfeasibleError(
            "start_date",
            f"no day within {_START_SEARCH_DAYS} days of {start_date.isoformat()} is open",
            alternatives=["a later start_date", "fewer closed dates"],
        )
    if first != start_date:
        notes.append(f"Start moved: {_why_not(hours, start_date, named)}; first exchange {first}.")
    placed = _place(first, exchanges, interval, slot)
    span = _span(placed)
    if placed is None or span is None or span > window:
        needed = "more than a year" if span is None else f"{span} days"
        raise InfeasibleError(
            "exchanges",
            f"{exchanges} exchanges every {interval} days need {needed} from {first}, "
            f"more than the {window}-day course",
            alternatives=_alternatives(first, exchanges, interval, window, slot),
            allowed=f"a course within {window} days",
        )
    for number, (before, after) in enumerate(itertools.pairwise(placed), start=2):
        planned = before[0] + dt.timedelta(days=interval)
        if after[0] != planned:
            notes.append(
                f"Exchange {number} moved: {_why_not(hours, planned, named)}; held on {after[0]}."
            )
    if span < policy.min_course_days:
        warnings.append(
            f"The course spans {span} days, shorter than the protocol's "
            f"{policy.min_course_days}-{policy.max_course_days} days (SEED_PROTOCOL)."
        )
    appointments = tuple(
        Appointment(number, day, begin, end)
        for number, (day, (begin, end)) in enumerate(placed, start=1)
    )
    return CourseSchedule(
        appointments=appointments,
        course_days=span,
        interval_days=interval,
        session_minutes=session_minutes,
        notes=tuple(notes),
        warnings=tuple(warnings),
        sources=_SOURCES,
    )
