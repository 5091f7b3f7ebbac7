"""Booking exchanges against the unit's places, machines and nurses (issue 17 item 2).

A fast greedy path for the common case: each exchange of a course takes the first feasible
slot (a start on the centre's slot grid from opening time) on or after its earliest day, and the
next exchange is at least ``interval_days`` later. A slot is feasible when

- it lies inside the day's opening hours (``ClinicHours``: weekday hours, closed dates);
- unless the exchange is urgent, fewer than ``places - urgent_reserve_places`` routine bookings
  hold a place at any moment of it (the urgent-slot reserve);
- a place is free for the appointment plus the set-up minutes before and the turnover minutes
  after (a central line only where ``central_line_ok``);
- a machine is free for the same span and not in a maintenance block;
- a competent nurse's shift covers the appointment and the nurse runs fewer than
  ``patients_per_nurse`` patients at every moment of it (the nurse-to-patient ratio).

The checks run in that order; the first that fails is the constraint that decided, and every
slot the greedy passed over is explained by it ("no machine free 09:00-11:30 Tue"). None of the
rules has a published number: each is a centre setting labelled local policy
(:class:`plexms.core.policy.ResourcePolicy`). Times are local wall-clock (naive) datetimes in
the centre's zone; the service layer converts.

>>> import datetime as dt
>>> from plexms.core.policy import ClinicHours, ResourcePolicy
>>> shift = (dt.datetime(2026, 11, 30, 8), dt.datetime(2026, 11, 30, 18))
>>> unit = Unit(places=(Place(1, "Chair 1"),), machines=(Machine(1, "Optia 1"),),
...             nurses=(Nurse(1, "Ann", (shift,)),))
>>> one = CourseRequest((Exchange(1, 135),), dt.date(2026, 11, 30), interval_days=2,
...                     last_day=dt.date(2026, 12, 13))
>>> slot = book_course(one, unit, ClinicHours(), ResourcePolicy()).slots[0]
>>> slot.start.isoformat(" ", "minutes"), slot.place_id, slot.machine_id, slot.nurse_id
('2026-11-30 09:00', 1, 1, 1)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from plexms.core.errors import InfeasibleError, InputError
from plexms.core.policy import ClinicHours, ResourcePolicy

__all__ = [
    "Alternative",
    "Block",
    "Booked",
    "CourseBooking",
    "CourseRequest",
    "Exchange",
    "Ledger",
    "Machine",
    "NoCapacityError",
    "Nurse",
    "Place",
    "Slot",
    "Unit",
    "book_course",
    "book_exchange",
    "day_starts",
    "describe_runs",
    "free_slots",
]

Span = tuple[dt.datetime, dt.datetime]
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SEARCH_DAYS = 14  # how far alternatives look (a later start, a longer course)
_INTERVAL_RANGE = (1, 7)  # LOCAL_POLICY, as core.schedule


@dataclass(frozen=True)
class Place:
    """A treatment place (chair, bed or room); ``central_line_ok``: a central line can be used."""

    id: int
    name: str
    kind: str = "chair"
    central_line_ok: bool = False


@dataclass(frozen=True)
class Block:
    """A machine's maintenance block."""

    start: dt.datetime
    end: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class Machine:
    """An apheresis machine and its maintenance blocks."""

    id: int
    name: str
    maintenance: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Nurse:
    """A competent nurse and the shifts they work."""

    id: int
    name: str
    shifts: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Booked:
    """A booking that stays where it is (``key``: the exchange session it books)."""

    key: int
    start: dt.datetime
    end: dt.datetime
    place_id: int
    machine_id: int
    nurse_id: int
    urgent: bool = False


@dataclass(frozen=True)
class Unit:
    """The unit's active resources and the bookings that hold them."""

    places: tuple[Place, ...]
    machines: tuple[Machine, ...]
    nurses: tuple[Nurse, ...]
    booked: tuple[Booked, ...] = ()

    @property
    def resourced(self) -> bool:
        """Whether the unit has at least one place, machine and nurse (else nothing is booked)."""
        return bool(self.places and self.machines and self.nurses)

    def with_booked(self, extra: Iterable[Booked]) -> Unit:
        """This unit with ``extra`` bookings added."""
        return dataclasses.replace(self, booked=(*self.booked, *extra))


