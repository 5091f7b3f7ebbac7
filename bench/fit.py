"""Patient-level kinetic fit (issue 18, item 1): speed, parameter recovery, band coverage.

Synthetic IgG and fibrinogen patients drawn from the population priors
(:mod:`plexms.core.kinetics.fit_validation`): five 1.0-plasma-volume exchanges every other day,
six measurements (before and after each of the first three exchanges) with log-normal assay
noise (CV 6 % IgG, 8 % fibrinogen); five held-out measurements for the bands.

Figures (names fixed by issue 18):

* ``fit.ms_per_patient`` - median CPU time of one fit (6 measurements), vs the same MAP fit
  with the model integrated by ``scipy.integrate.solve_ivp`` (LSODA, rtol 1e-8) per segment and a
  finite-difference Jacobian (the straightforward way);
* ``fit.param_median_rel_error`` - median |estimate / truth - 1| over patients and the four
  parameters (baseline level, intravascular fraction, redistribution half-time, elimination
  half-life), vs the same figure for the population medians (no fit);
* ``fit.band90_coverage`` - share of held-out measurements inside the 90 % band (nominal 0.90).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares

from plexms.core.kinetics.fit import fit_levels
from plexms.core.kinetics.fit_validation import SyntheticPatient, synthetic_patients, validate
from plexms.core.kinetics.priors import PARAMETERS, population_prior, to_scale

N = 400  # per substance, for error and coverage
TIMED = 100
IVP_TIMED = 8
COMMAND = "python -m bench fit"


def _ivp_levels(p: SyntheticPatient, theta: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Levels at ``times`` by integrating the ODE segment by segment (the baseline model)."""
    base = math.exp(theta[0])
    f = 1.0 / (1.0 + math.exp(-theta[1]))
    k = math.log(2) / math.exp(theta[2])
    ke = math.log(2) / max(math.exp(theta[3]), 1.001 * math.exp(theta[2]) / f)
    k21, k12 = f * k, (1 - f) * k
    kel = ke * (k - ke) / (k21 - ke)

    def rhs(_t: float, x: np.ndarray, r: float) -> list[float]:
        return [-(k12 + kel + r) * x[0] + k21 * x[1] + kel * base, k12 * x[0] - k21 * x[1]]

    edges = [0.0]
    rates = []
    for e in p.exchanges:
        edges += [e.start_h, e.start_h + e.duration_h]
        rates += [0.0, e.volume_ml / p.plasma_volume_ml / e.duration_h]
    edges.append(max(float(times.max()), edges[-1]) + 1.0)
    rates.append(0.0)
    x = np.array([base, base * k12 / k21])
    out = np.empty(times.size)
    for i, r in enumerate(rates):
        lo, hi = edges[i], edges[i + 1]
        inside = (times >= lo) & (times < hi)
        sol = solve_ivp(
            rhs,
            (lo, hi),
            x,
            args=(r,),
            method="LSODA",
            rtol=1e-8,
            atol=1e-10,
            t_eval=times[inside] if inside.any() else None,
        )
        if inside.any():
            out[inside] = sol.y[0][: int(inside.sum())]
        x = solve_ivp(rhs, (lo, hi), x, args=(r,), method="LSODA", rtol=1e-8, atol=1e-10).y[:, -1]
    return out


def _ivp_fit(p: SyntheticPatient) -> np.ndarray:
    prior = population_prior(p.substance)
    mu = np.array([to_scale(n, prior.get(n).median) for n in PARAMETERS])  # type: ignore[union-attr]
    sd = np.array([prior.get(n).sd_log for n in PARAMETERS])  # type: ignore[union-attr]
    t = np.array([o.t_h for o in p.observations])
    log_y = np.log([o.value for o in p.observations])

    def residuals(theta: np.ndarray) -> np.ndarray:
        model = np.log(np.maximum(_ivp_levels(p, theta, t), 1e-12))
        return np.concatenate([(log_y - model) / prior.assay_cv, (theta - mu) / sd])

    return np.asarray(least_squares(residuals, mu.copy(), method="lm").x)


def _fit(p: SyntheticPatient) -> None:
    fit_levels(
        p.substance,
        plasma_volume_ml=p.plasma_volume_ml,
        exchanges=p.exchanges,
        observations=p.observations,
    )


def run() -> list[dict[str, Any]]:
    patients = {s: synthetic_patients(s, N, seed=2026) for s in ("igg", "fibrinogen")}
    timed = patients["igg"][: TIMED // 2] + patients["fibrinogen"][: TIMED // 2]
    _fit(timed[0])  # warm-up
    times, walls = [], []
    for p in timed:
        started, wall = time.process_time(), time.perf_counter()
        _fit(p)
        times.append((time.process_time() - started) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    ours_ms = statistics.median(times)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    ivp_times = []
    for p in timed[:IVP_TIMED]:
        started = time.process_time()
        _ivp_fit(p)
        ivp_times.append((time.process_time() - started) * 1000)
    ivp_ms = statistics.median(ivp_times)
    summaries = {s: validate(ps) for s, ps in patients.items()}
    every = [p for ps in patients.values() for p in ps]
    both = validate(every)
    detail = "; ".join(
        f"{s}: fit {v.param_median_rel_error:.3f} vs population "
        f"{v.population_median_rel_error:.3f}, coverage {v.band90_coverage:.3f}"
        for s, v in summaries.items()
    )
    per_param = ", ".join(f"{k} {v:.3f}" for k, v in both.per_parameter.items())
    return [
        {
            "name": "fit.ms_per_patient",
            "value": round(ours_ms, 2),
            "unit": "ms",
            "baseline": f"same MAP fit with solve_ivp (LSODA) per segment and a finite-difference "
            f"Jacobian, median of {IVP_TIMED} patients (ours: median of {len(timed)}, "
            f"6 measurements each; CPU time; wall {statistics.median(walls):.1f} ms at load "
            f"average {load}; target <= 20 ms)",
            "baseline_value": round(ivp_ms, 1),
            "ratio": round(ivp_ms / ours_ms, 1),
            "command": COMMAND,
        },
        {
            "name": "fit.param_median_rel_error",
            "value": round(both.param_median_rel_error, 4),
            "unit": "relative",
            "baseline": f"population medians without fitting, {len(every)} synthetic patients "
            f"(IgG and fibrinogen, 6 measurements; target <= 0.15; per parameter: {per_param}; "
            f"{detail})",
            "baseline_value": round(both.population_median_rel_error, 4),
            "ratio": round(both.param_median_rel_error / both.population_median_rel_error, 3),
            "command": COMMAND,
        },
        {
            "name": "fit.band90_coverage",
            "value": round(both.band90_coverage, 4),
            "unit": "fraction",
            "baseline": f"nominal 0.90 (target 0.85-0.95), {len(every) * 5} held-out measurements "
            "(before and after exchanges 4 and 5, and 72 h after the course)",
            "baseline_value": 0.9,
            "ratio": round(both.band90_coverage / 0.9, 3),
            "command": COMMAND,
        },
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure)
