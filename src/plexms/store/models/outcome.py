"""Outcome visits (EDSS, visual acuity, targeted deficit), hand-back plans and documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plexms.core.record import DOCUMENT_KINDS, TIMEPOINTS
from plexms.store.base import Base, ClinicalMixin, enum_check
from plexms.store.models.measure import OutcomeMeasure

__all__ = ["DOCUMENT_KINDS", "TIMEPOINTS", "Document", "HandBack", "OutcomeAssessment"]


class OutcomeAssessment(ClinicalMixin, Base):
    """An outcome visit: EDSS (FS scores in, step out), acuity per eye, targeted deficit.

    ``inputs`` holds what was entered, ``result`` what the core computed (EDSS, logMAR,
    response by each definition), ``rule_version`` which rules computed it.
    """

    __tablename__ = "outcome_assessment"
    __table_args__ = (enum_check("timepoint", TIMEPOINTS),)

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    timepoint: Mapped[str] = mapped_column(String(16))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    assessed_by: Mapped[str] = mapped_column(String(64))
    edss: Mapped[float | None] = mapped_column(Float)
    va_right_logmar: Mapped[float | None] = mapped_column(Float)
    va_left_logmar: Mapped[float | None] = mapped_column(Float)
    targeted_deficit: Mapped[str | None] = mapped_column(String(12))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    # The measures beyond the EDSS recorded at this visit (live ones), in the order recorded.
    measures: Mapped[list[OutcomeMeasure]] = relationship(
        primaryjoin="and_(OutcomeAssessment.id == OutcomeMeasure.outcome_id, "
        "OutcomeMeasure.deleted_at.is_(None))",
        lazy="selectin",
        order_by="OutcomeMeasure.id",
        viewonly=True,
    )


class HandBack(ClinicalMixin, Base):
    """The plan handing the patient back to the referring neurologist (DMT and its timing)."""

    __tablename__ = "hand_back"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    planned_dmt: Mapped[str] = mapped_column(String(64), default="")
    earliest_dose_date: Mapped[dt.date | None] = mapped_column(Date)
    plan: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rule_version: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[dt.datetime | None]


class Document(ClinicalMixin, Base):
    """A letter, report or handout kept with the record (bytes plus their SHA-256)."""

    __tablename__ = "document"
    __table_args__ = (enum_check("kind", DOCUMENT_KINDS),)

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
