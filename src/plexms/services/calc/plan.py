"""``plexms calc plan``: volumes, the exchange prescription, the course schedule and what each
exchange is expected to remove, for one patient, as one JSON object."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from plexms.clock import local_today
from plexms.core.errors import InputError
from plexms.core.patient_size import patient_volumes
from plexms.core.plan import Plan, plan_treatment
from plexms.core.policy import CentrePolicy
from plexms.core.prescription import prescribe
from plexms.services.calc import Calculator
from plexms.services.calc._plan_json import plan_json
from plexms.services.clinical.clinic_calendar import holiday_names

__all__ = ["CALCULATOR", "PlanRequest", "compute_plan", "plan_json"]

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Count = Annotated[int, Strict()]


class PlanRequest(BaseModel):
    """One patient's plan request. Ranges are checked by plexms.core with clear messages."""

    model_config = ConfigDict(extra="forbid")

    sex: Literal["female", "male"] = Field(description="Sex for the sex-specific formulas.")
    height_cm: Number = Field(description="Height in cm (120-230).")
    weight_kg: Number = Field(description="Weight in kg (30-250).")
    hematocrit: Number = Field(description="Hematocrit as a fraction (0.15-0.65), not %.")
    volume_method: Literal[
        "nadler", "kaplan", "weight", "lemmens", "ideal_weight", "paediatric"
    ] = Field(
        "nadler",
        description="Blood/plasma volume method (a patient under 18 gets 'paediatric').",
    )
    age_years: Number | None = Field(
        None, description="Age in years (optional; under 18: weight-based paediatric volumes)."
    )
    plasma_volumes_per_exchange: Number = Field(
        1.0, description="Plasma volumes per exchange: 1.0-1.5 protocol, 0.5-2.0 with a warning."
    )
    exchanges: Count | None = Field(
        None, description="Exchanges in the course (default 5; 1-10, warning outside 5-7)."
    )
    start_date: dt.date | None = Field(
        None,
        ge=dt.date(2000, 1, 1),
        le=dt.date(2100, 12, 31),
        description="First day asked for (ISO date; default today at the centre).",
    )
    start_time: str | None = Field(
        None, pattern=r"^\d{2}:\d{2}$", description="Earliest start each day, HH:MM (09:00)."
    )
    interval_days: Count | None = Field(
        None, description="Minimum days between exchanges (default 2: every other day; 1-7)."
    )
    course_days: Count | None = Field(
        None, description="Days the course may span, first to last exchange (default 14; 1-28)."
    )
    inlet_flow_ml_min: Number | None = Field(
        None, description="Inlet flow in mL/min (default the centre's, 60; 10-150)."
    )
    inlet_to_ac_ratio: Number | None = Field(
        None, description="ACD-A inlet:AC ratio (default 10; 6-25; warning above 15)."
    )
    saline_share: Number = Field(
        0.0, description="Share of replacement as 0.9% saline (0 to the centre's limit, 0.25)."
    )
    plasma_share: Number = Field(0.0, description="Share of replacement as plasma (0-1).")
    plasma_reason: str | None = Field(
        None, max_length=200, description="Required with plasma: e.g. low_fibrinogen."
    )
    fibrinogen_g_l: Number | None = Field(
        None,
        description="Latest fibrinogen in g/L (needed for low_fibrinogen; predicts the level "
        "before each exchange).",
    )
    igg_g_l: Number | None = Field(
        None, description="Latest IgG in g/L (optional; predicts the level before each exchange)."
    )
    closed_dates: list[dt.date] = Field(
        default_factory=list, max_length=400, description="Extra closures besides holidays."
    )


def _r(value: float, digits: int = 1) -> float:
    return round(float(value), digits)


def _today(policy: CentrePolicy, now: dt.datetime | None) -> dt.date:
    if now is None:
        raise InputError("start_date", "is needed: no clock was given", allowed="an ISO date")
    return local_today(policy.hours.time_zone, now)


def _parse_time(text: str | None) -> dt.time | None:
    if text is None:
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise InputError("start_time", f"{text!r} is not a time", allowed="HH:MM") from None


def compute_plan(
    request: PlanRequest, policy: CentrePolicy, now: dt.datetime | None = None
) -> Plan:
    """Answer one plan request (see ``plexms calc plan --help``); the default start is today
    at the centre at ``now``."""
    vol = patient_volumes(
        request.sex,
        request.height_cm,
        request.weight_kg,
        request.hematocrit,
        request.volume_method,
        request.age_years,
        policy.prescription,
    )
    rx = prescribe(
        vol,
        policy.prescription,
        plasma_volumes_per_exchange=request.plasma_volumes_per_exchange,
        inlet_flow_ml_min=request.inlet_flow_ml_min,
        inlet_to_ac_ratio=request.inlet_to_ac_ratio,
        saline_share=request.saline_share,
        plasma_share=request.plasma_share,
        plasma_reason=request.plasma_reason,
        fibrinogen_g_l=request.fibrinogen_g_l,
    )
    exchanges = (
        policy.schedule.default_exchanges if request.exchanges is None else request.exchanges
    )
    start = request.start_date or _today(policy, now)
    horizon = start + dt.timedelta(days=2 * 366)
    hours = policy.hours
    if request.closed_dates:
        hours = dataclasses.replace(
            hours, closed_dates=hours.closed_dates | frozenset(request.closed_dates)
        )
    holidays = holiday_names(hours, start, horizon)
    return plan_treatment(
        vol,
        rx,
        start,
        exchanges=exchanges,
        hours=dataclasses.replace(hours, closed_dates=hours.closed_dates | frozenset(holidays)),
        schedule_policy=policy.schedule,
        setup_minutes=policy.prescription.setup_minutes,
        holidays=holidays,
        interval_days=request.interval_days,
        course_days=request.course_days,
        start_time=_parse_time(request.start_time),
        measured_levels=_measured(request),
        level_thresholds={
            "fibrinogen": policy.prescription.fibrinogen_plasma_threshold_g_l,
            "igg": policy.prescription.igg_warning_below_g_l,
        },
    )


