"""Centre benchmarking of adverse events (issue 18 item 4): rates with Wilson intervals, a
funnel plot of centres and a Bernoulli CUSUM of one centre over time.

* **Rates**: adverse events per 100 procedures, a procedure counted once per type (or once at
  its worst severity: :func:`plexms.core.adverse_events.waa_rates`), each with its Wilson 95%
  interval (WILSON_1927, checked against NEWCOMBE_1998's worked examples).
* **Funnel plot** (SPIEGELHALTER_2005): each centre's proportion of procedures with an
  adverse event against its number of procedures, with control limits around the target
  ``p0`` at ``p0 +/- z sqrt(p0 (1 - p0) / n)`` for z = 1.96 (95%) and 3.09 (99.8%), clipped to
  0-1. The target is the pooled rate of all centres (the registry's own average: like with
  like) unless one is given.
* **Bernoulli CUSUM** (STEINER_2000, without risk adjustment): for each procedure in time
  order with outcome y (1 = an adverse event), the weight is ``y ln(OR) - ln(1 - p0 + OR p0)``,
  the log-likelihood ratio of a rate whose odds are ``OR`` times those of the reference ``p0``
  (``p1 = OR p0 / (1 - p0 + OR p0)``) against ``p0``; ``S_t = max(0, S_(t-1) + W_t)`` signals
  a rise when it reaches ``h`` and starts again from 0. It is computed without a loop over
  procedures: between resets ``S_t = C_t - min(0, min_(j<=t) C_j)`` with C the cumulative sum
  of the weights (Lindley's recursion; from a start value S_0:
  ``S_t = C_t - min(-S_0, min_(j<=t) C_j)``), in vectorised blocks of procedures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from plexms.core.adverse_events import wilson_interval
from plexms.core.errors import InputError

__all__ = [
    "FUNNEL_Z",
    "Cusum",
    "Funnel",
    "FunnelPoint",
    "TypeRate",
    "bernoulli_cusum",
    "cusum_weights",
    "funnel",
    "funnel_limits",
    "rates_by_type",
]

#: Two-sided control limits of the funnel plot: 95% and 99.8% (SPIEGELHALTER_2005).
_BLOCK = 4096  # procedures per vectorised CUSUM pass
FUNNEL_Z = {"95%": 1.959963984540054, "99.8%": 3.090232306167813}


@dataclass(frozen=True)
class TypeRate:
    """One adverse-event type: procedures with it, per 100 procedures, Wilson 95% interval."""

    event_type: str
    procedures_with_event: int
    per_100: float
    ci95_per_100: tuple[float, float]
    by_severity: Mapping[str, int]


def _count(name: str, value: object, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(name, f"{value!r} is not a count", allowed=">= 0")
    if high is not None and value > high:
        raise InputError(name, f"{value} is more than the {high} procedures", allowed=f"0-{high}")
    return value


def rates_by_type(
    procedures: int, counts: Mapping[str, int], by_severity: Mapping[str, Mapping[str, int]]
) -> tuple[TypeRate, ...]:
    """Per type: procedures with at least one event of that type, per 100 and its Wilson 95%
    interval (WILSON_1927); ``by_severity[type]``: that type's events per WAA severity.
    With 0 procedures every rate is 0 with the interval 0-100 (nothing is known).

    >>> [(r.event_type, r.per_100, r.ci95_per_100) for r in rates_by_type(20, {"nausea": 0}, {})]
    [('nausea', 0.0, (0.0, 16.11))]
    """
    n = _count("procedures", procedures)
    rows = []
    for event_type, count in counts.items():
        k = _count(f"counts.{event_type}", count, n)
        if n:
            low, high = wilson_interval(k, n)
            rate = 100.0 * k / n
        else:
            low, high, rate = 0.0, 1.0, 0.0
        rows.append(
            TypeRate(
                event_type,
                k,
                round(rate, 2),
                (round(100 * low, 2), round(100 * high, 2)),
                dict(by_severity.get(event_type, {})),
            )
        )
    return tuple(rows)


def funnel_limits(
    target: float, n: ArrayLike, z: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper control limits (proportions) at ``n`` procedures around ``target``
    (normal approximation, SPIEGELHALTER_2005), clipped to 0-1.

    >>> low, high = funnel_limits(0.05, [100, 10_000], 1.96)
    >>> [round(float(x), 4) for x in (*low, *high)]
    [0.0073, 0.0457, 0.0927, 0.0543]
    """
    if not 0.0 <= target <= 1.0:
        raise InputError("target", f"{target!r} is not a proportion", allowed="0-1")
    sizes = np.asarray(n, dtype=np.float64)
    if sizes.size and float(sizes.min()) < 1:
        raise InputError("n", "a point has no procedures", allowed=">= 1")
    half = z * np.sqrt(target * (1.0 - target) / sizes)
    return np.clip(target - half, 0.0, 1.0), np.clip(target + half, 0.0, 1.0)


@dataclass(frozen=True)
class FunnelPoint:
    """One centre on the funnel: its rate, z-score and where it falls."""

    label: str
    events: int
    procedures: int
    rate: float
    z: float
    position: str  # within | above 95% | above 99.8% | below 95% | below 99.8%


