"""The unit's resources (issue 17 items 1 and 2): treatment places, machines and their
maintenance blocks, nurses' apheresis competence and shifts, and the bookings of exchange
sessions into a place, a machine and a nurse.

A booking's ``start_at``/``end_at`` are the appointment (the exchange session's planned times); the
place and machine are also held for the centre's set-up minutes before and turnover minutes
after (``ResourcePolicy``). Only ``booked`` rows hold resources; a moved, held or
cancelled session's old row stays, ``released``, as its history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from plexms.core import vocabulary
from plexms.store.base import Base, ClinicalMixin, enum_check

__all__ = [
    "BOOKING_STATUSES",
    "PLACE_KINDS",
    "Booking",
    "Machine",
    "MaintenanceBlock",
    "NurseProfile",
    "NurseShift",
    "TreatmentPlace",
]

PLACE_KINDS = vocabulary.PLACE_KINDS.values
BOOKING_STATUSES = vocabulary.BOOKING_STATUSES.values


class TreatmentPlace(ClinicalMixin, Base):
    """A chair, bed or room; ``central_line_ok``: a central line can be accessed there."""

    __tablename__ = "treatment_place"
    __table_args__ = (enum_check("kind", PLACE_KINDS),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8), default="chair")
    central_line_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Machine(ClinicalMixin, Base):
    """An apheresis machine: its model and serial (the session records the serial)."""

    __tablename__ = "machine"

    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100), default="")
    serial: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class MaintenanceBlock(ClinicalMixin, Base):
    """A time the machine cannot be booked (service, repair)."""

    __tablename__ = "maintenance_block"
    __table_args__ = (CheckConstraint("end_at > start_at", name="span"),)

    machine_id: Mapped[int] = mapped_column(
        ForeignKey("machine.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text, default="")


class NurseProfile(ClinicalMixin, Base):
    """A nurse (a user of the centre) and whether they are competent to run apheresis."""

    __tablename__ = "nurse_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    apheresis_competent: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class NurseShift(ClinicalMixin, Base):
    """A nurse on duty from ``start_at`` to ``end_at``."""

    __tablename__ = "nurse_shift"
    __table_args__ = (CheckConstraint("end_at > start_at", name="span"),)

    nurse_user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[dt.datetime] = mapped_column(index=True)
    end_at: Mapped[dt.datetime]


class Booking(ClinicalMixin, Base):
    """An exchange session booked into a place, a machine and a nurse, with the rule that
    decided it (``explanation``)."""

    __tablename__ = "booking"
    __table_args__ = (
        enum_check("status", BOOKING_STATUSES),
        CheckConstraint("end_at > start_at", name="span"),
        Index("ix_booking_centre_start", "centre_id", "start_at"),
    )

    exchange_session_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_session.id", ondelete="CASCADE"), index=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("treatment_place.id"), index=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machine.id"), index=True)
    nurse_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(12), default="booked")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
