"""The JSON form of a :class:`~plexms.core.plan.Plan`: the ``plexms calc plan`` contract.

Numbers are rounded here, and only here (volumes to 0.1 mL, predicted levels to 4 places);
dates are ISO, times ``HH:MM``. ``plexms calc plan --help`` lists every field.
"""

from __future__ import annotations

from typing import Any

from plexms.core.kinetics import CoursePrediction
from plexms.core.plan import PREDICTION_MODEL, Plan
from plexms.core.prescription import Prescription
from plexms.core.sources import source_dict

__all__ = ["plan_json"]

_SCHEDULE_FORMULA = (
    "every interval_days from the first open day, moved to the next open day "
    "when closed (never closer than interval_days); inside opening hours; within course_days"
)
_PREDICTED_FORMULA = (
    "two-compartment kinetic model (plexms.core.kinetics); one_compartment_post = e^-x per exchange"
)
# What each predicted figure is (issue 14 item 15): cumulative figures are fractions of the
# pre-course level; the single-compartment figure is one exchange alone.
_PREDICTED_LABELS = {
    "pre": "cumulative: fraction of the pre-course level before this exchange",
    "post": "cumulative: fraction of the pre-course level after this exchange",
    "one_compartment_post": "per exchange: e^-x for this exchange alone, as a fraction of its "
    "own pre-exchange level (single compartment; not cumulative)",
    "removed": "per exchange: share of the body amount this exchange takes out",
}


def _r(value: float, digits: int = 1) -> float:
    return round(float(value), digits)


def _prescription(rx: Prescription, exchanges: int) -> dict[str, Any]:
    rep = rx.replacement
    ac = rx.anticoagulant
    bal = rx.fluid_balance
    return {
        "exchange_volume_ml": _r(rx.exchange_volume_ml),
        "replacement": {
            "albumin_5pct_ml": _r(rep.albumin_5pct_ml),
            "albumin_g": _r(rep.albumin_g),
            "albumin_needed_ml": _r(rep.albumin_needed_ml),
            "albumin_needed_g": _r(rep.albumin_needed_g),
            "albumin_vials": [{"size_ml": v.size_ml, "count": v.count} for v in rep.albumin_vials],
            "albumin_waste_ml": _r(rep.albumin_waste_ml),
            "saline_share": rep.saline_share,
            "saline_ml": _r(rep.saline_ml),
            "plasma_share": rep.plasma_share,
            "plasma_ml": _r(rep.plasma_ml),
            "plasma_reason": rep.plasma_reason,
            "total_ml": _r(rep.total_ml),
            "rounding": rep.rounding,
        },
        "calcium_gluconate_10pct_ml": rx.calcium_gluconate_10pct_ml,
        "anticoagulant": {
            "solution": ac.solution,
            "inlet_to_ac_ratio": ac.inlet_to_ac_ratio,
            "volume_ml": _r(ac.volume_ml),
            "flow_ml_min": _r(ac.flow_ml_min, 2),
            "citrate_mmol": _r(ac.citrate_mmol),
            "citrate_mg": _r(ac.citrate_mg, 0),
            "citrate_returned_mg": _r(ac.citrate_returned_mg, 0),
            "citrate_infusion_rate_mg_kg_min": _r(ac.citrate_infusion_rate_mg_kg_min, 3),
            "circuit_citrate_rate_mg_kg_min": _r(ac.circuit_citrate_rate_mg_kg_min, 3),
            "citrate_limit_mg_kg_min": ac.citrate_limit_mg_kg_min,
            "above_limit": ac.above_limit,
            "rate_ml_min_per_l": _r(ac.rate_ml_min_per_l, 3),
            "rate_limit_ml_min_per_l": ac.rate_limit_ml_min_per_l,
            "inlet_flow_limit_ml_min": _r(ac.inlet_flow_limit_ml_min),
        },
        "extracorporeal_volume_ml": rx.extracorporeal_volume_ml,
        "extracorporeal_share": _r(rx.extracorporeal_share, 4),
        "whole_blood_processed_ml": _r(rx.whole_blood_processed_ml),
        "blood_volumes_processed": _r(rx.blood_volumes_processed, 3),
        "inlet_volume_ml": _r(rx.inlet_volume_ml),
        "inlet_flow_ml_min": _r(rx.inlet_flow_ml_min),
        "run_minutes": rx.run_minutes,
        "session_minutes": rx.session_minutes,
        "fluid_balance": {
            "replacement_in_ml": _r(bal.replacement_in_ml),
            "anticoagulant_in_ml": _r(bal.anticoagulant_in_ml),
            "calcium_in_ml": _r(bal.calcium_in_ml),
            "removed_out_ml": _r(bal.removed_out_ml),
            "in_ml": _r(bal.in_ml),
            "out_ml": _r(bal.out_ml),
            "net_ml": _r(bal.net_ml),
        },
        "course_totals": {
            "exchanges": exchanges,
            "plasma_exchanged_ml": _r(rx.exchange_volume_ml * exchanges),
            "albumin_5pct_ml": _r(rep.albumin_5pct_ml * exchanges),
            "albumin_g": _r(rep.albumin_g * exchanges),
            "albumin_vials": [
                {"size_ml": v.size_ml, "count": v.count * exchanges} for v in rep.albumin_vials
            ],
            "saline_ml": _r(rep.saline_ml * exchanges),
            "plasma_ml": _r(rep.plasma_ml * exchanges),
            "calcium_gluconate_10pct_ml": _r(rx.calcium_gluconate_10pct_ml * exchanges),
            "acd_a_ml": _r(ac.volume_ml * exchanges),
        },
    }


