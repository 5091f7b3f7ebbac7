"""Booking against the unit's capacity (issue 17, Performance).

The unit: 6 places (2 take central lines), 4 machines, 8 nurses (day shifts 08:00-18:00 on
weekdays, ratio 1:2), 15 minutes set-up and turnover, the seed clinic's opening hours, over
four weeks. It is filled with 5-exchange courses (booked by the greedy, every other day,
120-180 minute appointments) until the bookings hold 80% of the machine time (machines are
the bottleneck: 4 for 6 places),. Filling stops when 300 courses in a row no longer fit;
the figure carries the occupancy reached (about 75%: past that the free machine time is in
gaps shorter than a run, which single exchanges topping the month up to 80% would close
completely, so no 5-exchange course fits at all).

Figures (names fixed by issue 17):

* ``schedule.book_course_p95_ms`` - p95 wall time of booking one more 5-exchange course into
  that month (``core.booking.book_course``; 200 requests from different first days in the
  first fortnight, each by the month's end; a request that does not fit includes computing
  its alternatives), against the naive first fit (every candidate start checked against
  every booking of the month, no index); target <= 200 ms.
* ``schedule.reoptimise_week_s`` - wall time of rebooking after two sessions of the second
  week are held, with CP-SAT (``core.rebooking.reoptimise``: the held exchanges need a new
  slot, the later exchanges of their courses may move, keeping the two-day interval, by the
  end of the next week; every other booking stays), against the naive first fit of the same
  requests; target <= 2 s. Both carry how many exchanges each placed and the total delay.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import statistics
import time
from typing import Any

from plexms.core.booking import (
    Booked,
    CourseRequest,
    Exchange,
    Machine,
    NoCapacityError,
    Nurse,
    Place,
    Slot,
    Unit,
    book_course,
    day_starts,
)
from plexms.core.policy import ClinicHours, ResourcePolicy
from plexms.core.rebooking import WeekRequest, first_fit, reoptimise

MON = dt.date(2027, 1, 4)  # a Monday without holidays around it
DAYS = 28
OCCUPANCY = 0.80
REQUESTS = 200
TARGET_MS = 200.0
TARGET_S = 2.0
HOURS = ClinicHours(holiday_country="")
POLICY = ResourcePolicy(patients_per_nurse=2, setup_minutes=15, turnover_minutes=15)
COMMAND = "python -m bench schedule"


def _empty_unit() -> Unit:
    shifts = tuple(
        (
            dt.datetime.combine(MON + dt.timedelta(days=k), dt.time(8)),
            dt.datetime.combine(MON + dt.timedelta(days=k), dt.time(18)),
        )
        for k in range(-14, DAYS + 14)
        if (MON + dt.timedelta(days=k)).weekday() < 5
    )
    return Unit(
        tuple(Place(p, f"Place {p}", "chair", central_line_ok=p <= 2) for p in range(1, 7)),
        tuple(Machine(m, f"Machine {m}") for m in range(1, 5)),
        tuple(Nurse(n, f"Nurse {n}", shifts) for n in range(1, 9)),
    )


def _machine_capacity_min() -> int:
    total = 0
    for k in range(DAYS):
        hours = HOURS.hours_on(MON + dt.timedelta(days=k))
        if hours is not None:
            day = MON + dt.timedelta(days=k)
            opens, closes = (dt.datetime.combine(day, t) for t in hours)
            total += int((closes - opens).total_seconds() // 60)
    return 4 * total


def _held_min(unit: Unit) -> int:
    """Machine minutes held (appointment, set-up and turnover) inside the month."""
    pad = POLICY.setup_minutes + POLICY.turnover_minutes
    last = MON + dt.timedelta(days=DAYS)
    return sum(
        int((b.end - b.start).total_seconds() // 60) + pad
        for b in unit.booked
        if MON <= b.start.date() < last
    )


def month(seed: int = 17) -> tuple[Unit, dict[int, int]]:
    """The unit filled to :data:`OCCUPANCY` of machine time; and each booking's course."""
    rng = random.Random(seed)
    unit = _empty_unit()
    capacity = _machine_capacity_min()
    course_of: dict[int, int] = {}
    key = 0
    course = 0
    misses = 0
    while _held_min(unit) < OCCUPANCY * capacity and misses < 300:
        course += 1
        # courses already under way when the month starts, and ones running past its end
        first = MON + dt.timedelta(days=rng.randrange(-10, DAYS))
        exchanges = []
        for _ in range(5):
            key += 1
            exchanges.append(
                Exchange(
                    key, rng.choice((120, 135, 150, 165, 180)), central_line=rng.random() < 0.15
                )
            )
        request = CourseRequest(tuple(exchanges), first, 2, first + dt.timedelta(days=13))
        try:
            slots = book_course(request, unit, HOURS, POLICY, alternatives=False).slots
        except NoCapacityError:
            misses += 1
            continue
        unit = unit.with_booked(s.booked() for s in slots)
        course_of.update({s.key: course for s in slots})
    return unit, course_of


