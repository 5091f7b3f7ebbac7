"""De-identified registry tables (CSV and Parquet) of courses, sessions, adverse events and
outcomes, built column-wise in batches of patients so any size of registry streams through.

Pseudonyms are HMAC-SHA256 of ``kind:id`` keyed with the installation's secret; each patient's
dates move by one pseudo-random number of days derived the same way (intervals within a
patient stay exact). Names, MRN, contact details, free text and real ids never leave.
Columns: :mod:`plexms.interop.registry_columns`.

How a batch is built (set-based, no ORM objects): one query per table joins the live rows of a
range of patient ids with what they need (patient; a course's episode, a session's or visit's
course: each only when live and of the same patient) and returns plain columns (ids, days, UTC
times, JSON text); PostgreSQL streams them with ``COPY (SELECT ...) TO STDOUT`` into Arrow's CSV
reader, SQLite through SQLAlchemy's typed rows. The export columns are then computed with
Arrow/NumPy: one HMAC per distinct id, one shift per patient, JSON parsed once per distinct
text. The Parquet file is written from those Arrow tables and the CSV from the same arrays,
exactly as ``csv.writer`` writes ``_cell`` of each value (the row-by-row definition).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Connection, Date, Float, Integer, String, text
from sqlalchemy.types import TypeEngine

from plexms.interop.registry_columns import TABLES, Column
from plexms.store.base import UtcDateTime

__all__ = [
    "FORMATS",
    "MAX_SHIFT_DAYS",
    "Pseudonymiser",
    "RegistryWriter",
    "read_batch",
    "registry_tables",
]

FORMATS = ("csv", "parquet")
MAX_SHIFT_DAYS = 183
_AGE_CAP = 90  # ages of 90 and over are one group (HIPAA safe harbour, 45 CFR 164.514(b))
_DAY_US = 86_400_000_000
_ARROW = {
    "id": pa.string(),
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


class Pseudonymiser:
    """Stable pseudonymous ids and per-patient date shifts from one secret key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the registry secret must be at least 16 bytes")
        self._key = secret
        # HMAC (RFC 2104) with the key's two padded blocks hashed once: each id then costs
        # two SHA-256 copies instead of a whole hmac.digest (same bytes, half the time)
        block = (hashlib.sha256(secret).digest() if len(secret) > 64 else secret).ljust(64, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def _digest(self, text: str) -> bytes:
        return hmac.digest(self._key, text.encode(), hashlib.sha256)

    def pid(self, kind: str, row_id: int | None) -> str | None:
        """The pseudonym of row ``row_id`` of ``kind`` (16 hex digits), ``None`` for no row."""
        return None if row_id is None else self._digest(f"{kind}:{row_id}").hex()[:16]

    def shift_days(self, patient_id: int) -> int:
        """The patient's date shift: a whole number of days in ±1..MAX_SHIFT_DAYS, never 0."""
        return _shift_of(int.from_bytes(self._digest(f"shift:{patient_id}")[:8], "big"))

    def _digests(self, kind: str, row_ids: list[int]) -> list[bytes]:
        """The first 8 bytes of the HMAC of ``kind:id`` for each id (as ``_digest``)."""
        inner, outer = self._inner.copy, self._outer.copy
        prefix = kind.encode() + b":%d"
        out = []
        for row_id in row_ids:
            first = inner()
            first.update(prefix % row_id)
            second = outer()
            second.update(first.digest())
            out.append(second.digest()[:8])
        return out

    def pids_of(self, kind: str, row_ids: list[int]) -> list[str]:
        """``pid`` of each of ``row_ids`` (ints)."""
        return [digest.hex() for digest in self._digests(kind, row_ids)]

    def shifts(self, patient_ids: list[int]) -> np.ndarray:
        """``shift_days`` of each patient id (int64)."""
        words = np.frombuffer(b"".join(self._digests("shift", patient_ids)), dtype=">u8")
        magnitude = 1 + (words % MAX_SHIFT_DAYS).astype(np.int64)
        return np.where((words >> np.uint64(32)) % 2 == 1, magnitude, -magnitude)


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _shift_of(value: int) -> int:
    magnitude = 1 + value % MAX_SHIFT_DAYS
    return magnitude if (value >> 32) % 2 else -magnitude


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


def _age(birth: dt.date, on: dt.date) -> int:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return min(years, _AGE_CAP)


def _cell(value: Any) -> str:
    """A value as a CSV cell (the format every CSV cell of the export follows)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- reading a batch ---------------------------------------------------------------------------

# Source column kinds: int, float, str, bool, day (days since 1970-01-01), us (microseconds
# since the epoch, UTC), json (the JSON text), key:<name> (JSON text of one key of an object).
# PostgreSQL sends days as integers and timestamps as UTC ISO text (exact, and much cheaper for
# the server than EXTRACT(EPOCH ...)); SQLite's come through SQLAlchemy's own types.
_SOURCE_ARROW = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "day": pa.int32(),
    "us": pa.int64(),
    "json": pa.string(),
}
_SOURCE_SQLITE: dict[str, TypeEngine[Any]] = {
    "int": Integer(),
    "float": Float(),
    "str": String(),
    "bool": Boolean(),
    "day": Date(),
    "us": UtcDateTime(),
    "json": String(),
}


@dataclass(frozen=True)
class _Query:
    """One table's batch query: its columns (name, SQL, kind), FROM/joins and order."""

    alias: str
    columns: tuple[tuple[str, str, str], ...]
    source: str
    order: str


# {patient}: the join on the row's patient (live, in scope); {batch}: "BETWEEN first AND last"
# (repeated on every joined table so that each is read by its patient_id index, not scanned).
_LIVE_COURSE = (  # the row's course, when live and of the same patient
    "course c ON c.id = {a}.course_id AND c.patient_id = {a}.patient_id"
    " AND c.patient_id {{batch}} AND c.deleted_at IS NULL"
)
_QUERIES = {
    "courses": _Query(
        "c",
        (
            ("id", "c.id", "int"),
            ("patient_id", "c.patient_id", "int"),
            ("centre_id", "c.centre_id", "int"),
            ("sex", "p.sex", "str"),
            ("birth_day", "p.birth_date", "day"),
            ("ms_phenotype", "p.ms_phenotype", "str"),
            ("ms_diagnosis_year", "p.ms_diagnosis_year", "int"),
            ("presentation", "e.presentation", "str"),
            ("edss_at_onset", "e.edss_at_onset", "float"),
            ("steroid_response", "e.steroid_response", "str"),
            ("onset_day", "e.onset_date", "day"),
            ("indication", "c.indication", "str"),
            ("status", "c.status", "str"),
            ("planned_exchanges", "c.planned_exchanges", "int"),
            ("plasma_volumes_per_exchange", "c.plasma_volumes_per_exchange", "float"),
            ("replacement_fluid", "c.replacement_fluid", "str"),
            ("plasma_volume_ml", "c.prescription", "key:plasma_volume_ml"),
            ("exchange_volume_ml", "c.prescription", "key:exchange_volume_ml"),
            ("start_day", "c.start_date", "day"),
            ("completed_day", "c.completed_on", "day"),
            ("rule_version", "c.rule_version", "str"),
        ),
        "course c {patient} LEFT JOIN episode e ON e.id = c.episode_id"
        " AND e.patient_id = c.patient_id AND e.patient_id {batch} AND e.deleted_at IS NULL",
        "c.patient_id, c.start_date, c.id",
    ),
    "sessions": _Query(
        "s",
        (
            ("id", "s.id", "int"),
            ("course_id", "s.course_id", "int"),
            ("patient_id", "s.patient_id", "int"),
            ("sequence", "s.sequence", "int"),
            ("status", "s.status", "str"),
            ("start_us", "COALESCE(s.actual_start, s.planned_start)", "us"),
            ("end_us", "COALESCE(s.actual_end, s.planned_end)", "us"),
            ("course_start_day", "c.start_date", "day"),
            ("plasma_removed_ml", "s.plasma_removed_ml", "float"),
            ("whole_blood_processed_ml", "s.whole_blood_processed_ml", "float"),
            ("replacement_fluids", "s.replacement_fluids", "json"),
            ("anticoagulant", "s.anticoagulant", "str"),
            ("anticoagulant_ml", "s.anticoagulant_ml", "float"),
            ("calcium_gluconate_ml", "s.calcium_gluconate_ml", "float"),
            ("vascular_access", "s.vascular_access", "str"),
            ("go_decision", "s.go_decision", "str"),
        ),
        "exchange_session s {patient} LEFT JOIN " + _LIVE_COURSE.format(a="s"),
        "s.patient_id, s.course_id, s.sequence, s.id",
    ),
    "adverse_events": _Query(
        "a",
        (
            ("id", "a.id", "int"),
            ("patient_id", "a.patient_id", "int"),
            ("course_id", "a.course_id", "int"),
            ("session_id", "a.session_id", "int"),
            ("event_type", "a.event_type", "str"),
            ("severity", "a.severity", "str"),
            ("onset_us", "a.onset_at", "us"),
            ("procedure_interrupted", "a.procedure_interrupted", "bool"),
        ),
        "adverse_event a {patient}",
        "a.patient_id, a.onset_at, a.id",
    ),
    "outcomes": _Query(
        "o",
        (
            ("id", "o.id", "int"),
            ("patient_id", "o.patient_id", "int"),
            ("course_id", "o.course_id", "int"),
            ("timepoint", "o.timepoint", "str"),
            ("assessed_day", "o.assessed_on", "day"),
            ("course_start_day", "c.start_date", "day"),
            ("edss", "o.edss", "float"),
            ("va_right_logmar", "o.va_right_logmar", "float"),
            ("va_left_logmar", "o.va_left_logmar", "float"),
            ("targeted_deficit", "o.targeted_deficit", "str"),
            ("rule_version", "o.rule_version", "str"),
        ),
        "outcome_assessment o {patient} LEFT JOIN " + _LIVE_COURSE.format(a="o"),
        "o.patient_id, o.assessed_on, o.id",
    ),
}


def _expression(sql: str, kind: str, postgres: bool) -> str:
    if kind.startswith("key:"):
        key = kind.removeprefix("key:")
        return f"({sql} -> '{key}')" if postgres else f"({sql} -> '$.{key}')"
    if postgres and kind == "day":
        return f"({sql} - DATE '1970-01-01')"
    if postgres and kind == "us":
        return f"({sql} AT TIME ZONE 'UTC')"  # ISO text (DateStyle set), parsed by Arrow
    return sql


def _kind(kind: str) -> str:
    return "json" if kind.startswith("key:") else kind


def _select(query: _Query, first: int, last: int, centre_id: int | None, postgres: bool) -> str:
    """The batch query of patients ``first..last`` (ids; live patients of the scope only)."""
    batch = f"BETWEEN {int(first)} AND {int(last)}"
    a = query.alias
    patient = f"JOIN patient p ON p.id = {a}.patient_id AND p.id {batch} AND p.deleted_at IS NULL"
    if centre_id is not None:
        patient += f" AND p.centre_id = {int(centre_id)}"
    columns = ", ".join(
        f"{_expression(sql, kind, postgres)} AS {name}" for name, sql, kind in query.columns
    )
    return (
        f"SELECT {columns} FROM {query.source.format(patient=patient, batch=batch)}"  # noqa: S608 - ints only
        f" WHERE {a}.deleted_at IS NULL AND {a}.patient_id {batch} ORDER BY {query.order}"
    )


def _schema(query: _Query) -> pa.Schema:
    return pa.schema([(name, _SOURCE_ARROW[_kind(kind)]) for name, _, kind in query.columns])


def _kinds(query: _Query, schema: pa.Schema) -> list[tuple[pa.Field, str]]:
    return [(field, _kind(kind)) for field, (_, _, kind) in zip(schema, query.columns, strict=True)]


def _read_postgres(driver: Any, query: _Query, sql: str) -> pa.Table:
    schema = _schema(query)
    text_schema = pa.schema(  # timestamps arrive as UTC wall-clock text
        [
            f.with_type(pa.timestamp("us")) if kind == "us" else f
            for f, kind in _kinds(query, schema)
        ]
    )
    data = bytearray()
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        for block in copy:
            data += block
    if not data:
        return schema.empty_table()
    table = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=text_schema,
            null_values=[""],  # COPY's NULL; an empty string arrives quoted ("")
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    return table.cast(schema)


def _read_sqlite(connection: Connection, query: _Query, sql: str) -> pa.Table:
    kinds = [_kind(kind) for _, _, kind in query.columns]
    types = {
        name: _SOURCE_SQLITE[kind] for (name, _, _), kind in zip(query.columns, kinds, strict=True)
    }
    rows = connection.execute(text(sql).columns(**types)).fetchall()
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * len(kinds)
    arrays = []
    for kind, values in zip(kinds, columns, strict=True):
        if kind == "day":
            arrays.append(pa.array(values, pa.date32()).cast(pa.int32()))
        elif kind == "us":
            arrays.append(pa.array(values, pa.timestamp("us", tz="UTC")).cast(pa.int64()))
        else:
            arrays.append(pa.array(values, _SOURCE_ARROW[kind]))
    return pa.Table.from_arrays(arrays, schema=_schema(query))


def read_batch(
    connection: Connection, first: int, last: int, centre_id: int | None
) -> dict[str, pa.Table]:
    """The source columns of every live row of the live patients with ids ``first..last``
    (of ``centre_id`` only, unless ``None``), per table, in export order. On PostgreSQL it
    sets ``DateStyle`` and ``extra_float_digits`` for the rest of the (read) transaction."""
    if connection.dialect.name != "postgresql":
        return {
            table: _read_sqlite(connection, query, _select(query, first, last, centre_id, False))
            for table, query in _QUERIES.items()
        }
    driver: Any = connection.connection.driver_connection  # psycopg's, for COPY
    with driver.cursor() as cursor:
        cursor.execute("SET LOCAL extra_float_digits = 3")  # shortest exact float text
        cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")  # timestamps as 2025-03-03 16:00:00
    return {
        table: _read_postgres(driver, query, _select(query, first, last, centre_id, True))
        for table, query in _QUERIES.items()
    }


# --- the export columns -------------------------------------------------------------------------


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _numpy(column: pa.Array) -> np.ndarray:
    """An integer column as int64 NumPy (nulls as 0: mask them with ``_valid``)."""
    return np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _masked(values: np.ndarray, valid: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(values, mask=~valid).cast(kind)


def _valid(column: pa.Array) -> np.ndarray:
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


def _json_number(value: str) -> tuple[float | None]:
    return (_number(json.loads(value)),)


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
        where = np.searchsorted(self.ids, _numpy(column))
        return self.pids.take(pa.array(where)), self.shifts[where]


def _shift_days(column: pa.Array, shift: np.ndarray) -> pa.Array:
    return _masked(_numpy(column) + shift, _valid(column), pa.int32()).cast(pa.date32())


def _shift_us(column: pa.Array, shift: np.ndarray) -> pa.Array:
    moved = _numpy(column) + shift * _DAY_US
    return _masked(moved, _valid(column), pa.int64()).cast(_ARROW["datetime"])


def _difference(a: np.ndarray, b: pa.Array) -> pa.Array:
    return _masked(a - _numpy(b), _valid(b), pa.int64())


def _sessions(raw: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: _array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    start, end = _numpy(col["start_us"]), _numpy(col["end_us"])
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
    }


def _sessions_done(sessions: pa.Table, course_ids: np.ndarray) -> np.ndarray:
    """Per course: its patient's live sessions of it that are done (course live, same patient)."""
    done = pc.and_(
        pc.equal(sessions.column("status"), "done"),
        pc.is_valid(sessions.column("course_start_day")),
    )
    counted = _numpy(_array(sessions.column("course_id")).filter(_array(done)))
    ids, counts = np.unique(counted, return_counts=True)
    where = np.searchsorted(ids, course_ids)
    found = where < len(ids)
    found[found] = ids[where[found]] == course_ids[found]
    out = np.zeros(len(course_ids), dtype=np.int64)
    out[found] = counts[where[found]]
    return out


def _courses(raw: pa.Table, sessions: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: _array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    start = _numpy(col["start_day"])
    diagnosis = _numpy(col["ms_diagnosis_year"])
    (plasma_volume,) = _per_text(col["plasma_volume_ml"], _json_number, 1)
    (exchange_volume,) = _per_text(col["exchange_volume_ml"], _json_number, 1)
    return {
        "course_pid": pid("course", col["id"]),
        "patient_pid": ppid,
        "centre_pid": pid("centre", col["centre_id"]),
        "sex": col["sex"],
        "age_at_start_years": pa.array(_ages(_numpy(col["birth_day"]), start)),
        "ms_phenotype": col["ms_phenotype"],
        "disease_duration_years": _masked(
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
        "sessions_done": pa.array(_sessions_done(sessions, _numpy(col["id"]))),
        "rule_version": col["rule_version"],
    }


def _adverse_events(raw: pa.Table, patients: _Patients, pid: _Pids) -> dict[str, Any]:
    col = {name: _array(raw.column(name)) for name in raw.column_names}
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
    col = {name: _array(raw.column(name)) for name in raw.column_names}
    ppid, shift = patients.of(col["patient_id"])
    return {
        "outcome_pid": pid("outcome", col["id"]),
        "patient_pid": ppid,
        "course_pid": pid("course", col["course_id"]),
        "timepoint": col["timepoint"],
        "assessed_on": _shift_days(col["assessed_day"], shift),
        "days_from_course_start": _difference(_numpy(col["assessed_day"]), col["course_start_day"]),
        "edss": col["edss"],
        "va_right_logmar": col["va_right_logmar"],
        "va_left_logmar": col["va_left_logmar"],
        "targeted_deficit": col["targeted_deficit"],
        "rule_version": col["rule_version"],
    }


def _table(name: str, columns: dict[str, Any]) -> pa.Table:
    schema = pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in TABLES[name]])
    return pa.Table.from_arrays([_array(columns[f.name]) for f in schema], schema=schema)


def registry_tables(raw: dict[str, pa.Table], pseudo: Pseudonymiser) -> dict[str, pa.Table]:
    """The export tables (``TABLES``' columns and types) of one batch read by ``read_batch``."""
    pids = _Pids(pseudo)
    patients = _Patients(
        np.concatenate([_numpy(_array(t.column("patient_id"))) for t in raw.values()]), pids
    )
    return {
        "courses": _table("courses", _courses(raw["courses"], raw["sessions"], patients, pids)),
        "sessions": _table("sessions", _sessions(raw["sessions"], patients, pids)),
        "adverse_events": _table(
            "adverse_events", _adverse_events(raw["adverse_events"], patients, pids)
        ),
        "outcomes": _table("outcomes", _outcomes(raw["outcomes"], patients, pids)),
    }


# --- CSV ------------------------------------------------------------------------------------------

_NEEDS_QUOTES = '[,"\r\n]'  # what csv.writer (excel dialect, QUOTE_MINIMAL) quotes


def _csv_text(column: pa.Array) -> pa.Array:
    """Strings as csv.writer writes them: quoted (quotes doubled) when they hold , " CR or LF."""
    needs = pc.match_substring_regex(column, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def _csv_float(column: pa.Array) -> pa.Array:
    """``str(float)`` of every value: integral values below 1e16 as ``<int>.0`` in Arrow, the
    rest (fractions, large, non-finite, -0.0) by Python's own ``repr``."""
    values = np.asarray(pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False), dtype=float)
    valid = _valid(column)
    with np.errstate(invalid="ignore"):
        whole = (
            valid
            & np.isfinite(values)
            & (np.trunc(values) == values)
            & (np.abs(values) < 1e16)
            & ~((values == 0) & np.signbit(values))
        )
    other = valid & ~whole
    out = pa.nulls(len(values), pa.string())
    if whole.any():
        ints = pa.array(values[whole].astype(np.int64)).cast(pa.string())
        text_ = pc.binary_join_element_wise(ints, ".0", "")
        out = pc.replace_with_mask(out, pa.array(whole), text_)
    if other.any():
        rest = pa.array([repr(v) for v in values[other].tolist()], pa.string())
        out = pc.replace_with_mask(out, pa.array(other), rest)
    return out


def _csv_datetime(column: pa.Array) -> pa.Array:
    """ISO UTC time to the second (``%Y-%m-%dT%H:%M:%SZ``; the microseconds dropped)."""
    seconds = np.floor_divide(_numpy(column.cast(pa.int64())), 1_000_000)
    stamp = _masked(seconds, _valid(column), pa.int64()).cast(pa.timestamp("s")).cast(pa.string())
    return pc.binary_join_element_wise(pc.utf8_replace_slice(stamp, 10, 11, "T"), "Z", "")


def _csv_cells(column: pa.Array, kind: str) -> pa.Array:
    if kind == "str":
        return _csv_text(column)
    if kind == "float":
        return _csv_float(column)
    if kind == "bool":
        return pc.if_else(column, "true", "false")
    if kind == "datetime":
        return _csv_datetime(column)
    return column.cast(pa.string())  # id (hex), int, date (ISO)


def csv_bytes(table: pa.Table, columns: Sequence[Column]) -> memoryview:
    """The CSV lines (CRLF-terminated, no header) of ``table``, as ``csv.writer`` writes
    ``_cell`` of each value."""
    if table.num_rows == 0:
        return memoryview(b"")
    cells = [_csv_cells(_array(table.column(c.name)), c.kind) for c in columns]
    lines = pc.binary_join_element_wise(*cells, ",", null_handling="replace", null_replacement="")
    lines = _array(pc.binary_join_element_wise(lines, "", "\r\n"))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    offsets = offsets[lines.offset : lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


class RegistryWriter:
    """Open one CSV and/or Parquet file per table in ``out_dir``; ``write`` appends a batch."""

    def __init__(self, out_dir: Path, formats: Sequence[str]) -> None:
        unknown = set(formats) - set(FORMATS)
        if unknown or not formats:
            raise ValueError(f"formats must be among {FORMATS}")
        out_dir.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []
        self._csv: dict[str, IO[bytes]] = {}
        self._parquet: dict[str, pq.ParquetWriter] = {}
        self.counts = dict.fromkeys(TABLES, 0)
        for table, columns in TABLES.items():
            if "csv" in formats:
                path = out_dir / f"{table}.csv"
                handle = path.open("wb")
                handle.write((",".join(c.name for c in columns) + "\r\n").encode())
                self._csv[table] = handle
                self.paths.append(path)
            if "parquet" in formats:
                path = out_dir / f"{table}.parquet"
                schema = pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in columns])
                self._parquet[table] = pq.ParquetWriter(path, schema)
                self.paths.append(path)

    def write(self, table: str, data: pa.Table) -> None:
        """Append ``data`` (every column of ``table``, with its type)."""
        if data.num_rows == 0:
            return
        self.counts[table] += data.num_rows
        if table in self._csv:
            self._csv[table].write(csv_bytes(data, TABLES[table]))
        if table in self._parquet:
            self._parquet[table].write_table(data)

    def close(self) -> None:
        for handle in self._csv.values():
            handle.close()
        for writer in self._parquet.values():
            writer.close()

    def __enter__(self) -> RegistryWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
