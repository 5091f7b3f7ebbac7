"""Unit utilisation per day and week (issue 17 item 7): treatment places, machines and
nurses, run-time per session against the plan, and turnover between patients.

Definitions (all in the centre's local wall-clock time, minutes):

- **Place / machine utilisation** = booked minutes / available minutes. A booking holds its
  place and machine from ``setup_minutes`` before its start to ``turnover_minutes`` after its
  end (as the booking rules hold them). Available = opening minutes x active places (or
  machines); a machine's maintenance inside opening hours is not available.
- **Nurse utilisation** = run minutes / (shift minutes x ``patients_per_nurse``): the share
  of the nurses' running capacity used (one nurse runs up to N patients at once). No shift
  that day: no nurse utilisation (``None``), not 0 %.
- **Run-time**: actual (``actual_end - actual_start``) against planned (the booking's length,
  from the prescription); ``None`` while not recorded.
- **Turnover**: the gaps between one patient leaving a place and the next arriving there the
  same day (count and total minutes; the mean is total / count).

A day the clinic is closed has zero available minutes and ``None`` utilisation, never a
division by zero. A booking that runs over midnight is refused (bookings are inside a day's
opening hours), as is an end before its start.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.policy import ClinicHours, ResourcePolicy

__all__ = [
    "MAX_DAYS",
    "Capacity",
    "Period",
    "RunTime",
    "Use",
    "Utilisation",
    "utilisation",
]

Span = tuple[dt.datetime, dt.datetime]
MAX_DAYS = 366  # one year at most per question


@dataclass(frozen=True)
class Use:
    """One booked exchange: ``key`` (the session), local start and end, its place, machine
    and nurse, and the actual start and end when recorded."""

    key: int
    start: dt.datetime
    end: dt.datetime
    place_id: int
    machine_id: int
    nurse_id: int
    actual_start: dt.datetime | None = None
    actual_end: dt.datetime | None = None


@dataclass(frozen=True)
class Capacity:
    """What the unit has: active places and machines, the nurses' shifts and the machines'
    maintenance blocks (local spans)."""

    places: int
    machines: int
    shifts: tuple[Span, ...] = ()
    maintenance: tuple[Span, ...] = ()


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


@dataclass(frozen=True)
class Period:
    """A day or a week (``first`` to ``last``): minutes booked and available per resource,
    sessions, and turnover between patients."""

    first: dt.date
    last: dt.date
    open_minutes: int
    sessions: int
    place_booked: int
    place_available: int
    machine_booked: int
    machine_available: int
    nurse_booked: int
    nurse_available: int
    changeovers: int
    turnover_minutes: int

    @property
    def place_utilisation(self) -> float | None:
        """Booked / available place minutes; ``None`` when none were available."""
        return _ratio(self.place_booked, self.place_available)

    @property
    def machine_utilisation(self) -> float | None:
        """Booked / available machine minutes; ``None`` when none were available."""
        return _ratio(self.machine_booked, self.machine_available)

    @property
    def nurse_utilisation(self) -> float | None:
        """Run minutes / nurse capacity minutes; ``None`` without a shift."""
        return _ratio(self.nurse_booked, self.nurse_available)

    @property
    def mean_turnover(self) -> float | None:
        """Mean minutes between patients at a place; ``None`` without a changeover."""
        return self.turnover_minutes / self.changeovers if self.changeovers else None


@dataclass(frozen=True)
class RunTime:
    """A session's run against its plan (minutes); ``over`` = actual - planned."""

    key: int
    day: dt.date
    planned_minutes: int
    actual_minutes: int | None

    @property
    def over(self) -> int | None:
        """Minutes longer (+) or shorter (-) than planned; ``None`` while not recorded."""
        return None if self.actual_minutes is None else self.actual_minutes - self.planned_minutes


@dataclass(frozen=True)
class Utilisation:
    """Per day (every day asked, closed ones too), per week (Monday first, clipped to the
    days asked) and per session."""

    days: tuple[Period, ...]
    weeks: tuple[Period, ...]
    runs: tuple[RunTime, ...]


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _overlap(span: Span, lo: dt.datetime, hi: dt.datetime) -> int:
    start, end = max(span[0], lo), min(span[1], hi)
    return _minutes(start, end) if end > start else 0


def _check(use: Use) -> None:
    if use.end <= use.start:
        raise InputError("end", f"session {use.key} ends before it starts")
    if use.end.date() != use.start.date():
        raise InputError("end", f"session {use.key} runs over midnight: not allowed")
    if (
        use.actual_start is not None
        and use.actual_end is not None
        and use.actual_end < use.actual_start
    ):
        raise InputError("actual_end", f"session {use.key} ends before it starts")