# --- the naive first fit (baseline): every check scans every booking -------------------------


def _naive_slot(unit: Unit, exchange: Exchange, start: dt.datetime) -> Slot | None:
    end = start + dt.timedelta(minutes=exchange.minutes)
    a = start - dt.timedelta(minutes=POLICY.setup_minutes)
    b = end + dt.timedelta(minutes=POLICY.turnover_minutes)
    setup, turnover = (
        dt.timedelta(minutes=POLICY.setup_minutes),
        dt.timedelta(minutes=POLICY.turnover_minutes),
    )

    def clash(x: Booked) -> bool:
        return x.start - setup < b and a < x.end + turnover

    place = next(
        (
            p.id
            for p in unit.places
            if (p.central_line_ok or not exchange.central_line)
            and not any(clash(x) and x.place_id == p.id for x in unit.booked)
        ),
        None,
    )
    machine = next(
        (
            m.id
            for m in unit.machines
            if not any(clash(x) and x.machine_id == m.id for x in unit.booked)
            and not any(k.start < b and a < k.end for k in m.maintenance)
        ),
        None,
    )
    nurse = None
    for n in unit.nurses:
        if not any(s <= start and end <= e for s, e in n.shifts):
            continue
        runs = [x for x in unit.booked if x.nurse_id == n.id and x.start < end and start < x.end]
        moments = [start, *(x.start for x in runs if x.start > start)]
        if all(
            sum(1 for x in runs if x.start <= m < x.end) < POLICY.patients_per_nurse
            for m in moments
        ):
            nurse = n.id
            break
    if place is None or machine is None or nurse is None:
        return None
    return Slot(exchange.key, start, end, place, machine, nurse)


def naive_book_course(request: CourseRequest, unit: Unit) -> list[Slot] | None:
    slots: list[Slot] = []
    day = request.first_day
    for exchange in request.exchanges:
        found = None
        while found is None and day <= request.last_day:
            for start in day_starts(day, exchange.minutes, HOURS, POLICY):
                found = _naive_slot(unit, exchange, start)
                if found is not None:
                    break
            if found is None:
                day += dt.timedelta(days=1)
        if found is None:
            return None
        slots.append(found)
        unit = unit.with_booked([found.booked()])
        day = found.start.date() + dt.timedelta(days=request.interval_days)
    return slots


def _p95_ms(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] * 1000


