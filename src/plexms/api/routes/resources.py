"""The unit's resources, shifts, calendar and bookings (issue 17 items 1 and 2).

Places, machines, maintenance and nurses: ``/api/resources`` (read: anyone signed in; change:
administrators). Shifts: ``/api/shifts``. The week's bookings with patient, place, machine and
nurse: ``/api/calendar?start=&end=``. Booking and rebooking answer 409 problem+json with the
nearest ``alternatives`` when a request does not fit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from plexms.api.deps import IfMatch, PathId, expected_version, requires
from plexms.core.errors import InputError
from plexms.services.admin import resources
from plexms.services.clinical import booking, utilisation
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.resources import (
    BookingIn,
    BookingOut,
    CalendarEntryOut,
    CourseBookingOut,
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
    RebookIn,
    ReoptimiseIn,
    ReoptimiseOut,
    ResourcesOut,
    ShiftIn,
    ShiftOut,
    WhatIfIn,
    WhatIfOut,
)
from plexms.services.schemas.utilisation import UtilisationOut

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["resources"])
Signed = Annotated[ServiceContext, requires(Permission.AUTHENTICATED)]
Manage = Annotated[ServiceContext, requires(Permission.RESOURCES_MANAGE)]
Book = Annotated[ServiceContext, requires(Permission.BOOKING_MANAGE)]
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Start = Annotated[dt.datetime, Query(description="from (with a UTC offset)")]
End = Annotated[dt.datetime, Query(description="to (with a UTC offset)")]


def _version(if_match: str | None) -> int | None:
    """The version of an If-Match header when one is sent (optional on resources)."""
    if if_match is None or not if_match.strip():
        return None
    return expected_version(if_match)


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise InputError(field, "must include a time zone offset (e.g. 2026-11-30T00:00:00Z)")
    if not 2000 <= value.year <= 2099:
        raise InputError(field, "is outside the bookable years", allowed="2000-2099")
    return value.astimezone(dt.UTC)


@router.get("/resources", response_model=ResourcesOut)
def list_resources(ctx: Signed) -> ResourcesOut:
    """The centre's places, machines (with maintenance blocks) and nurses."""
    return resources.list_resources(ctx)


@router.post("/resources/places", response_model=PlaceOut, status_code=201)
def create_place(ctx: Manage, body: PlaceIn) -> PlaceOut:
    return resources.create_place(ctx, body)


@router.patch("/resources/places/{place_id}", response_model=PlaceOut)
def update_place(
    ctx: Manage, place_id: PathId, body: PlaceUpdate, if_match: IfMatch = None
) -> PlaceOut:
    return resources.update_place(ctx, place_id, body, _version(if_match))


@router.delete("/resources/places/{place_id}", status_code=204)
def delete_place(ctx: Manage, place_id: PathId) -> Response:
    resources.delete_place(ctx, place_id)
    return Response(status_code=204)


@router.post("/resources/machines", response_model=MachineOut, status_code=201)
def create_machine(ctx: Manage, body: MachineIn) -> MachineOut:
    return resources.create_machine(ctx, body)


@router.patch("/resources/machines/{machine_id}", response_model=MachineOut)
def update_machine(
    ctx: Manage, machine_id: PathId, body: MachineUpdate, if_match: IfMatch = None
) -> MachineOut:
    return resources.update_machine(ctx, machine_id, body, _version(if_match))


@router.delete("/resources/machines/{machine_id}", status_code=204)
def delete_machine(ctx: Manage, machine_id: PathId) -> Response:
    resources.delete_machine(ctx, machine_id)
    return Response(status_code=204)


@router.post(
    "/resources/machines/{machine_id}/maintenance", response_model=MaintenanceOut, status_code=201
)
def add_maintenance(ctx: Manage, machine_id: PathId, body: MaintenanceIn) -> MaintenanceOut:
    """Block a machine (service, repair); existing bookings are not moved."""
    return resources.add_maintenance(ctx, machine_id, body)