@dataclass(frozen=True)
class Exchange:
    """One exchange to book: the session ``key``, its length (appointment minutes), whether the
    patient's access is a central line, and whether it is urgent (may use the reserve)."""

    key: int
    minutes: int
    central_line: bool = False
    urgent: bool = False


@dataclass(frozen=True)
class CourseRequest:
    """The exchanges of a course in order: the first on or after ``first_day`` (from
    ``start_time``, default opening), each next at least ``interval_days`` after the one
    before, all by ``last_day``."""

    exchanges: tuple[Exchange, ...]
    first_day: dt.date
    interval_days: int
    last_day: dt.date
    start_time: dt.time | None = None


@dataclass(frozen=True)
class Slot:
    """Where and when an exchange is booked, and why there (``explanation``)."""

    key: int
    start: dt.datetime
    end: dt.datetime
    place_id: int
    machine_id: int
    nurse_id: int
    explanation: str = ""

    def booked(self, urgent: bool = False) -> Booked:
        """This slot as a fixed booking."""
        return Booked(
            self.key, self.start, self.end, self.place_id, self.machine_id, self.nurse_id, urgent
        )


@dataclass(frozen=True)
class CourseBooking:
    """The slots of a course's exchanges, in order."""

    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class Alternative:
    """A nearest option that fits: ``kind`` (``other_time``, ``later_day``, ``later_start``,
    ``interval``, ``longer_course``, ``urgent``), what it is, the first exchange's start under
    it, and the request change that gives it (``change``: field -> value)."""

    kind: str
    description: str
    start: dt.datetime
    change: tuple[tuple[str, str | int], ...] = ()


class NoCapacityError(InfeasibleError):
    """The request does not fit the unit's capacity; ``options`` are the nearest that do.

    >>> err = NoCapacityError("start", "no machine free", options=())
    >>> err.to_dict()["alternatives"]
    []
    """

    def __init__(self, field: str, message: str, *, options: Sequence[Alternative]) -> None:
        super().__init__(field, message, alternatives=[o.description for o in options])
        self.options = tuple(options)


