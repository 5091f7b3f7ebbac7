"""Bulk loading of generated rows (``plexms demo --registry N``), like pg_restore.

Inside the one load transaction the tables' indexes and constraints (primary keys, unique
constraints, foreign keys, also those of other tables pointing at them) are dropped, the rows
copied, then the keys and indexes rebuilt (one sort each instead of a B-tree insertion per row)
and the foreign keys re-added (one validating join each). The transaction holds ACCESS
EXCLUSIVE locks on those tables meanwhile: a demo/benchmark tool, not something to run beside
a busy clinic. A failure rolls everything back.

PostgreSQL gets binary COPY (:mod:`plexms.store.bulk_copy`), each chunk encoded while the
previous one is being copied; SQLite ``executemany``. Then ``VACUUM``/``ANALYZE`` so the
planner knows the new sizes (and PostgreSQL can use index-only scans).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from plexms.store.bulk_copy import binary_copy, copy_postgres
from plexms.store.database import Database

__all__ = ["ChunkLoaded", "MakeChunk", "analyze", "bulk_load", "naive", "next_ids"]

MakeChunk = Callable[[int, dict[str, int]], dict[str, pa.Table]]
"""``(chunk number, first id of each table) -> the chunk's rows per table``."""
ChunkLoaded = Callable[[int, dict[str, int]], None]
"""``(chunk number, rows loaded per table)``, after each chunk."""
_AHEAD = 2  # chunks generated ahead of the one loading
_PG_TYPES = (
    "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
)
_PG_CONSTRAINTS = (
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype, "
    "confrelid::regclass::text "
    "FROM pg_constraint WHERE (contype IN ('p', 'u') AND conrelid = ANY(%(t)s::regclass[])) "
    "OR (contype = 'f' AND (conrelid = ANY(%(t)s::regclass[]) "
    "OR confrelid = ANY(%(t)s::regclass[])))"
)
_PG_INDEXES = (
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
    "WHERE indrelid = ANY(%(t)s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
    "WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))"
)
_PG_ROWS = "SELECT oid::regclass::text, reltuples FROM pg_class WHERE oid = ANY(%s::regclass[])"
_PROBE_RATIO = 8  # a referencing table this many times smaller: validate by index probes


def _pg_types(cursor: Any, tables: Sequence[str]) -> dict[str, dict[str, str]]:
    return {t: dict(cursor.execute(_PG_TYPES, (t,)).fetchall()) for t in tables}


@dataclass(frozen=True)
class _Dropped:
    """What ``_drop_postgres`` removed, as the DDL that puts it back."""

    keys: list[str]  # primary keys and unique constraints
    indexes: list[str]
    foreign: list[tuple[str, str, str]]  # (referencing table, referenced table, DDL)


def _drop_postgres(cursor: Any, names: Sequence[str]) -> _Dropped:
    """Drop the keys, indexes and foreign keys of ``names`` (and those pointing at them)."""
    tables = {"t": list(names)}
    keys: list[tuple[str, str, str]] = []
    foreign: list[tuple[str, str, str, str]] = []
    constraints = cursor.execute(_PG_CONSTRAINTS, tables).fetchall()
    index_rows = cursor.execute(_PG_INDEXES, tables).fetchall()
    for table, name, definition, kind, referenced in constraints:
        restore = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        if kind == "f":
            foreign.append((table, name, referenced, restore))
        else:
            keys.append((table, name, restore))
    for table, name, *_ in foreign + keys:  # foreign keys first: they need the keys
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in index_rows:
        cursor.execute(f"DROP INDEX {name}")
    return _Dropped(
        keys=[restore for *_, restore in keys],
        indexes=[definition for _, definition in index_rows],
        foreign=[(table, referenced, restore) for table, _, referenced, restore in foreign],
    )


def _restore_postgres(cursor: Any, dropped: _Dropped) -> None:
    """Keys, then indexes (one sort each), then foreign keys (one validating query each).

    A foreign key from a table much smaller than the one it points at (adverse events ->
    900,000 sessions) is validated by probing the referenced key's index: PostgreSQL 15 would
    otherwise hash the whole referenced table for the check (it only hashes the inner side of
    an anti-join), 0.35 s instead of 0.1 s here.
    """
    for statement in dropped.keys + dropped.indexes:
        cursor.execute(statement)
    names = sorted({t for child, parent, _ in dropped.foreign for t in (child, parent)})
    rows = dict(cursor.execute(_PG_ROWS, (names,)).fetchall())  # fresh after the index builds
    for child, parent, statement in dropped.foreign:
        probe = 0 <= rows[child] * _PROBE_RATIO < rows[parent]
        if probe:
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(statement)
        if probe:
            cursor.execute("SET LOCAL enable_hashjoin TO DEFAULT")
            cursor.execute("SET LOCAL enable_mergejoin TO DEFAULT")


