"""The patient, their measurements, referrals, MS episodes (relapses), steroids, MRI and DMTs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexms.core import vocabulary
from plexms.core.record import SEXES
from plexms.store.base import Base, ClinicalMixin, enum_check

__all__ = [
    "PATIENT_STAGES",
    "PRESENTATIONS",
    "REFERRAL_STATUSES",
    "SEXES",
    "DmtHistory",
    "Episode",
    "Measurement",
    "MriStudy",
    "Patient",
    "Referral",
    "SteroidCourse",
]

PATIENT_STAGES = (
    "referred",
    "assessed",
    "course_planned",
    "course_active",
    "course_completed",
    "handed_back",
)
REFERRAL_STATUSES = ("pending", "accepted", "declined", "withdrawn")
PRESENTATIONS = vocabulary.PRESENTATIONS.values


def _patient_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)


class Patient(ClinicalMixin, Base):
    """Demographics and MS history; the MRN is unique within a centre."""

    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("centre_id", "mrn"),
        enum_check("sex", SEXES),
        enum_check("stage", PATIENT_STAGES),
    )

    mrn: Mapped[str] = mapped_column(String(64))
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    ms_phenotype: Mapped[str] = mapped_column(String(16), default="unknown")
    ms_diagnosis_year: Mapped[int | None] = mapped_column(Integer)
    referring_neurologist: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(20), default="referred")


class Measurement(ClinicalMixin, Base):
    """Anthropometrics over time (canonical units: cm, kg, haematocrit as a fraction)."""

    __tablename__ = "measurement"

    patient_id: Mapped[int] = _patient_fk()
    measured_at: Mapped[dt.datetime]
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    hematocrit: Mapped[float | None] = mapped_column(Float)


class Referral(ClinicalMixin, Base):
    """A request for TPE assessment; may arrive before a patient record exists."""

    __tablename__ = "referral"
    __table_args__ = (
        enum_check("status", REFERRAL_STATUSES),
        enum_check("presentation", PRESENTATIONS),
    )

    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    received_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16), default="api")
    referrer_name: Mapped[str] = mapped_column(String(200), default="")
    referrer_organisation: Mapped[str] = mapped_column(String(200), default="")
    referrer_contact: Mapped[str] = mapped_column(String(200), default="")
    patient_given_name: Mapped[str] = mapped_column(String(100), default="")
    patient_family_name: Mapped[str] = mapped_column(String(100), default="")
    patient_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    patient_sex: Mapped[str] = mapped_column(String(8), default="", server_default="")
    patient_contact: Mapped[str] = mapped_column(String(200), default="")
    presentation: Mapped[str] = mapped_column(String(16), default="relapse")
    onset_date: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    triage_note: Mapped[str] = mapped_column(Text, default="")
    triaged_at: Mapped[dt.datetime | None]
    triaged_by: Mapped[str | None] = mapped_column(String(64))
    reply_draft: Mapped[str] = mapped_column(Text, default="", server_default="")


class Episode(ClinicalMixin, Base):
    """A relapse or other acute presentation: onset, EDSS before and at onset, steroid response."""

    __tablename__ = "episode"
    __table_args__ = (enum_check("presentation", PRESENTATIONS),)

    patient_id: Mapped[int] = _patient_fk()
    onset_date: Mapped[dt.date] = mapped_column(Date)
    presentation: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    edss_at_onset: Mapped[float | None] = mapped_column(Float)
    edss_pre_relapse: Mapped[float | None] = mapped_column(Float)  # the baseline before it
    steroid_response: Mapped[str] = mapped_column(String(16), default="unknown")


class SteroidCourse(ClinicalMixin, Base):
    """A corticosteroid course given for an episode, and how the patient responded."""

    __tablename__ = "steroid_course"

    patient_id: Mapped[int] = _patient_fk()
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="SET NULL"), index=True
    )
    drug: Mapped[str] = mapped_column(String(64), default="methylprednisolone")
    route: Mapped[str] = mapped_column(String(8), default="iv")
    dose_mg_per_day: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    response: Mapped[str] = mapped_column(String(16), default="unknown")


class MriStudy(ClinicalMixin, Base):
    """An MRI study and the findings the eligibility rules use (Gd+, ring, mass effect)."""

    __tablename__ = "mri_study"

    patient_id: Mapped[int] = _patient_fk()
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode.id", ondelete="SET NULL"), index=True
    )
    study_date: Mapped[dt.date] = mapped_column(Date)
    gd_enhancing_lesions: Mapped[int | None] = mapped_column(Integer)
    new_t2_lesions: Mapped[int | None] = mapped_column(Integer)
    ring_enhancement: Mapped[bool | None] = mapped_column(Boolean)
    mass_effect: Mapped[bool | None] = mapped_column(Boolean)
    tumefactive: Mapped[bool | None] = mapped_column(Boolean)
    findings: Mapped[str] = mapped_column(Text, default="")


class DmtHistory(ClinicalMixin, Base):
    """A disease-modifying therapy the patient has had or has."""

    __tablename__ = "dmt_history"

    patient_id: Mapped[int] = _patient_fk()
    drug: Mapped[str] = mapped_column(String(64))
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    stopped_on: Mapped[dt.date | None] = mapped_column(Date)
    last_dose_at: Mapped[dt.datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
