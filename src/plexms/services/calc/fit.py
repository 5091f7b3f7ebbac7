"""``plexms calc fit``: the patient's own kinetics fitted to the levels measured in a course.

Request: a ``plan``-style patient (sex, height, weight, haematocrit), the exchanges (done and
still planned: those after the last measurement are the remaining ones) and the measured
levels. Answer: per substance the fitted parameters with 90 % intervals beside the prior,
the fitted and predicted levels with a 90 % band, the levels before each remaining exchange,
flags for implausible measurements; advice for the next session. Values are in the unit of
the measurements. Model: :mod:`plexms.core.kinetics.fit`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict

from plexms.core.errors import InputError
from plexms.core.kinetics import SUBSTANCES, ExchangeEvent
from plexms.core.kinetics.fit import FitResult, Observation, predict_band
from plexms.core.kinetics.fit_course import CourseFit, fit_course
from plexms.core.kinetics.priors import PARAMETERS, LogNormal, SubstancePrior, population_prior
from plexms.core.patient_size import patient_volumes
from plexms.core.policy import CentrePolicy
from plexms.core.rules import RULE_VERSION
from plexms.core.sources import LOCAL_POLICY, MODEL_ASSUMPTION, source_dict
from plexms.interop.units import from_canonical, to_canonical
from plexms.services.calc import Calculator

__all__ = [
    "CALCULATOR",
    "DEFAULT_DURATION_H",
    "ExchangeIn",
    "FitAnswer",
    "FitRequest",
    "MeasurementIn",
    "compute_fit",
    "fit_json",
]

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
_FORBID = ConfigDict(extra="forbid")
Substance = Literal["igg", "fibrinogen", "natalizumab", "ocrelizumab", "rituximab"]
PriorChoice = Literal["population", "centre", "registry"]
DEFAULT_DURATION_H = 2.0  # nominal run time of one exchange (model assumption)
_CURVE_STEP_H = 6.0
_CURVE_TAIL_H = 72.0
_CONVERTED = ("igg", "fibrinogen")  # levels with a canonical unit (g/L); drugs keep theirs


class ExchangeIn(BaseModel):
    """One exchange, done or planned."""

    model_config = _FORBID

    start: AwareDatetime = Field(description="Start, ISO datetime with offset.")
    plasma_volumes: Number = Field(ge=0, le=3, description="Plasma volumes exchanged (0-3).")
    duration_h: Number | None = Field(
        None, gt=0, le=24, description="Run time in hours (default 2, a model assumption)."
    )


class MeasurementIn(BaseModel):
    """One measured level."""

    model_config = _FORBID

    substance: Substance
    at: AwareDatetime = Field(description="When the sample was drawn, ISO datetime with offset.")
    value: Number = Field(gt=0, le=100_000)
    unit: str = Field(
        min_length=1,
        max_length=16,
        description="IgG, fibrinogen: g/L, mg/dL, g/dL or mg/L; a drug: its assay's unit.",
    )


class PriorIn(BaseModel):
    """A prior given explicitly (a stored centre or registry prior)."""

    model_config = _FORBID

    median: Number = Field(gt=0)
    sd_log: Number = Field(gt=0, le=5)


class FitRequest(BaseModel):
    """One course to fit (issue 18 contract)."""

    model_config = _FORBID

    sex: Literal["female", "male"]
    height_cm: Number
    weight_kg: Number
    hematocrit: Number
    volume_method: Literal[
        "nadler", "kaplan", "weight", "lemmens", "ideal_weight", "paediatric"
    ] = "nadler"
    age_years: Number | None = None
    exchanges: list[ExchangeIn] = Field(min_length=1, max_length=30)
    measurements: list[MeasurementIn] = Field(min_length=1, max_length=200)
    predict_at: list[AwareDatetime] | None = Field(None, max_length=500)
    priors: PriorChoice = Field(
        "population",
        description="population (literature), centre or registry (learned; through a stored "
        "course, or with prior_parameters).",
    )
    prior_parameters: dict[Substance, dict[str, PriorIn]] | None = Field(
        None, description="Explicit priors by substance and parameter (filled by the service)."
    )


@dataclass(frozen=True)
class FitAnswer:
    """The typed answer: the course fit with what turns hours back into times and units."""

    course: CourseFit
    time_zero: dt.datetime
    units: dict[str, str]
    factors: dict[str, float]  # canonical -> the measurement unit
    predict_h: tuple[float, ...]
    prior_choice: str
    measured_at: dict[str, tuple[dt.datetime, ...]]
    sources: tuple[str, ...] = field(default=())
    thresholds: dict[str, float] = field(default_factory=dict)  # canonical unit


def _hours(t0: dt.datetime, at: dt.datetime) -> float:
    return (at - t0).total_seconds() / 3600.0


def _prior(request: FitRequest, key: str) -> SubstancePrior:
    base = population_prior(key)
    given = (request.prior_parameters or {}).get(key)  # type: ignore[call-overload]
    if given is None:  # a learned prior may cover only some substances: the rest as published
        if request.priors != "population" and request.prior_parameters is None:
            raise InputError(
                "priors",
                f"{request.priors!r} priors need the registry: fit a stored course "
                "(POST /api/courses/{id}/fit) or give prior_parameters",
                allowed="population, or prior_parameters",
            )
        return base
    changes = {}
    for name, p in given.items():
        if name not in PARAMETERS:
            raise InputError(
                f"prior_parameters.{key}.{name}", "unknown parameter", allowed=", ".join(PARAMETERS)
            )
        changes[name] = LogNormal(p.median, p.sd_log)
    return SubstancePrior(**{**base.__dict__, **changes, "origin": request.priors})


def compute_fit(
    request: FitRequest, policy: CentrePolicy, now: dt.datetime | None = None
) -> FitAnswer:
    """Answer one ``calc fit`` request (``plexms calc fit --help``)."""
    vol = patient_volumes(
        request.sex,
        request.height_cm,
        request.weight_kg,
        request.hematocrit,
        request.volume_method,
        request.age_years,
        policy.prescription,
    )
    pv = vol.plasma_volume_ml
    t0 = min([request.exchanges[0].start, *(m.at for m in request.measurements)])
    events: list[ExchangeEvent] = []
    for i, ex in enumerate(request.exchanges):
        start_h = _hours(t0, ex.start)
        if events and start_h < events[-1].start_h + events[-1].duration_h:
            raise InputError(
                f"exchanges[{i}].start",
                f"starts before the previous exchange (exchanges[{i - 1}]) ends",
                allowed="in order, each after the previous one's start + duration_h (default 2 h)",
            )
        duration = ex.duration_h or DEFAULT_DURATION_H
        events.append(ExchangeEvent(start_h, duration, ex.plasma_volumes * pv))
    units: dict[str, str] = {}
    observations: dict[str, list[Observation]] = {}
    measured_at: dict[str, list[dt.datetime]] = {}
    for i, m in sorted(enumerate(request.measurements), key=lambda p: p[1].at):
        unit = units.setdefault(m.substance, m.unit)
        if m.substance in _CONVERTED:
            try:
                value = to_canonical(m.value, m.unit, m.substance)
            except InputError as exc:
                raise InputError(
                    f"measurements[{i}].unit", exc.message, allowed=exc.allowed
                ) from None
        elif m.unit != unit:
            raise InputError(
                f"measurements[{i}].unit",
                f"{m.unit!r} differs from the first {m.substance} unit {unit!r}",
                allowed=unit,
            )
        else:
            value = m.value
        observations.setdefault(m.substance, []).append(Observation(_hours(t0, m.at), value))
        measured_at.setdefault(m.substance, []).append(m.at)
    factors = {
        key: from_canonical(1.0, key, unit) if key in _CONVERTED else 1.0
        for key, unit in units.items()
    }
    if request.predict_at is not None:
        predict = []
        for i, at in enumerate(request.predict_at):
            if at < t0:
                raise InputError(f"predict_at[{i}]", "is before the first exchange or sample")
            predict.append(_hours(t0, at))
    else:
        samples = (o.t_h for v in observations.values() for o in v)
        last = max(events[-1].start_h + events[-1].duration_h, *samples)
        n = math.floor((last + _CURVE_TAIL_H) / _CURVE_STEP_H)
        predict = [_CURVE_STEP_H * k for k in range(n + 1)]
    thresholds = {
        "fibrinogen": (policy.prescription.fibrinogen_plasma_threshold_g_l, "WODAJO_2024"),
        "igg": (policy.prescription.igg_warning_below_g_l, "local policy"),
    }
    course = fit_course(
        plasma_volume_ml=pv,
        exchanges=events,
        observations=observations,
        priors={key: _prior(request, key) for key in observations},
        thresholds=thresholds,
        display={k: (units[k], factors[k]) for k in units},
    )
    sources = [*vol.sources, "WODAJO_2024", LOCAL_POLICY, MODEL_ASSUMPTION]
    for fit in course.fits.values():
        sources.extend(fit.prior.sources)
    return FitAnswer(
        course=course,
        time_zero=t0,
        units=units,
        factors=factors,
        predict_h=tuple(predict),
        prior_choice=request.priors,
        measured_at={k: tuple(v) for k, v in measured_at.items()},
        sources=tuple(dict.fromkeys(sources)),
        thresholds={key: value for key, (value, _) in thresholds.items()},
    )


def _sig(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, max(0, digits - 1 - math.floor(math.log10(abs(value)))))


def _at(answer: FitAnswer, hours: float) -> str:
    return (answer.time_zero + dt.timedelta(hours=hours)).isoformat(timespec="minutes")


def _substance_json(answer: FitAnswer, key: str, fit: FitResult) -> dict[str, Any]:
    unit, factor = answer.units[key], answer.factors[key]
    band = predict_band(fit, answer.predict_h)

    def scaled(name: str, value: float) -> float:
        return _sig(value * factor if name == "baseline" else value)

    params = {
        name: {
            "value": scaled(name, est.value),
            "low": scaled(name, est.low),
            "high": scaled(name, est.high),
            "unit": unit if name == "baseline" else ("fraction" if "fraction" in name else "h"),
        }
        for name, est in fit.parameters.items()
    }
    population = {}
    for name in PARAMETERS:
        p = fit.prior.get(name)
        median = fit.prior_medians[name]
        population[name] = {
            "median": scaled(name, median),
            "sd_log": p.sd_log if p else 1.0,
            "scale": "logit" if name == "intravascular_fraction" else "log",
        }
    measured = answer.measured_at[key]
    flags = [
        {
            "at": measured[f.index].isoformat(timespec="minutes"),
            "value": _sig(f.value * factor),
            "expected": _sig(f.expected * factor),
            "z": round(f.z, 2),
            "unit": unit,
            "reason": f.reason,
        }
        for f in fit.flags
    ]
    return {
        "unit": unit,
        "prior": fit.prior.origin,
        "parameters": params,
        "population_parameters": population,
        "predicted": [
            {
                "at": _at(answer, t),
                "value": _sig(v * factor),
                "low": _sig(lo * factor),
                "high": _sig(hi * factor),
                "unit": unit,
            }
            for t, v, lo, hi in zip(band.times_h, band.value, band.low, band.high, strict=True)
        ],
        "before_exchanges": [
            {
                "exchange": b.exchange,
                "at": _at(answer, b.t_h),
                "value": _sig(b.level.value * factor),
                "low": _sig(b.level.low * factor),
                "high": _sig(b.level.high * factor),
                "unit": unit,
            }
            for b in answer.course.before[key]
        ],
        "residual_z": [round(z, 2) for z in fit.residual_z],
        "flags": flags,
    }


def fit_json(answer: FitAnswer) -> dict[str, Any]:
    """The ``calc fit`` answer (contract of issue 18)."""
    advice = list(answer.course.advice)
    for key, fit in answer.course.fits.items():
        label = SUBSTANCES[key].label
        for f in fit.flags:
            at = answer.measured_at[key][f.index].isoformat(timespec="minutes")
            advice.append(
                f"{label} {_sig(f.value * answer.factors[key], 3):g} {answer.units[key]} at {at} "
                f"is implausible (expected about {_sig(f.expected * answer.factors[key], 2):g}, "
                f"z = {f.z:+.1f}): {f.reason}; left out of the fit, repeat the sample."
            )
    return {
        "time_zero": answer.time_zero.isoformat(timespec="minutes"),
        "priors": answer.prior_choice,
        "substances": {
            key: _substance_json(answer, key, fit) for key, fit in answer.course.fits.items()
        },
        "advice": advice,
        "sources": [source_dict(key) for key in answer.sources],
        "rule_version": RULE_VERSION,
    }


_HELP = """\
Request (JSON object; unknown fields are refused):
  sex, height_cm, weight_kg, hematocrit, volume_method, age_years
                the patient, as in calc plan (plasma volume by Nadler default)
  exchanges     [{"start": ISO datetime with offset, "plasma_volumes": 1.0,
                "duration_h": 2 (optional; default 2 h, a model assumption)}]
                done and planned, in order; those starting after the last
                measurement are the remaining ones
  measurements  [{"substance": "igg" | "fibrinogen" | "natalizumab" |
                "ocrelizumab" | "rituximab", "at": ISO datetime with offset,
                "value": number, "unit": "g/L" | "mg/dL" | "g/dL" | "mg/L"
                (a drug: its assay's unit, the same for all its samples)}]
  predict_at    [ISO datetimes] (optional; default every 6 h from the first
                exchange or sample to 72 h after the course)
  priors        "population" (default: literature) | "centre" | "registry"
                (learned from the registry's labs: fit a stored course with
                POST /api/courses/{id}/fit, or pass prior_parameters)
  prior_parameters  {substance: {parameter: {"median", "sd_log"}}} (optional)

Response (JSON object):
  time_zero, priors,
  substances: {name: {unit, prior,
    parameters: {baseline, intravascular_fraction,
      redistribution_half_time_h, elimination_half_life_h:
      {value, low, high, unit}} (maximum a posteriori, 90% interval),
    population_parameters: {same names: {median, sd_log, scale}},
    predicted: [{at, value, low, high, unit}] (fitted and predicted level,
      90% band of a new measurement: model uncertainty plus assay noise),
    before_exchanges: [{exchange, at, value, low, high, unit}] (each
      remaining exchange), residual_z (per measurement, in time order),
    flags: [{at, value, expected, z, unit, reason}] (|z| > 3: left out)}},
  advice: list of text (next session; implausible samples),
  sources: list of {key, citation, doi, url, verified}, rule_version.
Values are in the unit of the measurements. Model: MAP fit with log-normal
population priors on the exact two-compartment solution (docs: README)."""

CALCULATOR: Calculator[FitRequest, FitAnswer] = Calculator(
    name="fit",
    summary="The patient's own IgG, fibrinogen or drug kinetics fitted to measured levels: "
    "parameters, 90% bands, levels before the remaining exchanges and advice.",
    request_model=FitRequest,
    compute=compute_fit,
    to_json=fit_json,
    help=_HELP,
)
