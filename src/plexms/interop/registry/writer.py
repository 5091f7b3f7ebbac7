"""Writing the registry tables: CSV exactly as ``csv.writer`` writes ``_cell`` of each value
(the row-by-row definition), computed from the Arrow arrays, and Parquet from the same tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from plexms.interop.registry.tables import ARROW_TYPES, as_array, int_numpy, masked, valid_mask
from plexms.interop.registry_columns import TABLES, Column

__all__ = ["FORMATS", "RegistryWriter", "csv_bytes", "neutralise"]

FORMATS = ("csv", "parquet")


#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): a text cell
#: starting with one of these gets a leading single quote, so it opens as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = "^[=+\\-@\t\r]"


def neutralise(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs: a leading ``'`` when it starts a formula.

    >>> neutralise("=HYPERLINK(1)"), neutralise("albumin_5")
    ("'=HYPERLINK(1)", 'albumin_5')
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    """A value as a CSV cell (the format every CSV cell of the export follows): text is
    passed through :func:`neutralise`, numbers keep their sign."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


# --- CSV ------------------------------------------------------------------------------------------

_NEEDS_QUOTES = '[,"\r\n]'  # what csv.writer (excel dialect, QUOTE_MINIMAL) quotes


def _csv_text(column: pa.Array) -> pa.Array:
    """Strings as csv.writer writes :func:`neutralise` of them: quoted (quotes doubled) when
    they hold , " CR or LF."""
    formula = pc.match_substring_regex(column, _FORMULA_START)
    if pc.any(formula).as_py():
        column = pc.if_else(formula, pc.binary_join_element_wise("'", column, ""), column)
    needs = pc.match_substring_regex(column, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def _csv_float(column: pa.Array) -> pa.Array:
    """``str(float)`` of every value: integral values below 1e16 as ``<int>.0`` in Arrow, the
    rest (fractions, large, non-finite, -0.0) by Python's own ``repr``."""
    values = np.asarray(pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False), dtype=float)
    valid = valid_mask(column)
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
    seconds = np.floor_divide(int_numpy(column.cast(pa.int64())), 1_000_000)
    stamp = (
        masked(seconds, valid_mask(column), pa.int64()).cast(pa.timestamp("s")).cast(pa.string())
    )
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
    cells = [_csv_cells(as_array(table.column(c.name)), c.kind) for c in columns]
    lines = pc.binary_join_element_wise(*cells, ",", null_handling="replace", null_replacement="")
    lines = as_array(pc.binary_join_element_wise(lines, "", "\r\n"))
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
                schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.kind]) for c in columns])
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
