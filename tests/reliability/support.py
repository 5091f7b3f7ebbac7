"""Helpers of the reliability and security suites: run size, database content hash.

``PLEXMS_FUZZ=long`` (``make fuzz``) selects the long forms; ``make test`` runs the short ones.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import json
import os
from typing import Any

from sqlalchemy import Engine, Select, inspect, select, text
from sqlalchemy.engine import Connection

import plexms.store.models  # noqa: F401  (every table registered on the metadata)
from plexms.store.base import Base

LONG = os.environ.get("PLEXMS_FUZZ", "").lower() == "long"
AUDIT_TABLES = frozenset({"audit_event", "audit_head"})
# Columns a rejected request may legitimately change: login throttling counts failures and a
# token's last use is touched on authentication. Everything else must stay the same.
VOLATILE_COLUMNS = frozenset(
    {
        ("app_user", "failed_logins"),
        ("app_user", "failure_window_start"),
        ("app_user", "locked_until"),
        ("auth_token", "last_seen_at"),
    }
)
# Tables a rejected request may legitimately change: failed sign-ins counted by client
# address and wrong current passwords (issue 15, item 9), used referral-form stamps.
VOLATILE_TABLES = frozenset({"throttle"})


def scale(short: int, long: int) -> int:
    """``long`` under ``PLEXMS_FUZZ=long``, else ``short``."""
    return long if LONG else short


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | float):
        return repr(float(value))
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, str) and value[:1] in "{[":
        try:  # JSON columns come back as text on SQLite and as objects on PostgreSQL
            return json.loads(value)
        except ValueError:
            return value
    return value


@functools.cache
def _rows_query(table: str, skip: frozenset[str]) -> tuple[list[str], Select[Any]]:
    # built once per table: the fuzzer hashes the database after every request
    meta = Base.metadata.tables[table]
    cols = [c for c in meta.columns if c.name not in skip]
    order = list(meta.primary_key.columns) or cols
    return [c.name for c in cols], select(*cols).order_by(*order)


def table_rows(conn: Connection, table: str, skip: frozenset[str] = frozenset()) -> list[Any]:
    """Every row of ``table`` as plain values, ordered by the primary key."""
    names, query = _rows_query(table, skip)
    rows = conn.execute(query).all()
    return [names, *([_plain(v) for v in row] for row in rows)]


def content_hash(engine: Engine, *, include_audit: bool = False, volatile: bool = False) -> str:
    """SHA-256 over every table's rows in key order (backend independent).

    ``include_audit=False`` leaves out the audit tables (denials are audited on purpose);
    ``volatile=False`` leaves out the login-throttling and token-touch columns and tables.
    """
    digest = hashlib.sha256()
    with engine.connect() as conn:
        key = (id(engine), include_audit, volatile)
        if key not in _PLANS:
            present = set(inspect(conn).get_table_names())
            _PLANS[key] = [
                (table, frozenset(c for t, c in VOLATILE_COLUMNS if t == table and not volatile))
                for table in sorted(Base.metadata.tables)
                if table in present
                and (include_audit or table not in AUDIT_TABLES)
                and (volatile or table not in VOLATILE_TABLES)
            ]
        for table, skip in _PLANS[key]:
            digest.update(table.encode())
            digest.update(json.dumps(table_rows(conn, table, skip), default=str).encode())
    return digest.hexdigest()


_PLANS: dict[tuple[int, bool, bool], list[tuple[str, frozenset[str]]]] = {}


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return {
            t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
            for t in sorted(Base.metadata.tables)
            if t in present
        }
