"""The nurse's session sheet: form fields -> ``calc precheck`` request and the session record.

Measured values are typed in the centre's units (°F, mg/dL, g/dL for a US centre) or with any
unit, and reach the calculator and the store canonical; times are the centre's local time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from plexms.core import gs1, vocabulary
from plexms.web.forms import FormReader

__all__ = [
    "ACCESS",
    "EVENT_TYPES",
    "FLUIDS",
    "LOT_FIELDS",
    "SYMPTOMS",
    "VASCULAR_ACCESS",
    "VITAL_PHASES",
    "adverse_event",
    "local_input",
    "lots_from_form",
    "parse_lot_entries",
    "precheck_request",
    "record_body",
]

SYMPTOMS = vocabulary.SYMPTOMS.options
EVENT_TYPES = vocabulary.AE_TYPES.options
ACCESS = vocabulary.PRECHECK_ACCESS.options
VASCULAR_ACCESS = vocabulary.VASCULAR_ACCESS.options
FLUIDS = vocabulary.REPLACEMENT_FLUIDS.options
_VITALS = (
    ("sbp", "systolic_bp", 40, 300),
    ("dbp", "diastolic_bp", 20, 200),
    ("hr", "heart_rate", 20, 250),
    ("spo2", "spo2", 50, 100),
)


def local_input(value: dt.datetime | None, zone: str) -> str:
    """An aware datetime as a ``datetime-local`` value in the centre's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _local_time(
    reader: FormReader, name: str, zone: str, required: bool = False
) -> dt.datetime | None:
    text = reader.raw(name)
    if not text:
        if required:
            reader.fail(name, "Required.")
        return None
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        reader.fail(name, f"“{text}” is not a date and time.")
        return None
    return naive.replace(tzinfo=ZoneInfo(zone))


def precheck_request(reader: FormReader, hours_since_last: float | None) -> dict[str, Any]:
    """The ``calc precheck`` request from the pre-session part of the sheet."""
    vitals: dict[str, Any] = {}
    for short, name, lo, hi in _VITALS:
        value = reader.number(f"pre_{short}", lo=lo, hi=hi)
        if value is not None:
            vitals[name] = value
    temp = reader.quantity("pre_temp", "temperature", lo=30, hi=45)
    if temp is not None:
        vitals["temperature_c"] = round(temp, 2)
    labs: dict[str, Any] = {}
    lab_fields: tuple[tuple[str, str, str, float, float, float], ...] = (
        ("fibrinogen", "fibrinogen", "fibrinogen_g_l", 1.0, 0, 15),
        ("ica", "ionized_calcium", "ionized_calcium_mmol_l", 1.0, 0.3, 3.0),
        ("ca", "calcium", "total_calcium_mmol_l", 1.0, 0.5, 5.0),
        ("hb", "hemoglobin", "hemoglobin_g_dl", 0.1, 20, 250),
        ("plt", "platelets", "platelets_10e9_l", 1.0, 0, 2000),
    )
    for field, quantity, key, scale, low, high in lab_fields:
        value = reader.quantity(f"lab_{field}", quantity, lo=low, hi=high)
        if value is not None:
            labs[key] = round(value * scale, 3)
    potassium = reader.number("lab_k", lo=1.5, hi=10)
    if potassium is not None:
        labs["potassium_mmol_l"] = potassium
    ace = reader.number("hours_since_ace_inhibitor", lo=0, hi=100_000)
    return {
        "vitals": vitals,
        "labs": labs,
        "symptoms": [s for s, _ in SYMPTOMS if reader.flag(f"sym_{s}")],
        "hours_since_ace_inhibitor": ace,
        "hours_since_last_exchange": hours_since_last,
        "access": reader.choice("access", vocabulary.PRECHECK_ACCESS.values),
    }


#: Phases a vital-signs row may have on the procedure part of the sheet.
VITAL_PHASES = (("intra", "During"), ("post", "After"), ("pre", "Before"))
_ROW_KEYS = (
    ("sbp", "systolic_mmhg", 40, 300),
    ("dbp", "diastolic_mmhg", 20, 200),
    ("hr", "heart_rate_bpm", 20, 250),
    ("spo2", "spo2_pct", 50, 100),
)


def _vitals_row(reader: FormReader, i: int, zone: str) -> dict[str, Any] | None:
    """Row ``i`` of the repeated vital signs (``vit{i}_at``, ``vit{i}_sbp``...); None if empty."""
    name = f"vit{i}"
    at = _local_time(reader, f"{name}_at", zone)
    row: dict[str, Any] = {"phase": reader.choice(f"{name}_phase", ("pre", "intra", "post"))}
    for short, key, lo, hi in _ROW_KEYS:
        value = reader.number(f"{name}_{short}", lo=lo, hi=hi, integer=True)
        if value is not None:
            row[key] = int(value)
    temp = reader.quantity(f"{name}_temp", "temperature", lo=30, hi=45)
    if temp is not None:
        row["temperature_c"] = round(temp, 2)
    if len(row) == 1:
        return None
    row["phase"] = row["phase"] or "intra"
    if at is None:
        reader.fail(f"{name}_at", "When were these vital signs taken?")
        return None
    row["at"] = at
    return row


