"""The unit's resources (issue 17 item 1): treatment places, machines and their maintenance
blocks, nurses (a user of the centre with an apheresis competence) and their shifts.

Changing resources is an administrator's job (``RESOURCES_MANAGE``); anyone signed in may
read them (the calendar shows them). Deleting a place or machine is a soft delete; its
bookings stay as history. Every change writes an audit row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._records import apply, changes, check_version, load, new, scoped, soft_delete
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.services.schemas.resources import (
    MachineIn,
    MachineOut,
    MachineUpdate,
    MaintenanceIn,
    MaintenanceOut,
    NurseIn,
    NurseOut,
    PlaceIn,
    PlaceOut,
    PlaceUpdate,
    ResourcesOut,
    ShiftIn,
    ShiftOut,
)
from plexms.store.models import (
    Machine,
    MaintenanceBlock,
    NurseProfile,
    NurseShift,
    TreatmentPlace,
    User,
)

__all__ = [
    "add_maintenance",
    "create_machine",
    "create_place",
    "create_shift",
    "delete_machine",
    "delete_maintenance",
    "delete_place",
    "delete_shift",
    "list_resources",
    "list_shifts",
    "set_nurse",
    "update_machine",
    "update_place",
]

_MAX_SPAN = dt.timedelta(days=31)


def _check_span(
    start: dt.datetime, end: dt.datetime, longest: dt.timedelta, field: str = "end_at"
) -> None:
    if not 2000 <= start.year <= 2099:
        raise InputError(
            field.replace("end", "start"), "is outside the bookable years", allowed="2000-2099"
        )
    if end <= start:
        raise InputError(field, "must be after the start")
    if end - start > longest:
        raise InputError(field, "the span is too long", allowed=f"<= {longest}")


def _audit(
    session: Session, ctx: ServiceContext, action: str, entity: str, row_id: int, **detail: Any
) -> None:
    audit.record(session, ctx, action, entity=entity, entity_id=row_id, detail=detail or None)


def _machine_out(session: Session, machine: Machine) -> MachineOut:
    blocks = session.execute(
        select(MaintenanceBlock)
        .where(MaintenanceBlock.machine_id == machine.id, MaintenanceBlock.deleted_at.is_(None))
        .order_by(MaintenanceBlock.start_at)
    ).scalars()
    out = MachineOut.model_validate(machine)
    out.maintenance = [MaintenanceOut.model_validate(b) for b in blocks]
    return out


def _nurse_out(session: Session, profile: NurseProfile) -> NurseOut:
    user = session.get_one(User, profile.user_id)
    out = NurseOut.model_validate(profile)
    out.username, out.display_name = user.username, user.display_name
    return out


@use_case(Permission.AUTHENTICATED)
def list_resources(ctx: ServiceContext) -> ResourcesOut:
    """The centre's live places, machines (with their maintenance blocks) and nurses."""
    with ctx.db.read() as session:

        def live(model: Any) -> list[Any]:
            query = scoped(ctx, model).where(model.deleted_at.is_(None)).order_by(model.id)
            return list(session.execute(query).scalars())

        return ResourcesOut(
            places=[PlaceOut.model_validate(p) for p in live(TreatmentPlace)],
            machines=[_machine_out(session, m) for m in live(Machine)],
            nurses=[_nurse_out(session, n) for n in live(NurseProfile)],
        )


@use_case(Permission.RESOURCES_MANAGE)
def create_place(ctx: ServiceContext, data: PlaceIn) -> PlaceOut:
    with ctx.db.write() as session:
        place = new(ctx, TreatmentPlace, **data.model_dump())
        session.add(place)
        session.flush()
        _audit(session, ctx, "create", "treatment_place", place.id)
        return PlaceOut.model_validate(place)


@use_case(Permission.RESOURCES_MANAGE)
def update_place(
    ctx: ServiceContext, place_id: int, data: PlaceUpdate, expected_version: int | None = None
) -> PlaceOut:
    with ctx.db.write() as session:
        place = load(session, ctx, TreatmentPlace, place_id, for_update=True)
        check_version(place, expected_version)
        changed = apply(ctx, place, changes(data))
        session.flush()
        _audit(session, ctx, "update", "treatment_place", place.id, fields=changed)
        return PlaceOut.model_validate(place)


@use_case(Permission.RESOURCES_MANAGE)
def delete_place(ctx: ServiceContext, place_id: int) -> None:
    with ctx.db.write() as session:
        place = load(session, ctx, TreatmentPlace, place_id, for_update=True)
        soft_delete(ctx, place)
        place.active = False
        session.flush()
        _audit(session, ctx, "delete", "treatment_place", place.id)


@use_case(Permission.RESOURCES_MANAGE)
def create_machine(ctx: ServiceContext, data: MachineIn) -> MachineOut:
    with ctx.db.write() as session:
        values = data.model_dump()
        model = values.pop("model")  # ``new`` takes the model class as ``model``
        machine = new(ctx, Machine, **values)
        machine.model = model
        session.add(machine)
        session.flush()
        _audit(session, ctx, "create", "machine", machine.id)
        return _machine_out(session, machine)


