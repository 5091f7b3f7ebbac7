"""Sufficient statistics of per-course kinetic estimates, pooled exactly across registry nodes
(issue 19, item 3: federated kinetic priors).

A node fits its courses (:mod:`plexms.core.kinetics.fit`) and, per substance and parameter,
publishes :class:`Moments`: how many estimates, their mean on the prior's scale (log; logit for
the intravascular fraction, :func:`plexms.core.kinetics.priors.to_scale`), the sum of their
squared deviations from that mean and their mean posterior variance. These pool exactly: the
hub's :func:`pool` of the nodes' moments equals the moments of all their estimates put
together (Chan, Golub and LeVeque's pairwise update, CHAN_1983), so the hub learns the
log-normal it would have learned from the rows without seeing one. A node whose estimates come
from fewer than ``k`` patients publishes nothing for that substance
(:func:`plexms.core.disclosure.is_small`): it is reported as withheld and contributes nothing.

>>> a = moments([(math.log(500.0), 0.1), (math.log(400.0), 0.1)])
>>> b = moments([(math.log(600.0), 0.2)])
>>> both = moments([(math.log(500.0), 0.1), (math.log(400.0), 0.1), (math.log(600.0), 0.2)])
>>> p = pool([a, None, b])
>>> p.n, math.isclose(p.mean, both.mean), math.isclose(p.m2, both.m2)
(3, True, True)
>>> [round(x) for x in lognormal_range("elimination_half_life_h", p)]
[493, 353, 689]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from plexms.core.disclosure import is_small
from plexms.core.errors import InputError
from plexms.core.kinetics.priors import LogNormal, from_scale, to_scale

__all__ = [
    "EMPTY",
    "Z_90",
    "Moments",
    "combine",
    "learned_prior",
    "lognormal_range",
    "moments",
    "pool",
    "publishable",
]

#: Two-sided 90% quantile of the standard normal: the 90% range of a log-normal prior.
Z_90 = 1.6448536269514722
_MIN_SD_LOG = 0.02  # as pool_priors: a learned prior never collapses to a point


@dataclass(frozen=True)
class Moments:
    """``n`` estimates on the prior's scale: their ``mean``, ``m2`` (the sum of squared
    deviations from the mean) and ``noise`` (their mean posterior variance)."""

    n: int
    mean: float
    m2: float
    noise: float

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise InputError("n", f"{self.n!r} is not a count", allowed=">= 0")
        for name in ("mean", "m2", "noise"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(name, f"{value!r} is not a number", allowed="a finite number")
            if not math.isfinite(value) or (name != "mean" and value < 0):
                raise InputError(
                    name, f"{value!r} is out of range", allowed="finite, m2/noise >= 0"
                )

    @property
    def sd(self) -> float | None:
        """The sample SD of the estimates (``None`` below two)."""
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else None

    def to_dict(self) -> dict[str, float | int]:
        """JSON form (a node's answer)."""
        return {"n": self.n, "mean": self.mean, "m2": self.m2, "noise": self.noise}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Moments:
        """Read a node's answer back; InputError names the field that is wrong."""
        for field in ("n", "mean", "m2", "noise"):
            if field not in raw:
                raise InputError(field, "is missing", allowed="n, mean, m2, noise")
        return cls(raw["n"], raw["mean"], raw["m2"], raw["noise"])


#: No estimates.
EMPTY = Moments(0, 0.0, 0.0, 0.0)


def moments(rows: Sequence[tuple[float, float]]) -> Moments:
    """The moments of ``rows``: (estimate, posterior SD), both on the prior's scale.

    >>> moments([(1.0, 0.5), (3.0, 1.5)])
    Moments(n=2, mean=2.0, m2=2.0, noise=1.25)
    """
    if not rows:
        return EMPTY
    x = np.array([r[0] for r in rows], dtype=float)
    s = np.array([r[1] for r in rows], dtype=float)
    mean = float(np.mean(x))
    return Moments(len(rows), mean, float(np.sum((x - mean) ** 2)), float(np.mean(s * s)))


def combine(a: Moments, b: Moments) -> Moments:
    """The moments of ``a``'s and ``b``'s estimates together (CHAN_1983, pairwise update).

    >>> combine(moments([(1.0, 0.0)]), moments([(3.0, 0.0)])) == moments([(1.0, 0.0), (3.0, 0.0)])
    True
    """
    if a.n == 0:
        return b
    if b.n == 0:
        return a
    n = a.n + b.n
    delta = b.mean - a.mean
    return Moments(
        n,
        a.mean + delta * b.n / n,
        a.m2 + b.m2 + delta * delta * a.n * b.n / n,
        (a.n * a.noise + b.n * b.noise) / n,
    )


def pool(parts: Iterable[Moments | None]) -> Moments:
    """All ``parts`` combined; a withheld part (``None``) contributes nothing."""
    out = EMPTY
    for part in parts:
        if part is not None:
            out = combine(out, part)
    return out


def publishable(m: Moments, patients: int, k: int) -> Moments | None:
    """``m`` as a node may publish it: ``None`` (withheld) when its estimates come from 1 to
    ``k - 1`` patients; no estimates publish as :data:`EMPTY`.

    >>> publishable(moments([(1.0, 0.1)] * 4), 4, k=5) is None
    True
    >>> publishable(moments([(1.0, 0.1)] * 5), 5, k=5).n
    5
    """
    if is_small(patients, k):
        return None
    return m if m.n else EMPTY


def lognormal_range(name: str, m: Moments, z: float = Z_90) -> tuple[float, float, float]:
    """Median and central range (``z``: 90%) of parameter ``name``'s distribution across the
    pooled estimates, back on the parameter's own scale (:func:`from_scale`)."""
    if m.n < 1:
        raise InputError("n", "no estimates to describe", allowed=">= 1")
    sd = m.sd or 0.0
    return (
        from_scale(name, m.mean),
        from_scale(name, m.mean - z * sd),
        from_scale(name, m.mean + z * sd),
    )


def learned_prior(
    name: str, prior: LogNormal, m: Moments, *, prior_weight: float = 10.0
) -> LogNormal:
    """The empirical-Bayes prior :func:`plexms.core.kinetics.priors.pool_priors` learns from
    the same estimates, from their pooled moments only (the between-patient variance is the
    estimates' spread less their mean posterior variance; both shrunk towards ``prior`` with
    the weight of ``prior_weight`` patients).

    >>> old = LogNormal(504.0, 0.2)
    >>> learned_prior("elimination_half_life_h", old, moments([(math.log(400.0), 0.1)] * 40))
    LogNormal(median=418.922899, sd_log=0.0912)
    """
    if prior_weight <= 0:
        raise InputError("prior_weight", f"{prior_weight!r} is not positive", allowed="> 0")
    if m.n < 1:
        return prior
    mu0, sd0 = to_scale(name, prior.median), prior.sd_log
    spread = m.m2 / max(m.n - 1, 1)
    between = max(spread - m.noise, _MIN_SD_LOG**2) if m.n > 1 else sd0 * sd0
    w = m.n / (m.n + prior_weight)
    mu = w * m.mean + (1.0 - w) * mu0
    var = w * between + (1.0 - w) * sd0 * sd0
    return LogNormal(round(from_scale(name, mu), 6), round(max(math.sqrt(var), _MIN_SD_LOG), 4))
