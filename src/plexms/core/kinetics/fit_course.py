"""A course fitted substance by substance: levels before each remaining exchange, and advice.

The exchanges of a course that start after the last measurement are the *remaining* ones.
For each fitted substance the level just before each of them is predicted with its 90 % band
(:func:`plexms.core.kinetics.fit.predict_band`). Advice is written for the first remaining
exchange whose level is, or may be, below the substance's threshold (fibrinogen: the centre's
hold threshold, 1.0 g/L by default, WODAJO_2024; IgG: the centre's warning level): the fitted
model is asked whether one or two more days before that exchange keep the level above the
threshold; otherwise plasma for the last third of the replacement is proposed (WODAJO_2024).

>>> from plexms.core.kinetics import ExchangeEvent
>>> from plexms.core.kinetics.fit import Observation
>>> events = [ExchangeEvent(1.0 + 24.0 * i, 2.0, 3000.0) for i in range(4)]
>>> obs = {"fibrinogen": [Observation(0.0, 1.8), Observation(3.5, 0.7)]}
>>> course = fit_course(
...     plasma_volume_ml=3000.0, exchanges=events, observations=obs,
...     thresholds={"fibrinogen": (1.0, "WODAJO_2024")},
... )
>>> [b.exchange for b in course.before["fibrinogen"]]
[2, 3, 4]
>>> print(course.advice[0])  # doctest: +NORMALIZE_WHITESPACE
Fibrinogen predicted 0.8 g/L (90%: 0.6–1.1) before exchange 3, below 1.0 g/L (WODAJO_2024):
extend the interval by 1 day (1.1 g/L predicted) or give plasma for the last third.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from plexms.core.kinetics.course import ExchangeEvent
from plexms.core.kinetics.fit import Estimate, FitResult, Observation, fit_levels, predict_band
from plexms.core.kinetics.priors import SubstancePrior
from plexms.core.kinetics.substances import resolve_substance

__all__ = ["BeforeExchange", "CourseFit", "fit_course"]

_BEFORE_H = 0.25  # "before exchange n": a sample drawn a quarter of an hour before it starts
_DAY_H = 24.0
_MAX_EXTRA_DAYS = 2


@dataclass(frozen=True)
class BeforeExchange:
    """Predicted level before a remaining exchange (1-based number) with its 90 % band."""

    exchange: int
    t_h: float
    level: Estimate


@dataclass(frozen=True)
class CourseFit:
    """Every substance's fit, the predictions before the remaining exchanges and the advice."""

    fits: dict[str, FitResult]
    before: dict[str, tuple[BeforeExchange, ...]]
    advice: tuple[str, ...]
    remaining_from: int | None  # the first remaining exchange (1-based), None when none


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _before(fit: FitResult, first: int, events: Sequence[ExchangeEvent]) -> list[BeforeExchange]:
    times = [max(e.start_h - _BEFORE_H, 0.0) for e in events[first - 1 :]]
    band = predict_band(fit, times, events)
    return [
        BeforeExchange(first + i, t, Estimate(v, lo, hi))
        for i, (t, v, lo, hi) in enumerate(zip(times, band.value, band.low, band.high, strict=True))
    ]


def _shifted(events: Sequence[ExchangeEvent], n: int, days: int) -> list[ExchangeEvent]:
    return [
        replace(e, start_h=e.start_h + _DAY_H * days) if i >= n - 1 else e
        for i, e in enumerate(events)
    ]


def _advice(
    fit: FitResult,
    rows: Sequence[BeforeExchange],
    threshold: float,
    source: str,
    unit: str,
    factor: float,
) -> str | None:
    if not rows:
        return None
    label = resolve_substance(fit.substance).label
    below = next((r for r in rows if r.level.value < threshold), None)
    low_row = below or next((r for r in rows if r.level.low < threshold), None)
    row = low_row or rows[0]
    lvl = row.level
    head = (
        f"{label} predicted {_fmt(lvl.value * factor)} {unit} (90%: {_fmt(lvl.low * factor)}"
        f"\u2013{_fmt(lvl.high * factor)}) before exchange {row.exchange}"
    )
    limit = f"{_fmt(threshold * factor)} {unit} ({source})"
    if low_row is None:
        return f"{head}: above {limit}."
    if lvl.value >= threshold:
        return f"{head}: may be below {limit}; measure it before that session."
    for days in range(1, _MAX_EXTRA_DAYS + 1):
        later = _shifted(fit.exchanges, row.exchange, days)
        t = later[row.exchange - 1].start_h - _BEFORE_H
        value = predict_band(fit, [t], later).value[0]
        if value >= threshold:
            extend = (
                f"extend the interval by {days} day{'s' if days > 1 else ''} "
                f"({_fmt(value * factor)} {unit} predicted)"
            )
            return f"{head}, below {limit}: {extend} or give plasma for the last third."
    return (
        f"{head}, below {limit}: give plasma for the last third of the replacement "
        "(a longer interval of up to two days is not enough)."
    )


def fit_course(
    *,
    plasma_volume_ml: float,
    exchanges: Sequence[ExchangeEvent],
    observations: Mapping[str, Sequence[Observation]],
    priors: Mapping[str, SubstancePrior] | None = None,
    thresholds: Mapping[str, tuple[float, str]] | None = None,
    display: Mapping[str, tuple[str, float]] | None = None,
) -> CourseFit:
    """Fit each substance of ``observations`` and advise on the remaining exchanges.

    ``thresholds``: substance -> (level in the canonical unit, source key); ``display``:
    substance -> (unit, factor from the canonical unit) for the advice text (default g/L).
    """
    events = list(exchanges)
    fits = {
        key: fit_levels(
            key,
            plasma_volume_ml=plasma_volume_ml,
            exchanges=events,
            observations=obs,
            prior=(priors or {}).get(key),
        )
        for key, obs in observations.items()
    }
    last = max((o.t_h for obs in observations.values() for o in obs), default=0.0)
    first = next((i + 1 for i, e in enumerate(events) if e.start_h > last), None)
    before: dict[str, tuple[BeforeExchange, ...]] = {}
    advice: list[str] = []
    for key, fit in fits.items():
        rows = _before(fit, first, events) if first is not None else []
        before[key] = tuple(rows)
        if thresholds and key in thresholds:
            unit, factor = (display or {}).get(key, ("g/L", 1.0))
            text = _advice(fit, rows, *thresholds[key], unit, factor)
            if text:
                advice.append(text)
    return CourseFit(fits, before, tuple(advice), first)
