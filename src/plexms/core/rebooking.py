"""Rebooking a week with a constraint solver (OR-Tools CP-SAT), and "what if" questions.

The greedy of :mod:`plexms.core.booking` books one course at a time; after held sessions a
week's exchanges compete for the same places, machines and nurses, and the order matters. Here
every movable exchange is a start variable on the slot grid inside opening hours, with

- one place per exchange (central-line places for central access), no two overlapping on a
  place (appointment plus set-up and turnover: ``NoOverlap``), the same for machines, whose
  maintenance blocks are fixed intervals;
- one nurse whose shift covers the run, at most ``patients_per_nurse`` runs at once per nurse
  (``Cumulative``);
- routine exchanges hold at most ``places - urgent_reserve_places`` places at once;
- a course's exchanges in order, each at least ``interval_days`` (calendar days) after the one
  before, between its ``earliest`` start and ``latest_day``.

An exchange may stay unplaced (at a large cost): the objective is to place as many as possible,
then the least total delay after each exchange's earliest start, where moving an exchange
from the time it is booked now costs as much as two days of delay. The bookings that stay are
fixed. Each decision is explained by the constraint that ruled out the earlier starts,
checked against the solver's own week (the same checks as the greedy,
:class:`plexms.core.booking.Ledger`). Rules: local policy
(:class:`plexms.core.policy.ResourcePolicy`).

>>> import datetime as dt
>>> from plexms.core.booking import Exchange, Machine, Nurse, Place, Unit
>>> from plexms.core.policy import ClinicHours, ResourcePolicy
>>> day = dt.date(2026, 11, 30)
>>> shift = (dt.datetime(2026, 11, 30, 8), dt.datetime(2026, 11, 30, 18))
>>> unit = Unit((Place(1, "Chair 1"),), (Machine(1, "Optia 1"),), (Nurse(1, "Ann", (shift,)),))
>>> asks = [WeekRequest(Exchange(k, 120), course=k, earliest=dt.datetime(2026, 11, 30, 9),
...                     latest_day=day) for k in (1, 2)]
>>> plan = reoptimise(asks, unit, ClinicHours(), ResourcePolicy())
>>> [s.start.strftime("%H:%M") for s in plan.slots]  # the second waits for set-up and turnover
['09:00', '11:30']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from plexms.core.booking import (
    Exchange,
    Ledger,
    Machine,
    Nurse,
    Place,
    Slot,
    Unit,
    day_starts,
    describe_runs,
)
from plexms.core.policy import ClinicHours, ResourcePolicy

__all__ = ["WeekPlan", "WeekRequest", "WhatIf", "first_fit", "reoptimise", "what_if"]

_UNPLACED_COST = 1_000_000  # minutes: placing one more exchange beats any delay
# minutes of delay: a booked exchange moves only when that saves more than two days of delay
# in all (patients have been told their times), or places another exchange
_MOVE_COST = 2 * 24 * 60
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class WeekRequest:
    """A movable exchange: earliest start, latest day, its course (exchanges of one course are
    given in order, each at least ``interval_days`` after the one before) and where it is
    booked now (``current``, kept unless moving it helps)."""

    exchange: Exchange
    course: int
    earliest: dt.datetime
    latest_day: dt.date
    interval_days: int = 2
    current: dt.datetime | None = None


@dataclass(frozen=True)
class WeekPlan:
    """The week's bookings: slots, unplaced exchanges with the reason, total delay (minutes
    after each placed exchange's earliest start), solver status and time."""

    slots: tuple[Slot, ...]
    unplaced: tuple[tuple[int, str], ...]
    delay_minutes: int
    status: str
    explanations: tuple[str, ...]
    solve_seconds: float = 0.0


@dataclass(frozen=True)
class WhatIf:
    """The week with today's resources and with the added ones, and the answer in a line."""

    before: WeekPlan
    after: WeekPlan
    summary: str


