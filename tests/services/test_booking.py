"""Booking use cases on both backends: planning a course books each exchange (or, without
resources, keeps today's unbooked planning), a request that does not fit is a 409 with the
nearest alternatives, rebooking a held session keeps the course's minimum interval, the
week's solver, and no double booking when two coordinators book at once."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plexms.services.admin import resources
from plexms.services.clinical import booking, courses, sessions
from plexms.services.errors import BookingConflict, Conflict, NotFound, PermissionDenied
from plexms.services.schemas.clinical import CoursePlanIn, CourseStatusIn, SessionRecordIn
from plexms.services.schemas.resources import (
    BookingIn,
    MachineIn,
    MachineUpdate,
    MaintenanceIn,
    NurseIn,
    PlaceIn,
    PlaceUpdate,
    RebookIn,
    ReoptimiseIn,
    ShiftIn,
    WhatIfIn,
)

LA = ZoneInfo("America/Los_Angeles")
MON = dt.date(2026, 11, 30)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LA)


def equip(world: Any, places: int = 1, machines: int = 1, central: bool = False) -> dict[str, Any]:
    """Places, machines and the world's nurse on day shifts for five weeks from MON."""
    admin = world.ctx("admin")
    made: dict[str, Any] = {
        "places": [
            resources.create_place(
                admin, PlaceIn(name=f"Chair {k}", central_line_ok=central and k == 1)
            )
            for k in range(1, places + 1)
        ],
        "machines": [
            resources.create_machine(admin, MachineIn(name=f"Optia {k}", serial=f"SN-{k}"))
            for k in range(1, machines + 1)
        ],
    }
    nurse_id = world.users[("a", "nurse")]
    made["nurse"] = resources.set_nurse(admin, nurse_id, NurseIn())
    for k in range(35):
        day = MON + dt.timedelta(days=k)
        resources.create_shift(
            admin, ShiftIn(nurse_user_id=nurse_id, start_at=local(day, 8), end_at=local(day, 18))
        )
    return made


def plan(world: Any, mrn: str, start: dt.date = MON, role: str = "physician") -> Any:
    pid = world.patient(mrn=mrn).id
    data = CoursePlanIn(plan={"exchanges": 5, "start_date": start.isoformat()})
    return courses.plan_course(world.ctx(role), pid, data)


def week(world: Any, days: int = 35) -> list[Any]:
    return booking.calendar(
        world.ctx("viewer"), local(MON, 0), local(MON, 0) + dt.timedelta(days=days)
    )


def no_double_booking(entries: list[Any]) -> None:
    pad = dt.timedelta(minutes=15)
    for a, b in itertools.combinations(entries, 2):
        overlap = a.start_at - pad < b.end_at + pad and b.start_at - pad < a.end_at + pad
        assert not (overlap and a.place_id == b.place_id), (a, b)
        assert not (overlap and a.machine_id == b.machine_id), (a, b)


def test_without_resources_planning_stays_unbooked(world) -> None:  # type: ignore[no-untyped-def]
    course = plan(world, "MRN-1")
    out = booking.book_course(world.ctx("coordinator"), course.id)
    assert out.bookings == [] and out.unbooked_reason == booking.NOT_RESOURCED
    assert week(world) == []
    first = courses.list_course_sessions(world.ctx("nurse"), course.id)[0]
    with pytest.raises(Conflict):
        booking.book_session(world.ctx("nurse"), first.id, BookingIn(start_at=local(MON, 13)))


def test_planning_a_course_books_each_exchange(world) -> None:  # type: ignore[no-untyped-def]
    made = equip(world)
    course = plan(world, "MRN-1")
    entries = week(world)
    assert [e.start_at.astimezone(LA).strftime("%a %H:%M") for e in entries] == [
        "Mon 09:00",
        "Wed 09:00",
        "Fri 09:00",
        "Mon 09:00",
        "Wed 09:00",
    ]
    first = entries[0]
    assert (first.patient_name, first.mrn, first.course_id) == (
        "Sentinelname, Ada",
        "MRN-1",
        course.id,
    )
    assert (first.place_name, first.machine_name) == ("Chair 1", "Optia 1")
    assert first.nurse_user_id == made["nurse"].user_id and first.status == "booked"
    assert "the first slot asked for was free" in first.explanation
    # already booked: booking the course again books nothing more
    assert booking.book_course(world.ctx("coordinator"), course.id).bookings == []