def book_course_figure(unit: Unit) -> dict[str, Any]:
    rng = random.Random(2026)
    requests = []
    for k in range(REQUESTS):
        first = MON + dt.timedelta(days=rng.randrange(DAYS - 13))
        exchanges = tuple(Exchange(10_000_000 + 10 * k + j, 135) for j in range(5))
        requests.append(CourseRequest(exchanges, first, 2, MON + dt.timedelta(days=DAYS - 1)))
    ours, naive, cpu = [], [], []
    fitted = 0
    for request in requests:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            book_course(request, unit, HOURS, POLICY)
            fitted += 1
        except NoCapacityError:
            pass
        ours.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    for request in requests[:50]:  # the naive path is slow: a quarter of the requests
        t0 = time.perf_counter()
        naive_book_course(request, unit)
        naive.append(time.perf_counter() - t0)
    value, base = _p95_ms(ours), _p95_ms(naive)
    return {
        "name": "schedule.book_course_p95_ms",
        "value": round(value, 2),
        "unit": "ms",
        "baseline": "naive first fit (every candidate start checked against every booking); "
        f"target <= {TARGET_MS:.0f} ms",
        "baseline_value": round(base, 2),
        "ratio": round(value / base, 3),
        "command": COMMAND,
        "target": TARGET_MS,
        "requests": REQUESTS,
        "fitted": fitted,
        "p50_ms": round(statistics.median(ours) * 1000, 2),
        "cpu_p95_ms": round(_p95_ms(cpu), 2),
        "occupancy": round(_held_min(unit) / _machine_capacity_min(), 3),
        "bookings_in_month": len(unit.booked),
    }


def week_requests(unit: Unit, course_of: dict[int, int]) -> tuple[Unit, list[WeekRequest]]:
    """Two sessions of the second week held: their exchange needs a new slot from the next day
    and the later exchanges of their courses may move (each at least two days after the one
    before, by the end of the next week); every other booking stays where it is."""
    start = MON + dt.timedelta(days=7)
    end = start + dt.timedelta(days=11)
    rng = random.Random(7)
    candidates = sorted(
        {
            course_of[b.key]
            for b in unit.booked
            if start <= b.start.date() <= start + dt.timedelta(days=3)
            and sum(1 for x in unit.booked if course_of[x.key] == course_of[b.key]) >= 3
        }
    )
    courses = rng.sample(candidates, 2)
    requests = []
    moving: set[int] = set()
    for course in courses:
        chain = sorted(
            (b for b in unit.booked if course_of[b.key] == course), key=lambda b: b.start
        )
        held = next(b for b in chain if b.start.date() >= start)
        before = [b for b in chain if b.start < held.start]
        floor = held.start.date() + dt.timedelta(days=1)
        if before:
            floor = max(floor, before[-1].start.date() + dt.timedelta(days=2))
        for b in chain[chain.index(held) :]:
            moving.add(b.key)
            requests.append(
                WeekRequest(
                    Exchange(b.key, int((b.end - b.start).total_seconds() // 60)),
                    course=course,
                    earliest=dt.datetime.combine(floor, dt.time()),
                    latest_day=end,
                    interval_days=2,
                    current=None if b is held else b.start,
                )
            )
    rest = dataclasses.replace(unit, booked=tuple(b for b in unit.booked if b.key not in moving))
    return rest, requests


def reoptimise_figure(unit: Unit, course_of: dict[int, int]) -> dict[str, Any]:
    rest, requests = week_requests(unit, course_of)
    t0 = time.perf_counter()
    plan = reoptimise(requests, rest, HOURS, POLICY, time_limit_s=TARGET_S * 2, workers=1)
    value = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive = first_fit(requests, rest, HOURS, POLICY)
    base = time.perf_counter() - t0
    return {
        "name": "schedule.reoptimise_week_s",
        "value": round(value, 3),
        "unit": "s",
        "baseline": f"naive first fit of the same requests; target <= {TARGET_S:.0f} s",
        "baseline_value": round(base, 3),
        "ratio": round(value / base, 3),
        "command": COMMAND,
        "target": TARGET_S,
        "requests": len(requests),
        "solver_status": plan.status,
        "placed": len(plan.slots),
        "placed_first_fit": len(naive.slots),
        "delay_minutes": plan.delay_minutes,
        "delay_minutes_first_fit": naive.delay_minutes,
    }


def run() -> list[dict[str, Any]]:
    unit, course_of = month()
    return [book_course_figure(unit), reoptimise_figure(unit, course_of)]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
