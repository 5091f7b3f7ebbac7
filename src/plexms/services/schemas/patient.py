"""Patient, measurements, referrals, episodes, steroid courses, MRI and DMT history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from plexms.core.vocabulary import PRESENTATIONS
from plexms.services.schemas.common import (
    Id,
    In,
    Name,
    OneOf,
    ShortText,
    SingleLineText,
    Stamped,
    Text,
    aware,
)

__all__ = [
    "DmtIn",
    "DmtOut",
    "EpisodeIn",
    "EpisodeOut",
    "EpisodeUpdate",
    "MeasurementIn",
    "MeasurementOut",
    "MriIn",
    "MriOut",
    "PatientIn",
    "PatientOut",
    "PatientUpdate",
    "ReferralIn",
    "ReferralOut",
    "ReferralTriageIn",
    "SteroidIn",
    "SteroidOut",
]

Sex = Literal["female", "male", "other", "unknown"]
Phenotype = Literal["RRMS", "SPMS", "PPMS", "CIS", "RIS", "unknown"]
Presentation = Annotated[str, OneOf(PRESENTATIONS)]
SteroidResponse = Literal["none", "partial", "full", "not_given", "unknown"]
Stage = Literal[
    "referred", "assessed", "course_planned", "course_active", "course_completed", "handed_back"
]
Mrn = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._/-]{1,64}$")]
Phone = Annotated[SingleLineText, StringConstraints(max_length=40, pattern=r"^[0-9+() .-]*$")]
Email = Annotated[
    SingleLineText, StringConstraints(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Past = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 1, 1))]


class PatientIn(In):
    mrn: Mrn
    family_name: Name
    given_name: Name
    birth_date: Past
    sex: Sex
    phone: Phone = ""
    email: Email = ""
    ms_phenotype: Phenotype = "unknown"
    ms_diagnosis_year: int | None = Field(default=None, ge=1900, le=2200)
    referring_neurologist: ShortText = ""
    notes: Text = ""


class PatientUpdate(In):
    """Fields to change (omitted fields stay as they are)."""

    mrn: Mrn | None = None
    family_name: Name | None = None
    given_name: Name | None = None
    birth_date: Past | None = None
    sex: Sex | None = None
    phone: Phone | None = None
    email: Email | None = None
    ms_phenotype: Phenotype | None = None
    ms_diagnosis_year: int | None = Field(default=None, ge=1900, le=2200)
    referring_neurologist: ShortText | None = None
    notes: Text | None = None


class PatientOut(Stamped):
    mrn: str
    family_name: str
    given_name: str
    birth_date: dt.date
    sex: str
    phone: str
    email: str
    ms_phenotype: str
    ms_diagnosis_year: int | None
    referring_neurologist: str
    notes: str
    stage: str


class MeasurementIn(In):
    measured_at: aware
    height_cm: float | None = Field(default=None, ge=50, le=250)
    weight_kg: float | None = Field(default=None, ge=20, le=350)
    hematocrit: float | None = Field(default=None, ge=0.1, le=0.7, description="fraction, L/L")


class MeasurementOut(Stamped):
    patient_id: int
    measured_at: dt.datetime
    height_cm: float | None
    weight_kg: float | None
    hematocrit: float | None


class ReferralIn(In):
    """A referral: for an existing patient (``patient_id``) or with the patient's details."""

    patient_id: Id | None = None
    referrer_name: ShortText = ""
    referrer_organisation: ShortText = ""
    referrer_contact: ShortText = ""
    patient_given_name: Annotated[SingleLineText, StringConstraints(max_length=100)] = ""
    patient_family_name: Annotated[SingleLineText, StringConstraints(max_length=100)] = ""
    patient_birth_date: Past | None = None
    patient_sex: Sex | Literal[""] = ""
    patient_contact: ShortText = ""
    presentation: Presentation = "relapse"
    onset_date: Past | None = None
    reason: Text = ""


class ReferralTriageIn(In):
    """The coordinator's decision; accepting links (or creates) the patient record."""

    status: Literal["accepted", "declined", "withdrawn"]
    triage_note: Text = ""
    patient_id: Id | None = None
    new_patient: PatientIn | None = None


class ReferralOut(Stamped):
    patient_id: int | None
    received_at: dt.datetime
    source: str
    referrer_name: str
    referrer_organisation: str
    referrer_contact: str
    patient_given_name: str
    patient_family_name: str
    patient_birth_date: dt.date | None
    patient_sex: str = ""
    patient_contact: str
    presentation: str
    onset_date: dt.date | None
    reason: str
    status: str
    triage_note: str
    reply_draft: str = ""
    triaged_at: dt.datetime | None
    triaged_by: str | None


class EpisodeIn(In):
    onset_date: Past
    presentation: Presentation
    description: Text = ""
    edss_at_onset: float | None = Field(default=None, ge=0, le=10)
    edss_pre_relapse: float | None = Field(default=None, ge=0, le=10)
    steroid_response: SteroidResponse = "unknown"


class EpisodeUpdate(In):
    onset_date: Past | None = None
    presentation: Presentation | None = None
    description: Text | None = None
    edss_at_onset: float | None = Field(default=None, ge=0, le=10)
    edss_pre_relapse: float | None = Field(default=None, ge=0, le=10)
    steroid_response: SteroidResponse | None = None


class EpisodeOut(Stamped):
    patient_id: int
    onset_date: dt.date
    presentation: str
    description: str
    edss_at_onset: float | None
    edss_pre_relapse: float | None
    steroid_response: str


class SteroidIn(In):
    episode_id: Id | None = None
    drug: ShortText = "methylprednisolone"
    route: Literal["iv", "oral"] = "iv"
    dose_mg_per_day: float | None = Field(default=None, gt=0, le=5000)
    start_date: Past
    end_date: Past | None = None
    response: SteroidResponse = "unknown"


class SteroidOut(Stamped):
    patient_id: int
    episode_id: int | None
    drug: str
    route: str
    dose_mg_per_day: float | None
    start_date: dt.date
    end_date: dt.date | None
    response: str


class MriIn(In):
    episode_id: Id | None = None
    study_date: Past
    gd_enhancing_lesions: int | None = Field(default=None, ge=0, le=500)
    new_t2_lesions: int | None = Field(default=None, ge=0, le=500)
    ring_enhancement: bool | None = None
    mass_effect: bool | None = None
    tumefactive: bool | None = None
    findings: Text = ""


class MriOut(Stamped):
    patient_id: int
    episode_id: int | None
    study_date: dt.date
    gd_enhancing_lesions: int | None
    new_t2_lesions: int | None
    ring_enhancement: bool | None
    mass_effect: bool | None
    tumefactive: bool | None
    findings: str


class DmtIn(In):
    drug: Name
    started_on: Past | None = None
    stopped_on: Past | None = None
    last_dose_at: aware | None = None
    notes: Text = ""


class DmtOut(Stamped):
    patient_id: int
    drug: str
    started_on: dt.date | None
    stopped_on: dt.date | None
    last_dose_at: dt.datetime | None
    notes: str
