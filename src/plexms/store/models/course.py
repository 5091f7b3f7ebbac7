"""Eligibility assessments, TPE courses, exchange sessions, labs and adverse events.

Every computed value is stored with the inputs snapshot it came from and the rule version of
the core function that computed it (``inputs``, ``result``, ``rule_version``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plexms.core import vocabulary
from plexms.store.base import Base, ClinicalMixin, enum_check

__all__ = [
    "AE_SEVERITIES",
    "COURSE_STATUSES",
    "SESSION_STATUSES",
    "AdverseEvent",
    "Assessment",
    "Course",
    "ExchangeSession",
    "LabResult",
    "SessionAddendum",
]

COURSE_STATUSES = vocabulary.COURSE_STATUSES.values
SESSION_STATUSES = ("planned", "done", "held", "cancelled")
AE_SEVERITIES = vocabulary.AE_SEVERITIES.values


def _patient_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)


class Assessment(ClinicalMixin, Base):
    """An eligibility assessment: inputs snapshot, the rule result and its version."""

    __tablename__ = "assessment"

    patient_id: Mapped[int] = _patient_fk()
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="SET NULL"), index=True
    )
    assessed_at: Mapped[dt.datetime]
    assessed_by: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommendation: Mapped[str] = mapped_column(String(32), default="")
    rule_version: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")


class Course(ClinicalMixin, Base):
    """A TPE course: prescription and schedule (computed by the core), status and why it stopped."""

    __tablename__ = "course"
    __table_args__ = (enum_check("status", COURSE_STATUSES),)

    patient_id: Mapped[int] = _patient_fk()
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="SET NULL"), index=True
    )
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL"), index=True
    )
    indication: Mapped[str] = mapped_column(String(32), default="relapse")
    status: Mapped[str] = mapped_column(String(12), default="planned")
    stop_reason: Mapped[str] = mapped_column(Text, default="")
    planned_exchanges: Mapped[int] = mapped_column(Integer)
    plasma_volumes_per_exchange: Mapped[float] = mapped_column(Float)
    replacement_fluid: Mapped[str] = mapped_column(String(32), default="albumin_5")
    start_date: Mapped[dt.date] = mapped_column(Date)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    prescription: Mapped[dict[str, Any]] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    # Two signatures (issue 14): when the centre requires it at planning, the course stays
    # awaiting co-signature until a second physician or pharmacist (not the prescriber) signs.
    cosign_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cosigned_by: Mapped[str | None] = mapped_column(String(64))
    cosigned_at: Mapped[dt.datetime | None]

    @property
    def awaiting_cosign(self) -> bool:
        """Two signatures required and the second not given yet (issue 14)."""
        return bool(self.cosign_required) and self.cosigned_at is None


class ExchangeSession(ClinicalMixin, Base):
    """One plasma exchange: planned and actual times, volumes, fluids, vitals, go/no-go."""

    __tablename__ = "exchange_session"
    __table_args__ = (enum_check("status", SESSION_STATUSES),)

    patient_id: Mapped[int] = _patient_fk()
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    planned_start: Mapped[dt.datetime] = mapped_column(index=True)
    planned_end: Mapped[dt.datetime]
    actual_start: Mapped[dt.datetime | None]
    actual_end: Mapped[dt.datetime | None]
    planned_plasma_volume_ml: Mapped[float | None] = mapped_column(Float)
    plasma_removed_ml: Mapped[float | None] = mapped_column(Float)
    whole_blood_processed_ml: Mapped[float | None] = mapped_column(Float)
    replacement_fluids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    anticoagulant: Mapped[str] = mapped_column(String(32), default="")
    anticoagulant_ml: Mapped[float | None] = mapped_column(Float)
    calcium_gluconate_ml: Mapped[float | None] = mapped_column(Float)
    vascular_access: Mapped[str] = mapped_column(String(32), default="")
    vitals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    precheck_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    precheck_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    precheck_rule_version: Mapped[str | None] = mapped_column(String(64))
    go_decision: Mapped[str | None] = mapped_column(String(24))
    operator: Mapped[str | None] = mapped_column(String(64))
    signed_off_at: Mapped[dt.datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    pre_weight_kg: Mapped[float | None] = mapped_column(Float)
    post_weight_kg: Mapped[float | None] = mapped_column(Float)
    inlet_flow_ml_min: Mapped[float | None] = mapped_column(Float)
    # Lots and serials used (issue 17): [{"kind", "lot", "serial", "gtin", "expiry"}].
    lots: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Post-run line care (issue 17 item 3): lock solution and volume, flush, dressing.
    line_lock_solution: Mapped[str] = mapped_column(String(32), default="", server_default="")
    line_lock_volume_ml: Mapped[float | None] = mapped_column(Float)
    line_flush_ml: Mapped[float | None] = mapped_column(Float)
    line_dressing: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # A signed sheet is never overwritten: corrections are addenda, oldest first.
    addenda: Mapped[list[SessionAddendum]] = relationship(
        lazy="selectin", order_by="SessionAddendum.id", viewonly=True
    )


class SessionAddendum(ClinicalMixin, Base):
    """A correction of a signed session sheet: who, when, why and each field's old and new
    value (``changes``: ``[{"field", "old", "new"}]``). The sheet's own values stay as signed."""

    __tablename__ = "session_addendum"

    patient_id: Mapped[int] = _patient_fk()
    session_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_session.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[list[Any]] = mapped_column(JSON)


class LabResult(ClinicalMixin, Base):
    """A laboratory value with its unit (canonical SI: g/L, mmol/L, 10^9/L, L/L)."""

    __tablename__ = "lab_result"

    patient_id: Mapped[int] = _patient_fk()
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_session.id", ondelete="SET NULL"), index=True
    )
    taken_at: Mapped[dt.datetime]
    analyte: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    timing: Mapped[str] = mapped_column(String(8), default="")


class AdverseEvent(ClinicalMixin, Base):
    """An adverse event: type, WAA severity, CTCAE-style grade, onset, action taken, outcome."""

    __tablename__ = "adverse_event"
    __table_args__ = (enum_check("severity", AE_SEVERITIES),)

    patient_id: Mapped[int] = _patient_fk()
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_session.id", ondelete="SET NULL"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(12))
    ctcae_grade: Mapped[int | None] = mapped_column(Integer)  # CTCAE_V5-style, 1-5
    life_threatening: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    onset_at: Mapped[dt.datetime]
    procedure_interrupted: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