@router.delete("/resources/maintenance/{block_id}", status_code=204)
def delete_maintenance(ctx: Manage, block_id: PathId) -> Response:
    resources.delete_maintenance(ctx, block_id)
    return Response(status_code=204)


@router.put("/resources/nurses/{user_id}", response_model=NurseOut)
def set_nurse(ctx: Manage, user_id: PathId, body: NurseIn) -> NurseOut:
    """Make a user of the centre a nurse of the unit (apheresis competence, active)."""
    return resources.set_nurse(ctx, user_id, body)


@router.get("/shifts", response_model=list[ShiftOut])
def list_shifts(ctx: Signed, start: Start, end: End) -> list[ShiftOut]:
    """Nurses' shifts overlapping ``start``-``end`` (at most 92 days)."""
    return resources.list_shifts(ctx, _aware(start, "start"), _aware(end, "end"))


@router.post("/shifts", response_model=ShiftOut, status_code=201)
def create_shift(ctx: Manage, body: ShiftIn) -> ShiftOut:
    return resources.create_shift(ctx, body)


@router.delete("/shifts/{shift_id}", status_code=204)
def delete_shift(ctx: Manage, shift_id: PathId) -> Response:
    resources.delete_shift(ctx, shift_id)
    return Response(status_code=204)


@router.get("/calendar", response_model=list[CalendarEntryOut])
def calendar(ctx: Read, start: Start, end: End) -> list[CalendarEntryOut]:
    """Bookings overlapping ``start``-``end`` (at most 62 days) with the patient's name and
    MRN, the place, machine and nurse, and the rule that decided each."""
    return booking.calendar(ctx, _aware(start, "start"), _aware(end, "end"))


@router.get("/utilisation", response_model=UtilisationOut)
def unit_utilisation(
    ctx: Read,
    start: Annotated[dt.date, Query(description="first day (the centre's local date)")],
    end: Annotated[dt.date, Query(description="last day, inclusive (at most a year)")],
) -> UtilisationOut:
    """Place, machine and nurse utilisation per day and week, run-time per session against
    the plan, and turnover between patients."""
    return utilisation.unit_utilisation(ctx, start, end)


@router.post("/courses/{course_id}/bookings", response_model=CourseBookingOut)
def book_course(ctx: Book, course_id: PathId) -> CourseBookingOut:
    """Book the course's unbooked planned exchanges; 409 with ``alternatives`` if they do not
    fit."""
    return booking.book_course(ctx, course_id)


@router.put("/sessions/{session_id}/booking", response_model=BookingOut)
def book_session(ctx: Book, session_id: PathId, body: BookingIn) -> BookingOut:
    """Book or move one planned exchange to ``start_at`` (a free slot of the grid); 409 with
    the nearest ``alternatives`` when it does not fit or breaks the course's interval."""
    return booking.book_session(ctx, session_id, body)


@router.post("/sessions/{session_id}/rebook", response_model=CourseBookingOut)
def rebook_session(ctx: Book, session_id: PathId, body: RebookIn) -> CourseBookingOut:
    """A held or cancelled exchange: book a replacement and move the rest of the course,
    keeping its minimum interval; 409 with ``alternatives`` when it does not fit."""
    return booking.rebook_session(ctx, session_id, body)


@router.post("/bookings/reoptimise", response_model=ReoptimiseOut)
def reoptimise(ctx: Book, body: ReoptimiseIn) -> ReoptimiseOut:
    """Rebook a week's planned exchanges with the solver (``apply`` to store it)."""
    return booking.reoptimise_week(ctx, body)


@router.post("/bookings/what-if", response_model=WhatIfOut)
def what_if(ctx: Book, body: WhatIfIn) -> WhatIfOut:
    """What if the unit had more machines, nurses or places that week."""
    return booking.what_if(ctx, body)
