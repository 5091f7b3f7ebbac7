"""Absolute fibrinogen and IgG before each exchange, from the latest measured value.

The plan's kinetic prediction is a fraction of the pre-course level; a measured level (g/L)
taken before the course turns it into absolute numbers. When the level predicted before an
exchange falls below the centre's threshold (fibrinogen: the plasma threshold, 1.0 g/L,
WODAJO_2024; IgG: ``igg_warning_below_g_l``, LOCAL_POLICY), the plan warns with the predicted
number (rule PLAN-LEVEL) and proposes the nearest safe change, each checked with the same model:
a longer interval (one or two more days between exchanges), plasma for part of the
replacement from that exchange on, or fewer exchanges.

Five daily 1.0-plasma-volume exchanges from a fibrinogen of 1.8 g/L:

>>> from plexms.core.kinetics import ExchangeEvent
>>> daily = tuple(ExchangeEvent(24.0 * i, 2.0, 3000.0) for i in range(5))
>>> f = forecast_level("fibrinogen", 1.8, 1.0, daily, 3000.0)
>>> f.first_below, round(f.pre[2], 2), f.proposals[0][:37]
(3, 0.82, 'a longer interval: 1 more day between')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plexms.core.kinetics import ExchangeEvent, predict_course

__all__ = ["LEVEL_SUBSTANCES", "LevelForecast", "forecast_level", "level_warning"]

#: Substances with a measured-level input in the plan request (g/L) and their display names.
LEVEL_SUBSTANCES = {"fibrinogen": "Fibrinogen", "igg": "IgG"}
_MAX_EXTRA_DAYS = 2


@dataclass(frozen=True)
class LevelForecast:
    """Predicted absolute level (g/L) before each exchange, from ``measured_g_l``."""

    substance: str
    measured_g_l: float
    threshold_g_l: float
    pre: tuple[float, ...]
    post: tuple[float, ...]
    first_below: int | None  # the first exchange (1-based) whose pre level is below threshold
    proposals: tuple[str, ...] = ()


def _pre_post(
    substance: str, measured: float, events: Sequence[ExchangeEvent], pv_ml: float
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    p = predict_course(substance, plasma_volume_ml=pv_ml, exchanges=list(events))
    return tuple(measured * x for x in p.pre), tuple(measured * x for x in p.post)


def _first_below(pre: Sequence[float], threshold: float) -> int | None:
    return next((i + 1 for i, value in enumerate(pre) if value < threshold), None)


def forecast_level(
    substance: str,
    measured_g_l: float,
    threshold_g_l: float,
    events: Sequence[ExchangeEvent],
    plasma_volume_ml: float,
) -> LevelForecast:
    """Predict ``substance`` before each exchange and, if it crosses the threshold, propose
    the nearest safe change (each proposal checked with the same model)."""
    pre, post = _pre_post(substance, measured_g_l, events, plasma_volume_ml)
    first = _first_below(pre, threshold_g_l)
    proposals: list[str] = []
    if first is not None:
        for extra in range(1, _MAX_EXTRA_DAYS + 1):
            later = [
                ExchangeEvent(e.start_h + 24.0 * extra * i, e.duration_h, e.volume_ml)
                for i, e in enumerate(events)
            ]
            alt, _ = _pre_post(substance, measured_g_l, later, plasma_volume_ml)
            if _first_below(alt, threshold_g_l) is None:
                proposals.append(
                    f"a longer interval: {extra} more day{'s' if extra > 1 else ''} between "
                    f"exchanges keeps it at or above {threshold_g_l:g} g/L (lowest "
                    f"{min(alt):.2f} g/L)"
                )
                break
        proposals.append(
            f"plasma for part of the replacement from exchange {first - 1 if first > 1 else 1}"
            " on (WODAJO_2024), and measure before each exchange"
        )
        if first > 1:
            proposals.append(f"fewer exchanges: {first - 1} keep it above the threshold")
    return LevelForecast(substance, measured_g_l, threshold_g_l, pre, post, first, tuple(proposals))


def level_warning(forecast: LevelForecast) -> str | None:
    """The PLAN-LEVEL warning text, or None when the level stays above the threshold.

    >>> level_warning(LevelForecast("igg", 8.0, 2.0, (8.0, 5.0), (4.0, 2.5), None)) is None
    True
    """
    if forecast.first_below is None:
        return None
    n = forecast.first_below
    name = LEVEL_SUBSTANCES[forecast.substance]
    source = "WODAJO_2024" if forecast.substance == "fibrinogen" else "local policy"
    return (
        f"{name} predicted {forecast.pre[n - 1]:.2f} g/L before exchange {n} (from "
        f"{forecast.measured_g_l:g} g/L measured), below {forecast.threshold_g_l:g} g/L "
        f"({source}): consider " + "; or ".join(forecast.proposals) + "."
    )
