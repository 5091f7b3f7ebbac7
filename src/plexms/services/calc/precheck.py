"""``plexms calc precheck``: pre-session go/no-go against the centre's thresholds
(:mod:`plexms.core.precheck`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from plexms.core.policy import CentrePolicy
from plexms.core.precheck import Labs, Precheck, PrecheckRequest, Vitals, precheck
from plexms.core.vocabulary import PRECHECK_ACCESS, SYMPTOMS
from plexms.services.calc import Calculator
from plexms.services.schemas.common import OneOf

__all__ = ["CALCULATOR", "PrecheckIn", "compute"]

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
_FORBID = ConfigDict(extra="forbid")
Symptom = Annotated[str, OneOf(SYMPTOMS)]
Access = Annotated[str, OneOf(PRECHECK_ACCESS)]


class VitalsIn(BaseModel):
    """Pre-session vital signs (null = not recorded: holds the session)."""

    model_config = _FORBID

    systolic_bp: Number | None = Field(default=None, ge=40, le=300, description="mmHg")
    diastolic_bp: Number | None = Field(default=None, ge=20, le=200, description="mmHg")
    heart_rate: Number | None = Field(default=None, ge=20, le=250, description="beats/min")
    temperature_c: Number | None = Field(default=None, ge=30, le=45)
    spo2: Number | None = Field(default=None, ge=50, le=100, description="%")


class LabsIn(BaseModel):
    """Latest laboratory values."""

    model_config = _FORBID

    fibrinogen_g_l: Number | None = Field(default=None, ge=0, le=15)
    ionized_calcium_mmol_l: Number | None = Field(default=None, ge=0.3, le=3.0)
    total_calcium_mmol_l: Number | None = Field(default=None, ge=0.5, le=5.0)
    hemoglobin_g_dl: Number | None = Field(default=None, ge=2, le=25)
    platelets_10e9_l: Number | None = Field(default=None, ge=0, le=2000)
    potassium_mmol_l: Number | None = Field(default=None, ge=1.5, le=10)


class PrecheckIn(BaseModel):
    """One pre-session check (fields as in issue 4)."""

    model_config = _FORBID

    vitals: VitalsIn = Field(default_factory=VitalsIn)
    labs: LabsIn = Field(default_factory=LabsIn)
    symptoms: list[Symptom] = Field(default_factory=list, max_length=20)
    hours_since_ace_inhibitor: Number | None = Field(
        None, ge=0, le=100_000, description="null: not on an ACE inhibitor"
    )
    hours_since_last_exchange: Number | None = Field(
        None, ge=0, le=100_000, description="null: first exchange"
    )
    access: Access | None = None


def compute(request: PrecheckIn, policy: CentrePolicy, now: dt.datetime | None = None) -> Precheck:
    """Answer one ``calc precheck`` request."""
    core = PrecheckRequest(
        vitals=Vitals(**request.vitals.model_dump()),
        labs=Labs(**request.labs.model_dump()),
        symptoms=tuple(request.symptoms),
        hours_since_ace_inhibitor=request.hours_since_ace_inhibitor,
        hours_since_last_exchange=request.hours_since_last_exchange,
        access=request.access,
    )
    return precheck(core, policy)


CALCULATOR: Calculator[PrecheckIn, Precheck] = Calculator(
    name="precheck",
    summary="Pre-session go/no-go: proceed, proceed_with_caution or hold, with actions.",
    request_model=PrecheckIn,
    compute=compute,
    to_json=Precheck.to_dict,
    help=(
        'Request: {"vitals": {"systolic_bp": 122, "diastolic_bp": 76, "heart_rate": 72, '
        '"temperature_c": 36.7, "spo2": 98}, "labs": {"fibrinogen_g_l": 2.1, '
        '"ionized_calcium_mmol_l": 1.18, "total_calcium_mmol_l": 2.3, "hemoglobin_g_dl": 13.2, '
        '"platelets_10e9_l": 240, "potassium_mmol_l": 4.1}, "symptoms": [], '
        '"hours_since_ace_inhibitor": null, "hours_since_last_exchange": 48, "access": '
        '"peripheral"}. hours_since_ace_inhibitor null = not on one; hours_since_last_exchange '
        "null = first exchange. A missing vital sign, required lab (fibrinogen, calcium "
        "ionised or total, haemoglobin, platelets) or access holds the session and is named "
        "in missing; a missing potassium gives caution. Answer: decision (proceed, "
        "proceed_with_caution, hold), missing, reasons [{rule, level, text, source, "
        "local_policy, value, threshold}], actions [{rule, text, source}], sources, "
        "rule_version. Thresholds: the centre's policy (local policy where no published "
        "figure). Rules: docs/rules.md."
    ),
)
