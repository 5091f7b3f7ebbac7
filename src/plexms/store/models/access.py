"""Vascular access lines and their events (issue 17, item 3): the line (kind, type, site,
lumens, inserted and removed dates, lock solution) and what happened to it (dressing changes,
flushes, problems, infections), each on a date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plexms.core import vocabulary
from plexms.store.base import Base, ClinicalMixin, enum_check

__all__ = ["AccessLine", "LineEvent"]


class AccessLine(ClinicalMixin, Base):
    """A peripheral or central line of a patient; in place while ``removed_on`` is empty."""

    __tablename__ = "access_line"
    __table_args__ = (
        enum_check("kind", vocabulary.LINE_KINDS.values),
        enum_check("line_type", vocabulary.LINE_TYPES.values),
    )

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    line_type: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(32))
    lumens: Mapped[int] = mapped_column(Integer, default=1)
    inserted_on: Mapped[dt.date] = mapped_column(Date)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removal_reason: Mapped[str] = mapped_column(String(32), default="")
    lock_solution: Mapped[str] = mapped_column(String(32), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class LineEvent(ClinicalMixin, Base):
    """One dressing change, flush, line problem or infection of a line, on a date."""

    __tablename__ = "line_event"
    __table_args__ = (enum_check("event_type", vocabulary.LINE_EVENTS.values),)

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int] = mapped_column(
        ForeignKey("access_line.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(32))
    event_on: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
