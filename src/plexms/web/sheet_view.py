"""The session sheet as stored, for the page: form values in the centre's units, the
prescription's targets beside what was given, and the addendum form of a signed sheet.

Every field of the form is filled from the stored session (what was saved is what reopens);
a signed sheet shows its current values: as signed, corrected by its addenda.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from plexms.core import gs1, vocabulary
from plexms.services.clinical.session_sheet import current_values
from plexms.services.schemas.clinical import CourseOut, SessionOut
from plexms.web.forms import FormReader, UnitConvention
from plexms.web.session_view import LOT_FIELDS, _local_time, local_input, parse_lot_entries

__all__ = [
    "ADDENDUM_FIELDS",
    "TARGET_TOLERANCE",
    "Target",
    "addendum_body",
    "change_text",
    "corrected_fields",
    "effective",
    "lot_entries",
    "sheet_values",
    "targets",
]

#: A given amount further than this from the prescription's target is highlighted on the sheet
#: (LOCAL_POLICY: a prompt to look, not a rule; docs/rules.md).
TARGET_TOLERANCE = 0.10

#: What the web addendum form corrects: form choice -> (label, sheet field, kind).
ADDENDUM_FIELDS: dict[str, tuple[str, str, str]] = {
    "plasma_removed_ml": ("Plasma removed (mL)", "plasma_removed_ml", "volume"),
    "whole_blood_processed_ml": ("Blood processed (mL)", "whole_blood_processed_ml", "volume"),
    "anticoagulant_ml": ("ACD-A used (mL)", "anticoagulant_ml", "volume"),
    "calcium_gluconate_ml": ("Calcium gluconate 10% (mL)", "calcium_gluconate_ml", "number"),
    "inlet_flow_ml_min": ("Inlet flow (mL/min)", "inlet_flow_ml_min", "number"),
    "pre_weight_kg": ("Weight before", "pre_weight_kg", "weight"),
    "post_weight_kg": ("Weight after", "post_weight_kg", "weight"),
    "vascular_access": ("Access", "vascular_access", "access"),
    "actual_start": ("Started", "actual_start", "time"),
    "actual_end": ("Ended", "actual_end", "time"),
    "notes": ("Notes", "notes", "text"),
    **{
        f"lot_{kind}": (f"{label}: lot(s)", "lots", f"lots:{kind}")
        for kind, label in vocabulary.LOT_KINDS.options
    },
    "line_lock_solution": ("Line lock solution", "line_lock_solution", "lock"),
    "line_lock_volume_ml": ("Line lock volume (mL)", "line_lock_volume_ml", "small"),
    "line_flush_ml": ("Line flush (mL)", "line_flush_ml", "small"),
    "line_dressing": ("Line dressing", "line_dressing", "dressing"),
}


def _entry(item: dict[str, Any]) -> str:
    """One stored lot as the form shows it: plain, or its GS1 string when it carries more than
    the lot (so that saving the form again keeps the GTIN, expiry and serial)."""
    extra = item.get("gtin") or item.get("expiry") or (item.get("lot") and item.get("serial"))
    if not extra:
        return str(item.get("lot") or item.get("serial") or "")
    elements = {}
    if item.get("gtin"):
        elements["01"] = str(item["gtin"])
    if item.get("expiry"):
        elements["17"] = dt.date.fromisoformat(str(item["expiry"])).strftime("%y%m%d")
    if item.get("lot"):
        elements["10"] = str(item["lot"])
    if item.get("serial"):
        elements["21"] = str(item["serial"])
    return gs1.encode(elements)


def lot_entries(lots: list[Any], kind: str) -> str:
    """The form value of one lot field: the stored lots of ``kind``, space-separated."""
    return " ".join(_entry(item) for item in lots if item.get("kind") == kind)


def _plain(value: float | None) -> str:
    """A number as typed back into a form: no trailing zeros (2300, 98.2)."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def sheet_values(s: SessionOut, units: UnitConvention, zone: str) -> dict[str, Any]:
    """The procedure form's fields filled from the stored session, in the centre's units."""
    values: dict[str, Any] = {
        "status": s.status if s.status != "planned" else "done",
        "plasma_removed": _plain(s.plasma_removed_ml),
        "blood_processed": _plain(s.whole_blood_processed_ml),
        "acd_ml": _plain(s.anticoagulant_ml),
        "calcium_ml": _plain(s.calcium_gluconate_ml),
        "inlet_flow": _plain(s.inlet_flow_ml_min),
        "pre_weight": _plain(units.show(s.pre_weight_kg, "weight")),
        "post_weight": _plain(units.show(s.post_weight_kg, "weight")),
        "vascular_access": s.vascular_access,
        "notes": s.notes,
        "line_lock": s.line_lock_solution,
        "line_lock_ml": _plain(s.line_lock_volume_ml),
        "line_flush_ml": _plain(s.line_flush_ml),
        "line_dressing": s.line_dressing,
    }
    for name, (kind, _label) in LOT_FIELDS.items():
        values[name] = lot_entries(s.lots, kind)
    for name in ("actual_start", "actual_end"):
        stored = getattr(s, name)
        if stored is not None:
            values[name] = local_input(stored, zone)
    for fluid in s.replacement_fluids:
        values[f"fluid_{fluid['fluid']}"] = _plain(fluid["volume_ml"])
    for i, row in enumerate(s.vitals):
        at = dt.datetime.fromisoformat(row["at"]) if isinstance(row["at"], str) else row["at"]
        values[f"vit{i}_phase"] = row.get("phase", "intra")
        values[f"vit{i}_at"] = local_input(at, zone)
        for short, key in (
            ("sbp", "systolic_mmhg"),
            ("dbp", "diastolic_mmhg"),
            ("hr", "heart_rate_bpm"),
            ("spo2", "spo2_pct"),
        ):
            values[f"vit{i}_{short}"] = "" if row.get(key) is None else str(row[key])
        values[f"vit{i}_temp"] = _plain(units.show(row.get("temperature_c"), "temperature"))
    return values