def _drop_sqlite(cursor: Any, tables: Sequence[str]) -> list[str]:
    names = ", ".join(f"'{t}'" for t in tables)
    found = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
        f"AND tbl_name IN ({names})"
    ).fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def naive(data: pa.Table) -> pa.Table:
    """Timestamps without their zone (the load session is in UTC)."""
    columns = [
        c.cast(pa.timestamp("us")) if pa.types.is_timestamp(c.type) else c for c in data.columns
    ]
    return pa.table(columns, names=data.column_names)


def _sql_literal(value: Any) -> str:
    """A constant column's value written into the INSERT (no binding per row)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool | int | float):
        return repr(int(value) if isinstance(value, bool) else value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")  # pragma: no cover


def _insert_sqlite(cursor: Any, table: str, data: pa.Table) -> None:
    """``executemany`` of the rows; a column with one value in the whole chunk goes into the
    statement as a literal instead of being bound on every row."""
    names, values, columns = [], [], []
    for name, column in zip(data.column_names, data.columns, strict=True):
        kind = column.type
        if pa.types.is_timestamp(kind):
            # "YYYY-MM-DD HH:MM:SS.ffffff" as SQLAlchemy stores it (a cast: 10x strftime)
            column = column.cast(pa.timestamp("us")).cast(pa.string())
        elif pa.types.is_date(kind):
            column = column.cast(pa.string())
        elif pa.types.is_boolean(kind):
            column = column.cast(pa.int64())
        names.append(name)
        if len(column) > 1 and pc.count_distinct(column, mode="all").as_py() == 1:
            values.append(_sql_literal(column[0].as_py()))
        else:
            values.append("?")
            columns.append(column.to_pylist())
    statement = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})"  # noqa: S608 - fixed names, literals quoted
    cursor.executemany(statement, zip(*columns, strict=True))


def next_ids(cursor: Any, tables: Sequence[str]) -> dict[str, int]:
    """The next free id of each of ``tables``."""
    ids = {}
    for table in tables:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed names
        ids[table] = int(cursor.fetchone()[0]) + 1
    return ids


def bulk_load(
    db: Database,
    tables: Sequence[str],
    make_chunk: MakeChunk,
    chunks: int,
    *,
    on_chunk: ChunkLoaded | None = None,
    analyze_after: bool = True,
) -> dict[str, int]:
    """Load ``chunks`` chunks of rows made by ``make_chunk`` into ``tables`` (in that order)
    in one transaction; the rows loaded per table."""
    postgres = not db.is_sqlite
    counts = dict.fromkeys(tables, 0)
    raw = db.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        cursor = driver.cursor()
        if postgres:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            types = _pg_types(cursor, tables)
            dropped = _drop_postgres(cursor, tables)
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")  # rows are consistent by construction
            cursor.execute("BEGIN IMMEDIATE")
            indexes = _drop_sqlite(cursor, tables)
        first = next_ids(cursor, tables)

        def prepare(chunk: int) -> tuple[dict[str, int], dict[str, Any]]:
            """Make (and for PostgreSQL encode) one chunk; runs beside the loading."""
            data = make_chunk(chunk, dict(first))
            rows = {t: data[t].num_rows for t in tables}
            for table in tables:
                first[table] += rows[table]
            if postgres:
                return rows, {t: binary_copy(t, data[t], types[t]) for t in tables}
            return rows, data

        # NumPy and Arrow release the GIL: the next chunks are made while this one loads
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = [pool.submit(prepare, c) for c in range(min(_AHEAD, chunks))]
            for chunk in range(chunks):
                rows, payloads = pending.pop(0).result()
                if chunk + _AHEAD < chunks:
                    pending.append(pool.submit(prepare, chunk + _AHEAD))
                for table in tables:
                    if postgres:
                        copy_postgres(cursor, table, *payloads[table])
                    else:
                        _insert_sqlite(cursor, table, payloads[table])
                    counts[table] += rows[table]
                del payloads
                if on_chunk is not None:
                    on_chunk(chunk, rows)
        if postgres:
            _restore_postgres(cursor, dropped)
            for table in tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
            driver.commit()
        else:
            for statement in indexes:
                cursor.execute(statement)
            cursor.execute("COMMIT")
        if analyze_after:
            analyze(driver, postgres, tables)
    except BaseException:
        if postgres:
            driver.rollback()
        elif driver.in_transaction:
            cursor.execute("ROLLBACK")
        raise
    finally:
        if not postgres:
            cursor.execute("PRAGMA foreign_keys = ON")
        raw.close()
    return counts


def analyze(driver: Any, postgres: bool, tables: Sequence[str]) -> None:
    """Fresh statistics (and on PostgreSQL the visibility map for index-only scans)."""
    if postgres:
        driver.autocommit = True
        try:
            for table in tables:
                driver.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            driver.autocommit = False
    else:
        driver.execute("ANALYZE")
