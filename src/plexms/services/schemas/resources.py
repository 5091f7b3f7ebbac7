"""Request and response bodies of the unit's resources, shifts, bookings and the calendar
(issue 17 items 1 and 2). Times are aware datetimes (UTC on the way out)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from plexms.core.vocabulary import PLACE_KINDS
from plexms.services.schemas.common import Id, In, Name, OneOf, Out, ShortText, Stamped, aware

__all__ = [
    "AlternativeOut",
    "BookingIn",
    "BookingOut",
    "CalendarEntryOut",
    "CourseBookingOut",
    "FreeSlotOut",
    "FreeSlotsOut",
    "MachineIn",
    "MachineOut",
    "MachineUpdate",
    "MaintenanceIn",
    "MaintenanceOut",
    "NurseIn",
    "NurseOut",
    "PlaceIn",
    "PlaceOut",
    "PlaceUpdate",
    "RebookIn",
    "ReoptimiseIn",
    "ReoptimiseOut",
    "ResourcesOut",
    "ShiftIn",
    "ShiftOut",
    "WhatIfIn",
    "WhatIfOut",
]

PlaceKind = Annotated[str, OneOf(PLACE_KINDS)]
# bookings are for this century: far dates would overflow the calendar arithmetic
WeekStart = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2099, 12, 1))]
Serial = Annotated[ShortText, StringConstraints(max_length=100)]


class PlaceIn(In):
    name: Name
    kind: PlaceKind = "chair"
    central_line_ok: bool = False
    active: bool = True


class PlaceUpdate(In):
    name: Name | None = None
    kind: PlaceKind | None = None
    central_line_ok: bool | None = None
    active: bool | None = None


class PlaceOut(Stamped):
    name: str
    kind: str
    central_line_ok: bool
    active: bool


class MachineIn(In):
    name: Name
    model: Serial = ""
    serial: Serial = ""
    active: bool = True


class MachineUpdate(In):
    name: Name | None = None
    model: Serial | None = None
    serial: Serial | None = None
    active: bool | None = None


class MaintenanceIn(In):
    start_at: aware
    end_at: aware
    reason: ShortText = ""


class MaintenanceOut(Stamped):
    machine_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    reason: str


class MachineOut(Stamped):
    name: str
    model: str
    serial: str
    active: bool
    maintenance: list[MaintenanceOut] = Field(default_factory=list)


class NurseIn(In):
    """Make a user of the centre a nurse of the unit (or change their competence)."""

    apheresis_competent: bool = True
    active: bool = True


class NurseOut(Stamped):
    user_id: int
    username: str = ""
    display_name: str = ""
    apheresis_competent: bool
    active: bool


class ShiftIn(In):
    nurse_user_id: Id
    start_at: aware
    end_at: aware


class ShiftOut(Stamped):
    nurse_user_id: int
    start_at: dt.datetime
    end_at: dt.datetime


class ResourcesOut(Out):
    """The centre's places, machines (with maintenance blocks) and nurses."""

    places: list[PlaceOut]
    machines: list[MachineOut]
    nurses: list[NurseOut]


class BookingOut(Stamped):
    exchange_session_id: int
    place_id: int
    machine_id: int
    nurse_user_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    status: str
    urgent: bool
    explanation: str


class AlternativeOut(Out):
    """A nearest feasible option when a request does not fit: ``kind`` is ``other_time``,
    ``later_day``, ``later_start``, ``interval`` or ``longer_course``; ``start_at`` the first
    exchange's start under it; ``change`` the request field and value that makes it fit."""

    kind: str
    description: str
    start_at: dt.datetime
    change: dict[str, str | int] = Field(default_factory=dict)


class CourseBookingOut(Out):
    """The bookings of a course's exchanges, or why there are none (``unbooked_reason``: the
    centre has no places, machines or nurses defined, so today's unbooked planning applies)."""

    course_id: int
    bookings: list[BookingOut]
    notes: list[str]
    unbooked_reason: str = ""


class FreeSlotOut(Out):
    """A start on the day where the exchange fits, with the resources it would get."""

    start_at: dt.datetime
    end_at: dt.datetime
    place_id: int
    place_name: str
    machine_id: int
    machine_name: str
    nurse_user_id: int
    nurse_name: str


class FreeSlotsOut(Out):
    """The free slots for one planned exchange on ``day`` (local date); ``note`` says why
    there are none (the course's minimum interval, a closed day, no resources)."""

    session_id: int
    day: dt.date
    slots: list[FreeSlotOut]
    note: str = ""
    earliest: dt.date | None = None
    latest: dt.date | None = None


class BookingIn(In):
    """Book (or move) one planned exchange session at ``start_at``; place, machine and nurse
    are chosen when not given. ``urgent`` may use the urgent-slot reserve."""

    start_at: aware
    place_id: Id | None = None
    machine_id: Id | None = None
    nurse_user_id: Id | None = None
    urgent: bool = False


class RebookIn(In):
    """Rebook a held or cancelled session (a replacement exchange plus the rest of the course,
    keeping the minimum interval), from ``not_before`` (default: the day after the held one)."""

    not_before: aware | None = None
    urgent: bool = False


class ReoptimiseIn(In):
    """Rebook the planned exchanges of the week starting ``week_start`` (local date) with the
    solver; ``course_ids``: only these courses' exchanges move (default: all of the week)."""

    week_start: WeekStart
    course_ids: list[Id] = Field(default_factory=list, max_length=200)
    apply: bool = False
    time_limit_s: float = Field(default=5.0, gt=0, le=30)


class CalendarEntryOut(Out):
    """One booking on the unit's calendar, with who and what."""

    booking_id: int
    exchange_session_id: int
    course_id: int
    sequence: int
    session_status: str
    status: str
    start_at: dt.datetime
    end_at: dt.datetime
    patient_id: int
    patient_name: str
    mrn: str
    place_id: int
    place_name: str
    machine_id: int
    machine_name: str
    nurse_user_id: int
    nurse_name: str
    urgent: bool
    explanation: str


class ReoptimiseOut(Out):
    """The solver's week: proposed bookings (session id -> start, place, machine, nurse), the
    sessions it could not place and why, total delay in minutes against each exchange's
    earliest time, the solver status, and whether it was applied."""

    status: str
    moved: list[CalendarEntryOut]
    unplaced: dict[int, str]
    delay_minutes: int
    explanations: list[str]
    applied: bool
    solve_seconds: float


class WhatIfIn(In):
    """ "What if we add a machine / a nurse" for the week starting ``week_start``."""

    week_start: WeekStart
    add_machines: int = Field(default=0, ge=0, le=10)
    add_nurses: int = Field(default=0, ge=0, le=10)
    add_places: int = Field(default=0, ge=0, le=10)
    time_limit_s: float = Field(default=5.0, gt=0, le=30)


class WhatIfOut(Out):
    """The week as booked now against the week with the added resources: how many exchanges
    fit and the total delay, with a one-line answer."""

    before_placed: int
    before_delay_minutes: int
    after_placed: int
    after_delay_minutes: int
    requested: int
    summary: str