def _fmt(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def _day(day: dt.date) -> str:
    return f"{_DAYS[day.weekday()]} {day.isoformat()}"


def _overlaps(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> bool:
    return any(s < end and start < e for s, e in spans)


def _peak(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> int:
    """The most of ``spans`` that overlap one moment of ``start``-``end``."""
    events: list[tuple[dt.datetime, int]] = []
    for s, e in spans:
        if s < end and start < e:
            events += [(max(s, start), 1), (min(e, end), -1)]
    peak = load = 0
    for _, step in sorted(events, key=lambda ev: (ev[0], ev[1])):
        load += step
        peak = max(peak, load)
    return peak


class _ByDay:
    """Spans indexed by each local date they touch (a check reads only its own days)."""

    def __init__(self) -> None:
        self._days: dict[dt.date, list[Span]] = {}

    def add(self, span: Span) -> None:
        day, last = span[0].date(), span[1].date()
        while day <= last:
            self._days.setdefault(day, []).append(span)
            day += dt.timedelta(days=1)

    def near(self, start: dt.datetime, end: dt.datetime) -> list[Span]:
        first, last = start.date(), end.date()
        if first == last:
            return self._days.get(first, [])
        found: dict[Span, None] = {}
        while first <= last:
            found.update(dict.fromkeys(self._days.get(first, [])))
            first += dt.timedelta(days=1)
        return list(found)


class Ledger:
    """What holds each resource, indexed by resource and day for quick checks (built once per
    request).

    ``check`` answers a slot with the free place, machine and nurse, or the reason it fails.
    """

    def __init__(self, unit: Unit, policy: ResourcePolicy) -> None:
        self.unit = unit
        self.policy = policy
        self._setup = dt.timedelta(minutes=policy.setup_minutes)
        self._turnover = dt.timedelta(minutes=policy.turnover_minutes)
        self.places: dict[int, _ByDay] = {p.id: _ByDay() for p in unit.places}
        self.machines: dict[int, _ByDay] = {m.id: _ByDay() for m in unit.machines}
        self.runs: dict[int, _ByDay] = {n.id: _ByDay() for n in unit.nurses}
        self.routine = _ByDay()
        self._blocks = {m.id: m.maintenance for m in unit.machines}
        self._shifts: dict[int, _ByDay] = {n.id: _ByDay() for n in unit.nurses}
        for nurse in unit.nurses:
            for shift in nurse.shifts:
                self._shifts[nurse.id].add(shift)
        for booked in unit.booked:
            self.add(booked)

    def padded(self, start: dt.datetime, end: dt.datetime) -> Span:
        """The span a place and machine are held: set-up before, turnover after."""
        return start - self._setup, end + self._turnover

    def add(self, booked: Booked) -> None:
        """Hold the resources of ``booked`` (resources the unit no longer has are skipped)."""
        span = self.padded(booked.start, booked.end)
        for index, key, held in (
            (self.places, booked.place_id, span),
            (self.machines, booked.machine_id, span),
            (self.runs, booked.nurse_id, (booked.start, booked.end)),
        ):
            if key in index:
                index[key].add(held)
        if not booked.urgent:
            self.routine.add(span)

    def check(
        self,
        exchange: Exchange,
        start: dt.datetime,
        *,
        place_id: int | None = None,
        machine_id: int | None = None,
        nurse_id: int | None = None,
    ) -> Slot | str:
        """The slot at ``start`` with its resources (the ones named, else the first free), or
        the reason none fits (opening hours are the caller's: see :func:`day_starts`)."""
        end = start + dt.timedelta(minutes=exchange.minutes)
        held = self.padded(start, end)
        if self.policy.urgent_reserve_places and not exchange.urgent:
            room = len(self.unit.places) - self.policy.urgent_reserve_places
            if _peak(self.routine.near(*held), *held) >= room:
                return (
                    f"the routine places are full ({max(room, 0)} of {len(self.unit.places)}; "
                    f"{self.policy.urgent_reserve_places} kept for urgent bookings)"
                )
        place = self._place(exchange, held, place_id)
        if isinstance(place, str):
            return place
        machine = self._machine(held, machine_id)
        if isinstance(machine, str):
            return machine
        nurse = self._nurse(start, end, nurse_id)
        if isinstance(nurse, str):
            return nurse
        return Slot(exchange.key, start, end, place, machine, nurse)

    def _place(self, exchange: Exchange, held: Span, wanted: int | None) -> int | str:
        eligible = [p for p in self.unit.places if p.central_line_ok or not exchange.central_line]
        if wanted is not None:
            eligible = [p for p in eligible if p.id == wanted]
        if not eligible:
            what = "place" if wanted is None else f"place {wanted}"
            return f"no {what} can take a central line" if exchange.central_line else f"no {what}"
        # Peripheral access: keep the central-line places for those who need them.
        eligible.sort(key=lambda p: (p.central_line_ok and not exchange.central_line, p.id))
        for p in eligible:
            if not _overlaps(self.places[p.id].near(*held), *held):
                return p.id
        if wanted is not None:
            return f"{eligible[0].name} is booked"
        kind = "central-line place" if exchange.central_line else "place"
        return f"no {kind} free ({len(eligible)} booked)"

    def _machine(self, held: Span, wanted: int | None) -> int | str:
        machines = [m for m in self.unit.machines if wanted is None or m.id == wanted]
        if not machines:
            return f"no machine {wanted}"
        in_maintenance: list[str] = []
        for m in machines:
            blocks = [b for b in self._blocks[m.id] if b.start < held[1] and held[0] < b.end]
            if blocks:
                in_maintenance.append(f"{m.name}: {blocks[0].reason or 'maintenance'}")
            elif not _overlaps(self.machines[m.id].near(*held), *held):
                return m.id
        if in_maintenance and len(in_maintenance) == len(machines):
            return f"no machine free (in maintenance: {'; '.join(in_maintenance)})"
        if in_maintenance:
            return f"no machine free ({len(machines) - len(in_maintenance)} booked, " + (
                f"in maintenance: {'; '.join(in_maintenance)})"
            )
        return f"no machine free ({len(machines)} booked)"

    def _nurse(self, start: dt.datetime, end: dt.datetime, wanted: int | None) -> int | str:
        nurses = [n for n in self.unit.nurses if wanted is None or n.id == wanted]
        on_shift = [
            n
            for n in nurses
            if any(s <= start and end <= e for s, e in self._shifts[n.id].near(start, end))
        ]
        if not on_shift:
            return "no nurse on shift for the whole run" if nurses else f"no nurse {wanted}"
        ratio = self.policy.patients_per_nurse
        loads = [(_peak(self.runs[n.id].near(start, end), start, end), n.id) for n in on_shift]
        free = sorted(load for load in loads if load[0] < ratio)
        if not free:
            return (
                f"every nurse on shift already runs {ratio} patients "
                f"({len(on_shift)} on shift; ratio 1:{ratio})"
            )
        return free[0][1]


def day_starts(
    day: dt.date,
    minutes: int,
    hours: ClinicHours,
    policy: ResourcePolicy,
    start_time: dt.time | None = None,
) -> list[dt.datetime]:
    """The starts on ``day`` on the slot grid (from opening) whose appointment of ``minutes``
    ends by closing time, at or after ``start_time``; none on a closed day.

    >>> from plexms.core.policy import ClinicHours, ResourcePolicy
    >>> starts = day_starts(dt.date(2026, 11, 27), 420, ClinicHours(), ResourcePolicy())
    >>> [s.strftime("%H:%M") for s in starts]  # Friday: 09:00-16:00
    ['09:00']
    """
    open_close = hours.hours_on(day)
    if open_close is None:
        return []
    opens, closes = (dt.datetime.combine(day, t) for t in open_close)
    step = dt.timedelta(minutes=policy.slot_minutes)
    length = dt.timedelta(minutes=minutes)
    earliest = opens if start_time is None else dt.datetime.combine(day, start_time)
    out = []
    moment = opens
    while moment + length <= closes:
        if moment >= earliest:
            out.append(moment)
        moment += step
    return out


def describe_runs(reasons: Sequence[tuple[dt.datetime, str]]) -> list[str]:
    """Consecutive passed-over starts with the same reason as one line per run and day,
    e.g. ``"Tue 2026-12-01 09:00-11:30: no machine free (4 booked)"``."""
    lines: list[str] = []
    run: list[tuple[dt.datetime, str]] = []

    def flush() -> None:
        if run:
            first, last = run[0][0], run[-1][0]
            when = _fmt(first) if first == last else f"{_fmt(first)}-{_fmt(last)}"
            lines.append(f"{_day(first.date())} {when}: {run[0][1]}")

    for moment, reason in reasons:
        if run and (reason != run[-1][1] or moment.date() != run[-1][0].date()):
            flush()
            run = []
        run.append((moment, reason))
    flush()
    return lines


def _check_interval(interval_days: int) -> None:
    low, high = _INTERVAL_RANGE
    if isinstance(interval_days, bool) or not low <= interval_days <= high:
        raise InputError(
            "interval_days",
            f"{interval_days!r} is outside the accepted range",
            allowed=f"{low}-{high}",
        )


def _label(ledger: Ledger, slot: Slot) -> str:
    names = {
        "place": {p.id: p.name for p in ledger.unit.places},
        "machine": {m.id: m.name for m in ledger.unit.machines},
        "nurse": {n.id: n.name for n in ledger.unit.nurses},
    }
    return (
        f"{_day(slot.start.date())} {_fmt(slot.start)}-{_fmt(slot.end)}, "
        f"{names['place'][slot.place_id]}, {names['machine'][slot.machine_id]}, "
        f"nurse {names['nurse'][slot.nurse_id]}"
    )


def _closed(day: dt.date, hours: ClinicHours) -> str:
    return f"{_day(day)}: the clinic is closed"


def _explain(ledger: Ledger, slot: Slot, passed: list[str], what: str) -> Slot:
    booked = f"{what} booked {_label(ledger, slot)}"
    why = "; ".join(passed) if passed else "the first slot asked for was free"
    return dataclasses.replace(slot, explanation=f"{booked}. {why}.")


def _first_slot(
    ledger: Ledger,
    exchange: Exchange,
    first: dt.date,
    last: dt.date,
    hours: ClinicHours,
    start_time: dt.time | None,
) -> tuple[Slot | None, list[str]]:
    """The first feasible slot from ``first`` to ``last`` and the lines explaining the slots
    passed over (``None`` when there is none)."""
    passed: list[str] = []
    day = first
    while day <= last:
        starts = day_starts(day, exchange.minutes, hours, ledger.policy, start_time)
        if not starts:
            passed.append(
                _closed(day, hours)
                if hours.hours_on(day) is None
                else f"{_day(day)}: the run does not fit in the opening hours"
            )
        reasons: list[tuple[dt.datetime, str]] = []
        for start in starts:
            found = ledger.check(exchange, start)
            if isinstance(found, Slot):
                return found, passed + describe_runs(reasons)
            reasons.append((start, found))
        passed += describe_runs(reasons)
        day += dt.timedelta(days=1)
    return None, passed


def _greedy(
    request: CourseRequest, unit: Unit, hours: ClinicHours, policy: ResourcePolicy
) -> tuple[tuple[Slot, ...], int, list[str]]:
    """Book in order; ``(slots, -1, [])`` when all fit, else the slots so far, the index of
    the exchange that did not fit and why."""
    ledger = Ledger(unit, policy)
    slots: list[Slot] = []
    earliest = request.first_day
    for index, exchange in enumerate(request.exchanges):
        start_time = request.start_time if index == 0 else None
        slot, passed = _first_slot(ledger, exchange, earliest, request.last_day, hours, start_time)
        if slot is None:
            return tuple(slots), index, passed
        what = f"Exchange {index + 1}"
        slots.append(_explain(ledger, slot, passed, what))
        ledger.add(slot.booked(exchange.urgent))
        earliest = slot.start.date() + dt.timedelta(days=request.interval_days)
    return tuple(slots), -1, []


def _first_start(
    request: CourseRequest, unit: Unit, hours: ClinicHours, policy: ResourcePolicy
) -> dt.datetime | None:
    slots, failed, _ = _greedy(request, unit, hours, policy)
    return slots[0].start if failed < 0 else None


def _course_alternatives(
    request: CourseRequest, unit: Unit, hours: ClinicHours, policy: ResourcePolicy
) -> list[Alternative]:
    options: list[Alternative] = []
    window = (request.last_day - request.first_day).days
    for offset in range(1, _SEARCH_DAYS + 1):
        first = request.first_day + dt.timedelta(days=offset)
        moved = dataclasses.replace(
            request, first_day=first, last_day=first + dt.timedelta(days=window)
        )
        start = _first_start(moved, unit, hours, policy)
        if start is not None:
            options.append(
                Alternative(
                    "later_start",
                    f"start_date={first.isoformat()}: the course fits from {_day(start.date())} "
                    f"{_fmt(start)}",
                    start,
                    (("start_date", first.isoformat()),),
                )
            )
            break
    for interval in (request.interval_days + 1, request.interval_days - 1):
        if _INTERVAL_RANGE[0] <= interval <= _INTERVAL_RANGE[1]:
            changed = dataclasses.replace(request, interval_days=interval)
            start = _first_start(changed, unit, hours, policy)
            if start is not None:
                options.append(
                    Alternative(
                        "interval",
                        f"interval_days={interval}: the course fits with an exchange every "
                        f"{interval} days",
                        start,
                        (("interval_days", interval),),
                    )
                )
    for extra in range(1, _SEARCH_DAYS + 1):
        longer = dataclasses.replace(request, last_day=request.last_day + dt.timedelta(days=extra))
        start = _first_start(longer, unit, hours, policy)
        if start is not None:
            days = window + extra + 1
            options.append(
                Alternative(
                    "longer_course",
                    f"course_days={days}: the course fits in {days} days",
                    start,
                    (("course_days", days),),
                )
            )
            break
    if policy.urgent_reserve_places and not all(e.urgent for e in request.exchanges):
        urgent = dataclasses.replace(
            request, exchanges=tuple(dataclasses.replace(e, urgent=True) for e in request.exchanges)
        )
        start = _first_start(urgent, unit, hours, policy)
        if start is not None:
            options.append(
                Alternative(
                    "urgent",
                    "urgent=true: the course fits using the urgent-slot reserve",
                    start,
                    (("urgent", "true"),),
                )
            )
    return options


def book_course(
    request: CourseRequest,
    unit: Unit,
    hours: ClinicHours,
    policy: ResourcePolicy,
    *,
    alternatives: bool = True,
) -> CourseBooking:
    """Book each exchange of ``request`` into the first feasible slot (greedy; module doc).

    Raises :class:`NoCapacityError` naming the exchange that does not fit and why, with the
    nearest alternatives (a later start, a different interval, a longer course, the urgent
    reserve; not searched when ``alternatives`` is false); :class:`InputError` for an interval
    outside 1-7 days or no exchanges.
    """
    _check_interval(request.interval_days)
    if not request.exchanges:
        raise InputError("exchanges", "nothing to book", allowed=">= 1 exchange")
    slots, failed, passed = _greedy(request, unit, hours, policy)
    if failed < 0:
        return CourseBooking(slots)
    earliest = (
        request.first_day
        if failed == 0
        else slots[-1].start.date() + dt.timedelta(days=request.interval_days)
    )
    shown = passed if len(passed) <= 3 else [*passed[:2], "...", passed[-1]]
    why = "; ".join(shown) if passed else "no open day"
    raise NoCapacityError(
        "start_date" if failed == 0 else "exchanges",
        f"exchange {failed + 1} has no slot from {earliest.isoformat()} to "
        f"{request.last_day.isoformat()}: {why}",
        options=_course_alternatives(request, unit, hours, policy) if alternatives else (),
    )


def free_slots(
    day: dt.date,
    exchange: Exchange,
    unit: Unit,
    hours: ClinicHours,
    policy: ResourcePolicy,
) -> tuple[Slot, ...]:
    """Every feasible start on ``day`` for ``exchange`` with the resources it would get
    (what a coordinator chooses from on the grid)."""
    ledger = Ledger(unit, policy)
    out = []
    for start in day_starts(day, exchange.minutes, hours, policy):
        found = ledger.check(exchange, start)
        if isinstance(found, Slot):
            out.append(found)
    return tuple(out)


def _nearest(
    ledger: Ledger,
    exchange: Exchange,
    start: dt.datetime,
    days: Iterator[dt.date],
    hours: ClinicHours,
) -> list[Alternative]:
    """The feasible starts nearest ``start``: just before and after it that day, then the
    first on the first later day from ``days`` that has one."""
    options: list[Alternative] = []
    same_day = [
        s
        for s in day_starts(start.date(), exchange.minutes, hours, ledger.policy)
        if s != start and isinstance(ledger.check(exchange, s), Slot)
    ]
    before = [s for s in same_day if s < start]
    after = [s for s in same_day if s > start]
    for moment in before[-1:] + after[:1]:
        options.append(
            Alternative(
                "other_time",
                f"start_at={moment.isoformat(timespec='minutes')}: free the same day",
                moment,
                (("start_at", moment.isoformat(timespec="minutes")),),
            )
        )
    for day in days:
        for moment in day_starts(day, exchange.minutes, hours, ledger.policy):
            if isinstance(ledger.check(exchange, moment), Slot):
                options.append(
                    Alternative(
                        "later_day",
                        f"start_at={moment.isoformat(timespec='minutes')}: first free slot on "
                        f"{_day(day)}",
                        moment,
                        (("start_at", moment.isoformat(timespec="minutes")),),
                    )
                )
                return options
    return options


def book_exchange(
    exchange: Exchange,
    start: dt.datetime,
    unit: Unit,
    hours: ClinicHours,
    policy: ResourcePolicy,
    *,
    place_id: int | None = None,
    machine_id: int | None = None,
    nurse_id: int | None = None,
    latest_day: dt.date | None = None,
) -> Slot:
    """Book one exchange at ``start`` (a coordinator's choice), with the named place, machine
    or nurse or the first free ones.

    Raises :class:`NoCapacityError` with the reason and the nearest alternatives: the free
    starts just before and after on the same day, then the first free slot on a later day up
    to ``latest_day`` (the course's minimum interval to the next exchange; default a week).
    """
    ledger = Ledger(unit, policy)
    day = start.date()
    last = latest_day if latest_day is not None else day + dt.timedelta(days=7)
    later = (day + dt.timedelta(days=k) for k in range(1, (last - day).days + 1))
    if start not in day_starts(day, exchange.minutes, hours, policy):
        reason = (
            _closed(day, hours)
            if hours.hours_on(day) is None
            else f"{_day(day)} {_fmt(start)}: not a start inside the opening hours on the "
            f"{policy.slot_minutes}-minute grid"
        )
        raise NoCapacityError(
            "start_at", reason, options=_nearest(ledger, exchange, start, later, hours)
        )
    found = ledger.check(
        exchange, start, place_id=place_id, machine_id=machine_id, nurse_id=nurse_id
    )
    if isinstance(found, str):
        raise NoCapacityError(
            "start_at",
            f"{_day(day)} {_fmt(start)}: {found}",
            options=_nearest(ledger, exchange, start, later, hours),
        )
    return _explain(ledger, found, [], "Exchange")