@use_case(Permission.RESOURCES_MANAGE)
def update_machine(
    ctx: ServiceContext, machine_id: int, data: MachineUpdate, expected_version: int | None = None
) -> MachineOut:
    with ctx.db.write() as session:
        machine = load(session, ctx, Machine, machine_id, for_update=True)
        check_version(machine, expected_version)
        changed = apply(ctx, machine, changes(data))
        session.flush()
        _audit(session, ctx, "update", "machine", machine.id, fields=changed)
        return _machine_out(session, machine)


@use_case(Permission.RESOURCES_MANAGE)
def delete_machine(ctx: ServiceContext, machine_id: int) -> None:
    with ctx.db.write() as session:
        machine = load(session, ctx, Machine, machine_id, for_update=True)
        soft_delete(ctx, machine)
        machine.active = False
        session.flush()
        _audit(session, ctx, "delete", "machine", machine.id)


@use_case(Permission.RESOURCES_MANAGE)
def add_maintenance(ctx: ServiceContext, machine_id: int, data: MaintenanceIn) -> MaintenanceOut:
    """Block a machine from ``start_at`` to ``end_at`` (at most 31 days; add several for longer).
    Bookings already on it are not moved: the calendar and a rebooking show the clash."""
    _check_span(data.start_at, data.end_at, _MAX_SPAN)
    with ctx.db.write() as session:
        machine = load(session, ctx, Machine, machine_id)
        block = new(ctx, MaintenanceBlock, machine_id=machine.id, **data.model_dump())
        session.add(block)
        session.flush()
        _audit(session, ctx, "create", "maintenance_block", block.id, machine_id=machine.id)
        return MaintenanceOut.model_validate(block)


@use_case(Permission.RESOURCES_MANAGE)
def delete_maintenance(ctx: ServiceContext, block_id: int) -> None:
    with ctx.db.write() as session:
        block = load(session, ctx, MaintenanceBlock, block_id, for_update=True)
        soft_delete(ctx, block)
        session.flush()
        _audit(session, ctx, "delete", "maintenance_block", block.id)


def _centre_user(session: Session, ctx: ServiceContext, user_id: int, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or (ctx.centre_id is not None and user.centre_id != ctx.centre_id):
        raise NotFound(f"no user {user_id}", field=field)
    return user


@use_case(Permission.RESOURCES_MANAGE)
def set_nurse(ctx: ServiceContext, user_id: int, data: NurseIn) -> NurseOut:
    """Make user ``user_id`` of the centre a nurse of the unit, or change their profile."""
    with ctx.db.write() as session:
        _centre_user(session, ctx, user_id, "user_id")
        profile = session.execute(
            select(NurseProfile).where(NurseProfile.user_id == user_id)
        ).scalar_one_or_none()
        if profile is None:
            profile = new(ctx, NurseProfile, user_id=user_id, **data.model_dump())
            session.add(profile)
            action = "create"
        else:
            apply(ctx, profile, data.model_dump())
            profile.deleted_at = profile.deleted_by = None
            action = "update"
        session.flush()
        _audit(session, ctx, action, "nurse_profile", profile.id, user_id=user_id)
        return _nurse_out(session, profile)


@use_case(Permission.AUTHENTICATED)
def list_shifts(ctx: ServiceContext, start: dt.datetime, end: dt.datetime) -> list[ShiftOut]:
    """Shifts that overlap ``start``-``end`` (at most 92 days), by start time."""
    _check_span(start, end, dt.timedelta(days=92), "end")
    with ctx.db.read() as session:
        rows = session.execute(
            scoped(ctx, NurseShift)
            .where(
                NurseShift.deleted_at.is_(None),
                NurseShift.start_at < end,
                NurseShift.end_at > start,
            )
            .order_by(NurseShift.start_at, NurseShift.id)
        ).scalars()
        return [ShiftOut.model_validate(r) for r in rows]


@use_case(Permission.RESOURCES_MANAGE)
def create_shift(ctx: ServiceContext, data: ShiftIn) -> ShiftOut:
    """A shift of a nurse of the unit (at most 24 hours)."""
    _check_span(data.start_at, data.end_at, dt.timedelta(hours=24))
    with ctx.db.write() as session:
        _centre_user(session, ctx, data.nurse_user_id, "nurse_user_id")
        profile = session.execute(
            select(NurseProfile.id).where(
                NurseProfile.user_id == data.nurse_user_id, NurseProfile.deleted_at.is_(None)
            )
        ).first()
        if profile is None:
            raise InputError("nurse_user_id", "is not a nurse of the unit (set_nurse first)")
        shift = new(ctx, NurseShift, **data.model_dump())
        session.add(shift)
        session.flush()
        _audit(session, ctx, "create", "nurse_shift", shift.id)
        return ShiftOut.model_validate(shift)


@use_case(Permission.RESOURCES_MANAGE)
def delete_shift(ctx: ServiceContext, shift_id: int) -> None:
    with ctx.db.write() as session:
        shift = load(session, ctx, NurseShift, shift_id, for_update=True)
        soft_delete(ctx, shift)
        session.flush()
        _audit(session, ctx, "delete", "nurse_shift", shift.id)
