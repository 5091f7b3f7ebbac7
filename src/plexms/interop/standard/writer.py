"""Writing the standard exports: one CSV per table (``person.csv``...) and Parquet partitioned
hive-style by centre and year (``person/centre=<centre pid>/year=2025/part-0-0.parquet``), so
that a directory holding many centres' exports is one dataset to DuckDB, Spark or pandas.

CSV (written by Arrow from the same table as the Parquet): a header row, then one LF-ended
line per row, text quoted when it must be; empty = null; dates ISO; times
``YYYY-MM-DD HH:MM:SS`` in UTC (what ``COPY`` into a CDM database reads); text that a
spreadsheet would run as a formula gets a leading ``'`` (as the registry export).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads

__all__ = ["PARTITIONS", "StandardWriter"]

PARTITIONS = ("centre", "year")  # the hive partition columns (in the paths, not in the files)
_FORMULA_START = "^[=+\\-@\t\r]"  # what plexms.interop.registry.neutralise quotes
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def _csv_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A column as its CSV text: formulas neutralised (a leading ``'``, as
    :func:`plexms.interop.registry.neutralise`), times to the second, booleans true/false;
    numbers and dates as Arrow writes them."""
    kind = column.type
    if pa.types.is_string(kind):
        formula = pc.match_substring_regex(column, _FORMULA_START)
        return pc.if_else(formula, pc.binary_join_element_wise("'", column, ""), column)
    if pa.types.is_timestamp(kind):
        return column.cast(pa.timestamp("s"), safe=False).cast(pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    return column


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
        self._csv: dict[str, IO[bytes]] = {}
        self._batch = 0
        for table, schema in schemas.items():
            if "csv" in formats:
                path = out_dir / f"{table}.csv"
                handle = path.open("wb")
                handle.write((",".join(schema.names) + "\n").encode())
                self._csv[table] = handle
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
            data = pa.Table.from_pylist(rows, schema=schema)
            if table in self._csv:
                cells = pa.table([_csv_column(c) for c in data.columns], names=schema.names)
                pacsv.write_csv(cells, self._csv[table], _CSV)
            if "parquet" in self.formats:
                self._parquet(table, data, rows)
        self._batch += 1

    def _parquet(self, table: str, data: pa.Table, rows: list[dict[str, Any]]) -> None:
        data = data.append_column(
            pa.field("centre", pa.string()), pa.array([r["_centre"] for r in rows], pa.string())
        ).append_column(
            pa.field("year", pa.int32()), pa.array([r["_year"] for r in rows], pa.int32())
        )
        full = data.schema
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
        for handle in self._csv.values():
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
