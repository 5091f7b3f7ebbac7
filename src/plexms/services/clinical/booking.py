"""Booking exchanges into the unit's places, machines and nurses (issue 17 item 2).

- Planning a course books each exchange (:func:`book_planned_course`, called by
  ``courses.plan_course`` inside its transaction). A centre with no place, machine or nurse
  defined keeps today's behaviour: the sessions stay unbooked and the result says so.
- :func:`book_session` moves one planned exchange to a chosen start (the grid's "choose a free
  slot"); :func:`rebook_session` gives a held or cancelled exchange a replacement and moves the
  rest of the course, keeping the course's minimum interval.
- A request that does not fit raises :class:`BookingConflict` (409) with the nearest
  alternatives from the core.
- No double booking, also when two coordinators book at once: every booking use case first
  takes the centre's booking lock (``SELECT ... FOR NO KEY UPDATE`` on the centre row on
  PostgreSQL;
  SQLite's ``BEGIN IMMEDIATE`` already serialises writers), then reads the bookings it checks
  against, so the second waits and then sees the first's booking.
- :func:`reoptimise_week` and :func:`what_if` use the CP-SAT model (``core.rebooking``).

The core works in the centre's local wall-clock time; this module converts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core import booking as core
from plexms.core import rebooking
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.services import audit
from plexms.services._records import load, new, scoped
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.clinical.clinic_calendar import with_holidays
from plexms.services.context import ServiceContext
from plexms.services.errors import BookingConflict, Conflict
from plexms.services.permissions import Permission
from plexms.services.schemas.resources import (
    AlternativeOut,
    BookingIn,
    BookingOut,
    CalendarEntryOut,
    CourseBookingOut,
    FreeSlotOut,
    FreeSlotsOut,
    RebookIn,
    ReoptimiseIn,
    ReoptimiseOut,
    WhatIfIn,
    WhatIfOut,
)
from plexms.services.sharing import reminders
from plexms.store.models import (
    AccessLine,
    Booking,
    Centre,
    Course,
    ExchangeSession,
    Machine,
    MaintenanceBlock,
    NurseProfile,
    NurseShift,
    Patient,
    TreatmentPlace,
    User,
)

__all__ = [
    "NOT_RESOURCED",
    "book_course",
    "book_planned_course",
    "book_session",
    "calendar",
    "free_slots_for_session",
    "lock_centre",
    "rebook_session",
    "release_bookings",
    "reoptimise_week",
    "what_if",
]

NOT_RESOURCED = (
    "the centre has no treatment place, machine or nurse with a shift defined: the exchanges "
    "are planned in opening hours but not booked"
)
_CENTRAL = ("cvc", "port")
_MAX_CALENDAR = dt.timedelta(days=62)


# --- time and the unit -------------------------------------------------------------------


def _local(stamp: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return stamp.astimezone(zone).replace(tzinfo=None)


def _bookable(stamp: dt.datetime | None, field: str) -> None:
    """Far dates would overflow the calendar arithmetic: bookings are for this century."""
    if stamp is not None and not 2000 <= stamp.year <= 2099:
        raise InputError(field, "is outside the bookable years", allowed="2000-2099")


def _aware(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def lock_centre(session: Session, centre_id: int) -> None:
    """Take the centre's booking lock for the rest of the transaction (module doc)."""
    if session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: rows inserted with a foreign key to the centre hold FOR KEY SHARE
        # on it, which a plain FOR UPDATE would wait for (two planners: a deadlock).
        query = select(Centre.id).where(Centre.id == centre_id)
        session.execute(query.with_for_update(key_share=True))


