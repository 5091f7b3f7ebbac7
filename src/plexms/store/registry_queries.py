"""The registry export's source reads: one set-based query per table for a range of patient
ids, returning plain columns (ids, days, UTC times, JSON text) as Arrow tables.

Each query joins the live rows of a range of patient ids with what they need (patient; a
course's episode, a session's or visit's course: each only when live and of the same patient).
PostgreSQL streams them with ``COPY (SELECT ...) TO STDOUT`` into Arrow's CSV reader, SQLite
through SQLAlchemy's typed rows. The export columns are computed from these by
``plexms.interop.registry``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Boolean, Connection, Date, Float, Integer, String, text
from sqlalchemy.types import TypeEngine

from plexms.store.base import UtcDateTime

__all__ = ["read_batch"]


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
            ("lots", "s.lots", "json"),
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
            ("edss_baseline", "o.result", "key:edss_baseline"),
            ("rule_version", "o.rule_version", "str"),
        ),
        "outcome_assessment o {patient} LEFT JOIN " + _LIVE_COURSE.format(a="o"),
        "o.patient_id, o.assessed_on, o.id",
    ),
    "outcome_measures": _Query(
        "m",
        (
            ("id", "m.id", "int"),
            ("patient_id", "m.patient_id", "int"),
            ("outcome_id", "m.outcome_id", "int"),
            ("course_id", "o.course_id", "int"),
            ("measure", "m.measure", "str"),
            ("side", "m.side", "str"),
            ("value", "m.value", "float"),
            ("unit", "m.unit", "str"),
            ("taken_day", "m.taken_on", "day"),
            ("course_start_day", "c.start_date", "day"),
            ("change", "m.result", "key:change"),
            ("change_percent", "m.result", "key:change_percent"),
            ("result", "m.result", "key:result"),
            ("rule_version", "m.rule_version", "str"),
        ),
        # the measure's visit (live, same patient), and the visit's course when live
        "outcome_measure m {patient} JOIN outcome_assessment o ON o.id = m.outcome_id"
        " AND o.patient_id = m.patient_id AND o.patient_id {batch} AND o.deleted_at IS NULL"
        " LEFT JOIN " + _LIVE_COURSE.format(a="o"),
        "m.patient_id, m.taken_on, m.id",
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