@dataclass(frozen=True)
class Funnel:
    """The target, its origin and the centres (with no procedures left out)."""

    target: float
    target_source: str  # "pooled" or the caller's label
    points: tuple[FunnelPoint, ...]

    def curve(self, n: Sequence[float]) -> dict[str, tuple[list[float], list[float]]]:
        """Control limits (low, high) at ``n`` for each of :data:`FUNNEL_Z`."""
        out = {}
        for name, z in FUNNEL_Z.items():
            low, high = funnel_limits(self.target, n, z)
            out[name] = ([float(x) for x in low], [float(x) for x in high])
        return out


def funnel(
    centres: Sequence[tuple[str, int, int]],
    target: float | None = None,
    target_source: str = "given",
) -> Funnel:
    """Centres ``(label, procedures with an event, procedures)`` on a funnel plot around
    ``target`` (default: the pooled rate). Centres with no procedures are left out.

    >>> f = funnel([("A", 2, 100), ("B", 30, 200), ("C", 20, 700)])
    >>> round(f.target, 4), [p.position for p in f.points]
    (0.052, ['within', 'above 99.8%', 'below 95%'])
    """
    checked = []
    for i, (label, events, procedures) in enumerate(centres):
        n = _count(f"centres[{i}].procedures", procedures)
        k = _count(f"centres[{i}].events", events, n)
        if n:
            checked.append((label, k, n))
    total = sum(n for _, _, n in checked)
    if target is None:
        p0 = sum(k for _, k, _ in checked) / total if total else 0.0
        source = "pooled"
    else:
        if not 0.0 <= target <= 1.0:
            raise InputError("target", f"{target!r} is not a proportion", allowed="0-1")
        p0, source = target, target_source
    points = []
    for label, k, n in checked:
        rate = k / n
        sd = math.sqrt(p0 * (1.0 - p0) / n)
        z = (rate - p0) / sd if sd > 0 else 0.0
        position = "within"
        for name, limit in sorted(FUNNEL_Z.items(), key=lambda item: item[1]):
            if z > limit:
                position = f"above {name}"
            elif z < -limit:
                position = f"below {name}"
        points.append(FunnelPoint(label, k, n, rate, round(z, 3), position))
    return Funnel(p0, source, tuple(points))


def cusum_weights(p0: float, odds_ratio: float) -> tuple[float, float]:
    """Weights of a procedure with and without an adverse event (STEINER_2000).

    >>> [round(w, 6) for w in cusum_weights(0.05, 2.0)]
    [0.644357, -0.04879]
    """
    if not 0.0 < p0 < 1.0:
        raise InputError("p0", f"{p0!r} is not a rate strictly between 0 and 1", allowed="0-1")
    if not odds_ratio > 1.0 or not math.isfinite(odds_ratio):
        raise InputError("odds_ratio", f"{odds_ratio!r}", allowed="> 1 (a rise to detect)")
    norm = math.log(1.0 - p0 + odds_ratio * p0)
    return math.log(odds_ratio) - norm, -norm


@dataclass(frozen=True)
class Cusum:
    """The CUSUM after each procedure, where it signalled, and its design."""

    values: NDArray[np.float64]
    signals: tuple[int, ...]  # 0-based procedure indices at which S reached h (then reset)
    p0: float
    odds_ratio: float
    h: float

    @property
    def p1(self) -> float:
        """The rate the CUSUM is tuned to detect."""
        return self.odds_ratio * self.p0 / (1.0 - self.p0 + self.odds_ratio * self.p0)


def bernoulli_cusum(outcomes: ArrayLike, p0: float, odds_ratio: float, h: float) -> Cusum:
    """Bernoulli CUSUM of ``outcomes`` (0/1 per procedure, in time order) with reset after each
    signal (module docstring; STEINER_2000).

    >>> c = bernoulli_cusum([1, 1, 0, 1, 1, 1], 0.05, 2.0, 2.0)
    >>> [round(float(v), 4) for v in c.values], c.signals
    ([0.6444, 1.2887, 1.2399, 1.8843, 2.5286, 0.6444], (4,))
    """
    y = np.asarray(outcomes)
    if y.ndim != 1 or (y.size and not np.isin(y, (0, 1)).all()):
        raise InputError("outcomes", "must be a sequence of 0 and 1", allowed="0 or 1")
    if not h > 0 or not math.isfinite(h):
        raise InputError("h", f"{h!r}", allowed="> 0")
    w1, w0 = cusum_weights(p0, odds_ratio)
    weights = np.where(y == 1, w1, w0)
    values = np.empty(y.size)
    signals = []
    start, s0 = 0, 0.0
    while start < y.size:  # blocks of procedures, each one vectorised pass
        c = np.cumsum(weights[start : start + _BLOCK])
        s = c - np.minimum(np.minimum.accumulate(c), -s0)
        hit = np.flatnonzero(s >= h)
        end = start + (int(hit[0]) + 1 if hit.size else c.size)
        values[start:end] = s[: end - start]
        if hit.size:
            signals.append(end - 1)
        s0 = 0.0 if hit.size else float(s[-1])
        start = end
    return Cusum(values, tuple(signals), p0, odds_ratio, h)
