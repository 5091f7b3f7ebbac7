"""One patient's own kinetics: a maximum a posteriori fit to the levels measured in a course.

The model is the exact two-compartment solution (:func:`plexms.core.kinetics.simulate_cohort`);
the parameters are the patient's pre-course level and the substance's three parameters, each
with the population prior of :mod:`plexms.core.kinetics.priors` (log-normal; logit-normal for
the intravascular fraction). Measurements carry log-normal assay noise (CV from the prior),
so the negative log posterior is a sum of squares::

    sum_i ((log y_i - log m_i(theta)) / sigma)^2 + sum_j ((theta_j - mu_j) / s_j)^2

minimised by Levenberg-Marquardt (``scipy.optimize.least_squares``: SciPy is used here for the
fit only, everything else is NumPy). The Jacobian is a forward difference, every perturbed
parameter set evaluated in one vectorised call of the exact solution (a cohort of five).

Uncertainty is the Laplace approximation: the posterior covariance of theta is (J'J)^-1 of the
whitened residuals at the optimum. A 90 % band for a level is the delta method in log space,
log m +/- 1.645 sqrt(g' C g + sigma^2) (g = d log m / d theta), i.e. the range in which a new
*measurement* should fall (model uncertainty plus assay noise).

A measurement whose standardised residual exceeds 3/4 of ``flag_z`` (default 3) is refitted
without it; if its standardised prediction error from the others exceeds ``flag_z`` (a value
the model cannot reach) it is flagged and left out (mislabelled sample, bleeding, plasma or
IVIG given). At most one measurement in four, and at most :data:`MAX_FLAGS`, are flagged.

>>> from plexms.core.kinetics import ExchangeEvent
>>> events = [ExchangeEvent(24.0 + 48.0 * i, 2.0, 3000.0) for i in range(3)]
>>> obs = [Observation(23.0, 10.2), Observation(26.5, 4.1), Observation(71.0, 6.0)]
>>> fit = fit_levels("igg", plasma_volume_ml=3000.0, exchanges=events, observations=obs)
>>> round(fit.parameters["baseline"].value, 1), fit.flags
(10.1, ())
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from plexms.core.errors import InputError
from plexms.core.kinetics.cohort import simulate_cohort
from plexms.core.kinetics.course import ExchangeEvent
from plexms.core.kinetics.priors import (
    PARAMETERS,
    LogNormal,
    SubstancePrior,
    from_scale,
    population_prior,
    to_scale,
)
from plexms.core.kinetics.substances import (
    FRACTION_MIN,
    REDISTRIBUTION_MAX_H,
    REDISTRIBUTION_MIN_H,
    resolve_substance,
)

__all__ = [
    "MAX_FLAGS",
    "Band",
    "Estimate",
    "FitResult",
    "Flag",
    "Observation",
    "fit_levels",
    "predict_band",
]

F64 = NDArray[np.float64]
Z90 = 1.6448536269514722  # two-sided 90 %: the 95th percentile of N(0, 1)
_STEP = 1e-6  # forward-difference step in theta
_FLOOR = 1e-12  # levels are positive; guard the logarithm
# An outlier pulls the fit towards itself and hides part of its residual, so a point is
# screened at 3/4 of the threshold and judged by its prediction error from the others.
_SCREEN = 0.75
MAX_FLAGS = 3  # per substance: more implausible samples than this is a problem of the record


@dataclass(frozen=True)
class Observation:
    """One measured level: ``t_h`` hours after time 0, in the prior's unit (g/L for IgG and
    fibrinogen)."""

    t_h: float
    value: float


@dataclass(frozen=True)
class Estimate:
    """A fitted parameter: the estimate and its 90 % interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Flag:
    """A measurement the model cannot explain (left out of the fit)."""

    index: int
    t_h: float
    value: float
    expected: float
    z: float
    reason: str


@dataclass(frozen=True)
class Band:
    """Predicted levels at ``times_h`` with the 90 % band of a new measurement."""

    times_h: tuple[float, ...]
    value: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@dataclass(frozen=True)
class FitResult:
    """The fit of one substance: estimates, the prior used, the posterior and the flags.

    ``theta`` and ``covariance`` are on the prior's scales (log; logit for the fraction), in the
    order of :data:`plexms.core.kinetics.priors.PARAMETERS`.
    """

    substance: str
    parameters: dict[str, Estimate]
    prior: SubstancePrior
    prior_medians: dict[str, float]
    theta: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    plasma_volume_ml: float
    exchanges: tuple[ExchangeEvent, ...]
    observations: tuple[Observation, ...]
    residual_z: tuple[float, ...]
    flags: tuple[Flag, ...]
    evaluations: int

    def posterior_sd(self) -> dict[str, float]:
        """Posterior SD of each parameter on its prior's scale (for pooling)."""
        return {n: math.sqrt(self.covariance[j][j]) for j, n in enumerate(PARAMETERS)}