#: The sheet's lot fields: form name -> (kind, label). One field per kind; several lots are
#: separated by spaces (GS1 lots hold no space); a scanned GS1 string is read as such.
LOT_FIELDS: dict[str, tuple[str, str]] = {
    f"lot_{kind}": (kind, label) for kind, label in vocabulary.LOT_KINDS.options
}


def _looks_scanned(text: str) -> bool:
    return (
        text.startswith(("(", "]"))
        or gs1.GROUP_SEPARATOR in text
        or (text[:2] == "01" and len(text) >= 16 and text[:16].isdigit())
    )


def parse_lot_entries(kind: str, text: str) -> list[dict[str, Any]]:
    """The lots of one kind typed or scanned into a field, separated by spaces."""
    out = []
    for entry in text.split():
        if _looks_scanned(entry):
            out.append({"kind": kind, "barcode": entry})
        elif kind == "machine":
            out.append({"kind": kind, "serial": entry})
        else:
            out.append({"kind": kind, "lot": entry})
    return out


def lots_from_form(reader: FormReader) -> list[dict[str, Any]]:
    """The ``lots`` of the sheet from its lot fields (typed or scanned)."""
    lots: list[dict[str, Any]] = []
    for name, (kind, _label) in LOT_FIELDS.items():
        text = reader.text(name, max_length=2000) or ""
        lots.extend(parse_lot_entries(kind, text))
    return lots


def record_body(reader: FormReader, zone: str) -> dict[str, Any]:
    """The ``SessionRecordIn`` fields from the procedure part of the sheet (every field: the
    form shows the stored values, so an emptied field is a field the nurse cleared)."""
    status = reader.choice("status", ("done", "held", "cancelled"), required=True)
    start = _local_time(reader, "actual_start", zone, required=status == "done")
    end = _local_time(reader, "actual_end", zone)
    if start and end and end <= start:
        reader.fail("actual_end", "Must be after the start.")
    removed = reader.quantity(
        "plasma_removed", "volume", lo=0, hi=10_000, required=status == "done"
    )
    fluids = []
    for fluid in vocabulary.REPLACEMENT_FLUIDS.values:
        volume = reader.quantity(f"fluid_{fluid}", "volume", lo=0, hi=10_000)
        if volume:
            fluids.append({"fluid": fluid, "volume_ml": volume})
    count = int(reader.number("vital_rows", lo=0, hi=100, integer=True) or 0)
    vitals = [row for i in range(count) if (row := _vitals_row(reader, i, zone))]
    return {
        "status": status,
        "actual_start": start,
        "actual_end": end,
        "plasma_removed_ml": removed,
        "whole_blood_processed_ml": reader.quantity("blood_processed", "volume", lo=0, hi=40_000),
        "replacement_fluids": fluids,
        "anticoagulant": "ACD-A" if reader.raw("acd_ml") else "",
        "anticoagulant_ml": reader.quantity("acd_ml", "volume", lo=0, hi=5000),
        "calcium_gluconate_ml": reader.number("calcium_ml", lo=0, hi=500),
        "inlet_flow_ml_min": reader.number("inlet_flow", lo=0, hi=300),
        "pre_weight_kg": reader.quantity("pre_weight", "weight", lo=1, hi=400),
        "post_weight_kg": reader.quantity("post_weight", "weight", lo=1, hi=400),
        "vascular_access": reader.choice("vascular_access", vocabulary.VASCULAR_ACCESS.values)
        or "",
        "vitals": vitals,
        "notes": reader.text("notes", max_length=4000) or "",
        "lots": lots_from_form(reader),
        "line_lock_solution": reader.choice("line_lock", vocabulary.LOCK_SOLUTIONS.values) or "",
        "line_lock_volume_ml": reader.number("line_lock_ml", lo=0, hi=50),
        "line_flush_ml": reader.number("line_flush_ml", lo=0, hi=200),
        "line_dressing": reader.choice("line_dressing", vocabulary.LINE_DRESSING.values) or "",
    }


def adverse_event(reader: FormReader, zone: str) -> dict[str, Any]:
    """An adverse event and what happened (the service gives the WAA severity and grade)."""
    return {
        "event_type": reader.choice("event_type", vocabulary.AE_TYPES.values, required=True),
        "onset_at": _local_time(reader, "ae_onset", zone, required=True),
        "procedure_interrupted": reader.flag("ae_interrupted"),
        "procedure_stopped": reader.flag("ae_stopped"),
        "needed_medication": reader.flag("ae_medication"),
        "life_threatening": reader.flag("ae_life_threatening"),
        "died": reader.flag("ae_died"),
        "action": reader.text("ae_action", max_length=2000) or "",
        "outcome": reader.text("ae_outcome", max_length=2000) or "",
        "notes": reader.text("ae_notes", max_length=2000) or "",
    }
