"""The registry's export columns of one batch, computed column-wise with Arrow and NumPy from
the source columns the store reads (``plexms.store.registry_queries.read_batch``): one HMAC per
distinct id, one shift per patient, JSON parsed once per distinct text.

The scalar rules (``_number``, ``_fluids``, ``_age``) are the row-by-row definitions; the
column code applies them (tests compare the two).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from plexms.interop.registry.pseudonym import Pseudonymiser
from plexms.interop.registry_columns import TABLES

__all__ = [
    "ARROW_TYPES",
    "LOT_COLUMNS",
    "as_array",
    "int_numpy",
    "masked",
    "registry_tables",
    "valid_mask",
]

_AGE_CAP = 90  # ages of 90 and over are one group (HIPAA safe harbour, 45 CFR 164.514(b))
_DAY_US = 86_400_000_000
ARROW_TYPES = {  # the Arrow type of each registry column kind
    "id": pa.string(),
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


# --- the scalar rules (the definitions; the batch code applies them column-wise) -------------


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fluids(fluids: Iterable[Any]) -> dict[str, float | None]:
    totals: dict[str, float | None] = {"albumin_ml": None, "saline_ml": None, "plasma_ml": None}
    for item in fluids:
        if not isinstance(item, dict) or _number(item.get("volume_ml")) is None:
            continue
        name = str(item.get("fluid", "")).lower()
        key = next((k for k in totals if name.startswith(k.removesuffix("_ml"))), None)
        if key is not None:
            totals[key] = (totals[key] or 0.0) + float(item["volume_ml"])
    return totals


#: The registry's lot columns: column -> (lot kind, the key of the lot holding its number).
LOT_COLUMNS = {
    "albumin_lot": ("albumin", "lot"),
    "acd_a_lot": ("acd_a", "lot"),
    "saline_lot": ("saline", "lot"),
    "calcium_lot": ("calcium", "lot"),
    "tubing_set_lot": ("tubing_set", "lot"),
    "machine_serial": ("machine", "serial"),
}


def _lots(lots: Any) -> dict[str, str | None]:
    """Each lot column: the distinct numbers of its kind, in the order recorded, joined by
    ``;`` (null when none)."""
    out: dict[str, str | None] = {}
    items = [i for i in lots if isinstance(i, dict)] if isinstance(lots, list) else []
    for column, (kind, key) in LOT_COLUMNS.items():
        found: list[str] = []
        for item in items:
            value = item.get(key)
            if item.get("kind") == kind and isinstance(value, str) and value and value not in found:
                found.append(value)
        out[column] = ";".join(found) or None
    return out


def _age(birth: dt.date, on: dt.date) -> int:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return min(years, _AGE_CAP)


def as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def int_numpy(column: pa.Array) -> np.ndarray:
    """An integer column as int64 NumPy (nulls as 0: mask them with ``valid_mask``)."""
    return np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def masked(values: np.ndarray, valid: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(values, mask=~valid).cast(kind)


def valid_mask(column: pa.Array) -> np.ndarray:
    return np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _per_text(
    column: pa.Array, parse: Callable[[str], Sequence[float | None]], width: int
) -> list[pa.Array]:
    """``width`` float columns from a text column, ``parse`` called once per distinct text;
    null text gives nulls."""
    encoded = pc.dictionary_encode(column)
    parsed = [parse(value) for value in encoded.dictionary.to_pylist()]
    return [
        pa.array([row[i] for row in parsed], pa.float64()).take(encoded.indices)
        for i in range(width)
    ]


def _fluid_totals(value: str) -> tuple[float | None, ...]:
    totals = _fluids(json.loads(value) or [])
    return totals["albumin_ml"], totals["saline_ml"], totals["plasma_ml"]


def _lot_columns(column: pa.Array) -> list[pa.Array]:
    """The lot columns from the sessions' ``lots`` JSON, parsed once per distinct text."""
    encoded = pc.dictionary_encode(column)
    parsed = [
        _lots(json.loads(value) if value is not None else [])
        for value in encoded.dictionary.to_pylist()
    ]
    return [
        pa.array([row[name] for row in parsed], pa.string()).take(encoded.indices)
        for name in LOT_COLUMNS
    ]


def _json_number(value: str) -> tuple[float | None]:
    return (_number(json.loads(value)),)


def _json_values(column: pa.Array, parse: Callable[[Any], Any], kind: pa.DataType) -> pa.Array:
    """One column of ``kind`` from a JSON text column, ``parse`` called once per distinct
    text (on the parsed JSON); null text gives null."""
    encoded = pc.dictionary_encode(column)
    parsed = [parse(json.loads(value)) for value in encoded.dictionary.to_pylist()]
    return pa.array(parsed, kind).take(encoded.indices)