def _day(
    day: dt.date,
    uses: Sequence[Use],
    capacity: Capacity,
    hours: ClinicHours,
    policy: ResourcePolicy,
) -> Period:
    midnight = dt.datetime.combine(day, dt.time())
    window = hours.hours_on(day)
    if window is None:
        opens = closes = midnight
    else:
        opens, closes = (dt.datetime.combine(day, t) for t in window)
    open_minutes = _minutes(opens, closes)
    held = policy.setup_minutes + policy.turnover_minutes
    runs = sum(_minutes(u.start, u.end) for u in uses)
    down = sum(_overlap(b, opens, closes) for b in capacity.maintenance)
    shift = sum(_overlap(s, midnight, midnight + dt.timedelta(days=1)) for s in capacity.shifts)
    changeovers = turnover = 0
    by_place: dict[int, list[Use]] = {}
    for u in uses:
        by_place.setdefault(u.place_id, []).append(u)
    for booked in by_place.values():
        booked.sort(key=lambda u: u.start)
        for before, after in itertools.pairwise(booked):
            changeovers += 1
            turnover += max(0, _minutes(before.end, after.start))
    return Period(
        first=day,
        last=day,
        open_minutes=open_minutes,
        sessions=len(uses),
        place_booked=runs + held * len(uses),
        place_available=open_minutes * capacity.places,
        machine_booked=runs + held * len(uses),
        machine_available=max(0, open_minutes * capacity.machines - down),
        nurse_booked=runs,
        nurse_available=shift * policy.patients_per_nurse,
        changeovers=changeovers,
        turnover_minutes=turnover,
    )


def _sum(days: Sequence[Period]) -> Period:
    return Period(
        first=days[0].first,
        last=days[-1].last,
        open_minutes=sum(d.open_minutes for d in days),
        sessions=sum(d.sessions for d in days),
        place_booked=sum(d.place_booked for d in days),
        place_available=sum(d.place_available for d in days),
        machine_booked=sum(d.machine_booked for d in days),
        machine_available=sum(d.machine_available for d in days),
        nurse_booked=sum(d.nurse_booked for d in days),
        nurse_available=sum(d.nurse_available for d in days),
        changeovers=sum(d.changeovers for d in days),
        turnover_minutes=sum(d.turnover_minutes for d in days),
    )


def utilisation(
    first: dt.date,
    last: dt.date,
    uses: Iterable[Use],
    capacity: Capacity,
    hours: ClinicHours,
    policy: ResourcePolicy,
) -> Utilisation:
    """Utilisation from ``first`` to ``last`` (local dates, inclusive, at most a year).

    >>> from plexms.core.policy import ClinicHours, ResourcePolicy
    >>> mon = dt.date(2026, 11, 30)
    >>> use = Use(1, dt.datetime(2026, 11, 30, 9), dt.datetime(2026, 11, 30, 11), 1, 1, 7)
    >>> shift = (dt.datetime(2026, 11, 30, 8), dt.datetime(2026, 11, 30, 18))
    >>> u = utilisation(mon, mon, [use], Capacity(2, 1, (shift,)), ClinicHours(), ResourcePolicy())
    >>> day = u.days[0]
    >>> day.open_minutes, day.place_booked, day.place_available, day.nurse_available
    (480, 150, 960, 1200)
    """
    if last < first:
        raise InputError("end", "must not be before start")
    if (last - first).days + 1 > MAX_DAYS:
        raise InputError("end", "the period is too long", allowed=f"<= {MAX_DAYS} days")
    if capacity.places < 0 or capacity.machines < 0:
        raise InputError("capacity", "cannot be negative")
    count = (last - first).days + 1
    wanted = [first + dt.timedelta(days=k) for k in range(count)]
    by_day: dict[dt.date, list[Use]] = {d: [] for d in wanted}
    runs: list[RunTime] = []
    for use in sorted(uses, key=lambda u: (u.start, u.key)):
        _check(use)
        if use.start.date() not in by_day:
            continue
        by_day[use.start.date()].append(use)
        actual = (
            _minutes(use.actual_start, use.actual_end)
            if use.actual_start is not None and use.actual_end is not None
            else None
        )
        runs.append(RunTime(use.key, use.start.date(), _minutes(use.start, use.end), actual))
    days = tuple(_day(d, by_day[d], capacity, hours, policy) for d in wanted)
    weeks: dict[dt.date, list[Period]] = {}
    for period in days:
        weeks.setdefault(period.first - dt.timedelta(days=period.first.weekday()), []).append(
            period
        )
    return Utilisation(days, tuple(_sum(w) for w in weeks.values()), tuple(runs))