def _levels(prediction: CoursePrediction) -> list[dict[str, Any]]:
    rows = zip(
        prediction.pre,
        prediction.post,
        prediction.one_compartment_post,
        prediction.removed,
        strict=True,
    )
    return [
        {
            "exchange": n,
            "pre": round(float(pre), 4),
            "post": round(float(post), 4),
            "one_compartment_post": round(float(one), 4),
            "removed": round(float(removed), 4),
        }
        for n, (pre, post, one, removed) in enumerate(rows, start=1)
    ]


def _predicted(plan: Plan) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": PREDICTION_MODEL,
        "time_zero": f"{plan.time_zero:%Y-%m-%d %H:%M}",
        "unit": "fraction of the pre-course level",
    }
    body.update({key: _levels(prediction) for key, prediction in plan.predicted.items()})
    body["labels"] = dict(_PREDICTED_LABELS)
    if plan.levels:
        body["absolute"] = {
            key: {
                "measured_g_l": f.measured_g_l,
                "threshold_g_l": f.threshold_g_l,
                "pre_g_l": [round(v, 2) for v in f.pre],
                "post_g_l": [round(v, 2) for v in f.post],
                "first_below": f.first_below,
                "proposals": list(f.proposals),
            }
            for key, f in plan.levels.items()
        }
    body["sources"] = list(plan.prediction_sources)
    return body


def plan_json(plan: Plan) -> dict[str, Any]:
    """The ``calc plan`` answer for ``plan``."""
    vol, rx, course = plan.volumes, plan.prescription, plan.course
    derivations: dict[str, Any] = {
        d.quantity: {"formula": d.formula, "sources": list(d.sources)} for d in rx.derivations
    }
    derivations["schedule"] = {"formula": _SCHEDULE_FORMULA, "sources": list(course.sources)}
    derivations["predicted"] = {
        "formula": _PREDICTED_FORMULA,
        "sources": list(plan.prediction_sources),
    }
    return {
        "volume_method": vol.method,
        "volume_method_label": vol.label,
        "volume_formula": vol.formula,
        "total_blood_volume_ml": _r(vol.total_blood_volume_ml),
        "plasma_volume_ml": _r(vol.plasma_volume_ml),
        "plasma_volumes_per_exchange": rx.plasma_volumes_per_exchange,
        **_prescription(rx, plan.exchanges),
        "schedule": [
            {
                "exchange": a.exchange,
                "date": a.date.isoformat(),
                "start": a.start.isoformat("minutes"),
                "end": a.end.isoformat("minutes"),
            }
            for a in course.appointments
        ],
        "course": {
            "first_date": plan.first_date.isoformat(),
            "last_date": plan.last_date.isoformat(),
            "course_days": course.course_days,
            "interval_days": course.interval_days,
            "session_minutes": course.session_minutes,
            "time_zone": plan.time_zone,
            "holidays": [
                {"date": day.isoformat(), "name": name} for day, name in plan.holidays.items()
            ],
        },
        "predicted": _predicted(plan),
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
        "derivations": derivations,
        "sources": [source_dict(key) for key in plan.sources],
    }
