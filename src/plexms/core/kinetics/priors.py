"""Population priors of the patient-level kinetic fit, and how a registry updates them.

Each substance's model (:mod:`plexms.core.kinetics.substances`) has three parameters; the fit
(:mod:`plexms.core.kinetics.fit`) adds the patient's pre-course level. Each gets a log-normal
prior whose median is the published population value (the substance's set) and whose spread is
the between-patient variation the literature quotes:

* baseline level - IgG median 10 g/L, log-SD 0.25 (adult reference interval about 7-16 g/L,
  IGG_REFERENCE_QUOTED); fibrinogen median 3.0 g/L, log-SD 0.25 (about 2-4.5 g/L,
  FIBRINOGEN_REFERENCE_QUOTED); an antibody drug has no population level, so its prior is
  centred on the first measured value with log-SD 1.0 (weak);
* intravascular fraction - a *logit*-normal prior (the fraction is bounded by 1): IgG 0.45,
  fibrinogen 0.80 with logit-SD 0.3 (IgG about 0.40-0.50, WALDMANN_STROBER_1969; fibrinogen
  0.75-0.85, COLLEN_1972);
* redistribution half-time - log-SD 0.35 (a model assumption; the time course of rebound
  after exchange varies about as much between patients, REVERBERI_2007);
* elimination half-life - log-SD 0.20 for IgG (half-life about 18-28 days in healthy adults,
  WALDMANN_STROBER_1969), 0.25 for fibrinogen (3-5 days, COLLEN_1972), 0.35 for natalizumab
  (11 +/- 4 days, TYSABRI_LABEL) and 0.30 for the anti-CD20 antibodies (label variability).

The residual (assay plus timing) noise is log-normal with CV 6 % for IgG, 8 % for fibrinogen
and 15 % for the drug assays (ASSAY_CV_QUOTED).

:func:`pool_priors` re-estimates a prior from many patients' fits (empirical Bayes): the new
log-mean is the mean of the per-patient estimates, the new log-SD the between-patient spread
(the spread of the estimates less their average posterior variance), each shrunk towards the
old prior with the weight of ``prior_weight`` pseudo-patients, so a small registry moves the
prior a little and a large one a lot.

>>> p = population_prior("igg")
>>> p.elimination_half_life_h.median, p.elimination_half_life_h.sd_log
(504.0, 0.2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from plexms.core.errors import InputError
from plexms.core.kinetics.substances import resolve_substance

__all__ = [
    "PARAMETERS",
    "LogNormal",
    "SubstancePrior",
    "from_scale",
    "pool_priors",
    "population_prior",
    "to_scale",
]

#: The fitted parameters, in the order of the fit's parameter vector.
PARAMETERS = (
    "baseline",
    "intravascular_fraction",
    "redistribution_half_time_h",
    "elimination_half_life_h",
)
_MIN_SD_LOG = 0.02  # a pooled prior never collapses to a point


@dataclass(frozen=True)
class LogNormal:
    """Median and SD on the log scale (on the logit scale for the intravascular fraction)."""

    median: float
    sd_log: float


@dataclass(frozen=True)
class SubstancePrior:
    """The prior of one substance's fit: one :class:`LogNormal` per parameter.

    ``baseline`` is ``None`` for an antibody drug (centred on the first measurement);
    ``assay_cv`` is the residual noise; ``origin`` says where the prior comes from
    ("population", "centre" or "registry") and ``patients`` how many fits it pools.
    """

    substance: str
    baseline: LogNormal | None
    intravascular_fraction: LogNormal
    redistribution_half_time_h: LogNormal
    elimination_half_life_h: LogNormal
    assay_cv: float
    sources: tuple[str, ...]
    origin: str = "population"
    patients: int = 0

    def get(self, name: str) -> LogNormal | None:
        """The prior of parameter ``name`` (one of :data:`PARAMETERS`)."""
        value: LogNormal | None = getattr(self, name)
        return value


_BASELINE = {"igg": LogNormal(10.0, 0.25), "fibrinogen": LogNormal(3.0, 0.25)}
_HALF_LIFE_SD = {"igg": 0.20, "fibrinogen": 0.25, "natalizumab": 0.35}
_ASSAY_CV = {"igg": 0.06, "fibrinogen": 0.08}
_SOURCES = {
    "igg": ("IGG_REFERENCE_QUOTED", "WALDMANN_STROBER_1969"),
    "fibrinogen": ("FIBRINOGEN_REFERENCE_QUOTED", "COLLEN_1972"),
    "natalizumab": ("TYSABRI_LABEL",),
}


def population_prior(substance: str) -> SubstancePrior:
    """The literature prior of ``substance`` (medians from its parameter set).

    >>> population_prior("fibrinogen").baseline
    LogNormal(median=3.0, sd_log=0.25)
    >>> population_prior("rituximab").baseline is None
    True
    """
    sub = resolve_substance(substance)
    return SubstancePrior(
        substance=sub.key,
        baseline=_BASELINE.get(sub.key),
        intravascular_fraction=LogNormal(sub.intravascular_fraction, 0.3),
        redistribution_half_time_h=LogNormal(sub.redistribution_half_time_h, 0.35),
        elimination_half_life_h=LogNormal(
            sub.elimination_half_life_h, _HALF_LIFE_SD.get(sub.key, 0.30)
        ),
        assay_cv=_ASSAY_CV.get(sub.key, 0.15),
        sources=(
            *_SOURCES.get(sub.key, ()),
            *sub.sources,
            "REVERBERI_2007",
            "ASSAY_CV_QUOTED",
        ),
    )


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def to_scale(name: str, value: float) -> float:
    """``value`` of parameter ``name`` on the scale its prior is normal on."""
    return _logit(min(value, 1.0 - 1e-9)) if name == "intravascular_fraction" else math.log(value)


def from_scale(name: str, x: float) -> float:
    """Inverse of :func:`to_scale`."""
    return _expit(x) if name == "intravascular_fraction" else math.exp(x)


def pool_priors(
    prior: SubstancePrior,
    estimates: Sequence[Mapping[str, tuple[float, float]]],
    *,
    origin: str,
    prior_weight: float = 10.0,
) -> SubstancePrior:
    """Empirical-Bayes update of ``prior`` from per-patient fits.

    ``estimates``: one mapping per patient, parameter name -> (estimate, posterior SD on the
    prior's scale). The baseline is pooled too when the prior has one. ``prior_weight``: the
    old prior counts as this many patients.

    >>> old = population_prior("igg")
    >>> fits = [{"elimination_half_life_h": (math.log(400.0), 0.1)}] * 40
    >>> new = pool_priors(old, fits, origin="registry")
    >>> round(new.elimination_half_life_h.median), new.patients, new.origin
    (419, 40, 'registry')
    """
    if prior_weight <= 0:
        raise InputError("prior_weight", f"{prior_weight!r} is not positive", allowed="> 0")
    changes: dict[str, LogNormal] = {}
    for name in PARAMETERS:
        old = prior.get(name)
        rows = [e[name] for e in estimates if name in e]
        if old is None or not rows:
            continue
        n = len(rows)
        mu0, sd0 = to_scale(name, old.median), old.sd_log
        mean = sum(x for x, _ in rows) / n
        spread = sum((x - mean) ** 2 for x, _ in rows) / max(n - 1, 1)
        noise = sum(s * s for _, s in rows) / n
        between = max(spread - noise, _MIN_SD_LOG**2) if n > 1 else sd0 * sd0
        w = n / (n + prior_weight)
        mu = w * mean + (1.0 - w) * mu0
        var = w * between + (1.0 - w) * sd0 * sd0
        changes[name] = LogNormal(
            round(from_scale(name, mu), 6), round(max(math.sqrt(var), _MIN_SD_LOG), 4)
        )
    pooled: SubstancePrior = replace(prior, origin=origin, patients=len(estimates))
    return replace(pooled, **changes)  # type: ignore[arg-type]