class _Model:
    """The exact solution for one schedule, evaluated for many parameter vectors at once."""

    def __init__(self, substance: str, pv: float, events: Sequence[ExchangeEvent]) -> None:
        self.synthesis = 1.0 if resolve_substance(substance).synthesis else 0.0
        self.pv = pv
        self.start = np.array([e.start_h for e in events], dtype=np.float64)
        self.dur = np.array([e.duration_h for e in events], dtype=np.float64)
        self.vol = np.array([e.volume_ml for e in events], dtype=np.float64)
        self.calls = 0

    def levels(self, theta: F64, times: F64) -> F64:
        """Levels (n, m) for parameter rows ``theta`` (n, 4) at ``times`` (m,)."""
        self.calls += 1
        base = np.exp(theta[:, 0])
        frac = np.clip(1.0 / (1.0 + np.exp(-theta[:, 1])), FRACTION_MIN, 1.0 - 1e-9)
        t_r = np.clip(np.exp(theta[:, 2]), REDISTRIBUTION_MIN_H, REDISTRIBUTION_MAX_H)
        t_e = np.maximum(np.exp(theta[:, 3]), 1.001 * t_r / frac)  # terminal phase slower
        res = simulate_cohort(
            plasma_volume_ml=self.pv,
            exchange_volume_ml=self.vol,
            exchange_start_h=self.start,
            exchange_duration_h=self.dur,
            intravascular_fraction=frac,
            redistribution_half_time_h=t_r,
            elimination_half_life_h=t_e,
            synthesis=self.synthesis,
            baseline=base,
            sample_times_h=times,
        )
        out: F64 = np.maximum(np.asarray(res.curve, dtype=np.float64), _FLOOR)
        return out

    def log_and_gradient(self, theta: F64, times: F64) -> tuple[F64, F64]:
        """log m(times) at ``theta`` (m,) and d log m / d theta (m, 4), one call."""
        rows = np.vstack([theta, theta + _STEP * np.eye(theta.size)])
        logs = np.log(self.levels(rows, times))
        return logs[0], ((logs[1:] - logs[0]) / _STEP).T


def _prior_vectors(prior: SubstancePrior, first_value: float) -> tuple[F64, F64]:
    mu, sd = [], []
    for name in PARAMETERS:
        p = prior.get(name) or LogNormal(first_value, 1.0)
        mu.append(to_scale(name, p.median))
        sd.append(p.sd_log)
    return np.array(mu), np.array(sd)


def _check(observations: Sequence[Observation]) -> None:
    if not observations:
        raise InputError("measurements", "no measurement to fit", allowed="at least one")
    for i, o in enumerate(observations):
        if not (o.value > 0 and math.isfinite(o.value)):
            raise InputError(f"measurements[{i}].value", f"{o.value!r}", allowed="> 0, finite")
        if not (o.t_h >= 0 and math.isfinite(o.t_h)):
            raise InputError(f"measurements[{i}].at", f"{o.t_h!r} h", allowed=">= time 0")


def _solve(
    model: _Model, obs_t: F64, log_y: F64, sigma: float, mu: F64, sd: F64
) -> tuple[F64, F64]:
    """MAP theta and its Laplace covariance from the observations given."""
    cache: dict[bytes, F64] = {}

    def residuals(theta: F64) -> F64:
        logs, grad = model.log_and_gradient(theta, obs_t)
        jac = np.vstack([-grad / sigma, np.diag(1.0 / sd)])
        cache[theta.tobytes()] = jac
        return np.concatenate([(log_y - logs) / sigma, (theta - mu) / sd])

    def jacobian(theta: F64) -> F64:
        return cache[theta.tobytes()]  # MINPACK evaluates the residuals at x before J at x

    sol = least_squares(residuals, mu.copy(), jac=jacobian, method="lm", xtol=1e-8, ftol=1e-8)
    theta: F64 = np.array(sol.x, dtype=np.float64)
    residuals(theta)
    jac = cache[theta.tobytes()]
    cov: F64 = np.asarray(np.linalg.pinv(jac.T @ jac), dtype=np.float64)
    return theta, cov


def _band(model: _Model, theta: F64, cov: F64, times: F64, sigma: float) -> tuple[F64, F64]:
    """Predicted level and the log-scale SD of a new measurement at ``times``."""
    logs, grad = model.log_and_gradient(theta, times)
    var = np.einsum("ij,jk,ik->i", grad, cov, grad) + sigma * sigma
    return np.exp(logs), np.sqrt(var)


