"""``plexms calc precheck``: pre-session go/no-go against the centre's thresholds
(:mod:`plexms.core.precheck`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from plexms.core.policy import CentrePolicy
from plexms.core.precheck import Labs, Precheck, PrecheckRequest, StaleLab, Vitals, precheck
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


LabName = Literal[
    "fibrinogen_g_l",
    "ionized_calcium_mmol_l",
    "total_calcium_mmol_l",
    "hemoglobin_g_dl",
    "platelets_10e9_l",
    "potassium_mmol_l",
]


class StaleLabIn(BaseModel):
    """A lab drawn before the last completed exchange (filled from the record)."""

    model_config = _FORBID

    name: LabName
    value: Number
    taken_at: str = Field(max_length=40)
    last_exchange_ended_at: str | None = Field(None, max_length=40)


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
    days_since_last_exchange: Annotated[int, Strict()] | None = Field(
        None,
        ge=0,
        le=10_000,
        description="calendar days since the last exchange (centre's zone); null: unknown",
    )
    plasma_in_replacement: Annotated[bool, Strict()] = Field(
        False, description="the prescription gives plasma for part of the replacement"
    )
    stale_labs: list[StaleLabIn] = Field(
        default_factory=list, max_length=20, description="labs drawn before the last exchange"
    )
    predicted_labs: list[LabName] = Field(
        default_factory=list, max_length=6, description="labs whose value is a model prediction"
    )


def compute(request: PrecheckIn, policy: CentrePolicy, now: dt.datetime | None = None) -> Precheck:
    """Answer one ``calc precheck`` request."""
    core = PrecheckRequest(
        vitals=Vitals(**request.vitals.model_dump()),
        labs=Labs(**request.labs.model_dump()),
        symptoms=tuple(request.symptoms),
        hours_since_ace_inhibitor=request.hours_since_ace_inhibitor,
        hours_since_last_exchange=request.hours_since_last_exchange,
        access=request.access,
        days_since_last_exchange=request.days_since_last_exchange,
        plasma_in_replacement=request.plasma_in_replacement,
        stale_labs=tuple(StaleLab(**s.model_dump()) for s in request.stale_labs),
        predicted_labs=tuple(request.predicted_labs),
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
        "null = first exchange; days_since_last_exchange (optional) = calendar days, compared "
        "instead of hours (every other day raises no caution); plasma_in_replacement "
        "(default false): fibrinogen below 1.0 g/L holds an albumin-only exchange; "
        "stale_labs / predicted_labs: filled from the record. A missing vital sign, "
        "required lab (fibrinogen, calcium "
        "ionised or total, haemoglobin, platelets) or access holds the session and is named "
        "in missing; a missing potassium gives caution. Answer: decision (proceed, "
        "proceed_with_caution, hold), missing, reasons [{rule, level, text, source, "
        "local_policy, value, threshold}], actions [{rule, text, source}], sources, "
        "rule_version. Thresholds: the centre's policy (local policy where no published "
        "figure). Rules: docs/rules.md."
    ),
)
