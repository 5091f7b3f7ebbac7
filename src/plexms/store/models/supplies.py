"""Lots and serials of each session (the recall index) and the unit's stock counts (issue 17,
items 4 and 5)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plexms.core import vocabulary
from plexms.store.base import Base, ClinicalMixin, enum_check

__all__ = ["LOT_KINDS", "SUPPLY_ITEMS", "SessionLot", "SupplyStock"]

LOT_KINDS = vocabulary.LOT_KINDS.values
SUPPLY_ITEMS = vocabulary.SUPPLY_ITEMS.values


class SessionLot(Base):
    """One lot or serial of a session's current sheet (as signed, corrected by its addenda).

    Derived from the sheet's ``lots`` on every save and addendum, so that a recall is one
    indexed query; the sheet and its addenda remain the record."""

    __tablename__ = "session_lot"
    __table_args__ = (
        enum_check("kind", LOT_KINDS),
        Index("ix_session_lot_centre_lot", "centre_id", "lot"),
        Index("ix_session_lot_centre_serial", "centre_id", "serial"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    lot: Mapped[str] = mapped_column(String(64), default="")
    serial: Mapped[str] = mapped_column(String(64), default="")
    gtin: Mapped[str] = mapped_column(String(14), default="")
    expiry: Mapped[dt.date | None] = mapped_column(Date)


class SupplyStock(ClinicalMixin, Base):
    """A stock count the unit entered: ``quantity`` units of ``item`` at ``counted_at``."""

    __tablename__ = "supply_stock"
    __table_args__ = (enum_check("item", SUPPLY_ITEMS),)

    item: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[dt.datetime]
    counted_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