def fit_levels(
    substance: str,
    *,
    plasma_volume_ml: float,
    exchanges: Sequence[ExchangeEvent],
    observations: Sequence[Observation],
    prior: SubstancePrior | None = None,
    flag_z: float = 3.0,
) -> FitResult:
    """MAP fit of one substance's kinetics to the patient's measured levels (module docstring).

    Time 0 is the pre-course steady state and must not be after the first exchange or the first
    measurement; levels are in the prior's unit. Sources: the prior's, REVERBERI_2007 (model).
    """
    prior = prior or population_prior(substance)
    _check(observations)
    obs = tuple(observations)
    model = _Model(substance, plasma_volume_ml, exchanges)
    t = np.array([o.t_h for o in obs])
    log_y = np.log(np.array([o.value for o in obs]))
    sigma = prior.assay_cv
    mu, sd = _prior_vectors(prior, obs[0].value)
    used = np.ones(len(obs), dtype=bool)
    theta, cov = _solve(model, t, log_y, sigma, mu, sd)
    flags: list[Flag] = []
    for _ in range(min(len(obs) // 4, MAX_FLAGS)):
        z_fit = (log_y - np.log(model.levels(theta[None, :], t)[0])) / sigma
        cand = int(np.argmax(np.where(used, np.abs(z_fit), -1.0)))
        if abs(z_fit[cand]) <= _SCREEN * flag_z:
            break
        trial = used.copy()
        trial[cand] = False
        theta_loo, cov_loo = _solve(model, t[trial], log_y[trial], sigma, mu, sd)
        level, sd_pred = _band(model, theta_loo, cov_loo, t[cand : cand + 1], sigma)
        z = float((log_y[cand] - math.log(level[0])) / sd_pred[0])
        if abs(z) <= flag_z:
            break
        used, theta, cov = trial, theta_loo, cov_loo
        flags.append(Flag(cand, obs[cand].t_h, obs[cand].value, float(level[0]), z, _why(z)))
    z_all = (log_y - np.log(model.levels(theta[None, :], t)[0])) / sigma
    half = Z90 * np.sqrt(np.diag(cov))
    return FitResult(
        substance=resolve_substance(substance).key,
        parameters={
            n: Estimate(
                from_scale(n, theta[j]),
                from_scale(n, theta[j] - half[j]),
                from_scale(n, theta[j] + half[j]),
            )
            for j, n in enumerate(PARAMETERS)
        },
        prior=prior,
        prior_medians={n: from_scale(n, mu[j]) for j, n in enumerate(PARAMETERS)},
        theta=tuple(theta.tolist()),
        covariance=tuple(tuple(row) for row in cov.tolist()),
        plasma_volume_ml=plasma_volume_ml,
        exchanges=tuple(exchanges),
        observations=obs,
        residual_z=tuple(z_all.tolist()),
        flags=tuple(sorted(flags, key=lambda f: f.index)),
        evaluations=model.calls,
    )


def _why(z: float) -> str:
    if z > 0:
        return (
            "higher than the model can reach: plasma, IVIG or a transfusion given, "
            "or a mislabelled sample"
        )
    return "lower than the model allows: bleeding, dilution or a mislabelled sample"


def predict_band(
    fit: FitResult,
    times_h: Sequence[float],
    exchanges: Sequence[ExchangeEvent] | None = None,
) -> Band:
    """Fitted level and 90 % band at ``times_h`` (hours from time 0), for the fit's exchanges
    or another schedule (e.g. the remaining exchanges one day later).

    >>> from plexms.core.kinetics import ExchangeEvent
    >>> events = [ExchangeEvent(1.0, 2.0, 3000.0)]
    >>> fit = fit_levels(
    ...     "fibrinogen", plasma_volume_ml=3000.0, exchanges=events,
    ...     observations=[Observation(0.0, 3.1), Observation(3.5, 1.2)],
    ... )
    >>> band = predict_band(fit, [48.0])
    >>> band.low[0] < band.value[0] < band.high[0]
    True
    """
    times = np.array(times_h, dtype=np.float64)
    if times.size == 0:
        return Band((), (), (), ())
    model = _Model(fit.substance, fit.plasma_volume_ml, exchanges or fit.exchanges)
    theta = np.array(fit.theta)
    level, sd = _band(model, theta, np.array(fit.covariance), times, fit.prior.assay_cv)
    return Band(
        tuple(times.tolist()),
        tuple(level.tolist()),
        tuple((level * np.exp(-Z90 * sd)).tolist()),
        tuple((level * np.exp(Z90 * sd)).tolist()),
    )
