"""A patient's labs page: every result and measurement in the centre's units, with trends.

Values are stored canonically (:mod:`plexms.interop.units`) and shown through the centre's
:class:`~plexms.interop.display.Display`; each analyte with results gets a trend chart
(:func:`plexms.web.svg.line_chart`) whose x axis is days since the first result shown, and a
table of the same numbers (the chart is never the only place a number appears).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from plexms.interop import units
from plexms.interop.display import Display
from plexms.web import svg

__all__ = ["LabRow", "LabTrend", "lab_trends", "measurement_trends"]

_NAMES: dict[str, str] = {
    "igg": "IgG",
    "fibrinogen": "Fibrinogen",
    "calcium": "Calcium (total)",
    "ionized_calcium": "Calcium (ionised)",
    "hemoglobin": "Haemoglobin",
    "hematocrit": "Haematocrit",
    "platelets": "Platelets",
    "albumin": "Albumin",
    "potassium": "Potassium",
    "magnesium": "Magnesium",
    "weight": "Weight",
    "height": "Height",
}
_ORDER = tuple(_NAMES)
_TIMING = {"pre": "before exchange", "post": "after exchange", "": ""}


@dataclass(frozen=True)
class LabRow:
    """One result as shown: when, the value in the centre's units, and its context."""

    taken_at: dt.datetime
    value: float | None
    text: str
    timing: str
    session_id: int | None


@dataclass(frozen=True)
class LabTrend:
    """One analyte's history: its rows (oldest first), unit and chart."""

    key: str
    name: str
    unit: str
    rows: tuple[LabRow, ...]
    chart: Markup | None


def _shown(display: Display, value: float, quantity: str, unit: str) -> tuple[float | None, str]:
    if quantity in units.QUANTITIES:
        return display.value(value, quantity), display.quantity(value, quantity)
    return round(value, 2), f"{value:.1f} {unit}"  # mmol/L only (potassium, magnesium)


def _trend(key: str, rows: Sequence[LabRow], unit: str) -> LabTrend:
    points = [
        ((r.taken_at - rows[0].taken_at).total_seconds() / 86_400, r.value)
        for r in rows
        if r.value is not None
    ]
    chart = None
    if len(points) >= 2:
        chart = svg.line_chart(
            [svg.Series(_NAMES.get(key, key), [(x, float(y)) for x, y in points])],
            title=f"{_NAMES.get(key, key)} over time",
            x_label="days since the first result shown",
            y_label=f"{_NAMES.get(key, key)}, {unit}",
            css_id=f"trend-{key}",
        )
    return LabTrend(key, _NAMES.get(key, key), unit, tuple(rows), chart)


def lab_trends(labs: Sequence[Any], display: Display) -> list[LabTrend]:
    """The patient's lab results grouped by analyte (``LabOut`` rows, canonical units)."""
    grouped: dict[str, list[LabRow]] = {}
    for lab in sorted(labs, key=lambda r: (r.taken_at, r.id)):
        value, text = _shown(display, lab.value, lab.analyte, lab.unit)
        grouped.setdefault(lab.analyte, []).append(
            LabRow(lab.taken_at, value, text, _TIMING.get(lab.timing, lab.timing), lab.session_id)
        )
    out = []
    for key in sorted(grouped, key=lambda k: (_ORDER.index(k) if k in _ORDER else 99, k)):
        rows = grouped[key]
        unit = display.unit(key) if key in units.QUANTITIES else rows[0].text.split(" ", 1)[1]
        out.append(_trend(key, rows, unit))
    return out


def measurement_trends(measurements: Sequence[Any], display: Display) -> list[LabTrend]:
    """Weight, height and haematocrit recorded over time (``MeasurementOut`` rows)."""
    out = []
    for key, attr in (("weight", "weight_kg"), ("height", "height_cm"), ("hematocrit", None)):
        rows = []
        for m in sorted(measurements, key=lambda r: (r.measured_at, r.id)):
            value = getattr(m, attr or "hematocrit")
            if value is None:
                continue
            shown, text = _shown(display, value, key, "")
            rows.append(LabRow(m.measured_at, shown, text, "", None))
        if rows:
            out.append(_trend(key, rows, display.unit(key)))
    return out