def test_a_second_course_is_booked_around_the_first(world) -> None:  # type: ignore[no-untyped-def]
    equip(world)
    plan(world, "MRN-1")
    plan(world, "MRN-2")
    entries = week(world)
    no_double_booking(entries)
    second = [e for e in entries if e.mrn == "MRN-2"]
    assert second[0].start_at.astimezone(LA).date() == MON
    assert "Mon 2026-11-30 09:00" in second[0].explanation
    assert "no place free (1 booked)" in second[0].explanation


def test_a_course_that_does_not_fit_is_a_409_with_alternatives(world) -> None:  # type: ignore[no-untyped-def]
    made = equip(world)
    admin = world.ctx("admin")
    for machine in made["machines"]:
        resources.add_maintenance(
            admin,
            machine.id,
            MaintenanceIn(
                start_at=local(MON, 0),
                end_at=local(MON, 0) + dt.timedelta(days=30),
                reason="recall",
            ),
        )
    with pytest.raises(BookingConflict) as err:
        plan(world, "MRN-1")
    assert "in maintenance: Optia 1: recall" in err.value.detail
    assert err.value.status == 409
    assert courses.list_courses(world.ctx("viewer")).total == 0  # nothing stored


def test_moving_an_exchange_to_a_busy_slot_offers_the_nearest_free_ones(world) -> None:  # type: ignore[no-untyped-def]
    equip(world)
    plan(world, "MRN-1")
    other = plan(world, "MRN-2", start=MON + dt.timedelta(days=1))
    first = courses.list_course_sessions(world.ctx("nurse"), other.id)[0]
    coord = world.ctx("coordinator")
    with pytest.raises(BookingConflict) as err:
        booking.book_session(coord, first.id, BookingIn(start_at=local(MON, 10)))
    kinds = [a.kind for a in err.value.alternatives]
    assert "other_time" in kinds
    assert "no place free" in err.value.detail
    moved = booking.book_session(coord, first.id, BookingIn(start_at=local(MON, 13)))
    assert moved.start_at == local(MON, 13)
    after = courses.list_course_sessions(world.ctx("nurse"), other.id)[0]
    assert after.planned_start == local(MON, 13)
    no_double_booking(week(world))
    # the exchange after it is on Thursday: Wednesday breaks the two-day interval
    second = courses.list_course_sessions(world.ctx("nurse"), other.id)[1]
    with pytest.raises(BookingConflict) as err:
        booking.book_session(
            coord, second.id, BookingIn(start_at=local(MON + dt.timedelta(days=1), 13))
        )
    assert "minimum interval of 2 days" in err.value.detail
    assert [a.kind for a in err.value.alternatives] == ["later_day"]
    with pytest.raises(BookingConflict) as err:
        booking.book_session(
            coord, second.id, BookingIn(start_at=local(MON + dt.timedelta(days=8), 13))
        )
    assert "on or before" in err.value.detail


def test_only_planned_sessions_and_live_courses_are_booked(world) -> None:  # type: ignore[no-untyped-def]
    equip(world)
    course = plan(world, "MRN-1")
    first = courses.list_course_sessions(world.ctx("nurse"), course.id)[0]
    with pytest.raises(Conflict):
        booking.rebook_session(world.ctx("nurse"), first.id, RebookIn())
    with pytest.raises(PermissionDenied):
        booking.book_course(world.ctx("viewer"), course.id)
    stopped = courses.set_course_status(
        world.ctx("physician"),
        course.id,
        CourseStatusIn(status="stopped", reason="patient choice"),
        course.version,
    )
    assert stopped.status == "stopped"
    assert week(world) == []  # the cancelled sessions released their bookings
    with pytest.raises(Conflict):
        booking.book_course(world.ctx("coordinator"), course.id)
    with pytest.raises(Conflict):
        booking.book_session(world.ctx("nurse"), first.id, BookingIn(start_at=local(MON, 13)))


