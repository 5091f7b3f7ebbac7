"""Outcome visits: the baseline to compare with, ``calc response`` under every definition and
the EDSS / acuity charts over time (numbers from the calculators and the store, none here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.core.errors import InputError
from plexms.core.response import INDICATIONS as _INDICATIONS
from plexms.core.sources import SOURCES
from plexms.core.vocabulary import MEASURE_SIDES, MEASURES
from plexms.services.calc import response as response_calc
from plexms.services.schemas.clinical import AssessmentOut, OutcomeOut
from plexms.web import svg
from plexms.web.calc_views import ResponseView

__all__ = [
    "CRITERIA",
    "MEASURE_FIELDS",
    "TIMEPOINTS",
    "baseline_of",
    "charts",
    "classify",
    "edss_flag",
    "measure_rows",
    "read_measures",
]

TIMEPOINTS = (
    ("baseline", "Baseline"),
    ("during_course", "During the course"),
    ("end_of_course", "End of course"),
    ("1_month", "1 month"),
    ("3_months", "3 months"),
    ("6_months", "6 months"),
    ("other", "Other"),
)
CRITERIA = (
    ("edss_standard", "EDSS, standard change"),
    ("llufriu_2009", "Llufriu 2009"),
    ("tnd", "Targeted neurological deficit (Weinshenker 1999)"),
    ("recovery", "Recovery to the pre-relapse EDSS"),
    ("relapse_severity", "Relapse severity"),
)


def baseline_of(
    outcomes: list[OutcomeOut], assessments: list[AssessmentOut]
) -> dict[str, Any] | None:
    """The baseline visit, else the latest assessment's EDSS and acuity (labelled as such)."""
    for o in outcomes:
        if o.timepoint == "baseline":
            return {
                "label": f"baseline visit {o.assessed_on:%d %b %Y}",
                "date": o.assessed_on,
                "edss": o.edss,
                "right": o.va_right_logmar,
                "left": o.va_left_logmar,
                "outcome_id": o.id,
            }
    for a in reversed(assessments):
        inputs = a.inputs
        if inputs.get("edss_now") is not None or inputs.get("logmar"):
            logmar = inputs.get("logmar") or {}
            return {
                "label": f"eligibility assessment {a.assessed_at:%d %b %Y}",
                "date": a.assessed_at.date(),
                "edss": inputs.get("edss_now"),
                "right": logmar.get("right"),
                "left": logmar.get("left"),
                "pre_relapse": inputs.get("edss_pre_relapse"),
                "outcome_id": None,
            }
    return None


def _state(edss: float | None, right: float | None, left: float | None) -> dict[str, Any]:
    state: dict[str, Any] = {}
    if edss is not None:
        state["edss"] = edss
    eyes = {k: v for k, v in (("right", right), ("left", left)) if v is not None}
    if eyes:
        state["logmar"] = eyes
    return state


def _verdicts(request: dict[str, Any]) -> ResponseView:
    try:
        return ResponseView.of(response_calc.CALCULATOR.evaluate(request, now=None))
    except InputError as exc:
        return ResponseView.refused(exc)


def classify(
    baseline: dict[str, Any] | None, followups: list[OutcomeOut], indication: str
) -> dict[int, ResponseView]:
    """``calc response`` for every follow-up against the baseline, by outcome id."""
    if baseline is None:
        return {}
    todo = [
        o for o in followups if o.id != baseline.get("outcome_id") and o.timepoint != "baseline"
    ]
    if not todo:
        return {}
    base = _state(baseline["edss"], baseline["right"], baseline["left"])
    requests = []
    for o in todo:
        body: dict[str, Any] = {
            "baseline": base,
            "followup": _state(o.edss, o.va_right_logmar, o.va_left_logmar),
            "indication": indication if indication in _INDICATIONS else "other",
        }
        if baseline.get("pre_relapse") is not None:
            body["pre_relapse"] = {"edss": baseline["pre_relapse"]}
        if o.targeted_deficit:
            body["tnd"] = o.targeted_deficit
        requests.append(body)
    return {o.id: _verdicts(body) for o, body in zip(todo, requests, strict=True)}


