"""Outcome measures beyond the EDSS recorded at an outcome visit: one row per measure and side
(timed walk, peg test per hand, SDMT, low-contrast letters per eye, questionnaire scores).

Only scores are stored, never a licensed questionnaire's items. ``result`` holds the change
from the baseline visit's value and its verdict (``plexms.core.measures``) as computed when
recorded, ``rule_version`` which rules computed it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plexms.core.vocabulary import MEASURE_SIDES, OUTCOME_MEASURES
from plexms.store.base import Base, ClinicalMixin, enum_check

__all__ = ["OutcomeMeasure"]


class OutcomeMeasure(ClinicalMixin, Base):
    """One measure (one side) of an outcome visit, in the measure's unit."""

    __tablename__ = "outcome_measure"
    __table_args__ = (
        enum_check("measure", OUTCOME_MEASURES.values),
        enum_check("side", MEASURE_SIDES.values),
    )

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    outcome_id: Mapped[int] = mapped_column(
        ForeignKey("outcome_assessment.id", ondelete="CASCADE"), index=True
    )
    measure: Mapped[str] = mapped_column(String(24))
    side: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    taken_on: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(64))