def effective(s: SessionOut) -> SessionOut:
    """The session with its current values (as signed, corrected by its addenda)."""
    return SessionOut.model_validate({**s.model_dump(), **current_values(s)})


def corrected_fields(s: SessionOut) -> set[str]:
    """The sheet fields some addendum corrected."""
    return {c["field"] for a in s.addenda for c in a.changes}


@dataclass(frozen=True)
class Target:
    """One prescribed amount beside what was given."""

    label: str
    unit: str
    target: float | None
    given: float | None

    @property
    def difference(self) -> float | None:
        """(given - target) / target, or None when either is missing."""
        if self.target in (None, 0) or self.given is None:
            return None
        assert self.target is not None  # noqa: S101 - checked above
        return (self.given - self.target) / self.target

    @property
    def off(self) -> bool:
        """Further from the target than TARGET_TOLERANCE."""
        return self.difference is not None and abs(self.difference) > TARGET_TOLERANCE


def _num(data: Any, *path: str) -> float | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return float(data) if isinstance(data, int | float) and not isinstance(data, bool) else None


def targets(course: CourseOut, s: SessionOut) -> list[Target]:
    """The course prescription's targets for one exchange beside the sheet's values."""
    rx = course.prescription
    albumin = sum(
        float(f["volume_ml"]) for f in s.replacement_fluids if str(f["fluid"]).startswith("albumin")
    )
    run = None
    if s.actual_start is not None and s.actual_end is not None:
        run = round((s.actual_end - s.actual_start).total_seconds() / 60)
    exchange = s.planned_plasma_volume_ml or _num(rx, "exchange_volume_ml")
    rows = [
        Target("Plasma exchanged", "mL", exchange, s.plasma_removed_ml),
        Target(
            "Albumin 5%",
            "mL",
            _num(rx, "replacement", "albumin_needed_ml")
            or _num(rx, "replacement", "albumin_5pct_ml"),
            albumin if s.replacement_fluids else None,
        ),
        Target(
            "Calcium gluconate 10%",
            "mL",
            _num(rx, "calcium_gluconate_10pct_ml"),
            s.calcium_gluconate_ml,
        ),
        Target("ACD-A", "mL", _num(rx, "anticoagulant", "volume_ml"), s.anticoagulant_ml),
        Target("Inlet flow", "mL/min", _num(rx, "inlet_flow_ml_min"), s.inlet_flow_ml_min),
        Target(
            "Whole blood processed",
            "mL",
            _num(rx, "whole_blood_processed_ml"),
            s.whole_blood_processed_ml,
        ),
        Target("Run time", "min", _num(rx, "run_minutes"), run),
    ]
    return [t for t in rows if t.target is not None]