def test_rebooking_a_held_session_keeps_the_minimum_interval(world) -> None:  # type: ignore[no-untyped-def]
    equip(world)
    course = plan(world, "MRN-1", start=MON + dt.timedelta(days=7))
    nurse = world.ctx("nurse")
    rows = courses.list_course_sessions(nurse, course.id)
    held = sessions.record_session(
        nurse, rows[1].id, SessionRecordIn(status="held"), rows[1].version
    )
    assert held.status == "held"
    assert len(week(world)) == 4  # its booking was released
    out = booking.rebook_session(nurse, held.id, RebookIn())
    assert out.unbooked_reason == ""
    assert len(out.bookings) == 4  # the replacement and the three after it
    rows = courses.list_course_sessions(nurse, course.id)
    live = [r for r in rows if r.status == "planned"]
    assert [r.sequence for r in live] == [1, 2, 3, 4, 5]
    days = [r.planned_start.astimezone(LA).date() for r in live]
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))
    assert days[1] > held.planned_start.astimezone(LA).date()
    no_double_booking(week(world))


def test_rebooking_without_resources_lays_the_rest_out_at_the_interval(world) -> None:  # type: ignore[no-untyped-def]
    course = plan(world, "MRN-1", start=MON + dt.timedelta(days=7))
    nurse = world.ctx("nurse")
    rows = courses.list_course_sessions(nurse, course.id)
    sessions.record_session(nurse, rows[4].id, SessionRecordIn(status="cancelled"), rows[4].version)
    out = booking.rebook_session(
        nurse, rows[4].id, RebookIn(not_before=local(MON + dt.timedelta(days=20), 0))
    )
    assert out.unbooked_reason == booking.NOT_RESOURCED
    replacement = [
        r for r in courses.list_course_sessions(nurse, course.id) if r.status == "planned"
    ][-1]
    assert replacement.planned_start == local(MON + dt.timedelta(days=20), 9)


def test_the_week_is_reoptimised_and_what_if_answers(world) -> None:  # type: ignore[no-untyped-def]
    equip(world)
    plan(world, "MRN-1")
    plan(world, "MRN-2")
    coord = world.ctx("coordinator")
    shown = booking.reoptimise_week(coord, ReoptimiseIn(week_start=MON + dt.timedelta(days=7)))
    assert shown.status in ("OPTIMAL", "FEASIBLE") and not shown.applied
    assert shown.moved and all(m.status == "proposed" for m in shown.moved)
    applied = booking.reoptimise_week(
        coord, ReoptimiseIn(week_start=MON + dt.timedelta(days=7), apply=True)
    )
    assert applied.applied
    no_double_booking(week(world))
    answer = booking.what_if(coord, WhatIfIn(week_start=MON + dt.timedelta(days=7), add_machines=1))
    assert answer.requested == len(shown.moved)
    assert answer.summary.startswith("With 1 machine more:")


def test_resources_are_managed_by_an_administrator(world) -> None:  # type: ignore[no-untyped-def]
    made = equip(world, places=2, machines=1, central=True)
    admin = world.ctx("admin")
    listed = resources.list_resources(world.ctx("viewer"))
    assert [p.central_line_ok for p in listed.places] == [True, False]
    assert listed.nurses[0].username == "nurse-a"
    with pytest.raises(PermissionDenied):
        resources.create_place(world.ctx("coordinator"), PlaceIn(name="Chair 9"))
    place = made["places"][1]
    changed = resources.update_place(admin, place.id, PlaceUpdate(kind="bed"), place.version)
    assert changed.kind == "bed"
    machine = made["machines"][0]
    block = resources.add_maintenance(
        admin, machine.id, MaintenanceIn(start_at=local(MON, 8), end_at=local(MON, 12))
    )
    assert resources.list_resources(admin).machines[0].maintenance[0].id == block.id
    resources.delete_maintenance(admin, block.id)
    assert (
        resources.update_machine(admin, machine.id, MachineUpdate(serial="SN-77")).serial == "SN-77"
    )
    resources.delete_place(admin, place.id)
    resources.delete_machine(admin, machine.id)
    listed = resources.list_resources(admin)
    assert len(listed.places) == 1 and listed.machines == []
    shifts = resources.list_shifts(admin, local(MON, 0), local(MON, 23))
    assert len(shifts) == 1
    resources.delete_shift(admin, shifts[0].id)
    assert resources.list_shifts(admin, local(MON, 0), local(MON, 23)) == []
    again = resources.set_nurse(admin, made["nurse"].user_id, NurseIn(apheresis_competent=False))
    assert again.id == made["nurse"].id and not again.apheresis_competent
    with pytest.raises(NotFound):
        resources.set_nurse(admin, world.users[("b", "nurse")], NurseIn())
    from plexms.core.errors import InputError

    with pytest.raises(InputError):
        resources.create_shift(
            admin,
            ShiftIn(
                nurse_user_id=world.users[("a", "viewer")],
                start_at=local(MON, 8),
                end_at=local(MON, 9),
            ),
        )
    with pytest.raises(InputError) as err:
        resources.add_maintenance(
            admin,
            made["machines"][0].id,
            MaintenanceIn(start_at=local(MON, 9), end_at=local(MON, 8)),
        )
    assert err.value.field == "end_at"
    with pytest.raises(InputError):
        booking.calendar(admin, local(MON, 0), local(MON, 0) + dt.timedelta(days=90))
    with pytest.raises(InputError):
        booking.calendar(admin, local(MON, 1), local(MON, 0))


