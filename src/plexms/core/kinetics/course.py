"""One patient's course: the level before and after each exchange (contract for calc plan/dmt).

A thin wrapper over :func:`plexms.core.kinetics.simulate_cohort` with a cohort of one.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from plexms.core.errors import InputError
from plexms.core.kinetics.cohort import (
    DURATION_MAX_H,
    DURATION_MIN_H,
    MAX_VOLUMES_PER_EXCHANGE,
    PLASMA_VOLUME_MAX_ML,
    PLASMA_VOLUME_MIN_ML,
    simulate_cohort,
)
from plexms.core.kinetics.exact import GAP_TOLERANCE_H
from plexms.core.kinetics.substances import Substance, resolve_substance

__all__ = ["CoursePrediction", "ExchangeEvent", "predict_course"]

DEFAULT_CURVE_TAIL_H = 72.0  # curve runs this long past the last exchange (ORLIN_1980 window)
MAX_SAMPLES = 100_000  # a bound on the curve a single request can ask for


@dataclass(frozen=True)
class ExchangeEvent:
    """One exchange: starts ``start_h`` hours after time 0, lasts ``duration_h`` (> 0) and
    exchanges ``volume_ml`` of plasma."""

    start_h: float
    duration_h: float
    volume_ml: float


@dataclass(frozen=True)
class CoursePrediction:
    """Predicted plasma levels as fractions of the time-0 level.

    ``one_compartment_post[i]`` is e^-x for exchange i alone (x = volume / plasma volume): the
    fraction of its pre-exchange level a one-compartment model leaves, for comparison with
    ``post[i] / pre[i]``. ``removed[i]`` is the amount exchange i removes, as a fraction of the
    body amount (plasma + extravascular) at time 0; with ``initial="after_infusion"`` that is
    the fraction of the infused dose.
    """

    substance: str
    pre: tuple[float, ...]
    post: tuple[float, ...]
    one_compartment_post: tuple[float, ...]
    curve: tuple[tuple[float, float], ...]
    sources: tuple[str, ...]
    removed: tuple[float, ...] = ()


def predict_course(
    substance: Substance | str,
    *,
    plasma_volume_ml: float,
    exchanges: Sequence[ExchangeEvent],
    initial: Literal["steady_state", "after_infusion"] = "steady_state",
    sample_every_h: float | None = None,
    until_h: float | None = None,
) -> CoursePrediction:
    """Level before and after each exchange of a course (two-compartment model, exact).

    ``initial="steady_state"``: time 0 is the pre-course steady state (for an antibody drug,
    the terminal phase long after its last dose). ``"after_infusion"``: time 0 is the end of
    an intravenous dose, all of it in plasma, no synthesis. A curve of (t_h, fraction) is
    sampled every ``sample_every_h`` hours (default 1 h when only ``until_h`` is given) up to
    ``until_h`` (default 72 h after the last exchange), plus the start and end of each
    exchange. Sources: the substance's, REVERBERI_2007 (model), ONE_COMPARTMENT (e^-x).

    >>> p = predict_course(
    ...     "igg", plasma_volume_ml=3000, exchanges=[ExchangeEvent(0.0, 2.0, 3000)]
    ... )
    >>> p.pre, round(p.post[0], 3), round(p.one_compartment_post[0], 4)
    ((1.0,), 0.382, 0.3679)
    """
    sub = resolve_substance(substance)
    pv = _number(
        "plasma_volume_ml",
        plasma_volume_ml,
        f"{PLASMA_VOLUME_MIN_ML:g}-{PLASMA_VOLUME_MAX_ML:g} mL",
        lower=PLASMA_VOLUME_MIN_ML,
        upper=PLASMA_VOLUME_MAX_ML,
    )
    events = list(exchanges)
    end = 0.0
    for i, ev in enumerate(events):
        if not isinstance(ev, ExchangeEvent):
            raise InputError(
                f"exchanges[{i}]", f"{ev!r} is not an ExchangeEvent", allowed="ExchangeEvent"
            )
        start = _number(f"exchanges[{i}].start_h", ev.start_h, ">= 0 h, finite", lower=0.0)
        _number(
            f"exchanges[{i}].duration_h",
            ev.duration_h,
            f"{DURATION_MIN_H:.4g}-{DURATION_MAX_H:g} h",
            lower=DURATION_MIN_H,
            upper=DURATION_MAX_H,
        )
        _number(
            f"exchanges[{i}].volume_ml",
            ev.volume_ml,
            f"0 to {MAX_VOLUMES_PER_EXCHANGE:g} x plasma_volume_ml",
            lower=0.0,
            upper=MAX_VOLUMES_PER_EXCHANGE * pv,
        )
        if start < end - GAP_TOLERANCE_H:
            raise InputError(
                f"exchanges[{i}].start_h",
                f"{start} h is before the end of exchange {i - 1} at {end} h",
                allowed="each exchange at or after the end of the previous one",
            )
        end = start + ev.duration_h
    start_h = np.array([ev.start_h for ev in events], dtype=np.float64)
    dur = np.array([ev.duration_h for ev in events], dtype=np.float64)
    vol = np.array([ev.volume_ml for ev in events], dtype=np.float64)
    times = _curve_times(start_h, dur, sample_every_h, until_h)
    res = simulate_cohort(
        sub,
        plasma_volume_ml=pv,
        exchange_volume_ml=vol,
        exchange_start_h=start_h,
        exchange_duration_h=dur,
        initial=initial,
        sample_times_h=times,
        amounts=True,
    )
    removed = np.asarray(res.removed)[0] / np.asarray(res.body_initial)[0]
    curve: tuple[tuple[float, float], ...] = ()
    if times is not None:
        curve = tuple(zip(times.tolist(), np.asarray(res.curve)[0].tolist(), strict=True))
    return CoursePrediction(
        substance=sub.key,
        pre=tuple(res.pre[0].tolist()),
        post=tuple(res.post[0].tolist()),
        one_compartment_post=tuple(np.exp(-vol / pv).tolist()),
        curve=curve,
        sources=(*sub.sources, "REVERBERI_2007", "ONE_COMPARTMENT"),
        removed=tuple(removed.tolist()),
    )


def _number(
    name: str,
    value: object,
    allowed: str,
    *,
    lower: float | None = None,
    lower_open: float | None = None,
    upper: float = math.inf,
) -> float:
    """``value`` as a float, or InputError naming ``name`` and the allowed range."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    ok = ok and number < math.inf and number <= upper
    if lower is not None:
        ok = ok and lower <= number
    if lower_open is not None:
        ok = ok and lower_open < number
    if not ok:
        raise InputError(name, f"{value!r} is out of range", allowed=allowed)
    return number


def _curve_times(
    start: np.ndarray, dur: np.ndarray, every: float | None, until: float | None
) -> np.ndarray | None:
    if every is None and until is None:
        return None
    step = 1.0 if every is None else _number("sample_every_h", every, "> 0 h", lower_open=0.0)
    end = float(start[-1] + dur[-1]) if start.size else 0.0
    stop = end + DEFAULT_CURVE_TAIL_H if until is None else until
    stop = _number("until_h", stop, "> 0 h, finite", lower_open=0.0)
    if stop / step > MAX_SAMPLES:
        raise InputError(
            "sample_every_h",
            f"{stop / step:.0f} samples requested",
            allowed=f"at most {MAX_SAMPLES:,} samples up to until_h",
        )
    grid = np.arange(0.0, stop + step * 1e-9, step)
    edges = np.concatenate([start, start + dur])
    return np.unique(np.concatenate([grid, edges[edges <= stop]]))