def charts(
    outcomes: list[OutcomeOut], baseline: dict[str, Any] | None, exchanges: list[dt.date]
) -> dict[str, Any]:
    """EDSS and logMAR per eye against days since the baseline (lower logMAR = better)."""
    points: list[tuple[dt.date, float | None, float | None, float | None]] = []
    if baseline is not None and baseline.get("outcome_id") is None:
        points.append((baseline["date"], baseline["edss"], baseline["right"], baseline["left"]))
    points += [(o.assessed_on, o.edss, o.va_right_logmar, o.va_left_logmar) for o in outcomes]
    if not points:
        return {}
    start = min(p[0] for p in points)

    def series(index: int, label: str, css: str) -> svg.Series:
        pts = [((p[0] - start).days, p[index]) for p in points if p[index] is not None]
        return svg.Series(label, [(float(x), float(y)) for x, y in pts], css=css)  # type: ignore[arg-type]

    marks = [
        svg.Line(f"exchange {i + 1}", x=float((d - start).days), css="exchange-mark")
        for i, d in enumerate(exchanges)
        if d >= start
    ]
    x_label = f"days since {start:%d %b %Y}"
    return {
        "edss": svg.line_chart(
            [series(1, "EDSS", "series-0")],
            title="EDSS over time",
            x_label=x_label,
            y_label="EDSS",
            lines=marks,
            y_min=0,
            y_max=10,
            css_id="chart-edss",
        ),
        "acuity": svg.line_chart(
            [series(2, "Right eye", "series-0"), series(3, "Left eye", "series-1")],
            title="Visual acuity over time (logMAR; lower is better)",
            x_label=x_label,
            y_label="logMAR",
            lines=marks,
            y_min=-0.3,
            y_max=max([1.0, *[p[2] or 0.0 for p in points], *[p[3] or 0.0 for p in points]]),
            css_id="chart-acuity",
        ),
    }


# How each measure's unit reads on a page (the vocabulary keeps the UCUM-style unit).
_UNIT_WORDS = {"s": "s", "{correct}": "correct", "{letters}": "letters", "{score}": "points"}


def _unit(unit: str) -> str:
    return _UNIT_WORDS.get(unit, unit)


# The visit form's measure fields: (form name, measure, side, label, unit, low, high), one per
# measure and side, from the one vocabulary.
MEASURE_FIELDS: tuple[tuple[str, str, str | None, str, str, float, float], ...] = tuple(
    (
        f"m_{code}" + (f"_{side}" if side else ""),
        code,
        side,
        spec.label + (f", {MEASURE_SIDES.label(side).lower()}" if side else ""),
        _unit(spec.unit),
        spec.low,
        spec.high,
    )
    for code, spec in MEASURES.items()
    for side in (spec.sides or (None,))
)


def read_measures(reader: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The measures entered on the visit form (blank fields skipped) and, in the same order,
    the form field each came from (to put a service error beside it)."""
    found: list[dict[str, Any]] = []
    names: list[str] = []
    for name, code, side, _label, _unit_word, low, high in MEASURE_FIELDS:
        value = reader.number(name, lo=low, hi=high)
        if value is None:
            continue
        found.append({"measure": code, "value": value} | ({"side": side} if side else {}))
        names.append(name)
    return found, names


def _source(key: str) -> str:
    source = SOURCES.get(key)
    return source.short() if source is not None else key


def measure_rows(outcome: OutcomeOut) -> list[dict[str, Any]]:
    """The visit's measures as the page shows them: value, change, verdict, threshold, source."""
    rows = []
    for m in outcome.measures:
        spec = MEASURES[m.measure]
        result = m.result
        change = result.get("change")
        percent = result.get("change_percent")
        shown = "—"
        if isinstance(change, int | float):
            shown = f"{change:+g} {_unit(m.unit)}"
            if isinstance(percent, int | float):
                shown += f" ({percent:+.1f}%)"
        rows.append(
            {
                "measure": m.measure,
                "side": m.side,
                "label": spec.label
                + (f", {MEASURE_SIDES.label(m.side).lower()}" if m.side else ""),
                "value": f"{m.value:g} {_unit(m.unit)}",
                "change": shown,
                "result": str(result.get("result", "")),
                "missing": ", ".join(result.get("missing") or []),
                "threshold": result.get("threshold", ""),
                "direction": "higher is worse" if spec.higher_is_worse else "higher is better",
                "source": _source(str(result.get("source", ""))),
                "local_policy": bool(result.get("local_policy"))
                or result.get("source") == "LOCAL_POLICY",
            }
        )
    return rows


def edss_flag(check: Any) -> str:
    """The words for an EDSS that is not a disability baseline ("" when it is one)."""
    if not isinstance(check, dict) or check.get("usable", True):
        return ""
    return (
        f"EDSS taken {check.get('days_from_relapse')} days after the relapse began "
        f"({check.get('relapse_onset')}): not a disability baseline (an EDSS within 30 days "
        f"of a relapse is excluded, {_source(str(check.get('source', '')))}); it remains the "
        "pre-exchange state recovery is measured from."
    )
