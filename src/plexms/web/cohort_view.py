"""The protocol comparison page (``/cohort``): the form, the ``calc cohort`` request it makes,
and the chart and table of the answer (issue 18 item 2).

Up to four protocol rows (a row without a name is skipped); a cohort of at most
:data:`WEB_MAX_N` patients (the API's cap); "my centre's patients" draws the cohort from the
centre's registry (:func:`plexms.services.sharing.cohort.compare_cohort`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from plexms.core.errors import InputError
from plexms.core.kinetics.protocols import CohortComparison
from plexms.core.sources import SOURCES, Source
from plexms.services.context import ServiceContext
from plexms.services.sharing.cohort import compare_cohort
from plexms.web import svg
from plexms.web.forms import FormReader

__all__ = ["DEFAULT_ROWS", "ROWS", "WEB_MAX_N", "CohortView", "chart", "compare", "default_values"]

ROWS = 4
WEB_MAX_N = 100_000
DEFAULT_ROWS = (
    ("5 x 1.0 PV, every other day", "1.0", "5", "2"),
    ("5 x 1.5 PV, every other day", "1.5", "5", "2"),
    ("7 x 1.0 PV, every other day", "1.0", "7", "2"),
    ("5 x 1.0 PV, daily", "1.0", "5", "1"),
)


def default_values() -> dict[str, str]:
    """The form as first shown: the four usual protocols, 20,000 patients, seed 1."""
    values = {"n": "20000", "seed": "1"}
    for i, (name, pv, k, days) in enumerate(DEFAULT_ROWS):
        values |= {f"name_{i}": name, f"pv_{i}": pv, f"exchanges_{i}": k, f"interval_{i}": days}
    return values


@dataclass(frozen=True)
class CohortView:
    """The comparison, its chart and its sources."""

    result: CohortComparison
    chart: Markup
    sources: tuple[Source, ...]


def chart(result: CohortComparison, css_id: str = "chart-cohort") -> Markup:
    """IgG reduction (median, 10th-90th centile) per protocol, with the fibrinogen risk."""
    rows = [
        svg.Interval(
            s.protocol.name,
            round(100 * s.igg_reduction_p10, 1),
            round(100 * s.igg_reduction_median, 1),
            round(100 * s.igg_reduction_p90, 1),
            f"fibrinogen < {result.fibrinogen_threshold_g_l:g} g/L: "
            f"{100 * s.p_fibrinogen_below_hold:.1f} %",
        )
        for s in result.protocols
    ]
    lo = min(r.low for r in rows)
    return svg.interval_chart(
        rows,
        title=f"IgG removed by the end of the course ({result.n:,} virtual patients)",
        x_label="IgG reduction (% of the pre-course level): median and 10th-90th centile",
        x_min=max(0.0, lo - 5.0),
        x_max=100.0,
        css_id=css_id,
    )


def _payload(reader: FormReader) -> dict[str, Any] | None:
    protocols = []
    for i in range(ROWS):
        name = reader.text(f"name_{i}", max_length=60)
        if name is None:
            continue
        pv = reader.number(f"pv_{i}", lo=0.5, hi=2.0, required=True)
        k = reader.number(f"exchanges_{i}", lo=1, hi=10, required=True, integer=True)
        days = reader.number(f"interval_{i}", lo=1, hi=7, required=True, integer=True)
        if pv is not None and k is not None and days is not None:
            protocols.append(
                {
                    "name": name,
                    "plasma_volumes_per_exchange": pv,
                    "exchanges": int(k),
                    "interval_days": int(days),
                }
            )
    if not protocols and not reader.errors:
        reader.fail("name_0", "Name at least one protocol.")
    n = reader.number("n", lo=1, hi=WEB_MAX_N, required=True, integer=True)
    seed = reader.number("seed", lo=0, hi=2**31, required=True, integer=True)
    if reader.errors or n is None or seed is None:
        return None
    return {"protocols": protocols, "n": int(n), "seed": int(seed)}


def compare(ctx: ServiceContext, reader: FormReader) -> CohortView | None:
    """The comparison for the submitted form (``None`` with the errors in ``reader``)."""
    payload = _payload(reader)
    if payload is None:
        return None
    own = reader.raw("own_patients") in ("1", "on", "true")
    try:
        result = compare_cohort(ctx, payload, own_patients=own)
    except InputError as exc:
        field = "own_patients" if exc.field == "population" else "name_0"
        reader.fail(
            field, f"{exc.message} (allowed: {exc.allowed})" if exc.allowed else exc.message
        )
        return None
    keys = dict.fromkeys(result.sources)
    return CohortView(result, chart(result), tuple(SOURCES[k] for k in keys if k in SOURCES))
