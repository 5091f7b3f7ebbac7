"""Writing the standard exports: one CSV per table (``person.csv``...) and Parquet partitioned
hive-style by centre and year (``person/centre=<centre pid>/year=2025/part-0-0.parquet``), so
that a directory holding many centres' exports is one dataset to DuckDB, Spark or pandas.

CSV: a header row, then one line per row as ``csv.writer`` writes them (CRLF); empty = null;
dates ISO; times ``YYYY-MM-DD HH:MM:SS`` in UTC (what ``COPY`` into a CDM database reads);
text that a spreadsheet would run as a formula gets a leading ``'`` (as the registry export).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyarrow as pa
import pyarrow.dataset as pads

from plexms.interop.registry import neutralise

__all__ = ["PARTITIONS", "StandardWriter", "csv_cell"]

PARTITIONS = ("centre", "year")  # the hive partition columns (in the paths, not in the files)


def csv_cell(value: Any) -> str:
    """One value as its CSV cell.

    >>> [csv_cell(v) for v in (None, 3, 2.5, True, dt.date(2025, 3, 3), "=1+1")]
    ['', '3', '2.5', 'true', '2025-03-03', "'=1+1"]
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


class StandardWriter:
    """One CSV and one partitioned Parquet dataset per table of ``schemas`` in ``out_dir``."""

    def __init__(
        self, out_dir: Path, schemas: dict[str, pa.Schema], formats: Sequence[str]
    ) -> None:
        if not formats or set(formats) - {"csv", "parquet"}:
            raise ValueError("formats must be among ('csv', 'parquet')")
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir, self.schemas, self.formats = out_dir, schemas, tuple(formats)
        self.counts = dict.fromkeys(schemas, 0)
        self.paths: list[Path] = []
        self._csv: dict[str, tuple[IO[str], Any]] = {}
        self._batch = 0
        for table, schema in schemas.items():
            if "csv" in formats:
                path = out_dir / f"{table}.csv"
                handle = path.open("w", newline="", encoding="utf-8")
                writer = csv.writer(handle)
                writer.writerow(schema.names)
                self._csv[table] = (handle, writer)
                self.paths.append(path)
            if "parquet" in formats:
                self.paths.append(out_dir / table)

    def clear_centres(self, centres: Iterable[str]) -> None:
        """Remove what an earlier export wrote for these centres (other centres' stay)."""
        if "parquet" not in self.formats:
            return
        for table in self.schemas:
            for centre in centres:
                shutil.rmtree(self.out_dir / table / f"centre={centre}", ignore_errors=True)

    def write(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        """Append one batch: per table, rows holding every column plus ``_centre``/``_year``."""
        for table, rows in tables.items():
            if not rows:
                continue
            schema = self.schemas[table]
            for field in schema:
                if not field.nullable and any(r.get(field.name) is None for r in rows):
                    raise ValueError(f"{table}.{field.name} is required but has no value")
            self.counts[table] += len(rows)
            if table in self._csv:
                writer = self._csv[table][1]
                writer.writerows([csv_cell(r.get(name)) for name in schema.names] for r in rows)
            if "parquet" in self.formats:
                self._parquet(table, schema, rows)
        self._batch += 1

    def _parquet(self, table: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
        full = schema.append(pa.field("centre", pa.string())).append(pa.field("year", pa.int32()))
        data = pa.Table.from_pylist(
            [
                {**{n: r.get(n) for n in schema.names}, "centre": r["_centre"], "year": r["_year"]}
                for r in rows
            ],
            schema=full,
        )
        pads.write_dataset(
            data,
            self.out_dir / table,
            format="parquet",
            partitioning=pads.partitioning(
                pa.schema([full.field(p) for p in PARTITIONS]), flavor="hive"
            ),
            basename_template=f"part-{self._batch}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
        )

    def close(self) -> None:
        for handle, _ in self._csv.values():
            handle.close()

    def __enter__(self) -> StandardWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