def _minute(moment: dt.datetime, origin: dt.datetime) -> int:
    return int((moment - origin).total_seconds() // 60)


def _starts(request: WeekRequest, hours: ClinicHours, policy: ResourcePolicy) -> list[dt.datetime]:
    out: list[dt.datetime] = []
    day = request.earliest.date()
    while day <= request.latest_day:
        out += [
            s
            for s in day_starts(day, request.exchange.minutes, hours, policy)
            if s >= request.earliest
        ]
        day += dt.timedelta(days=1)
    return out


def _explain(
    unit: Unit,
    policy: ResourcePolicy,
    hours: ClinicHours,
    request: WeekRequest,
    chosen: Slot | None,
    others: Sequence[Slot],
    previous: Slot | None,
) -> str:
    """Why ``request`` is where it is (or unplaced): the constraint that ruled out each
    earlier start, checked against the rest of the week as solved; for an earlier start that
    was free, what kept the exchange from it (``previous``: the course's exchange before)."""
    ledger = Ledger(unit.with_booked(s.booked() for s in others), policy)
    reasons: list[tuple[dt.datetime, str]] = []
    free: list[dt.datetime] = []
    for start in _starts(request, hours, policy):
        if chosen is not None and start >= chosen.start:
            break
        found = ledger.check(request.exchange, start)
        if isinstance(found, str):
            reasons.append((start, found))
        else:
            free.append(start)
    lines = describe_runs(reasons)
    what = f"Session {request.exchange.key} (course {request.course})"
    if chosen is None:
        why = "; ".join(lines[-3:]) if lines else "no open slot in its window"
        return f"{what}: not placed by {request.latest_day.isoformat()}: {why}."
    if free:
        first = free[0].strftime("%a %Y-%m-%d %H:%M")
        interval = dt.timedelta(days=request.interval_days)
        if previous is not None and free[0].date() < previous.start.date() + interval:
            lines.append(
                f"{first} was free but within the course's minimum interval of "
                f"{request.interval_days} days after {previous.start.date().isoformat()}"
            )
        elif request.current == chosen.start:
            lines.append(f"{first} was free; the exchange stays where it was booked")
        else:  # pragma: no cover - only when the time limit stops the solver short of optimal
            lines.append(f"{first} was free; the solver stopped at its time limit")
    at = chosen.start.strftime("%a %Y-%m-%d %H:%M")
    why = "; ".join(lines) if lines else "its earliest start was free"
    return f"{what}: booked {at}. {why}."


def _plan(
    requests: Sequence[WeekRequest],
    unit: Unit,
    hours: ClinicHours,
    policy: ResourcePolicy,
    slots: dict[int, Slot],
    status: str,
    seconds: float,
) -> WeekPlan:
    placed = [slots[r.exchange.key] for r in requests if r.exchange.key in slots]
    explanations = []
    unplaced = []
    before: dict[int, Slot | None] = {}
    for r in requests:
        chosen = slots.get(r.exchange.key)
        others = [s for s in placed if s.key != r.exchange.key]
        text = _explain(unit, policy, hours, r, chosen, others, before.get(r.course))
        before[r.course] = chosen
        explanations.append(text)
        if chosen is None:
            unplaced.append((r.exchange.key, text))
    placed = [
        dataclasses.replace(s, explanation=e)
        for s, e in zip(
            placed,
            [x for r, x in zip(requests, explanations, strict=True) if r.exchange.key in slots],
            strict=True,
        )
    ]
    delay = sum(
        _minute(slots[r.exchange.key].start, r.earliest)
        for r in requests
        if r.exchange.key in slots
    )
    return WeekPlan(tuple(placed), tuple(unplaced), delay, status, tuple(explanations), seconds)


def first_fit(
    requests: Sequence[WeekRequest], unit: Unit, hours: ClinicHours, policy: ResourcePolicy
) -> WeekPlan:
    """The naive baseline: in the order given, each exchange keeps its current start when that
    is still free and after the previous exchange of its course by the interval, else takes the
    first feasible start from there (none once one of its course is not placed); no
    look-ahead."""
    ledger = Ledger(unit, policy)
    slots: dict[int, Slot] = {}
    last_day: dict[int, dt.date] = {}
    stopped: set[int] = set()  # courses with an exchange not placed: none after it either
    for r in requests:
        if r.course in stopped:
            continue
        stopped.add(r.course)
        earliest = r.earliest
        if r.course in last_day:
            after = dt.datetime.combine(
                last_day[r.course] + dt.timedelta(days=r.interval_days), dt.time()
            )
            earliest = max(earliest, after)
        starts = _starts(dataclasses.replace(r, earliest=earliest), hours, policy)
        if r.current is not None and r.current in starts:
            starts.insert(0, r.current)
        for start in starts:
            found = ledger.check(r.exchange, start)
            if isinstance(found, Slot):
                slots[r.exchange.key] = found
                ledger.add(found.booked(r.exchange.urgent))
                last_day[r.course] = start.date()
                stopped.discard(r.course)
                break
    return _plan(requests, unit, hours, policy, slots, "FIRST_FIT", 0.0)


def _fixed(
    model: cp_model.CpModel, start: dt.datetime, end: dt.datetime, origin: dt.datetime
) -> cp_model.IntervalVar:
    a, b = _minute(start, origin), _minute(end, origin)
    return model.new_fixed_size_interval_var(a, b - a, "")


def reoptimise(
    requests: Sequence[WeekRequest],
    unit: Unit,
    hours: ClinicHours,
    policy: ResourcePolicy,
    *,
    time_limit_s: float = 5.0,
    workers: int = 1,
) -> WeekPlan:
    """Book ``requests`` around the unit's fixed bookings with CP-SAT (module doc).

    The naive first fit is the solver's starting hint, so the answer is never worse than it.
    Deterministic with one worker. When the solver finds no solution in ``time_limit_s`` the
    naive first fit is returned (status ``FIRST_FIT``).
    """
    if not requests:
        return WeekPlan((), (), 0, "OPTIMAL", ())
    origin = dt.datetime.combine(min(r.earliest for r in requests).date(), dt.time())
    setup, turnover = policy.setup_minutes, policy.turnover_minutes
    model = cp_model.CpModel()
    place_ivs: dict[int, list[cp_model.IntervalVar]] = {p.id: [] for p in unit.places}
    machine_ivs: dict[int, list[cp_model.IntervalVar]] = {m.id: [] for m in unit.machines}
    nurse_ivs: dict[int, list[cp_model.IntervalVar]] = {n.id: [] for n in unit.nurses}
    routine: list[cp_model.IntervalVar] = []
    horizon_end = origin + dt.timedelta(
        days=max((r.latest_day - origin.date()).days for r in requests) + 2
    )

    def relevant(start: dt.datetime, end: dt.datetime) -> bool:
        return start < horizon_end and end > origin - dt.timedelta(days=1)

    for b in unit.booked:
        if not relevant(b.start, b.end):
            continue
        span = (b.start - dt.timedelta(minutes=setup), b.end + dt.timedelta(minutes=turnover))
        if b.place_id in place_ivs:
            place_ivs[b.place_id].append(_fixed(model, *span, origin))
        if b.machine_id in machine_ivs:
            machine_ivs[b.machine_id].append(_fixed(model, *span, origin))
        if b.nurse_id in nurse_ivs:
            nurse_ivs[b.nurse_id].append(_fixed(model, b.start, b.end, origin))
        if not b.urgent:
            routine.append(_fixed(model, *span, origin))
    for m in unit.machines:
        for block in m.maintenance:
            if relevant(block.start, block.end):
                machine_ivs[m.id].append(_fixed(model, block.start, block.end, origin))

    present: dict[int, cp_model.IntVar] = {}
    start_of: dict[int, cp_model.IntVar] = {}
    choice: dict[int, dict[str, dict[int, cp_model.IntVar]]] = {}
    objective: list[cp_model.LinearExprT] = []
    for r in requests:
        key, minutes = r.exchange.key, r.exchange.minutes
        values = [_minute(s, origin) for s in _starts(r, hours, policy)]
        p = model.new_bool_var(f"p{key}")
        present[key] = p
        objective.append(_UNPLACED_COST * (1 - p))
        if not values:
            model.add(p == 0)
            start_of[key] = model.new_constant(0)
            choice[key] = {"place": {}, "machine": {}, "nurse": {}}
            continue
        start = model.new_int_var_from_domain(cp_model.Domain.from_values(values), f"s{key}")
        start_of[key] = start
        objective.append(start - _minute(r.earliest, origin))
        if r.current is not None and _minute(r.current, origin) in values:
            moved = model.new_bool_var(f"m{key}")
            model.add(start == _minute(r.current, origin)).only_enforce_if(~moved)
            objective.append(_MOVE_COST * moved)
        size = setup + minutes + turnover
        held = model.new_optional_fixed_size_interval_var(start - setup, size, p, f"h{key}")
        if not r.exchange.urgent:
            routine.append(held)
        picks: dict[str, dict[int, cp_model.IntVar]] = {"place": {}, "machine": {}, "nurse": {}}
        for place in unit.places:
            if place.central_line_ok or not r.exchange.central_line:
                x = model.new_bool_var(f"x{key}_{place.id}")
                place_ivs[place.id].append(
                    model.new_optional_fixed_size_interval_var(start - setup, size, x, "")
                )
                picks["place"][place.id] = x
        for machine in unit.machines:
            y = model.new_bool_var(f"y{key}_{machine.id}")
            machine_ivs[machine.id].append(
                model.new_optional_fixed_size_interval_var(start - setup, size, y, "")
            )
            picks["machine"][machine.id] = y
        for nurse in unit.nurses:
            ok = [
                v
                for v in values
                if any(
                    _minute(s, origin) <= v and v + minutes <= _minute(e, origin)
                    for s, e in nurse.shifts
                )
            ]
            if ok:
                z = model.new_bool_var(f"z{key}_{nurse.id}")
                model.add_linear_expression_in_domain(
                    start, cp_model.Domain.from_values(ok)
                ).only_enforce_if(z)
                nurse_ivs[nurse.id].append(
                    model.new_optional_fixed_size_interval_var(start, minutes, z, "")
                )
                picks["nurse"][nurse.id] = z
        for kind in ("place", "machine", "nurse"):
            model.add(sum(picks[kind].values()) == p)
        choice[key] = picks

    for ivs in (*place_ivs.values(), *machine_ivs.values()):
        if ivs:
            model.add_no_overlap(ivs)
    for ivs in nurse_ivs.values():
        if ivs:
            model.add_cumulative(ivs, [1] * len(ivs), policy.patients_per_nurse)
    if routine:
        room = max(len(unit.places) - policy.urgent_reserve_places, 0)
        model.add_cumulative(routine, [1] * len(routine), room)
    by_course: dict[int, list[WeekRequest]] = {}
    for r in requests:
        by_course.setdefault(r.course, []).append(r)
    for chain in by_course.values():
        for before, after in itertools.pairwise(chain):
            first, then = before.exchange.key, after.exchange.key
            model.add_implication(present[then], present[first])
            days = []
            for k in (first, then):
                day = model.new_int_var(0, 400, f"d{k}")
                model.add_division_equality(day, start_of[k], _DAY_MINUTES)
                days.append(day)
            model.add(days[1] - days[0] >= after.interval_days).only_enforce_if(
                [present[first], present[then]]
            )
    model.minimize(sum(objective))
    # Start from the naive first fit: the solver then only improves on it.
    hint = first_fit(requests, unit, hours, policy)
    for slot in hint.slots:
        model.add_hint(present[slot.key], True)
        model.add_hint(start_of[slot.key], _minute(slot.start, origin))
        for kind, picked in (
            ("place", slot.place_id),
            ("machine", slot.machine_id),
            ("nurse", slot.nurse_id),
        ):
            for resource, var in choice[slot.key][kind].items():
                model.add_hint(var, resource == picked)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return first_fit(requests, unit, hours, policy)  # pragma: no cover - time limit hit
    slots: dict[int, Slot] = {}
    for r in requests:
        key = r.exchange.key
        if not solver.boolean_value(present[key]):
            continue
        start_at = origin + dt.timedelta(minutes=solver.value(start_of[key]))
        chosen = {
            kind: next(i for i, v in choice[key][kind].items() if solver.boolean_value(v))
            for kind in ("place", "machine", "nurse")
        }
        slots[key] = Slot(
            key,
            start_at,
            start_at + dt.timedelta(minutes=r.exchange.minutes),
            chosen["place"],
            chosen["machine"],
            chosen["nurse"],
        )
    return _plan(requests, unit, hours, policy, slots, solver.status_name(status), solver.wall_time)


def _extended(
    unit: Unit,
    requests: Sequence[WeekRequest],
    hours: ClinicHours,
    *,
    machines: int,
    nurses: int,
    places: int,
) -> Unit:
    first = min(r.earliest for r in requests).date()
    last = max(r.latest_day for r in requests)
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    shifts = tuple(
        (dt.datetime.combine(d, oc[0]), dt.datetime.combine(d, oc[1]))
        for d in days
        if (oc := hours.hours_on(d)) is not None
    )
    return dataclasses.replace(
        unit,
        places=(*unit.places, *(Place(-k, f"added place {k}") for k in range(1, places + 1))),
        machines=(
            *unit.machines,
            *(Machine(-k, f"added machine {k}", ()) for k in range(1, machines + 1)),
        ),
        nurses=(
            *unit.nurses,
            *(Nurse(-k, f"added nurse {k}", shifts) for k in range(1, nurses + 1)),
        ),
    )


def what_if(
    requests: Sequence[WeekRequest],
    unit: Unit,
    hours: ClinicHours,
    policy: ResourcePolicy,
    *,
    add_machines: int = 0,
    add_nurses: int = 0,
    add_places: int = 0,
    time_limit_s: float = 5.0,
) -> WhatIf:
    """The week solved with today's resources and with ``add_*`` more (an added nurse works
    the opening hours of every day; an added machine has no maintenance; an added place is a
    chair), and the difference in one line."""
    before = reoptimise(requests, unit, hours, policy, time_limit_s=time_limit_s)
    if not requests:
        return WhatIf(before, before, "no planned exchanges that week")
    bigger = _extended(
        unit, requests, hours, machines=add_machines, nurses=add_nurses, places=add_places
    )
    after = reoptimise(requests, bigger, hours, policy, time_limit_s=time_limit_s)
    added = (
        ", ".join(
            f"{n} {what}{'s' if n > 1 else ''}"
            for n, what in ((add_machines, "machine"), (add_nurses, "nurse"), (add_places, "place"))
            if n
        )
        or "nothing"
    )
    summary = (
        f"With {added} more: {len(after.slots)} of {len(requests)} exchanges fit "
        f"(now {len(before.slots)}), total delay {after.delay_minutes} min "
        f"(now {before.delay_minutes} min)."
    )
    return WhatIf(before, after, summary)
