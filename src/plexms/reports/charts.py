"""Charts as vector SVG (matplotlib), byte-for-byte reproducible.

The SVG carries no date (``metadata={"Date": None}``) and its element ids come from a fixed
``svg.hashsalt``, so the same data always gives the same bytes (a snapshot test checks it).
Text stays text (``svg.fonttype = "none"``): WeasyPrint sets it in the report's font and the
PDF remains searchable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.figure import Figure

__all__ = ["LevelPanel", "levels_chart_svg"]

_RC: dict[str, Any] = {
    "svg.hashsalt": "plexms-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 8.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_PREDICTED = "#1f5fa8"
_MEASURED = "#b3261e"


@dataclass(frozen=True)
class LevelPanel:
    """One substance: the predicted curve and the measured values, ``(day, level)`` pairs."""

    title: str
    unit: str
    predicted: tuple[tuple[float, float], ...]
    measured: tuple[tuple[float, float], ...] = ()


def levels_chart_svg(
    panels: Sequence[LevelPanel],
    *,
    x_label: str = "Days from the first exchange",
    width_in: float = 7.0,
    height_in: float = 2.6,
) -> str:
    """Predicted (line) vs measured (dots) levels, one panel per substance, as SVG text."""
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(width_in, height_in))
        axes = fig.subplots(1, max(len(panels), 1), squeeze=False)[0]
        for ax, panel in zip(axes, panels, strict=False):
            _draw(ax, panel, x_label)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _draw(ax: object, panel: LevelPanel, x_label: str) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)  # noqa: S101 - subplots always returns Axes
    if panel.predicted:
        xs, ys = zip(*panel.predicted, strict=True)
        ax.plot(xs, ys, color=_PREDICTED, linewidth=1.2, label="Predicted")
    if panel.measured:
        mx, my = zip(*panel.measured, strict=True)
        ax.plot(mx, my, "o", color=_MEASURED, markersize=4, label="Measured")
    ax.set_title(panel.title)
    ax.set_xlabel(x_label)
    ax.set_ylabel(panel.unit)
    ax.set_ylim(bottom=0)
    ax.grid(True, linewidth=0.3, alpha=0.6)
    if panel.predicted or panel.measured:
        ax.legend(frameon=False, loc="upper right")
