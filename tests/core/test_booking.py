"""Greedy booking against places, machines and nurses: each rule decides and is named, the
nearest alternatives when nothing fits, and the invariants (Hypothesis): no two bookings
overlap on a place or machine, no nurse runs more than the ratio, every booking inside opening
hours, the course's interval kept, the urgent reserve kept free of routine bookings."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexms.core.booking import (
    Block,
    Booked,
    CourseRequest,
    Exchange,
    Ledger,
    Machine,
    NoCapacityError,
    Nurse,
    Place,
    Slot,
    Unit,
    book_course,
    book_exchange,
    day_starts,
    describe_runs,
    free_slots,
)
from plexms.core.errors import InputError
from plexms.core.policy import ClinicHours, ResourcePolicy

MON = dt.date(2026, 11, 30)  # a Monday
HOURS = ClinicHours()  # Mon-Thu 09-17, Fri 09-16, weekend closed
POLICY = ResourcePolicy(urgent_reserve_places=0)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def shifts(days: int = 28, first: dt.date = MON) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    return tuple(
        (at(first + dt.timedelta(days=k), 8), at(first + dt.timedelta(days=k), 18))
        for k in range(days)
    )


def unit(places: int = 1, machines: int = 1, nurses: int = 1, **kw: object) -> Unit:
    return Unit(
        tuple(Place(i, f"Chair {i}") for i in range(1, places + 1)),
        tuple(Machine(i, f"Optia {i}") for i in range(1, machines + 1)),
        tuple(Nurse(i, f"Nurse {i}", shifts()) for i in range(1, nurses + 1)),
        **kw,  # type: ignore[arg-type]
    )


def course(n: int = 5, minutes: int = 135, first: dt.date = MON, **kw: object) -> CourseRequest:
    values: dict[str, object] = {
        "interval_days": 2,
        "last_day": first + dt.timedelta(days=13),
        **kw,
    }
    return CourseRequest(
        tuple(Exchange(k, minutes) for k in range(1, n + 1)),
        first,
        **values,  # type: ignore[arg-type]
    )


def test_an_empty_unit_books_the_plain_every_other_day_course() -> None:
    booked = book_course(course(), unit(), HOURS, POLICY)
    assert [s.start for s in booked.slots] == [
        at(MON, 9),
        at(MON + dt.timedelta(days=2), 9),
        at(MON + dt.timedelta(days=4), 9),
        at(MON + dt.timedelta(days=7), 9),  # Sat and Sun closed
        at(MON + dt.timedelta(days=9), 9),
    ]
    assert booked.slots[0].explanation.startswith("Exchange 1 booked Mon 2026-11-30 09:00-11:15")
    assert "the first slot asked for was free" in booked.slots[0].explanation
    assert "Sun 2026-12-06: the clinic is closed" in booked.slots[3].explanation


def test_a_busy_machine_decides_and_is_named() -> None:
    busy = Booked(99, at(MON, 9), at(MON, 11, 30), place_id=2, machine_id=1, nurse_id=2)
    u = unit(places=2, nurses=2, booked=(busy,))
    slot = book_course(course(1), u, HOURS, POLICY).slots[0]
    # 11:30 + 15 min turnover + 15 min set-up: the machine is free again for a 11:45 start... on
    # the 15-minute grid, the first start whose set-up begins after the turnover: 12:00
    assert slot.start == at(MON, 12)
    assert "Mon 2026-11-30 09:00-11:45: no machine free (1 booked)" in slot.explanation


def test_maintenance_is_named_with_its_reason() -> None:
    u = Unit(
        (Place(1, "Chair 1"), Place(2, "Chair 2")),
        (
            Machine(1, "Optia 1", (Block(at(MON, 0), at(MON, 23), "annual service"),)),
            Machine(2, "Optia 2"),
        ),
        (Nurse(1, "Ann", shifts()),),
        (Booked(9, at(MON, 9), at(MON, 17), 2, 2, 1),),
    )
    slot = book_course(course(1), u, HOURS, POLICY).slots[0]
    assert slot.start.date() == MON + dt.timedelta(days=1)
    assert "no machine free (1 booked, in maintenance: Optia 1: annual service)" in (
        slot.explanation
    )
    only_blocked = Unit(u.places, u.machines[:1], u.nurses)
    slot = book_course(course(1), only_blocked, HOURS, POLICY).slots[0]
    assert "no machine free (in maintenance: Optia 1: annual service)" in slot.explanation
    unnamed = Unit(u.places, (Machine(1, "M", (Block(at(MON, 0), at(MON, 23)),)),), u.nurses)
    slot = book_course(course(1), unnamed, HOURS, POLICY).slots[0]
    assert "M: maintenance" in slot.explanation


def test_the_nurse_ratio_and_the_shifts_decide() -> None:
    runs = tuple(Booked(k, at(MON, 9), at(MON, 12), k, k, 1) for k in (1, 2))
    u = unit(places=3, machines=3, nurses=1, booked=runs)
    slot = book_course(course(1), u, HOURS, POLICY).slots[0]
    assert slot.start == at(MON, 12)
    assert "every nurse on shift already runs 2 patients (1 on shift; ratio 1:2)" in (
        slot.explanation
    )
    ratio3 = book_course(course(1), u, HOURS, ResourcePolicy(3, urgent_reserve_places=0))
    assert ratio3.slots[0].start == at(MON, 9)
    late = Unit(u.places, u.machines, (Nurse(1, "Ann", ((at(MON, 12), at(MON, 20)),)),))
    slot = book_course(course(1), late, HOURS, POLICY).slots[0]
    assert slot.start == at(MON, 12)
    assert "Mon 2026-11-30 09:00-11:45: no nurse on shift for the whole run" in slot.explanation


def test_central_lines_go_to_central_line_places_and_others_keep_them_free() -> None:
    u = Unit(
        (Place(1, "Bed 1", "bed", central_line_ok=True), Place(2, "Chair 2")),
        (Machine(1, "Optia 1"), Machine(2, "Optia 2")),
        (Nurse(1, "Ann", shifts()),),
    )
    peripheral = book_course(course(1), u, HOURS, POLICY).slots[0]
    assert peripheral.place_id == 2
    central = CourseRequest((Exchange(1, 120, central_line=True),), MON, 2, MON)
    assert book_course(central, u, HOURS, POLICY).slots[0].place_id == 1
    taken = u.with_booked([Booked(5, at(MON, 9), at(MON, 17), 1, 2, 1)])
    with pytest.raises(NoCapacityError) as err:
        book_course(central, taken, HOURS, POLICY)
    assert "no central-line place free (1 booked)" in err.value.message
    chairs_only = Unit((Place(2, "Chair 2"),), u.machines, u.nurses)
    with pytest.raises(NoCapacityError) as err:
        book_course(central, chairs_only, HOURS, POLICY)
    assert "no place can take a central line" in err.value.message


def test_the_urgent_reserve_keeps_a_place_free_of_routine_bookings() -> None:
    policy = ResourcePolicy(urgent_reserve_places=1)
    u = unit(places=2, machines=2, nurses=2, booked=(Booked(7, at(MON, 9), at(MON, 17), 1, 1, 1),))
    with pytest.raises(NoCapacityError) as err:
        book_course(course(1, last_day=MON), u, HOURS, policy)
    assert "the routine places are full (1 of 2; 1 kept for urgent bookings)" in err.value.message
    assert [o.kind for o in err.value.options] == ["later_start", "longer_course", "urgent"]
    urgent = CourseRequest((Exchange(1, 135, urgent=True),), MON, 2, MON)
    assert book_course(urgent, u, HOURS, policy).slots[0].start == at(MON, 9)


def test_a_course_that_cannot_fit_answers_the_nearest_alternatives() -> None:
    # the only machine is in service on Wednesday and Thursday: exchange 2 cannot be on Wed
    u = Unit(
        (Place(1, "Chair 1"),),
        (
            Machine(
                1,
                "Optia 1",
                (
                    Block(
                        at(MON + dt.timedelta(days=2), 0),
                        at(MON + dt.timedelta(days=4), 0),
                        "repair",
                    ),
                ),
            ),
        ),
        (Nurse(1, "Ann", shifts()),),
    )
    request = course(2, last_day=MON + dt.timedelta(days=3))
    with pytest.raises(NoCapacityError) as err:
        book_course(request, u, HOURS, POLICY)
    e = err.value
    assert e.field == "exchanges"
    assert e.message.startswith("exchange 2 has no slot from 2026-12-02 to 2026-12-03")
    assert "in maintenance: Optia 1: repair" in e.message
    kinds = {o.kind: o for o in e.options}
    assert set(kinds) == {"later_start", "interval", "longer_course"}
    assert kinds["later_start"].change == (("start_date", "2026-12-01"),)
    assert kinds["interval"].change == (("interval_days", 1),)  # 3: Thu is in repair too
    assert kinds["longer_course"].change == (("course_days", 5),)
    assert e.to_dict()["alternatives"] == [o.description for o in e.options]
    with pytest.raises(NoCapacityError) as err:
        book_course(request, u, HOURS, POLICY, alternatives=False)
    assert err.value.options == ()


def test_the_first_exchange_that_cannot_fit_names_the_start_date() -> None:
    with pytest.raises(NoCapacityError) as err:
        book_course(
            course(1, first=MON + dt.timedelta(days=5), last_day=MON + dt.timedelta(days=6)),
            unit(),
            HOURS,
            POLICY,
        )
    assert err.value.field == "start_date"
    assert "Sun 2026-12-06: the clinic is closed" in err.value.message
    with pytest.raises(NoCapacityError) as err:
        book_course(course(1, last_day=MON - dt.timedelta(days=1)), unit(), HOURS, POLICY)
    assert "no open day" in err.value.message
    with pytest.raises(NoCapacityError) as err:
        book_course(course(1, minutes=9 * 60, last_day=MON), unit(), HOURS, POLICY)
    assert "the run does not fit in the opening hours" in err.value.message
    assert err.value.options == ()


@pytest.mark.parametrize("reserve", [0, 1])
def test_no_alternative_when_nothing_in_reach_fits(reserve: int) -> None:
    nobody = Unit(
        (Place(1, "Chair 1"), Place(2, "Chair 2")), (Machine(1, "Optia 1"),), (Nurse(1, "Ann"),)
    )
    policy = ResourcePolicy(urgent_reserve_places=reserve)
    with pytest.raises(NoCapacityError) as err:
        book_course(course(2, interval_days=7), nobody, HOURS, policy)
    assert err.value.options == ()
    assert "no nurse on shift" in err.value.message


def test_the_next_free_day_is_offered_past_a_full_one() -> None:
    tue, wed = MON + dt.timedelta(days=1), MON + dt.timedelta(days=2)
    full = tuple(Booked(k, at(d, 9), at(d, 17), 1, 1, 1) for k, d in ((1, MON), (2, tue)))
    with pytest.raises(NoCapacityError) as err:
        book_exchange(Exchange(3, 60), at(MON, 12), unit(booked=full), HOURS, POLICY)
    assert [(o.kind, o.start) for o in err.value.options] == [("later_day", at(wed, 9))]


@pytest.mark.parametrize("interval", [0, 8, True])
def test_bad_interval_and_empty_requests_are_input_errors(interval: int) -> None:
    with pytest.raises(InputError) as err:
        book_course(course(interval_days=interval), unit(), HOURS, POLICY)
    assert err.value.field == "interval_days"


def test_nothing_to_book_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        book_course(CourseRequest((), MON, 2, MON), unit(), HOURS, POLICY)
    assert err.value.field == "exchanges"


def test_a_start_time_moves_only_the_first_exchange() -> None:
    booked = book_course(course(2, start_time=dt.time(13, 0)), unit(), HOURS, POLICY)
    assert [s.start for s in booked.slots] == [at(MON, 13), at(MON + dt.timedelta(days=2), 9)]


def test_day_starts_on_the_grid_inside_opening_hours() -> None:
    fri = MON + dt.timedelta(days=4)
    starts = day_starts(fri, 120, HOURS, POLICY, dt.time(13, 20))
    assert [s.strftime("%H:%M") for s in starts] == ["13:30", "13:45", "14:00"]
    assert day_starts(MON + dt.timedelta(days=5), 60, HOURS, POLICY) == []


def test_describe_runs_groups_by_reason_and_day() -> None:
    tue = MON + dt.timedelta(days=1)
    lines = describe_runs(
        [(at(MON, 9), "a"), (at(MON, 9, 15), "a"), (at(MON, 9, 30), "b"), (at(tue, 9), "b")]
    )
    assert lines == [
        "Mon 2026-11-30 09:00-09:15: a",
        "Mon 2026-11-30 09:30: b",
        "Tue 2026-12-01 09:00: b",
    ]
    assert describe_runs([]) == []


def test_free_slots_lists_every_feasible_start_with_its_resources() -> None:
    u = unit(booked=(Booked(1, at(MON, 9), at(MON, 15), 1, 1, 1),))
    slots = free_slots(MON, Exchange(2, 90), u, HOURS, POLICY)
    assert [s.start.strftime("%H:%M") for s in slots] == ["15:30"]
    assert slots[0] == Slot(2, at(MON, 15, 30), at(MON, 17), 1, 1, 1)


def test_book_exchange_at_a_chosen_start_with_chosen_resources() -> None:
    u = unit(places=2, machines=2, nurses=2)
    slot = book_exchange(
        Exchange(1, 120), at(MON, 10), u, HOURS, POLICY, place_id=2, machine_id=2, nurse_id=2
    )
    assert (slot.place_id, slot.machine_id, slot.nurse_id) == (2, 2, 2)
    assert slot.explanation.startswith("Exchange booked Mon 2026-11-30 10:00-12:00, Chair 2")


def test_book_exchange_refusals_name_the_reason_and_the_nearest_free_starts() -> None:
    u = unit(booked=(Booked(1, at(MON, 11), at(MON, 13), 1, 1, 1),))
    with pytest.raises(NoCapacityError) as err:
        book_exchange(Exchange(2, 60), at(MON, 12), u, HOURS, POLICY)
    assert err.value.message == "Mon 2026-11-30 12:00: no place free (1 booked)"
    options = err.value.options
    assert [(o.kind, o.start) for o in options] == [
        ("other_time", at(MON, 9, 30)),
        ("other_time", at(MON, 13, 30)),
        ("later_day", at(MON + dt.timedelta(days=1), 9)),
    ]
    assert options[0].change == (("start_at", "2026-11-30T09:30"),)
    with pytest.raises(NoCapacityError) as err:
        book_exchange(Exchange(2, 60), at(MON, 12, 5), u, HOURS, POLICY)
    assert "not a start inside the opening hours on the 15-minute grid" in err.value.message
    sat = MON + dt.timedelta(days=5)
    with pytest.raises(NoCapacityError) as err:
        book_exchange(Exchange(2, 60), at(sat, 9), u, HOURS, POLICY, latest_day=sat)
    assert err.value.message == "Sat 2026-12-05: the clinic is closed"
    assert err.value.options == ()


@pytest.mark.parametrize(
    ("wanted", "reason"),
    [
        ({"place_id": 1}, "Chair 1 is booked"),
        ({"place_id": 9}, "no place 9"),
        ({"machine_id": 9}, "no machine 9"),
        ({"nurse_id": 9}, "no nurse 9"),
    ],
)
def test_book_exchange_with_a_named_resource_that_cannot_serve(
    wanted: dict[str, int], reason: str
) -> None:
    u = unit(places=2, booked=(Booked(1, at(MON, 8), at(MON, 10), 1, 9, 9),))
    with pytest.raises(NoCapacityError) as err:
        book_exchange(Exchange(2, 60), at(MON, 9), u, HOURS, POLICY, **wanted)
    assert err.value.message.endswith(reason)


def test_a_central_line_with_a_named_place_that_cannot_take_one() -> None:
    ledger = Ledger(unit(places=2), POLICY)
    assert ledger.check(Exchange(1, 60, True), at(MON, 9), place_id=2) == (
        "no place 2 can take a central line"
    )


def test_a_span_across_midnight_is_checked_on_both_days() -> None:
    tue = MON + dt.timedelta(days=1)
    late = Booked(1, at(MON, 23, 30), at(tue, 0, 30), 1, 1, 1)
    ledger = Ledger(unit(places=2, booked=(late,)), POLICY)
    assert ledger.check(Exchange(2, 60), at(MON, 23), place_id=1) == "Chair 1 is booked"
    assert ledger.check(Exchange(2, 60), at(tue, 0), place_id=2) == "no machine free (1 booked)"


def test_bookings_of_resources_the_unit_no_longer_has_are_skipped() -> None:
    u = unit(booked=(Booked(1, at(MON, 9), at(MON, 17), 7, 7, 7, urgent=True),))
    assert u.resourced and not Unit((), (), ()).resourced
    assert book_course(course(1), u, HOURS, POLICY).slots[0].start == at(MON, 9)


# --- invariants -------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Unit, ResourcePolicy, list[CourseRequest]]:
    places = draw(st.integers(1, 3))
    machines = draw(st.integers(1, 3))
    central = draw(st.lists(st.booleans(), min_size=places, max_size=places))
    nurses = tuple(
        Nurse(
            n,
            f"N{n}",
            tuple(
                (at(MON + dt.timedelta(days=d), h), at(MON + dt.timedelta(days=d), h + length))
                for d in range(21)
                for h, length in [draw(st.sampled_from([(8, 10), (9, 4), (12, 6)]))]
            ),
        )
        for n in range(1, draw(st.integers(1, 3)) + 1)
    )
    blocks = tuple(
        Machine(
            m,
            f"M{m}",
            tuple(
                Block(at(MON + dt.timedelta(days=d), 9), at(MON + dt.timedelta(days=d), 13))
                for d in draw(st.lists(st.integers(0, 13), max_size=3))
            ),
        )
        for m in range(1, machines + 1)
    )
    u = Unit(
        tuple(
            Place(p, f"P{p}", central_line_ok=c)
            for p, c in zip(range(1, places + 1), central, strict=True)
        ),
        blocks,
        nurses,
    )
    policy = ResourcePolicy(
        patients_per_nurse=draw(st.integers(1, 3)),
        setup_minutes=draw(st.sampled_from([0, 15, 30])),
        turnover_minutes=draw(st.sampled_from([0, 15])),
        urgent_reserve_places=draw(st.integers(0, 1)),
        slot_minutes=draw(st.sampled_from([15, 30, 60])),
    )
    keys = itertools.count(1)
    requests = [
        CourseRequest(
            tuple(
                Exchange(
                    next(keys),
                    draw(st.sampled_from([60, 120, 150])),
                    draw(st.booleans()),
                    draw(st.booleans()),
                )
                for _ in range(draw(st.integers(1, 5)))
            ),
            MON + dt.timedelta(days=draw(st.integers(0, 6))),
            draw(st.integers(1, 3)),
            MON + dt.timedelta(days=20),
        )
        for _ in range(draw(st.integers(1, 8)))
    ]
    return u, policy, requests


def check_invariants(u: Unit, policy: ResourcePolicy, urgent: set[int]) -> None:
    """No overlap on a place or machine (with set-up and turnover), not in maintenance, nurse
    load within the ratio and inside a shift, inside opening hours, reserve kept."""
    pad_a, pad_b = (
        dt.timedelta(minutes=policy.setup_minutes),
        dt.timedelta(minutes=policy.turnover_minutes),
    )
    booked = u.booked
    for a, b in itertools.combinations(booked, 2):
        overlap = a.start - pad_a < b.end + pad_b and b.start - pad_a < a.end + pad_b
        assert not (overlap and a.place_id == b.place_id), (a, b)
        assert not (overlap and a.machine_id == b.machine_id), (a, b)
    machines = {m.id: m for m in u.machines}
    nurses = {n.id: n for n in u.nurses}
    for b in booked:
        hours = HOURS.hours_on(b.start.date())
        assert hours is not None and hours[0] <= b.start.time() and b.end.time() <= hours[1]
        assert not any(
            k.start < b.end + pad_b and b.start - pad_a < k.end
            for k in machines[b.machine_id].maintenance
        )
        assert any(s <= b.start and b.end <= e for s, e in nurses[b.nurse_id].shifts)
        # at each start of a run, count the runs of this nurse going on
        for moment in (x.start for x in booked if x.nurse_id == b.nurse_id):
            load = sum(1 for x in booked if x.nurse_id == b.nurse_id and x.start <= moment < x.end)
            assert load <= policy.patients_per_nurse
    routine = [b for b in booked if b.key not in urgent]
    room = len(u.places) - policy.urgent_reserve_places
    for b in routine:
        moment = b.start - pad_a
        held = sum(1 for x in routine if x.start - pad_a <= moment < x.end + pad_b)
        assert held <= room


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_greedy_bookings_keep_every_rule(
    scenario: tuple[Unit, ResourcePolicy, list[CourseRequest]],
) -> None:
    u, policy, requests = scenario
    urgent: set[int] = set()
    for request in requests:
        try:
            booked = book_course(request, u, HOURS, policy)
        except NoCapacityError:
            continue
        days = [s.start.date() for s in booked.slots]
        assert all((b - a).days >= request.interval_days for a, b in itertools.pairwise(days))
        assert days[0] >= request.first_day and days[-1] <= request.last_day
        by_key = {e.key: e for e in request.exchanges}
        for s in booked.slots:
            place = next(p for p in u.places if p.id == s.place_id)
            assert place.central_line_ok or not by_key[s.key].central_line
            if by_key[s.key].urgent:
                urgent.add(s.key)
        u = u.with_booked(s.booked(by_key[s.key].urgent) for s in booked.slots)
    check_invariants(u, policy, urgent)
