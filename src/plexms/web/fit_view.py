"""The course page's fitted levels: the patient's own kinetics, the 90 % band and the advice
(issue 18 item 1), shown when the course has at least one measured IgG or fibrinogen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plexms.core.errors import InputError
from plexms.reports.fit_chart import fit_chart_svg
from plexms.reports.render import svg_data_uri
from plexms.services.clinical import course_fit
from plexms.services.context import ServiceContext

__all__ = ["FitView", "course_fit_view"]

_PARAMETER_LABELS = {
    "baseline": "Pre-course level",
    "intravascular_fraction": "Intravascular fraction",
    "redistribution_half_time_h": "Redistribution half-time (h)",
    "elimination_half_life_h": "Elimination half-life (h)",
}


@dataclass(frozen=True)
class FitView:
    """What the template shows: the chart, the advice and a parameter table per substance."""

    chart_uri: str
    advice: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    before: tuple[dict[str, Any], ...]


def course_fit_view(
    ctx: ServiceContext, course_id: int, units: Mapping[str, str] | None = None
) -> FitView | None:
    """The fit of ``course_id`` for the page (levels in ``units``, the centre's), or ``None``
    without a measured level."""
    try:
        out = course_fit.fit_stored_course(ctx, course_id, units=units)
    except InputError:
        return None
    answer = out.answer
    display = {k: (answer.units[k], answer.factors[k]) for k in answer.units}
    chart = fit_chart_svg(answer.course, display, answer.thresholds)
    rows: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    for key, sub in out.body["substances"].items():
        label = "IgG" if key == "igg" else key.capitalize()
        for name, est in sub["parameters"].items():
            prior = sub["population_parameters"][name]
            rows.append(
                {
                    "substance": label,
                    "parameter": _PARAMETER_LABELS[name],
                    "value": est["value"],
                    "low": est["low"],
                    "high": est["high"],
                    "population": prior["median"],
                    "unit": est["unit"] if name == "baseline" else "",
                }
            )
        before.extend({"substance": label, **b} for b in sub["before_exchanges"])
    return FitView(svg_data_uri(chart), tuple(out.body["advice"]), tuple(rows), tuple(before))