def _not_baseline(check: Any) -> bool | None:
    """True when the visit's EDSS was within 30 days of a relapse (see core.response)."""
    return None if not isinstance(check, dict) else check.get("usable") is False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _empty_is_null(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def _year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    years = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return years, month, day


def _ages(birth_days: np.ndarray, on_days: np.ndarray) -> np.ndarray:
    """``_age`` column-wise."""
    by, bm, bd = _year_month_day(birth_days)
    oy, om, od = _year_month_day(on_days)
    years: np.ndarray = oy - by - ((om * 32 + od) < (bm * 32 + bd))
    years[years > _AGE_CAP] = _AGE_CAP
    return years


class _Pids:
    """Pseudonyms of one batch: one HMAC per distinct id of a kind, shared by every table."""

    def __init__(self, pseudo: Pseudonymiser) -> None:
        self.pseudo = pseudo
        self.known: dict[str, dict[int, str]] = {}

    def __call__(self, kind: str, column: pa.Array) -> pa.Array:
        """The pseudonym of every id of ``column`` (null stays null)."""
        encoded = pc.dictionary_encode(column)
        ids = encoded.dictionary.to_pylist()
        known = self.known.setdefault(kind, {})
        new = [row_id for row_id in ids if row_id not in known]
        known.update(zip(new, self.pseudo.pids_of(kind, new), strict=True))
        return pa.array([known[row_id] for row_id in ids], pa.string()).take(encoded.indices)


class _Patients:
    """The pseudonym and the date shift of each patient of a batch."""

    def __init__(self, patient_ids: np.ndarray, pids: _Pids) -> None:
        self.ids = np.unique(np.asarray(patient_ids, dtype=np.int64))
        self.pids = pids("patient", pa.array(self.ids))
        self.shifts = pids.pseudo.shifts(self.ids.tolist())

    def of(self, column: pa.Array) -> tuple[pa.Array, np.ndarray]:
        where = np.searchsorted(self.ids, int_numpy(column))
        return self.pids.take(pa.array(where)), self.shifts[where]


def _shift_days(column: pa.Array, shift: np.ndarray) -> pa.Array:
    return masked(int_numpy(column) + shift, valid_mask(column), pa.int32()).cast(pa.date32())


def _shift_us(column: pa.Array, shift: np.ndarray) -> pa.Array:
    moved = int_numpy(column) + shift * _DAY_US
    return masked(moved, valid_mask(column), pa.int64()).cast(ARROW_TYPES["datetime"])


def _difference(a: np.ndarray, b: pa.Array) -> pa.Array:
    return masked(a - int_numpy(b), valid_mask(b), pa.int64())


def _sessions(raw: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: as_array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    start, end = int_numpy(col["start_us"]), int_numpy(col["end_us"])
    albumin, saline, plasma = _per_text(col["replacement_fluids"], _fluid_totals, 3)
    return {
        "session_pid": pid("session", col["id"]),
        "course_pid": pid("course", col["course_id"]),
        "patient_pid": ppid,
        "sequence": col["sequence"],
        "status": col["status"],
        "days_from_course_start": _difference(start // _DAY_US, col["course_start_day"]),
        "start": _shift_us(col["start_us"], shift),
        "duration_min": pa.array((end - start) / 1_000_000 / 60),
        "plasma_removed_ml": col["plasma_removed_ml"],
        "whole_blood_processed_ml": col["whole_blood_processed_ml"],
        "albumin_ml": albumin,
        "saline_ml": saline,
        "plasma_ml": plasma,
        "anticoagulant": _empty_is_null(col["anticoagulant"]),
        "anticoagulant_ml": col["anticoagulant_ml"],
        "calcium_gluconate_ml": col["calcium_gluconate_ml"],
        "vascular_access": _empty_is_null(col["vascular_access"]),
        "go_decision": col["go_decision"],
        **dict(zip(LOT_COLUMNS, _lot_columns(col["lots"]), strict=True)),
    }


def _sessions_done(sessions: pa.Table, course_ids: np.ndarray) -> np.ndarray:
    """Per course: its patient's live sessions of it that are done (course live, same patient)."""
    done = pc.and_(
        pc.equal(sessions.column("status"), "done"),
        pc.is_valid(sessions.column("course_start_day")),
    )
    counted = int_numpy(as_array(sessions.column("course_id")).filter(as_array(done)))
    ids, counts = np.unique(counted, return_counts=True)
    where = np.searchsorted(ids, course_ids)
    found = where < len(ids)
    found[found] = ids[where[found]] == course_ids[found]
    out = np.zeros(len(course_ids), dtype=np.int64)
    out[found] = counts[where[found]]
    return out


def _courses(raw: pa.Table, sessions: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: as_array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    start = int_numpy(col["start_day"])
    diagnosis = int_numpy(col["ms_diagnosis_year"])
    (plasma_volume,) = _per_text(col["plasma_volume_ml"], _json_number, 1)
    (exchange_volume,) = _per_text(col["exchange_volume_ml"], _json_number, 1)
    return {
        "course_pid": pid("course", col["id"]),
        "patient_pid": ppid,
        "centre_pid": pid("centre", col["centre_id"]),
        "sex": col["sex"],
        "age_at_start_years": pa.array(_ages(int_numpy(col["birth_day"]), start)),
        "ms_phenotype": col["ms_phenotype"],
        "disease_duration_years": masked(
            _year_month_day(start)[0] - diagnosis, diagnosis != 0, pa.int64()
        ),
        "presentation": col["presentation"],
        "edss_at_onset": col["edss_at_onset"],
        "steroid_response": col["steroid_response"],
        "days_onset_to_start": _difference(start, col["onset_day"]),
        "indication": col["indication"],
        "status": col["status"],
        "stopped_early": pc.equal(col["status"], "stopped"),
        "planned_exchanges": col["planned_exchanges"],
        "plasma_volumes_per_exchange": col["plasma_volumes_per_exchange"],
        "replacement_fluid": col["replacement_fluid"],
        "plasma_volume_ml": plasma_volume,
        "exchange_volume_ml": exchange_volume,
        "start_date": _shift_days(col["start_day"], shift),
        "completed_on": _shift_days(col["completed_day"], shift),
        "sessions_done": pa.array(_sessions_done(sessions, int_numpy(col["id"]))),
        "rule_version": col["rule_version"],
    }


def _adverse_events(raw: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: as_array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    return {
        "event_pid": pid("adverse_event", col["id"]),
        "patient_pid": ppid,
        "course_pid": pid("course", col["course_id"]),
        "session_pid": pid("session", col["session_id"]),
        "event_type": col["event_type"],
        "severity": col["severity"],
        "onset": _shift_us(col["onset_us"], shift),
        "procedure_interrupted": col["procedure_interrupted"],
    }


def _outcomes(raw: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: as_array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    return {
        "outcome_pid": pid("outcome", col["id"]),
        "patient_pid": ppid,
        "course_pid": pid("course", col["course_id"]),
        "timepoint": col["timepoint"],
        "assessed_on": _shift_days(col["assessed_day"], shift),
        "days_from_course_start": _difference(
            int_numpy(col["assessed_day"]), col["course_start_day"]
        ),
        "edss": col["edss"],
        "va_right_logmar": col["va_right_logmar"],
        "va_left_logmar": col["va_left_logmar"],
        "targeted_deficit": col["targeted_deficit"],
        "edss_within_30d_of_relapse": pc.if_else(
            pc.is_valid(col["edss"]),
            _json_values(col["edss_baseline"], _not_baseline, pa.bool_()),
            pa.scalar(None, pa.bool_()),
        ),
        "rule_version": col["rule_version"],
    }


def _outcome_measures(raw: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: as_array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    (change,) = _per_text(col["change"], _json_number, 1)
    (percent,) = _per_text(col["change_percent"], _json_number, 1)
    return {
        "measure_pid": pid("outcome_measure", col["id"]),
        "outcome_pid": pid("outcome", col["outcome_id"]),
        "patient_pid": ppid,
        "course_pid": pid("course", col["course_id"]),
        "measure": col["measure"],
        "side": col["side"],
        "value": col["value"],
        "unit": col["unit"],
        "taken_on": _shift_days(col["taken_day"], shift),
        "days_from_course_start": _difference(int_numpy(col["taken_day"]), col["course_start_day"]),
        "change": change,
        "change_percent": percent,
        "result": _json_values(col["result"], _text, pa.string()),
        "rule_version": col["rule_version"],
    }


def _table(name: str, columns: dict[str, Any]) -> pa.Table:
    schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.kind]) for c in TABLES[name]])
    return pa.Table.from_arrays([as_array(columns[f.name]) for f in schema], schema=schema)


def registry_tables(raw: dict[str, pa.Table], pseudo: Pseudonymiser) -> dict[str, pa.Table]:
    """The export tables (``TABLES``' columns and types) of one batch read by ``read_batch``."""
    pids = _Pids(pseudo)
    patients = _Patients(
        np.concatenate([int_numpy(as_array(t.column("patient_id"))) for t in raw.values()]), pids
    )
    return {
        "courses": _table("courses", _courses(raw["courses"], raw["sessions"], patients, pids)),
        "sessions": _table("sessions", _sessions(raw["sessions"], patients, pids)),
        "adverse_events": _table(
            "adverse_events", _adverse_events(raw["adverse_events"], patients, pids)
        ),
        "outcomes": _table("outcomes", _outcomes(raw["outcomes"], patients, pids)),
        "outcome_measures": _table(
            "outcome_measures", _outcome_measures(raw["outcome_measures"], patients, pids)
        ),
    }
