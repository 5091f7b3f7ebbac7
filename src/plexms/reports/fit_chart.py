"""The fitted course as a chart: per substance the fitted level, its 90 % band, the
measurements (flagged ones as crosses), the exchanges and the threshold (SVG, reproducible
bytes as in :mod:`plexms.reports.charts`)."""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plexms.core.kinetics.fit import predict_band
from plexms.core.kinetics.fit_course import CourseFit
from plexms.core.kinetics.substances import SUBSTANCES
from plexms.reports.charts import _RC

__all__ = ["fit_chart_svg"]

_FIT = "#1f5fa8"
_MEASURED = "#b3261e"
_STEP_H = 1.0
_TAIL_H = 72.0


def fit_chart_svg(
    course: CourseFit,
    display: Mapping[str, tuple[str, float]],
    thresholds: Mapping[str, float] | None = None,
    *,
    width_in: float = 7.0,
    height_in: float = 2.8,
) -> str:
    """One panel per fitted substance, days from time 0 on the x axis. ``display``: substance
    -> (unit, factor from the canonical unit); ``thresholds`` in the canonical unit."""
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(width_in, height_in))
        axes = fig.subplots(1, max(len(course.fits), 1), squeeze=False)[0]
        for ax, (key, fit) in zip(axes, course.fits.items(), strict=False):
            unit, factor = display.get(key, ("g/L", 1.0))
            last = max(
                [e.start_h + e.duration_h for e in fit.exchanges]
                + [o.t_h for o in fit.observations]
            )
            hours = np.arange(0.0, last + _TAIL_H + _STEP_H, _STEP_H)
            band = predict_band(fit, hours.tolist())
            days = hours / 24.0
            ax.fill_between(
                days,
                np.array(band.low) * factor,
                np.array(band.high) * factor,
                color=_FIT,
                alpha=0.18,
                linewidth=0,
                label="90% band",
            )
            ax.plot(days, np.array(band.value) * factor, color=_FIT, linewidth=1.2, label="Fitted")
            flagged = {f.index for f in fit.flags}
            _points(ax, fit.observations, flagged, factor)
            for e in fit.exchanges:
                ax.axvspan(
                    e.start_h / 24, (e.start_h + e.duration_h) / 24, color="#888", alpha=0.25
                )
            if thresholds and key in thresholds:
                ax.axhline(thresholds[key] * factor, color="#555", linewidth=0.8, linestyle="--")
            ax.set_title(f"{SUBSTANCES[key].label} (patient's own fit)")
            ax.set_xlabel("Days from the first exchange or sample")
            ax.set_ylabel(unit)
            ax.set_ylim(bottom=0)
            ax.grid(True, linewidth=0.3, alpha=0.6)
            ax.legend(frameon=False, loc="upper right", fontsize=6.5)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _points(ax: Axes, observations: object, flagged: set[int], factor: float) -> None:
    obs = list(observations)  # type: ignore[call-overload]
    kept = [(o.t_h / 24, o.value * factor) for i, o in enumerate(obs) if i not in flagged]
    out = [(o.t_h / 24, o.value * factor) for i, o in enumerate(obs) if i in flagged]
    if kept:
        ax.plot(*zip(*kept, strict=True), "o", color=_MEASURED, markersize=4, label="Measured")
    if out:
        ax.plot(*zip(*out, strict=True), "x", color="#000", markersize=6, label="Flagged")
