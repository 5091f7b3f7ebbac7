"""Assessments, courses, sessions, labs, adverse events, outcomes, hand-back, documents.

Computed parts go through the ``plexms calc`` calculators: a request object in the calculator's
own JSON contract (``request``/``plan``/``edss``...), stored as ``inputs`` next to the
``result`` and its ``rule_version``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from plexms.core.vocabulary import (
    AE_SEVERITIES,
    AE_TYPES,
    ANTICOAGULANTS,
    COURSE_STATUSES,
    LINE_DRESSING,
    LOCK_SOLUTIONS,
    LOT_KINDS,
    MEASURE_SIDES,
    OUTCOME_MEASURES,
    PRESENTATIONS,
    REPLACEMENT_FLUIDS,
    TND_GRADES,
    VASCULAR_ACCESS,
)
from plexms.services.schemas.common import (
    Id,
    In,
    OneOf,
    Out,
    ShortText,
    SingleLineText,
    Stamped,
    Text,
    aware,
)

__all__ = [
    "AcuityIn",
    "AdverseEventIn",
    "AdverseEventOut",
    "AdverseEventUpdate",
    "AssessmentIn",
    "AssessmentOut",
    "CourseOut",
    "CoursePlanIn",
    "CourseStatus",
    "CourseStatusIn",
    "DocumentIn",
    "DocumentOut",
    "EyeAcuityIn",
    "FluidIn",
    "HandBackIn",
    "HandBackOut",
    "LabIn",
    "LabOut",
    "LotIn",
    "MeasureIn",
    "MeasureOut",
    "MeasuresIn",
    "OutcomeIn",
    "OutcomeOut",
    "OutcomeUpdate",
    "PatientRecord",
    "PrecheckIn",
    "SessionAddendumIn",
    "SessionAddendumOut",
    "SessionFields",
    "SessionOut",
    "SessionRecordIn",
    "VitalsIn",
]

Json = dict[str, Any]
Indication = Annotated[str, OneOf(PRESENTATIONS)]
Fluid = Annotated[str, OneOf(REPLACEMENT_FLUIDS)]
VascularAccess = Annotated[str, OneOf(VASCULAR_ACCESS, blank=True)]
Anticoagulant = Annotated[str, OneOf(ANTICOAGULANTS, blank=True)]
AeType = Annotated[str, OneOf(AE_TYPES)]
Severity = Annotated[str, OneOf(AE_SEVERITIES)]
CourseStatus = Annotated[str, OneOf(COURSE_STATUSES)]
TndGrade = Annotated[str, OneOf(TND_GRADES)]
LotKind = Annotated[str, OneOf(LOT_KINDS)]
LotText = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, max_length=64)]


def _scan_text(value: str) -> str:
    """A scanned string: printable characters and the GS1 group separator (FNC1) only."""
    if any(not (ch.isprintable() or ch == "\x1d") for ch in value):
        raise ValueError("a barcode holds printable characters and the group separator only")
    return value


Barcode = Annotated[str, StringConstraints(max_length=200), AfterValidator(_scan_text)]


MeasureCode = Annotated[str, OneOf(OUTCOME_MEASURES)]
MeasureSide = Annotated[str, OneOf(MEASURE_SIDES)]
Analyte = Literal[
    "igg",
    "fibrinogen",
    "calcium",
    "ionized_calcium",
    "hemoglobin",
    "hematocrit",
    "platelets",
    "albumin",
    "potassium",
    "magnesium",
]


class AssessmentIn(In):
    episode_id: Id | None = None
    request: Json = Field(default_factory=dict, description="the eligibility calculator request")
    notes: Text = ""


class AssessmentOut(Stamped):
    patient_id: int
    episode_id: int | None
    assessed_at: dt.datetime
    assessed_by: str
    inputs: Json
    result: Json
    recommendation: str
    rule_version: str
    notes: str


class CoursePlanIn(In):
    """Plan a course; ``plan`` is a ``plexms calc plan`` request (sex, height, weight and
    haematocrit default to the patient's record)."""

    episode_id: Id | None = None
    assessment_id: Id | None = None
    indication: Indication = "relapse"
    plan: Json = Field(default_factory=dict)
    notes: Text = ""


class CourseStatusIn(In):
    """A person starts, completes or stops a course; the service refuses other moves (409)."""

    status: CourseStatus
    reason: Text = ""


class CourseOut(Stamped):
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
    inputs: Json
    prescription: Json
    rule_version: str
    notes: str
    cosign_required: bool = False
    cosigned_by: str | None = None
    cosigned_at: dt.datetime | None = None
    awaiting_cosign: bool = Field(
        default=False, description="the centre requires a co-signature and none is given yet"
    )


class PrecheckIn(In):
    request: Json = Field(description="the pre-session check calculator request")


class FluidIn(In):
    fluid: Fluid
    volume_ml: float = Field(ge=0, le=10_000)


class VitalsIn(In):
    at: aware
    phase: Literal["pre", "intra", "post"]
    systolic_mmhg: int | None = Field(default=None, ge=40, le=300)
    diastolic_mmhg: int | None = Field(default=None, ge=20, le=200)
    heart_rate_bpm: int | None = Field(default=None, ge=20, le=250)
    temperature_c: float | None = Field(default=None, ge=30, le=45)
    spo2_pct: int | None = Field(default=None, ge=50, le=100)


class LotIn(In):
    """A lot or serial used in a session: typed, or scanned (``barcode``: a GS1 string, in
    brackets or raw with group separators, whose (10) lot, (21) serial, (01) GTIN and (17)
    expiry fill the fields not typed). The machine is recorded by its ``serial``."""

    kind: LotKind
    lot: LotText = ""
    serial: LotText = ""
    gtin: Annotated[str, StringConstraints(pattern=r"^(\d{14})?$")] = ""
    expiry: dt.date | None = None
    barcode: Barcode = ""

    @model_validator(mode="after")
    def _something(self) -> LotIn:
        if not (self.lot or self.serial or self.barcode.strip()):
            raise ValueError("give the lot, the serial or the scanned barcode")
        return self


class SessionFields(In):
    """What a session sheet records (the clinical fields; no status, no sign-off)."""

    actual_start: aware | None = None
    actual_end: aware | None = None
    plasma_removed_ml: float | None = Field(default=None, ge=0, le=10_000)
    whole_blood_processed_ml: float | None = Field(default=None, ge=0, le=40_000)
    replacement_fluids: list[FluidIn] = Field(default_factory=list, max_length=10)
    anticoagulant: Anticoagulant = ""
    anticoagulant_ml: float | None = Field(default=None, ge=0, le=5_000)
    calcium_gluconate_ml: float | None = Field(default=None, ge=0, le=500)
    vascular_access: VascularAccess = ""
    vitals: list[VitalsIn] = Field(default_factory=list, max_length=100)
    notes: Text = ""
    pre_weight_kg: float | None = Field(default=None, ge=1, le=400)
    post_weight_kg: float | None = Field(default=None, ge=1, le=400)
    inlet_flow_ml_min: float | None = Field(default=None, ge=0, le=300)
    lots: list[LotIn] = Field(default_factory=list, max_length=30)
    # post-run line care (issue 17 item 3)
    line_lock_solution: Annotated[str, OneOf(LOCK_SOLUTIONS, blank=True)] = ""
    line_lock_volume_ml: float | None = Field(default=None, ge=0, le=50)
    line_flush_ml: float | None = Field(default=None, ge=0, le=200)
    line_dressing: Annotated[str, OneOf(LINE_DRESSING, blank=True)] = ""


class SessionRecordIn(SessionFields):
    """Save the sheet. Fields not sent keep their stored values (a partial update never
    erases); ``sign_off`` saves and then signs off (as :class:`SessionSignOffIn` does)."""

    status: Literal["done", "held", "cancelled"]
    sign_off: bool = False


class SessionAddendumIn(In):
    """A correction of a signed sheet: why, and the new values of the fields it corrects."""

    reason: Annotated[str, StringConstraints(min_length=3, max_length=4000, strip_whitespace=True)]
    changes: SessionFields


class SessionAddendumOut(Stamped):
    patient_id: int
    session_id: int
    reason: str
    changes: list[Any]


class SessionOut(Stamped):
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
    precheck_inputs: Json | None
    precheck_result: Json | None
    precheck_rule_version: str | None
    go_decision: str | None
    operator: str | None
    signed_off_at: dt.datetime | None
    notes: str
    pre_weight_kg: float | None
    post_weight_kg: float | None
    inlet_flow_ml_min: float | None
    lots: list[Any] = Field(default_factory=list)
    line_lock_solution: str = ""
    line_lock_volume_ml: float | None = None
    line_flush_ml: float | None = None
    line_dressing: str = ""
    addenda: list[SessionAddendumOut] = Field(default_factory=list)


class LabIn(In):
    """A lab value in any unit interop.units knows for the analyte; stored canonically."""

    taken_at: aware
    analyte: Analyte
    value: float = Field(ge=0, le=1_000_000)
    unit: Annotated[SingleLineText, StringConstraints(max_length=16)]
    session_id: Id | None = None
    timing: Literal["", "pre", "post"] = ""


class LabOut(Stamped):
    patient_id: int
    session_id: int | None
    taken_at: dt.datetime
    analyte: str
    value: float
    unit: str
    timing: str


class AdverseEventIn(In):
    session_id: Id | None = None
    course_id: Id | None = None
    """An adverse event and what happened; the service computes the WAA severity and the
    CTCAE-style grade from those facts (a ``severity`` sent with them must agree; sent without
    them it is taken as recorded)."""

    event_type: AeType
    severity: Severity | None = None
    onset_at: aware
    procedure_interrupted: bool = False
    procedure_stopped: bool = False
    needed_medication: bool = False
    life_threatening: bool = False
    died: bool = False
    action: Text = ""
    outcome: Text = ""
    notes: Text = ""


class AdverseEventUpdate(In):
    """What may change as an adverse event evolves (fields left out stay as they are)."""

    severity: Severity | None = None
    life_threatening: bool | None = None
    procedure_interrupted: bool | None = None
    action: Text | None = None
    outcome: Text | None = None
    notes: Text | None = None


class AdverseEventOut(Stamped):
    patient_id: int
    course_id: int | None
    session_id: int | None
    event_type: str
    severity: str
    ctcae_grade: int | None
    life_threatening: bool
    onset_at: dt.datetime
    procedure_interrupted: bool
    action: str
    outcome: str
    notes: str


class EyeAcuityIn(In):
    """One eye's acuity in any notation (``plexms calc acuity``'s ``value``/``notation``)."""

    value: str | float = Field(description='"20/40", "6/12", "20/40-2", "CF", or a number')
    notation: Literal["decimal", "logmar", "etdrs"] | None = Field(
        default=None, description="needed for numbers only"
    )


class AcuityIn(In):
    """Visual acuity per eye in any notation; stored as logMAR (converted by calc acuity)."""

    right: EyeAcuityIn | None = None
    left: EyeAcuityIn | None = None


class MeasureIn(In):
    """One outcome measure beyond the EDSS, in its unit (``plexms.core.vocabulary.MEASURES``):
    ``t25fw`` 1-180 s, ``nhpt`` 5-300 s per hand (``side`` dominant/non_dominant), ``sdmt``
    0-110 correct, ``lcla_2_5`` 0-60 letters per eye (``side`` right/left/both),
    ``msis29_physical``/``msis29_psychological``/``msws12`` 0-100 transformed, ``mfis`` 0-84,
    ``fss`` 1-7. Scores only: never a licensed questionnaire's items. A value out of range is
    refused naming the field (``measures[0].value``)."""

    measure: MeasureCode
    value: float
    side: MeasureSide | None = None


class MeasuresIn(In):
    """Measures added to an outcome visit already recorded."""

    measures: list[MeasureIn] = Field(min_length=1, max_length=30)


class MeasureOut(Stamped):
    """A recorded measure with the change from the baseline visit's value and its verdict
    (``result``: ``improved``/``worsened``/``unchanged``/``incomplete``, threshold, source)."""

    patient_id: int
    outcome_id: int
    measure: str
    side: str | None
    value: float
    unit: str
    taken_on: dt.date
    result: Json
    rule_version: str


class OutcomeIn(In):
    """An outcome visit. ``edss`` is a ``plexms calc edss`` request (FS scores, walking);
    visual acuity per eye either as logMAR (``va_right_logmar``/``va_left_logmar``) or in any
    notation (``acuity``: ``{"right": {"value": "20/40"}, "left": {"value": 0.5,
    "notation": "decimal"}}``), not both for one eye. The response against the baseline is
    classified by the service (calc response) and stored with the visit."""

    course_id: Id | None = None
    timepoint: Literal[
        "baseline", "during_course", "end_of_course", "1_month", "3_months", "6_months", "other"
    ]
    assessed_on: dt.date
    edss: Json | None = None
    va_right_logmar: float | None = Field(default=None, ge=-0.3, le=3.0)
    va_left_logmar: float | None = Field(default=None, ge=-0.3, le=3.0)
    acuity: AcuityIn | None = None
    targeted_deficit: TndGrade | None = None
    measures: list[MeasureIn] = Field(default_factory=list, max_length=30)
    notes: Text = ""


class OutcomeUpdate(In):
    """Correct the targeted deficit grade (the response is re-classified) or the notes."""

    targeted_deficit: TndGrade | None = None
    notes: Text | None = None


class OutcomeOut(Stamped):
    patient_id: int
    course_id: int | None
    timepoint: str
    assessed_on: dt.date
    assessed_by: str
    edss: float | None
    va_right_logmar: float | None
    va_left_logmar: float | None
    targeted_deficit: str | None
    inputs: Json
    result: Json
    rule_version: str
    notes: str
    measures: list[MeasureOut] = Field(default_factory=list)


class HandBackIn(In):
    course_id: Id | None = None
    planned_dmt: ShortText = ""
    earliest_dose_date: dt.date | None = None
    plan: Text = ""
    request: Json | None = Field(default=None, description="the DMT timing calculator request")


class HandBackOut(Stamped):
    patient_id: int
    course_id: int | None
    planned_dmt: str
    earliest_dose_date: dt.date | None
    plan: str
    inputs: Json
    result: Json
    rule_version: str
    sent_at: dt.datetime | None


class DocumentIn(In):
    course_id: Id | None = None
    kind: Literal["letter", "report", "handout", "other"]
    title: Annotated[SingleLineText, StringConstraints(min_length=1, max_length=200)]
    media_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$")]
    content_base64: Annotated[str, StringConstraints(max_length=14_000_000)]


class DocumentOut(Stamped):
    patient_id: int
    course_id: int | None
    kind: str
    title: str
    media_type: str
    sha256: str


class PatientRecord(Out):
    """A patient's whole record (what FHIR export and the patient page read)."""

    patient: Any
    measurements: list[Any]
    referrals: list[Any]
    episodes: list[Any]
    steroid_courses: list[Any]
    mri: list[Any]
    dmts: list[Any]
    assessments: list[AssessmentOut]
    courses: list[CourseOut]
    sessions: list[SessionOut]
    labs: list[LabOut]
    adverse_events: list[AdverseEventOut]
    outcomes: list[OutcomeOut]
    handbacks: list[HandBackOut]
    documents: list[DocumentOut]
