"""PostgreSQL's binary ``COPY ... FROM STDIN (FORMAT binary)`` encoding of Arrow tables.

The server parses no text: timestamps, dates and numbers go as the 8/4-byte values it stores,
the rows of a chunk encoded by NumPy and Arrow in one pass per column (psycopg 3
``cursor.copy``). Used by the bulk loader (:mod:`plexms.store.bulk_load`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from plexms.core.errors import InputError

__all__ = ["binary_copy", "copy_postgres"]

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # binary COPY header: no flags, no extension
_TRAILER = b"\xff\xff"
_EPOCH_US = 946_684_800_000_000  # PostgreSQL counts from 2000-01-01 (Unix time of it, in us)
_EPOCH_DAYS = 10_957
_BINARY = {  # PostgreSQL type -> big-endian NumPy type of its binary send format
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "u1",
    "date": ">i4",
    "timestamptz": ">i8",
}
_TEXT = frozenset({"text", "varchar", "json"})  # sent as their UTF-8 text
_NULL_FIELD = pa.scalar(b"\xff\xff\xff\xff", pa.binary())  # field length -1
_NO_BYTES = pa.scalar(b"", pa.binary())


def _fixed_values(column: pa.Array, pg_type: str, where: str) -> np.ndarray:
    """A column's values in the units of PostgreSQL's binary format (days and microseconds
    since 2000-01-01), NULLs as 0; made big-endian when written into the records."""
    kind = column.type
    values: np.ndarray
    if pg_type == "timestamptz" and pa.types.is_timestamp(kind) and kind.tz is not None:
        micros = column.cast(pa.timestamp("us", tz=kind.tz)).cast(pa.int64())
        values = micros.fill_null(0).to_numpy() - _EPOCH_US
    elif pg_type == "date" and pa.types.is_date32(kind):
        values = column.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64) - _EPOCH_DAYS
    elif pg_type == "bool" and pa.types.is_boolean(kind):
        values = column.fill_null(False).to_numpy(zero_copy_only=False)
    elif pg_type.startswith("int") and pa.types.is_integer(kind):
        values = column.fill_null(0).to_numpy()
        info = np.iinfo(_BINARY[pg_type])
        if values.size and (values.min() < info.min or values.max() > info.max):
            raise InputError(where, "a value out of the column's range", allowed=pg_type)
    elif pg_type == "float8" and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        values = column.fill_null(0).to_numpy()
    else:
        raise InputError(where, f"{kind} cannot be copied to {pg_type}", allowed="same kind")
    if pg_type == "date" and values.size and np.abs(values).max() > np.iinfo(np.int32).max:
        raise InputError(where, "a date out of range", allowed="PostgreSQL dates")
    return values


Field = tuple[str | None, Any]  # NumPy type of the value (None: empty), the values


def _records(n: int, fields: list[Field], count: int | None = None) -> np.ndarray:
    """``n`` packed records of the binary format as an ``(n, bytes)`` matrix: the field count
    (when given), then per field its byte length and its value. A NumPy structured array: each
    column is one typed (and byte-swapping) assignment, not a loop over rows."""
    layout: list[tuple[str, str]] = [] if count is None else [("count", ">i2")]
    for i, (kind, _) in enumerate(fields):
        layout.append((f"n{i}", ">i4"))
        if kind is not None:
            layout.append((f"v{i}", kind))
    records = np.empty(n, np.dtype(layout))
    if count is not None:
        records["count"] = count
    for i, (kind, values) in enumerate(fields):
        records[f"n{i}"] = 0 if kind is None else np.dtype(kind).itemsize
        if kind is not None:
            records[f"v{i}"] = values
    return records.view(np.uint8).reshape(n, records.dtype.itemsize)


def _as_binary(block: np.ndarray) -> pa.Array:
    """An ``(n, width)`` byte matrix as an Arrow binary column (one value per row)."""
    n, width = block.shape
    buffers = [None, pa.py_buffer(np.ascontiguousarray(block))]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, buffers).cast(pa.binary())


def binary_copy(table: str, data: pa.Table, types: dict[str, str]) -> tuple[list[str], Any]:
    """The rows of ``data`` in PostgreSQL's binary COPY format (without header and trailer),
    and the column order they are in.

    Per row: the field count, then per field its byte length (-1 for NULL) and its bytes. Every
    column that is never NULL and has one width in this chunk (numbers, dates, timestamps,
    fixed-length or constant text) goes into one NumPy structured array of packed records;
    the others become Arrow binary columns (length prefix + bytes) and one element-wise Arrow
    join appends them to each record. So the columns go fixed ones first.
    """
    n = data.num_rows
    if n == 0:
        return list(data.column_names), b""
    fixed: list[tuple[str, Field]] = []
    varying: list[tuple[str, pa.Array]] = []  # (name, length-prefixed field bytes)
    for name in data.column_names:
        column = data.column(name).combine_chunks()
        where = f"{table}.{name}"
        pg_type = types.get(name)
        kind = column.type
        if pg_type in _BINARY:
            field: Field = (_BINARY[pg_type], _fixed_values(column, pg_type, where))
            if column.null_count == 0:
                fixed.append((name, field))
            else:
                prefixed = _as_binary(_records(n, [field]))
                varying.append((name, pc.if_else(column.is_valid(), prefixed, _NULL_FIELD)))
        elif pg_type in _TEXT and (pa.types.is_string(kind) or kind == pa.null()):
            raw = column.cast(pa.string()).cast(pa.binary())
            offsets = np.frombuffer(raw.buffers()[1], np.int32, n + 1, raw.offset * 4)
            lengths = np.diff(offsets)
            if column.null_count == 0 and lengths.min() == lengths.max():
                size = int(lengths[0])
                body = np.frombuffer(raw.buffers()[2] or b"", np.uint8)[offsets[0] : offsets[-1]]
                fixed.append((name, (f"S{size}", body.view(f"S{size}")) if size else (None, 0)))
            else:
                prefix = _as_binary(_records(n, [(">i4", lengths)])[:, 4:])
                joined = pc.binary_join_element_wise(prefix, raw, _NO_BYTES)  # NULL stays NULL
                varying.append(
                    (name, joined.fill_null(_NULL_FIELD) if column.null_count else joined)
                )
        else:
            raise InputError(where, f"{kind} cannot be copied to {pg_type}", allowed="same kind")
    block = _records(n, [f for _, f in fixed], count=len(fixed) + len(varying))
    names = [name for name, _ in fixed] + [name for name, _ in varying]
    if not varying:
        return names, block.reshape(-1).data
    rows = pc.binary_join_element_wise(_as_binary(block), *(v for _, v in varying), _NO_BYTES)
    offsets = np.frombuffer(rows.buffers()[1], np.int32, n + 1, rows.offset * 4)
    return names, memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]


def copy_postgres(cursor: Any, table: str, columns: list[str], payload: Any) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(_SIGNATURE)
        copy.write(payload)
        copy.write(_TRAILER)