def change_text(field: str, value: Any, units: UnitConvention, zone: str) -> str:
    """An addendum's old or new value as the sheet shows it (centre's units and time)."""
    if value is None or value == "" or value == []:
        return "—"
    if field in ("pre_weight_kg", "post_weight_kg"):
        return units.text(float(value), "weight")
    if field in ("actual_start", "actual_end"):
        return local_input(dt.datetime.fromisoformat(str(value)), zone).replace("T", " ")
    if field == "inlet_flow_ml_min":
        return f"{float(value):,.0f} mL/min"
    if field == "line_lock_volume_ml":
        return f"{float(value):,.1f} mL"
    if field == "line_lock_solution":
        return vocabulary.LOCK_SOLUTIONS.label(str(value)) if value else "—"
    if field == "calcium_gluconate_ml":
        return f"{float(value):,.1f} mL"
    if field.endswith("_ml"):
        return f"{float(value):,.0f} mL"
    if field == "replacement_fluids":
        return "; ".join(f"{f['fluid']} {float(f['volume_ml']):,.0f} mL" for f in value)
    if field == "vitals":
        return f"{len(value)} row(s)"
    if field == "lots":
        kinds = dict(vocabulary.LOT_KINDS.options)
        return "; ".join(
            f"{kinds.get(i['kind'], i['kind'])} {i.get('lot') or i.get('serial')}" for i in value
        )
    return str(value).replace("_", " ")


def addendum_body(
    reader: FormReader, zone: str, current_lots: list[Any] | None = None
) -> dict[str, Any]:
    """The ``SessionAddendumIn`` body: the reason and the one corrected field's new value
    (for a lot field: the sheet's current lots with that kind's replaced)."""
    reason = reader.text("add_reason", required=True, max_length=4000)
    choice = reader.choice("add_field", tuple(ADDENDUM_FIELDS), required=True)
    if choice is None:
        return {}
    _, field, kind = ADDENDUM_FIELDS[choice]
    value: Any
    if kind == "volume":
        value = reader.quantity("add_value", "volume", lo=0, hi=40_000, required=True)
    elif kind == "weight":
        value = reader.quantity("add_value", "weight", lo=1, hi=400, required=True)
    elif kind == "number":
        value = reader.number("add_value", lo=0, hi=500, required=True)
    elif kind == "small":
        value = reader.number("add_value", lo=0, hi=50 if "lock" in field else 200, required=True)
    elif kind == "lock":
        value = reader.choice("add_value", vocabulary.LOCK_SOLUTIONS.values, required=True)
    elif kind == "dressing":
        value = reader.choice("add_value", vocabulary.LINE_DRESSING.values, required=True)
    elif kind == "access":
        value = reader.choice("add_value", vocabulary.VASCULAR_ACCESS.values, required=True)
    elif kind == "time":
        value = _local_time(reader, "add_value", zone, required=True)
    elif kind.startswith("lots:"):
        lot_kind = kind.split(":", 1)[1]
        kept = [dict(i) for i in current_lots or () if i.get("kind") != lot_kind]
        value = kept + parse_lot_entries(lot_kind, reader.text("add_value", max_length=2000) or "")
    else:
        value = reader.text("add_value", max_length=4000) or ""
    return {"reason": reason, "changes": {field: value}}