def test_two_coordinators_booking_at_once_never_double_book(world) -> None:  # type: ignore[no-untyped-def]
    """Two threads, each on its own connection, plan a course for the same Monday 09:00 in a
    unit with one place and one machine: one gets 09:00, the other is booked around it."""
    equip(world)
    patients = [world.patient(mrn=f"MRN-{k}").id for k in (1, 2)]
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def go(pid: int) -> None:
        ctx = world.ctx("physician")
        data = CoursePlanIn(plan={"exchanges": 5, "start_date": MON.isoformat()})
        barrier.wait()
        try:
            results.append(courses.plan_course(ctx, pid, data))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(pid,)) for pid in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 2
    entries = week(world)
    assert len(entries) == 10
    no_double_booking(entries)


def test_two_coordinators_moving_into_the_same_slot_at_once(world) -> None:  # type: ignore[no-untyped-def]
    """Both ask for Tuesday 13:00 at the same moment: one gets it, the other a 409."""
    equip(world)
    firsts = []
    for mrn, start in (("MRN-1", MON), ("MRN-2", MON + dt.timedelta(days=7))):
        course = plan(world, mrn, start=start)
        firsts.append(courses.list_course_sessions(world.ctx("nurse"), course.id)[0].id)
    target = local(MON + dt.timedelta(days=1), 13)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go(session_id: int) -> None:
        ctx = world.ctx("coordinator")
        barrier.wait()
        try:
            booking.book_session(ctx, session_id, BookingIn(start_at=target))
            outcomes.append("booked")
        except BookingConflict:
            outcomes.append("409")

    # two first exchanges whose next exchange is a week later, so Tuesday keeps the interval
    third = plan(world, "MRN-3", start=MON + dt.timedelta(days=14))
    ids = [firsts[1], courses.list_course_sessions(world.ctx("nurse"), third.id)[0].id]
    threads = [threading.Thread(target=go, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "booked"]
    no_double_booking(week(world))


def test_a_central_line_on_record_books_a_place_that_takes_one(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.services.clinical import access_lines
    from plexms.services.schemas.access import AccessLineIn

    made = equip(world, places=2, machines=2, central=True)
    central_place = made["places"][0].id
    pid = world.patient(mrn="MRN-CVC").id
    access_lines.add_line(
        world.ctx("nurse"),
        pid,
        AccessLineIn(
            line_type="tunnelled_cvc",
            site="right_internal_jugular",
            inserted_on=dt.date(2026, 11, 2),
        ),
    )
    data = CoursePlanIn(plan={"exchanges": 5, "start_date": MON.isoformat()})
    course = courses.plan_course(world.ctx("physician"), pid, data)
    mine = [e for e in week(world) if e.course_id == course.id]
    assert len(mine) == 5 and {e.place_id for e in mine} == {central_place}
    # a peripheral patient may sit anywhere (no place is kept from them)
    other = plan(world, "MRN-PERIPHERAL")
    assert len([e for e in week(world) if e.course_id == other.id]) == 5