def _unit(
    session: Session,
    centre: Centre,
    first: dt.date,
    last: dt.date,
    *,
    exclude: Iterable[int] = (),
) -> core.Unit:
    """The centre's active resources and the bookings from ``first`` to ``last`` (local days,
    a day's margin each side), without the sessions in ``exclude``."""
    zone = ZoneInfo(centre.time_zone)
    lo = _aware(dt.datetime.combine(first - dt.timedelta(days=1), dt.time()), zone)
    hi = _aware(dt.datetime.combine(last + dt.timedelta(days=2), dt.time()), zone)
    live = (TreatmentPlace.centre_id == centre.id, TreatmentPlace.deleted_at.is_(None))
    places = tuple(
        core.Place(p.id, p.name, p.kind, p.central_line_ok)
        for p in session.execute(
            select(TreatmentPlace).where(*live, TreatmentPlace.active).order_by(TreatmentPlace.id)
        ).scalars()
    )
    blocks: dict[int, list[core.Block]] = {}
    for b in session.execute(
        select(MaintenanceBlock).where(
            MaintenanceBlock.centre_id == centre.id,
            MaintenanceBlock.deleted_at.is_(None),
            MaintenanceBlock.start_at < hi,
            MaintenanceBlock.end_at > lo,
        )
    ).scalars():
        blocks.setdefault(b.machine_id, []).append(
            core.Block(_local(b.start_at, zone), _local(b.end_at, zone), b.reason)
        )
    machines = tuple(
        core.Machine(m.id, m.name, tuple(blocks.get(m.id, ())))
        for m in session.execute(
            select(Machine)
            .where(Machine.centre_id == centre.id, Machine.deleted_at.is_(None), Machine.active)
            .order_by(Machine.id)
        ).scalars()
    )
    shifts: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for s in session.execute(
        select(NurseShift).where(
            NurseShift.centre_id == centre.id,
            NurseShift.deleted_at.is_(None),
            NurseShift.start_at < hi,
            NurseShift.end_at > lo,
        )
    ).scalars():
        shifts.setdefault(s.nurse_user_id, []).append(
            (_local(s.start_at, zone), _local(s.end_at, zone))
        )
    nurses = tuple(
        core.Nurse(user.id, user.display_name or user.username, tuple(shifts.get(user.id, ())))
        for profile, user in session.execute(
            select(NurseProfile, User)
            .join(User, User.id == NurseProfile.user_id)
            .where(
                NurseProfile.centre_id == centre.id,
                NurseProfile.deleted_at.is_(None),
                NurseProfile.active,
                NurseProfile.apheresis_competent,
                User.active,
            )
            .order_by(User.id)
        )
        if user.id in shifts
    )
    skip = set(exclude)
    booked = tuple(
        core.Booked(
            b.exchange_session_id,
            _local(b.start_at, zone),
            _local(b.end_at, zone),
            b.place_id,
            b.machine_id,
            b.nurse_user_id,
            b.urgent,
        )
        for b in _booked(session, centre.id, lo, hi)
        if b.exchange_session_id not in skip
    )
    return core.Unit(places, machines, nurses, booked)


def _booked(session: Session, centre_id: int, lo: dt.datetime, hi: dt.datetime) -> list[Booking]:
    return list(
        session.execute(
            select(Booking).where(
                Booking.centre_id == centre_id,
                Booking.status == "booked",
                Booking.deleted_at.is_(None),
                Booking.start_at < hi,
                Booking.end_at > lo,
            )
        ).scalars()
    )


def _hours(policy: CentrePolicy, first: dt.date, last: dt.date) -> Any:
    return with_holidays(policy.hours, first, last + dt.timedelta(days=31))


