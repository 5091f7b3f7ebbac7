"""Synthetic patients with known kinetics: how well :func:`fit_levels` recovers them.

Each patient's parameters are drawn from the prior itself (so the prior is right on average,
as a literature prior should be), a course of five 1.0-plasma-volume exchanges every other day
is simulated with the exact model, and log-normal assay noise with the prior's CV is added.
The fit sees six measurements (before and after each of the first three exchanges, as a
nurse draws them); the measurements before and after exchanges 4 and 5 and 72 h after the
course are held out to check the 90 % bands. Everything is seeded, so a run is reproducible.

>>> cases = synthetic_patients("igg", 4, seed=1)
>>> len(cases[0].observations), len(cases[0].held_out)
(6, 5)
>>> s = validate(cases)
>>> s.patients, 0.0 <= s.band90_coverage <= 1.0
(4, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from plexms.core.kinetics.cohort import simulate_cohort
from plexms.core.kinetics.course import ExchangeEvent
from plexms.core.kinetics.fit import FitResult, Observation, fit_levels, predict_band
from plexms.core.kinetics.priors import (
    PARAMETERS,
    LogNormal,
    SubstancePrior,
    from_scale,
    population_prior,
    to_scale,
)

__all__ = ["SyntheticPatient", "ValidationSummary", "synthetic_patients", "validate"]

_DRUG_BASELINE = LogNormal(20.0, 0.5)  # a drug level in its assay's unit (any scale works)
_FIRST_H = 24.0
_INTERVAL_H = 48.0
_DURATION_H = 2.0
_EXCHANGES = 5
_FITTED = 3  # exchanges whose pre/post levels the fit sees


@dataclass(frozen=True)
class SyntheticPatient:
    """A simulated course with the parameters that generated it."""

    substance: str
    plasma_volume_ml: float
    exchanges: tuple[ExchangeEvent, ...]
    truth: dict[str, float]
    observations: tuple[Observation, ...]
    held_out: tuple[Observation, ...]


@dataclass(frozen=True)
class ValidationSummary:
    """Median relative parameter error (fit and population medians) and band coverage."""

    patients: int
    param_median_rel_error: float
    population_median_rel_error: float
    band90_coverage: float
    per_parameter: dict[str, float]


def synthetic_patients(
    substance: str, n: int, *, seed: int, prior: SubstancePrior | None = None
) -> list[SyntheticPatient]:
    """``n`` seeded synthetic courses of ``substance`` (module docstring)."""
    prior = prior or population_prior(substance)
    rng = np.random.default_rng(seed)
    times_fit = [
        t
        for i in range(_FITTED)
        for t in (_FIRST_H + _INTERVAL_H * i - 0.5, _FIRST_H + _INTERVAL_H * i + _DURATION_H + 0.25)
    ]
    last = _FIRST_H + _INTERVAL_H * (_EXCHANGES - 1) + _DURATION_H
    times_out = [
        t
        for i in range(_FITTED, _EXCHANGES)
        for t in (_FIRST_H + _INTERVAL_H * i - 0.5, _FIRST_H + _INTERVAL_H * i + _DURATION_H + 0.25)
    ] + [last + 72.0]
    out = []
    for _ in range(n):
        truth = {}
        for name in PARAMETERS:
            p = prior.get(name) or _DRUG_BASELINE
            truth[name] = from_scale(name, rng.normal(to_scale(name, p.median), p.sd_log))
        # keep the terminal phase the slower one, as every valid parameter set must
        truth["elimination_half_life_h"] = max(
            truth["elimination_half_life_h"],
            1.05 * truth["redistribution_half_time_h"] / truth["intravascular_fraction"],
        )
        pv = float(rng.uniform(2500.0, 3500.0))
        events = tuple(
            ExchangeEvent(_FIRST_H + _INTERVAL_H * i, _DURATION_H, pv) for i in range(_EXCHANGES)
        )
        times = np.array(times_fit + times_out)
        level = simulate_cohort(
            substance,
            plasma_volume_ml=pv,
            exchange_volume_ml=[e.volume_ml for e in events],
            exchange_start_h=[e.start_h for e in events],
            exchange_duration_h=_DURATION_H,
            intravascular_fraction=truth["intravascular_fraction"],
            redistribution_half_time_h=truth["redistribution_half_time_h"],
            elimination_half_life_h=truth["elimination_half_life_h"],
            baseline=truth["baseline"],
            sample_times_h=times,
        ).curve
        noisy = np.asarray(level)[0] * np.exp(rng.normal(0.0, prior.assay_cv, times.size))
        obs = [Observation(float(t), float(v)) for t, v in zip(times, noisy, strict=True)]
        k = len(times_fit)
        out.append(SyntheticPatient(substance, pv, events, truth, tuple(obs[:k]), tuple(obs[k:])))
    return out


def _rel(estimate: float, true: float) -> float:
    return abs(estimate / true - 1.0)


def validate(
    patients: Sequence[SyntheticPatient], prior: SubstancePrior | None = None
) -> ValidationSummary:
    """Fit every patient; median relative error of the parameters and 90 % band coverage of
    the held-out measurements."""
    errors: dict[str, list[float]] = {name: [] for name in PARAMETERS}
    population: list[float] = []
    inside = total = 0
    for p in patients:
        fit: FitResult = fit_levels(
            p.substance,
            plasma_volume_ml=p.plasma_volume_ml,
            exchanges=p.exchanges,
            observations=p.observations,
            prior=prior,
            flag_z=math.inf,
        )
        for name in PARAMETERS:
            errors[name].append(_rel(fit.parameters[name].value, p.truth[name]))
            population.append(_rel(fit.prior_medians[name], p.truth[name]))
        band = predict_band(fit, [o.t_h for o in p.held_out])
        for o, lo, hi in zip(p.held_out, band.low, band.high, strict=True):
            inside += lo <= o.value <= hi
            total += 1
    every = [e for values in errors.values() for e in values]
    return ValidationSummary(
        patients=len(patients),
        param_median_rel_error=float(np.median(every)),
        population_median_rel_error=float(np.median(population)),
        band90_coverage=inside / total,
        per_parameter={name: float(np.median(v)) for name, v in errors.items()},
    )
