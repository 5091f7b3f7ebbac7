"""``plexms calc assess``: is TPE indicated for this attack, with the ASFA basis, the rules
that fired, precautions and predictors of response (:mod:`plexms.core.eligibility`).

Every field may be left out or null: a missing required input gives
``"recommendation": "incomplete"`` with the field named in ``missing``, never a silent
recommendation. Ranges and choices are checked here; EDSS steps and date order by the core.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool

from plexms.core.eligibility import (
    Assessment,
    Conditions,
    EligibilityRequest,
    Logmar,
    Mri,
    RelapseCheck,
    SteroidCourse,
    TargetedDeficit,
    assess,
)
from plexms.core.policy import CentrePolicy
from plexms.core.vocabulary import ASFA_PRESENTATIONS, DIAGNOSES
from plexms.services.calc import Calculator
from plexms.services.schemas.common import OneOf

__all__ = ["CALCULATOR", "AssessRequest", "compute", "to_core"]

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Count = Annotated[int, Strict()]
Date = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
_FORBID = ConfigDict(extra="forbid")


class SteroidIn(BaseModel):
    """One corticosteroid course."""

    model_config = _FORBID

    drug: str | None = Field(
        default=None, min_length=1, max_length=60, examples=["methylprednisolone"]
    )
    route: Literal["iv", "oral"] | None = None
    dose_mg_per_day: Number | None = Field(default=None, ge=1, le=5000)
    start_date: Date | None = None
    days: Count | None = Field(default=None, ge=1, le=60)
    response: Literal["none", "partial", "full"] | None = None


class LogmarIn(BaseModel):
    """Best-corrected visual acuity, logMAR, each eye."""

    model_config = _FORBID

    right: Number | None = Field(default=None, ge=-0.3, le=3.0)
    left: Number | None = Field(default=None, ge=-0.3, le=3.0)


class MriIn(BaseModel):
    """MRI findings of the attack."""

    model_config = _FORBID

    gd_enhancing_lesions: Count | None = Field(default=None, ge=0, le=1000)
    ring_enhancement: StrictBool | None = None
    mass_effect: StrictBool | None = None
    largest_lesion_mm: Number | None = Field(default=None, ge=0, le=300)


class ConditionsIn(BaseModel):
    """Conditions bearing on safety. The first seven are required (null = not stated)."""

    model_config = _FORBID

    hemodynamic_instability: StrictBool | None = None
    active_infection: StrictBool | None = None
    active_bleeding: StrictBool | None = None
    albumin_allergy: StrictBool | None = None
    ace_inhibitor: StrictBool | None = None
    pregnant: StrictBool | None = None
    poor_venous_access: StrictBool | None = None
    anticoagulated: StrictBool = False
    hypocalcaemia: StrictBool = False
    steroid_contraindication: StrictBool = False


class RelapseIn(BaseModel):
    """Relapse confirmation (optional; once given, each field is required, natalizumab's
    two only when on natalizumab)."""

    model_config = _FORBID

    symptom_hours: Number | None = Field(default=None, ge=0, le=24 * 366)
    fever: StrictBool | None = None
    infection: StrictBool | None = None
    on_natalizumab: StrictBool | None = None
    jcv_status: Literal["positive", "negative"] | None = None
    pml_excluded: StrictBool | None = Field(
        default=None, description="An MRI (with CSF JCV DNA where indicated) shows no PML."
    )


class DeficitIn(BaseModel):
    """The targeted deficit beyond the EDSS (optional)."""

    model_config = _FORBID

    motor_grade_before: Count | None = Field(default=None, ge=0, le=5)
    motor_grade_now: Count | None = Field(default=None, ge=0, le=5)
    new_walking_aid: StrictBool | None = None


class AssessRequest(BaseModel):
    """One eligibility request (fields as in issue 4)."""

    model_config = _FORBID

    diagnosis: Annotated[str, OneOf(DIAGNOSES)] | None = None
    presentation: Annotated[str, OneOf(ASFA_PRESENTATIONS)] | None = None
    onset_date: Date | None = None
    assessment_date: Date | None = None
    steroids: list[SteroidIn] | None = Field(default=None, max_length=20)
    edss_pre_relapse: Number | None = Field(default=None, ge=0, le=10)
    edss_now: Number | None = Field(default=None, ge=0, le=10)
    logmar: LogmarIn | None = None
    mri: MriIn | None = None
    age: Count | None = Field(default=None, ge=0, le=120)
    sex: Literal["female", "male", "other"] | None = None
    conditions: ConditionsIn = Field(default_factory=ConditionsIn)
    guideline_edition: Literal["asfa-2023", "asfa-2016"] = "asfa-2023"
    relapse: RelapseIn | None = None
    deficit: DeficitIn | None = None


def to_core(request: AssessRequest) -> EligibilityRequest:
    """The core request for a validated JSON request."""
    steroids = None
    if request.steroids is not None:
        steroids = tuple(SteroidCourse(**s.model_dump()) for s in request.steroids)
    return EligibilityRequest(
        diagnosis=request.diagnosis,
        presentation=request.presentation,
        onset_date=request.onset_date,
        assessment_date=request.assessment_date,
        steroids=steroids,
        edss_pre_relapse=request.edss_pre_relapse,
        edss_now=request.edss_now,
        logmar=Logmar(**request.logmar.model_dump()) if request.logmar else None,
        mri=Mri(**request.mri.model_dump()) if request.mri else None,
        age=request.age,
        sex=request.sex,
        conditions=Conditions(**request.conditions.model_dump()),
        guideline_edition=request.guideline_edition,
        relapse=RelapseCheck(**request.relapse.model_dump()) if request.relapse else None,
        deficit=TargetedDeficit(**request.deficit.model_dump()) if request.deficit else None,
    )


def compute(
    request: AssessRequest, policy: CentrePolicy, now: dt.datetime | None = None
) -> Assessment:
    """Answer one ``calc assess`` request (the dates are the request's: ``now`` is not used)."""
    return assess(to_core(request), policy)


CALCULATOR: Calculator[AssessRequest, Assessment] = Calculator(
    name="assess",
    summary="Eligibility for TPE of this attack: ASFA basis, rules, precautions, predictors.",
    request_model=AssessRequest,
    compute=compute,
    to_json=Assessment.to_dict,
    help=(
        'Request: {"diagnosis": "relapsing_ms", "presentation": "relapse", "onset_date": '
        '"2026-03-01", "assessment_date": "2026-03-12", "steroids": [{"drug": '
        '"methylprednisolone", "route": "iv", "dose_mg_per_day": 1000, "start_date": '
        '"2026-03-02", "days": 5, "response": "none"}], "edss_pre_relapse": 2.0, "edss_now": '
        '4.5, "logmar": {"right": 0.0, "left": 0.1}, "mri": {"gd_enhancing_lesions": 2, '
        '"ring_enhancement": false, "mass_effect": false, "largest_lesion_mm": 12}, "age": 34, '
        '"sex": "female", "conditions": {"hemodynamic_instability": false, "active_infection": '
        'false, "active_bleeding": false, "albumin_allergy": false, "ace_inhibitor": false, '
        '"pregnant": false, "poor_venous_access": false}, "guideline_edition": "asfa-2023"}. '
        "Required: diagnosis, presentation, assessment_date, edss_now, age, sex and the seven "
        "conditions; for attacks also onset_date, edss_pre_relapse and steroids ([] = none "
        "given), each course complete; optic_neuritis needs logmar; tumefactive needs mri. A "
        "missing one gives recommendation incomplete, naming it in missing. Optional: relapse "
        '{"symptom_hours", "fever", "infection", "on_natalizumab", "jcv_status", '
        '"pml_excluded"} (once given, each field required) and deficit {"motor_grade_before", '
        '"motor_grade_now", "new_walking_aid"}. Domain: EDSS steps 0, 1.0-9.5 by 0.5 (10, '
        "death, is refused); assessment_date >= onset_date; steroid start_date <= "
        "assessment_date. Answer: recommendation (indicated, consider, not_indicated, defer, "
        "incomplete), missing, asfa {edition, indication, category, grade}, reasons [{rule, "
        "text, source}], precautions, predictors [{name, value, direction, effect, source}], "
        "reassess_on, sources, rule_version. Rules: docs/rules.md."
    ),
)