def _central_line(session: Session, patient_id: int) -> bool:
    """Whether the patient has a central line in place (the access record, issue 17 item 3),
    or, with no line on record, whether the latest recorded session's access was central."""
    lines = (
        session.execute(
            select(AccessLine.kind).where(
                AccessLine.patient_id == patient_id,
                AccessLine.removed_on.is_(None),
                AccessLine.deleted_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    if lines:
        return "central" in lines
    access = session.execute(
        select(ExchangeSession.vascular_access)
        .where(
            ExchangeSession.patient_id == patient_id,
            ExchangeSession.vascular_access != "",
            ExchangeSession.deleted_at.is_(None),
        )
        .order_by(ExchangeSession.planned_start.desc())
        .limit(1)
    ).scalar_one_or_none()
    return access in _CENTRAL


def _minutes(row: ExchangeSession) -> int:
    return int((row.planned_end - row.planned_start).total_seconds() // 60)


def _conflict(err: core.NoCapacityError, zone: ZoneInfo) -> BookingConflict:
    options = [
        AlternativeOut(
            kind=o.kind,
            description=o.description,
            start_at=_aware(o.start, zone),
            change=dict(o.change),
        )
        for o in err.options
    ]
    return BookingConflict(err.message, field=err.field, alternatives=options)


def release_bookings(
    session: Session, ctx: ServiceContext, session_ids: Iterable[int], status: str = "released"
) -> int:
    """Close the live bookings of ``session_ids``: ``released`` (held, cancelled or moved
    exchanges: the resources are free again) or ``completed``; returns how many."""
    ids = list(session_ids)
    if not ids:
        return 0
    # no autoflush: a caller's pending change to the session row is written once, by the
    # caller's own flush (one version per save, so the sheet's next If-Match is right)
    with session.no_autoflush:
        rows = (
            session.execute(
                select(Booking).where(
                    Booking.exchange_session_id.in_(ids), Booking.status == "booked"
                )
            )
            .scalars()
            .all()
        )
    count = 0
    for row in rows:
        row.status = status
        row.updated_at = ctx.now
        count += 1
    return count


def _store(
    session: Session,
    ctx: ServiceContext,
    rows: dict[int, ExchangeSession],
    slots: Sequence[core.Slot],
    zone: ZoneInfo,
    *,
    urgent: bool = False,
) -> list[BookingOut]:
    """Book ``slots`` (moving each session to its slot) and return the new bookings."""
    release_bookings(session, ctx, [s.key for s in slots])
    out = []
    for slot in slots:
        row = rows[slot.key]
        start, end = _aware(slot.start, zone), _aware(slot.end, zone)
        if (row.planned_start, row.planned_end) != (start, end):
            row.planned_start, row.planned_end = start, end
            row.updated_at = ctx.now
        booking = new(
            ctx,
            Booking,
            centre_id=row.centre_id,
            exchange_session_id=row.id,
            place_id=slot.place_id,
            machine_id=slot.machine_id,
            nurse_user_id=slot.nurse_id,
            start_at=start,
            end_at=end,
            status="booked",
            urgent=urgent,
            explanation=slot.explanation,
        )
        session.add(booking)
        session.flush()
        out.append(BookingOut.model_validate(booking))
    return out


# --- booking a course ---------------------------------------------------------------------


def _planned(session: Session, course_id: int) -> list[ExchangeSession]:
    return list(
        session.execute(
            select(ExchangeSession)
            .where(
                ExchangeSession.course_id == course_id,
                ExchangeSession.status == "planned",
                ExchangeSession.deleted_at.is_(None),
            )
            .order_by(ExchangeSession.planned_start, ExchangeSession.sequence)
        ).scalars()
    )


def _course_rules(course: Course, policy: CentrePolicy) -> tuple[int, int]:
    """The course's minimum interval and course length in days (as it was planned)."""
    planned = (course.prescription or {}).get("course") or {}
    interval = int(planned.get("interval_days") or policy.schedule.interval_days)
    days = int(planned.get("course_days_max") or policy.schedule.max_course_days)
    return interval, days


def _book_rows(
    session: Session,
    ctx: ServiceContext,
    centre: Centre,
    course: Course,
    rows: list[ExchangeSession],
    *,
    first_day: dt.date,
    last_day: dt.date,
    start_time: dt.time | None,
    urgent: bool = False,
) -> CourseBookingOut:
    zone = ZoneInfo(centre.time_zone)
    policy = load_policy(centre)
    interval, _ = _course_rules(course, policy)
    unit = _unit(
        session,
        centre,
        first_day,
        last_day + dt.timedelta(days=21),
        exclude=[r.id for r in rows],
    )
    if not unit.resourced:
        return CourseBookingOut(
            course_id=course.id, bookings=[], notes=[], unbooked_reason=NOT_RESOURCED
        )
    central = _central_line(session, course.patient_id)
    request = core.CourseRequest(
        tuple(core.Exchange(r.id, _minutes(r), central, urgent) for r in rows),
        first_day,
        interval,
        last_day,
        start_time,
    )
    try:
        booked = core.book_course(
            request, unit, _hours(policy, first_day, last_day), policy.resources
        )
    except core.NoCapacityError as err:
        raise _conflict(err, zone) from None
    out = _store(session, ctx, {r.id: r for r in rows}, booked.slots, zone, urgent=urgent)
    return CourseBookingOut(
        course_id=course.id, bookings=out, notes=[s.explanation for s in booked.slots]
    )


def book_planned_course(session: Session, ctx: ServiceContext, course: Course) -> CourseBookingOut:
    """Book the course's planned, unbooked exchanges inside the caller's transaction, from the
    first planned day and time, within the course's length. Raises :class:`BookingConflict`."""
    centre = session.get_one(Centre, course.centre_id)
    lock_centre(session, centre.id)
    booked = set(
        session.execute(
            select(Booking.exchange_session_id).where(
                Booking.status == "booked",
                Booking.exchange_session_id.in_([r.id for r in _planned(session, course.id)]),
            )
        ).scalars()
    )
    rows = [r for r in _planned(session, course.id) if r.id not in booked]
    if not rows:
        return CourseBookingOut(course_id=course.id, bookings=[], notes=[])
    zone = ZoneInfo(centre.time_zone)
    first = _local(rows[0].planned_start, zone)
    _, days = _course_rules(course, load_policy(centre))
    return _book_rows(
        session,
        ctx,
        centre,
        course,
        rows,
        first_day=first.date(),
        last_day=first.date() + dt.timedelta(days=days - 1),
        start_time=first.time(),
    )


@use_case(Permission.BOOKING_MANAGE)
def book_course(ctx: ServiceContext, course_id: int) -> CourseBookingOut:
    """Book a planned or active course's unbooked planned exchanges (e.g. planned before the
    unit's resources were defined). 409 with alternatives when they do not fit."""
    with ctx.db.write() as session:
        course = load(session, ctx, Course, course_id)
        if course.status not in ("planned", "active"):
            raise Conflict(f"a {course.status} course is not booked", field="course_id")
        out = book_planned_course(session, ctx, course)
        audit.record(
            session,
            ctx,
            "create",
            entity="booking",
            patient_id=course.patient_id,
            detail={"course_id": course.id, "booked": len(out.bookings)},
        )
        return out


# --- one exchange -------------------------------------------------------------------------


def _neighbours(
    session: Session, row: ExchangeSession, zone: ZoneInfo
) -> tuple[dt.date | None, dt.date | None]:
    """Local days of the course's live exchanges just before and after ``row``."""
    others = session.execute(
        select(ExchangeSession.planned_start).where(
            ExchangeSession.course_id == row.course_id,
            ExchangeSession.id != row.id,
            ExchangeSession.status.in_(("planned", "done")),
            ExchangeSession.deleted_at.is_(None),
        )
    ).scalars()
    days = sorted(_local(s, zone).date() for s in others)
    mine = _local(row.planned_start, zone).date()
    before = [d for d in days if d < mine]
    after = [d for d in days if d > mine]
    return (before[-1] if before else None), (after[0] if after else None)


@use_case(Permission.BOOKING_MANAGE)
def book_session(ctx: ServiceContext, session_id: int, data: BookingIn) -> BookingOut:
    """Book (or move) one planned exchange at ``data.start_at``, keeping the course's minimum
    interval to the exchanges before and after it. 409 with alternatives when it does not fit."""
    _bookable(data.start_at, "start_at")
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id, for_update=True)
        if row.status != "planned":
            raise Conflict(f"a {row.status} session is not booked", field="session_id")
        centre = session.get_one(Centre, row.centre_id)
        course = session.get_one(Course, row.course_id)
        lock_centre(session, centre.id)
        zone = ZoneInfo(centre.time_zone)
        policy = load_policy(centre)
        interval, _ = _course_rules(course, policy)
        start = _local(data.start_at, zone)
        before, after = _neighbours(session, row, zone)
        earliest = before + dt.timedelta(days=interval) if before else None
        latest = after - dt.timedelta(days=interval) if after else None
        unit = _unit(
            session, centre, start.date(), start.date() + dt.timedelta(days=8), exclude=[row.id]
        )
        if not unit.resourced:
            raise Conflict(NOT_RESOURCED, field="start_at")
        exchange = core.Exchange(
            row.id, _minutes(row), _central_line(session, row.patient_id), data.urgent
        )
        hours = _hours(policy, start.date(), start.date() + dt.timedelta(days=8))
        try:
            if earliest is not None and start.date() < earliest:
                later = core.book_course(
                    core.CourseRequest((exchange,), earliest, interval, latest or earliest),
                    unit,
                    hours,
                    policy.resources,
                )
                raise core.NoCapacityError(
                    "start_at",
                    f"the course's minimum interval of {interval} days puts this exchange on "
                    f"or after {earliest.isoformat()}",
                    options=[
                        core.Alternative(
                            "later_day",
                            f"start_at={s.start.isoformat(timespec='minutes')}: first free slot "
                            "keeping the interval",
                            s.start,
                            (("start_at", s.start.isoformat(timespec="minutes")),),
                        )
                        for s in later.slots
                    ],
                )
            slot = core.book_exchange(
                exchange,
                start,
                unit,
                hours,
                policy.resources,
                place_id=data.place_id,
                machine_id=data.machine_id,
                nurse_id=data.nurse_user_id,
                latest_day=latest,
            )
            if latest is not None and start.date() > latest:
                raise core.NoCapacityError(
                    "start_at",
                    f"the course's minimum interval of {interval} days puts this exchange on "
                    f"or before {latest.isoformat()} (the next exchange)",
                    options=(),
                )
        except core.NoCapacityError as err:
            raise _conflict(err, zone) from None
        out = _store(session, ctx, {row.id: row}, [slot], zone, urgent=data.urgent)[0]
        session.flush()
        reminders.queue_for_sessions(session, ctx, [row], str(zone))  # at its new time
        audit.record(
            session,
            ctx,
            "create",
            entity="booking",
            entity_id=out.id,
            patient_id=row.patient_id,
            detail={"session_id": row.id},
        )
        return out


@use_case(Permission.BOOKING_MANAGE)
def free_slots_for_session(ctx: ServiceContext, session_id: int, day: dt.date) -> FreeSlotsOut:
    """Every free start on ``day`` (the centre's local date) for a planned exchange, with the
    place, machine and nurse it would get (what a coordinator chooses from when rebooking). A
    day that breaks the course's minimum interval to the exchanges before and after has none,
    and the note says which days may be chosen."""
    if not 2000 <= day.year <= 2099:
        raise InputError("day", "is outside the bookable years", allowed="2000-2099")
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id)
        if row.status != "planned":
            raise Conflict(f"a {row.status} session is not booked", field="session_id")
        centre = session.get_one(Centre, row.centre_id)
        course = session.get_one(Course, row.course_id)
        zone = ZoneInfo(centre.time_zone)
        policy = load_policy(centre)
        interval, _ = _course_rules(course, policy)
        before, after = _neighbours(session, row, zone)
        earliest = before + dt.timedelta(days=interval) if before else None
        latest = after - dt.timedelta(days=interval) if after else None
        out = FreeSlotsOut(session_id=row.id, day=day, slots=[], earliest=earliest, latest=latest)
        if (earliest is not None and day < earliest) or (latest is not None and day > latest):
            out.note = _interval_note(interval, earliest, latest)
            return out
        unit = _unit(session, centre, day, day, exclude=[row.id])
        if not unit.resourced:
            out.note = NOT_RESOURCED
            return out
        exchange = core.Exchange(row.id, _minutes(row), _central_line(session, row.patient_id))
        found = core.free_slots(day, exchange, unit, _hours(policy, day, day), policy.resources)
        places = {p.id: p.name for p in unit.places}
        machines = {m.id: m.name for m in unit.machines}
        nurses = {n.id: n.name for n in unit.nurses}
        out.slots = [
            FreeSlotOut(
                start_at=_aware(s.start, zone),
                end_at=_aware(s.end, zone),
                place_id=s.place_id,
                place_name=places[s.place_id],
                machine_id=s.machine_id,
                machine_name=machines[s.machine_id],
                nurse_user_id=s.nurse_id,
                nurse_name=nurses[s.nurse_id],
            )
            for s in found
        ]
        if not out.slots:
            out.note = "no free slot that day (closed, or every place, machine or nurse is taken)"
        return out


def _interval_note(interval: int, earliest: dt.date | None, latest: dt.date | None) -> str:
    span = " and ".join(
        part
        for part in (
            f"on or after {earliest.isoformat()}" if earliest else "",
            f"on or before {latest.isoformat()}" if latest else "",
        )
        if part
    )
    return f"the course's minimum interval of {interval} days puts this exchange {span}"


@use_case(Permission.BOOKING_MANAGE)
def rebook_session(ctx: ServiceContext, session_id: int, data: RebookIn) -> CourseBookingOut:
    """A held or cancelled exchange gets a replacement (same number, planned) and the course's
    later planned exchanges move with it, each at least the minimum interval after the one
    before; the replacement is at least the interval after the last exchange done."""
    _bookable(data.not_before, "not_before")
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id, for_update=True)
        if row.status not in ("held", "cancelled"):
            raise Conflict("only a held or cancelled session is rebooked", field="session_id")
        course = load(session, ctx, Course, row.course_id)
        if course.status not in ("planned", "active"):
            raise Conflict(f"a {course.status} course is not rebooked", field="course_id")
        already = session.execute(
            select(ExchangeSession.id).where(
                ExchangeSession.course_id == course.id,
                ExchangeSession.sequence == row.sequence,
                ExchangeSession.status.in_(("planned", "done")),
                ExchangeSession.deleted_at.is_(None),
            )
        ).scalar()
        if already is not None:  # twice would add a second replacement
            raise Conflict(
                f"this session is already rebooked (session {already})", field="session_id"
            )
        centre = session.get_one(Centre, row.centre_id)
        lock_centre(session, centre.id)
        zone = ZoneInfo(centre.time_zone)
        policy = load_policy(centre)
        interval, days = _course_rules(course, policy)
        release_bookings(session, ctx, [row.id])
        done = session.execute(
            select(ExchangeSession.planned_start, ExchangeSession.actual_start).where(
                ExchangeSession.course_id == course.id,
                ExchangeSession.status == "done",
                ExchangeSession.deleted_at.is_(None),
            )
        ).all()
        floor = _local(row.planned_start, zone).date() + dt.timedelta(days=1)
        if data.not_before is not None:
            floor = max(floor, _local(data.not_before, zone).date())
        for planned_at, actual in done:
            last = _local(actual or planned_at, zone).date()
            floor = max(floor, last + dt.timedelta(days=interval))
        today = _local(ctx.now, zone).date()
        floor = max(floor, today + dt.timedelta(days=1))
        replacement = new(
            ctx,
            ExchangeSession,
            centre_id=row.centre_id,
            patient_id=row.patient_id,
            course_id=course.id,
            sequence=row.sequence,
            status="planned",
            planned_start=row.planned_start,
            planned_end=row.planned_end,
            planned_plasma_volume_ml=row.planned_plasma_volume_ml,
            replacement_fluids=[],
            vitals=[],
        )
        session.add(replacement)
        session.flush()
        later = [
            r
            for r in _planned(session, course.id)
            if r.id != replacement.id and r.sequence > row.sequence
        ]
        rows = [replacement, *later]
        last_day = floor + dt.timedelta(days=interval * (len(rows) - 1) + max(days // 2, 7))
        out = _book_rows(
            session,
            ctx,
            centre,
            course,
            rows,
            first_day=floor,
            last_day=last_day,
            start_time=None,
            urgent=data.urgent,
        )
        if out.unbooked_reason:
            # No resources: lay the exchanges out at the interval from the floor, unbooked.
            start = dt.datetime.combine(floor, dt.time.fromisoformat(policy.schedule.default_start))
            for k, r in enumerate(rows):
                length = r.planned_end - r.planned_start
                r.planned_start = _aware(start + dt.timedelta(days=interval * k), zone)
                r.planned_end = r.planned_start + length
                r.updated_at = ctx.now
        session.flush()
        reminders.queue_for_sessions(session, ctx, rows, str(zone))  # the moved appointments
        audit.record(
            session,
            ctx,
            "update",
            entity="session",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"rebooked_as": replacement.id, "moved": len(later)},
        )
        return out


# --- the calendar -------------------------------------------------------------------------


@use_case(Permission.PATIENT_READ)
def calendar(ctx: ServiceContext, start: dt.datetime, end: dt.datetime) -> list[CalendarEntryOut]:
    """The centre's live bookings overlapping ``start``-``end`` (at most 62 days), with the
    patient's name and MRN, the place, machine and nurse; by start time then place."""
    if end <= start:
        raise InputError("end", "must be after start")
    if end - start > _MAX_CALENDAR:
        raise InputError("end", "the calendar spans too long", allowed="<= 62 days")
    with ctx.db.write() as session:
        query = (
            scoped(ctx, Booking)
            .where(
                Booking.status.in_(("booked", "completed")),
                Booking.deleted_at.is_(None),
                Booking.start_at < end,
                Booking.end_at > start,
            )
            .add_columns(ExchangeSession, Patient, TreatmentPlace, Machine, User)
            .join(ExchangeSession, ExchangeSession.id == Booking.exchange_session_id)
            .join(Patient, Patient.id == ExchangeSession.patient_id)
            .join(TreatmentPlace, TreatmentPlace.id == Booking.place_id)
            .join(Machine, Machine.id == Booking.machine_id)
            .join(User, User.id == Booking.nurse_user_id)
            .where(Patient.deleted_at.is_(None), ExchangeSession.deleted_at.is_(None))
            .order_by(Booking.start_at, TreatmentPlace.id)
        )
        out = [
            CalendarEntryOut(
                booking_id=b.id,
                exchange_session_id=s.id,
                course_id=s.course_id,
                sequence=s.sequence,
                session_status=s.status,
                status=b.status,
                start_at=b.start_at,
                end_at=b.end_at,
                patient_id=p.id,
                patient_name=_patient_name(p),
                mrn=p.mrn,
                place_id=place.id,
                place_name=place.name,
                machine_id=machine.id,
                machine_name=machine.name,
                nurse_user_id=nurse.id,
                nurse_name=nurse.display_name or nurse.username,
                urgent=b.urgent,
                explanation=b.explanation,
            )
            for b, s, p, place, machine, nurse in session.execute(query)
        ]
        audit.record(
            session,
            ctx,
            "read",
            entity="calendar",
            detail={"returned": len(out), "patients": len({e.patient_id for e in out})},
        )
        return out


def _patient_name(patient: Patient) -> str:
    return f"{patient.family_name}, {patient.given_name}".strip(", ")


# --- the week: CP-SAT ---------------------------------------------------------------------


def _week(
    session: Session, ctx: ServiceContext, week_start: dt.date, course_ids: Sequence[int]
) -> tuple[Centre, core.Unit, list[rebooking.WeekRequest], dict[int, ExchangeSession]]:
    """The week's movable exchanges as solver requests and the unit without their bookings."""
    centre = session.get_one(Centre, ctx.centre_id)
    zone = ZoneInfo(centre.time_zone)
    policy = load_policy(centre)
    week_end = week_start + dt.timedelta(days=6)
    lo = _aware(dt.datetime.combine(week_start, dt.time()), zone)
    hi = _aware(dt.datetime.combine(week_end + dt.timedelta(days=1), dt.time()), zone)
    query = scoped(ctx, ExchangeSession).where(
        ExchangeSession.status == "planned",
        ExchangeSession.deleted_at.is_(None),
        ExchangeSession.planned_start >= lo,
        ExchangeSession.planned_start < hi,
    )
    if course_ids:
        query = query.where(ExchangeSession.course_id.in_(course_ids))
    rows = list(
        session.execute(
            query.order_by(ExchangeSession.course_id, ExchangeSession.planned_start)
        ).scalars()
    )
    today = _local(ctx.now, zone).date()
    floor = max(week_start, today + dt.timedelta(days=1))
    requests: list[rebooking.WeekRequest] = []
    courses: dict[int, Course] = {}
    for r in rows:
        course = courses.setdefault(r.course_id, session.get_one(Course, r.course_id))
        interval, _ = _course_rules(course, policy)
        before, after = _neighbours_outside(session, r, rows, zone)
        earliest_day = max(floor, before + dt.timedelta(days=interval)) if before else floor
        latest = min(week_end, after - dt.timedelta(days=interval)) if after else week_end
        requests.append(
            rebooking.WeekRequest(
                core.Exchange(r.id, _minutes(r), _central_line(session, r.patient_id)),
                course=r.course_id,
                earliest=dt.datetime.combine(earliest_day, dt.time()),
                latest_day=latest,
                interval_days=interval,
                current=_local(r.planned_start, zone),
            )
        )
    unit = _unit(session, centre, week_start, week_end, exclude=[r.id for r in rows])
    return centre, unit, requests, {r.id: r for r in rows}


def _neighbours_outside(
    session: Session, row: ExchangeSession, moving: Sequence[ExchangeSession], zone: ZoneInfo
) -> tuple[dt.date | None, dt.date | None]:
    """The course's nearest fixed exchanges (done, or planned outside the moving set)."""
    moving_ids = {r.id for r in moving}
    others = session.execute(
        select(
            ExchangeSession.id, ExchangeSession.planned_start, ExchangeSession.actual_start
        ).where(
            ExchangeSession.course_id == row.course_id,
            ExchangeSession.status.in_(("planned", "done")),
            ExchangeSession.deleted_at.is_(None),
        )
    ).all()
    mine = _local(row.planned_start, zone)
    days = sorted(
        _local(actual or planned, zone).date()
        for i, planned, actual in others
        if i not in moving_ids
    )
    before = [d for d in days if d < mine.date()]
    after = [d for d in days if d > mine.date()]
    return (before[-1] if before else None), (after[0] if after else None)


@use_case(Permission.BOOKING_MANAGE)
def reoptimise_week(ctx: ServiceContext, data: ReoptimiseIn) -> ReoptimiseOut:
    """Rebook the week's planned exchanges with the CP-SAT model (e.g. after held sessions);
    ``apply`` stores the proposal, else it is only shown."""
    with ctx.db.write() as session:
        centre, unit, requests, rows = _week(session, ctx, data.week_start, data.course_ids)
        lock_centre(session, centre.id)
        zone = ZoneInfo(centre.time_zone)
        policy = load_policy(centre)
        if not unit.resourced:
            raise Conflict(NOT_RESOURCED, field="week_start")
        hours = _hours(policy, data.week_start, data.week_start + dt.timedelta(days=6))
        plan = rebooking.reoptimise(
            requests, unit, hours, policy.resources, time_limit_s=data.time_limit_s
        )
        if data.apply and plan.slots:
            _store(session, ctx, rows, plan.slots, zone)
        out = ReoptimiseOut(
            status=plan.status,
            moved=[_entry(session, rows[s.key], s, zone) for s in plan.slots],
            unplaced=dict(plan.unplaced),
            delay_minutes=plan.delay_minutes,
            explanations=list(plan.explanations),
            applied=bool(data.apply and plan.slots),
            solve_seconds=plan.solve_seconds,
        )
        audit.record(
            session,
            ctx,
            "update" if out.applied else "read",
            entity="booking_week",
            detail={"week_start": data.week_start.isoformat(), "moved": len(plan.slots)},
        )
        return out


def _entry(
    session: Session, row: ExchangeSession, slot: core.Slot, zone: ZoneInfo
) -> CalendarEntryOut:
    patient = session.get_one(Patient, row.patient_id)
    place = session.get_one(TreatmentPlace, slot.place_id)
    machine = session.get_one(Machine, slot.machine_id)
    nurse = session.get_one(User, slot.nurse_id)
    return CalendarEntryOut(
        booking_id=0,
        exchange_session_id=row.id,
        course_id=row.course_id,
        sequence=row.sequence,
        session_status=row.status,
        status="proposed",
        start_at=_aware(slot.start, zone),
        end_at=_aware(slot.end, zone),
        patient_id=patient.id,
        patient_name=_patient_name(patient),
        mrn=patient.mrn,
        place_id=place.id,
        place_name=place.name,
        machine_id=machine.id,
        machine_name=machine.name,
        nurse_user_id=nurse.id,
        nurse_name=nurse.display_name or nurse.username,
        urgent=False,
        explanation=slot.explanation,
    )


@use_case(Permission.BOOKING_MANAGE)
def what_if(ctx: ServiceContext, data: WhatIfIn) -> WhatIfOut:
    """ "What if we add a machine / nurse / place": the week's planned exchanges solved afresh
    with today's resources and with the added ones (nothing is stored)."""
    with ctx.db.write() as session:
        centre, unit, requests, _ = _week(session, ctx, data.week_start, ())
        policy = load_policy(centre)
        hours = _hours(policy, data.week_start, data.week_start + dt.timedelta(days=6))
        answer = rebooking.what_if(
            requests,
            unit,
            hours,
            policy.resources,
            add_machines=data.add_machines,
            add_nurses=data.add_nurses,
            add_places=data.add_places,
            time_limit_s=data.time_limit_s,
        )
        audit.record(
            session,
            ctx,
            "read",
            entity="booking_what_if",
            detail={"week_start": data.week_start.isoformat(), **data.model_dump(mode="json")},
        )
        return WhatIfOut(
            before_placed=len(answer.before.slots),
            before_delay_minutes=answer.before.delay_minutes,
            after_placed=len(answer.after.slots),
            after_delay_minutes=answer.after.delay_minutes,
            requested=len(requests),
            summary=answer.summary,
        )
