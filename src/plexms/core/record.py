"""A patient's record as plain, immutable values: what the services read from the store and
hand to the FHIR export (:mod:`plexms.interop`) and the reports (:mod:`plexms.reports`), so
neither of those reads the database. One frozen dataclass per kind of row, with the row's
columns (live rows only, so no deletion marks), and :class:`PatientRecord` holding them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plexms.core import vocabulary

__all__ = [
    "AE_SEVERITIES",
    "DOCUMENT_KINDS",
    "PRESENTATIONS",
    "SEXES",
    "TIMEPOINTS",
    "AdverseEvent",
    "Assessment",
    "Centre",
    "Course",
    "DmtHistory",
    "Document",
    "Episode",
    "ExchangeSession",
    "HandBack",
    "LabResult",
    "Measurement",
    "OutcomeAssessment",
    "OutcomeMeasure",
    "Patient",
    "PatientRecord",
    "SteroidCourse",
]

# The values the store accepts for these columns (its CHECK constraints are made from them).
SEXES = ("female", "male", "other", "unknown")
PRESENTATIONS = vocabulary.PRESENTATIONS.values
AE_SEVERITIES = vocabulary.AE_SEVERITIES.values
TIMEPOINTS = (
    "baseline",
    "during_course",
    "end_of_course",
    "1_month",
    "3_months",
    "6_months",
    "other",
)
DOCUMENT_KINDS = ("letter", "report", "handout", "other")


@dataclass(frozen=True, slots=True)
class Centre:
    """A centre (clinic): its address, time zone, units and policy."""

    id: int
    code: str
    name: str
    address_line: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    email: str
    time_zone: str
    holiday_calendar: str
    units: str
    policy: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient's demographics and MS diagnosis."""

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
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class Measurement:
    """Height, weight and haematocrit measured at one time."""

    patient_id: int
    measured_at: dt.datetime
    height_cm: float | None
    weight_kg: float | None
    hematocrit: float | None
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class Episode:
    """A relapse or other presentation (the reason for a course)."""

    patient_id: int
    onset_date: dt.date
    presentation: str
    description: str
    edss_at_onset: float | None
    edss_pre_relapse: float | None
    steroid_response: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class SteroidCourse:
    """A course of corticosteroids for an episode."""

    patient_id: int
    episode_id: int | None
    drug: str
    route: str
    dose_mg_per_day: float | None
    start_date: dt.date
    end_date: dt.date | None
    response: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class DmtHistory:
    """A disease-modifying therapy taken (from, to, last dose)."""

    patient_id: int
    drug: str
    started_on: dt.date | None
    stopped_on: dt.date | None
    last_dose_at: dt.datetime | None
    notes: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class Course:
    """A TPE course: its indication, prescription and status."""

    patient_id: int
    episode_id: int | None
    assessment_id: int | None
    indication: str
    status: str
    stop_reason: str
    planned_exchanges: int
    plasma_volumes_per_exchange: float
    replacement_fluid: str
    start_date: dt.date
    started_on: dt.date | None
    completed_on: dt.date | None
    inputs: dict[str, Any]
    prescription: dict[str, Any]
    rule_version: str
    notes: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class ExchangeSession:
    """One exchange of a course: times, volumes, fluids, pre-check, sign-off."""

    patient_id: int
    course_id: int
    sequence: int
    status: str
    planned_start: dt.datetime
    planned_end: dt.datetime
    actual_start: dt.datetime | None
    actual_end: dt.datetime | None
    planned_plasma_volume_ml: float | None
    plasma_removed_ml: float | None
    whole_blood_processed_ml: float | None
    replacement_fluids: list[Any]
    anticoagulant: str
    anticoagulant_ml: float | None
    calcium_gluconate_ml: float | None
    vascular_access: str
    vitals: list[Any]
    precheck_inputs: dict[str, Any] | None
    precheck_result: dict[str, Any] | None
    precheck_rule_version: str | None
    go_decision: str | None
    operator: str | None
    signed_off_at: dt.datetime | None
    notes: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int
    # lots and serials used: [{"kind", "lot", "serial", "gtin", "expiry"}] (issue 17)
    lots: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LabResult:
    """A lab value in its canonical unit (the session it was taken for, if any)."""

    patient_id: int
    session_id: int | None
    taken_at: dt.datetime
    analyte: str
    value: float
    unit: str
    timing: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """An adverse event during a course or session."""

    patient_id: int
    course_id: int | None
    session_id: int | None
    event_type: str
    severity: str
    onset_at: dt.datetime
    procedure_interrupted: bool
    action: str
    outcome: str
    notes: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class OutcomeAssessment:
    """An outcome visit: EDSS, visual acuity, targeted deficit."""

    patient_id: int
    course_id: int | None
    timepoint: str
    assessed_on: dt.date
    assessed_by: str
    edss: float | None
    va_right_logmar: float | None
    va_left_logmar: float | None
    targeted_deficit: str | None
    inputs: dict[str, Any]
    result: dict[str, Any]
    rule_version: str
    notes: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class OutcomeMeasure:
    """A measure beyond the EDSS at an outcome visit (one side), with its change from
    baseline (``result``, see :mod:`plexms.core.measures`)."""

    patient_id: int
    outcome_id: int
    measure: str
    side: str | None
    value: float
    unit: str
    taken_on: dt.date
    result: dict[str, Any]
    rule_version: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class HandBack:
    """The DMT hand-back plan after a course."""

    patient_id: int
    course_id: int | None
    planned_dmt: str
    earliest_dose_date: dt.date | None
    plan: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    rule_version: str
    sent_at: dt.datetime | None
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class Document:
    """A stored document (its bytes and SHA-256)."""

    patient_id: int
    course_id: int | None
    kind: str
    title: str
    media_type: str
    content: bytes
    sha256: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class Assessment:
    """An eligibility assessment (its inputs, result and recommendation)."""

    patient_id: int
    episode_id: int | None
    assessed_at: dt.datetime
    assessed_by: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    recommendation: str
    rule_version: str
    notes: str
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    centre_id: int


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """Every live row of one patient, each list in a stable order."""

    centre: Centre
    patient: Patient
    measurements: tuple[Measurement, ...]
    episodes: tuple[Episode, ...]
    steroid_courses: tuple[SteroidCourse, ...]
    dmts: tuple[DmtHistory, ...]
    courses: tuple[Course, ...]
    sessions: tuple[ExchangeSession, ...]
    labs: tuple[LabResult, ...]
    adverse_events: tuple[AdverseEvent, ...]
    outcomes: tuple[OutcomeAssessment, ...]
    hand_backs: tuple[HandBack, ...]
    documents: tuple[Document, ...]
    measures: tuple[OutcomeMeasure, ...] = ()