def _measured(request: PlanRequest) -> dict[str, float]:
    """The measured levels (g/L) to predict from; fibrinogen's range is checked by the
    prescription, IgG's here."""
    levels: dict[str, float] = {}
    if request.fibrinogen_g_l is not None:
        levels["fibrinogen"] = request.fibrinogen_g_l
    if request.igg_g_l is not None:
        if not 0.0 < request.igg_g_l < 40.0:
            raise InputError(
                "igg_g_l", f"{request.igg_g_l:g} is out of range (g/L)", allowed="0-40 g/L"
            )
        levels["igg"] = request.igg_g_l
    return levels


_HELP = """\
Request (JSON object; unknown fields are refused):
  sex           "female" | "male" (required)
  height_cm     120-230 (required; 1.75 is refused as metres)
  weight_kg     30-250 (required)
  hematocrit    fraction 0.15-0.65 (required; 40 is refused as a percentage)
  volume_method "nadler" (default) | "kaplan" | "weight" | "lemmens" |
                "ideal_weight" | "paediatric"; BMI >= 30 warns and offers
                lemmens and ideal_weight
  age_years     optional; under 18: weight-based paediatric volumes and the
                extracorporeal-volume check, or a refusal where the centre
                does not treat children
  plasma_volumes_per_exchange
                default 1.0; MS protocol 1.0-1.5; 0.5-2.0 with a warning
  exchanges     default 5; 1-10, a warning outside 5-7
  start_date    ISO date (default: today at the centre); a closed day
                moves to the next open day, with a note
  start_time    "HH:MM": earliest start each day (default 09:00)
  interval_days minimum days between exchanges (default 2, every other day)
  course_days   days from first to last exchange, at most (default 14; 1-28)
  inlet_flow_ml_min  default 60 (10-150)
  inlet_to_ac_ratio  ACD-A inlet:AC, default 10 (6-25), warning above 15
  saline_share  0 to 0.25 of the replacement as 0.9% saline (default 0)
  plasma_share  0-1 of the replacement as plasma, only with plasma_reason
  plasma_reason why plasma; "low_fibrinogen" needs fibrinogen_g_l < 1.0
  fibrinogen_g_l  latest fibrinogen in g/L (250 is refused as mg/dL);
                with igg_g_l (optional), the level before each exchange is
                predicted and a crossing of the threshold is warned
  closed_dates  extra closed ISO dates besides the centre's holidays

Response (JSON object):
  volume_method, volume_method_label, volume_formula,
  total_blood_volume_ml, plasma_volume_ml, plasma_volumes_per_exchange,
  exchange_volume_ml,
  replacement: albumin_5pct_ml (whole vials), albumin_g, albumin_needed_ml,
    albumin_needed_g, albumin_vials (size_ml, count), albumin_waste_ml,
    saline_share, saline_ml, plasma_share, plasma_ml, plasma_reason,
    total_ml, rounding,
  calcium_gluconate_10pct_ml (10 mL per litre of replacement),
  anticoagulant: solution, inlet_to_ac_ratio, volume_ml, flow_ml_min,
    citrate_mmol, citrate_mg, citrate_returned_mg,
    citrate_infusion_rate_mg_kg_min (to the patient),
    circuit_citrate_rate_mg_kg_min, citrate_limit_mg_kg_min, above_limit,
    rate_ml_min_per_l (ACD-A per litre of blood volume),
    rate_limit_ml_min_per_l, inlet_flow_limit_ml_min (scales with size),
  extracorporeal_volume_ml, extracorporeal_share (warning above 0.15),
  whole_blood_processed_ml, blood_volumes_processed, inlet_volume_ml,
  inlet_flow_ml_min, run_minutes, session_minutes (run + setup),
  fluid_balance: replacement_in_ml, anticoagulant_in_ml, calcium_in_ml,
    removed_out_ml, in_ml, out_ml, net_ml,
  course_totals: exchanges, plasma_exchanged_ml, albumin_5pct_ml,
    albumin_g, albumin_vials, saline_ml, plasma_ml,
    calcium_gluconate_10pct_ml, acd_a_ml,
  schedule: list of {exchange, date YYYY-MM-DD, start HH:MM, end HH:MM},
  course: first_date, last_date, course_days, interval_days,
    session_minutes, time_zone, holidays (date, name),
  predicted: model, time_zero, unit, igg and fibrinogen: lists of
    {exchange, pre, post, one_compartment_post, removed}: levels as
    fractions of the pre-course level; removed = share of the body amount
    (plasma + extravascular) that exchange takes out; labels (what each
    figure is: cumulative or per exchange); absolute (with fibrinogen_g_l
    or igg_g_l): {measured_g_l, threshold_g_l, pre_g_l, post_g_l,
    first_below, proposals}; sources,
  warnings, notes: lists of text,
  derivations: {quantity: {formula, sources}} for every number,
  sources: list of {key, citation, doi, url, verified}.

A course that cannot fit is refused (exit 2) with
{"error": {"field", "message", "allowed", "alternatives"}}."""

CALCULATOR: Calculator[PlanRequest, Plan] = Calculator(
    name="plan",
    summary="Blood and plasma volume, exchange prescription, course schedule and the expected "
    "IgG and fibrinogen levels for one patient.",
    request_model=PlanRequest,
    compute=compute_plan,
    to_json=plan_json,
    help=_HELP,
)
