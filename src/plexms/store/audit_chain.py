"""Appending to and verifying the hash-chained audit trail.

``append`` must run inside the caller's write transaction, so the audit row commits or rolls
back with the change it describes. Appends are serialised: on PostgreSQL by a transaction-scoped
advisory lock, on SQLite by the database write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexms.store.models.audit import AuditEvent, AuditHead

__all__ = ["GENESIS_HASH", "AuditProblem", "AuditReport", "append", "row_hash", "verify"]

GENESIS_HASH = "0" * 64
_ADVISORY_KEY = 727002  # arbitrary constant: "the audit chain" lock
_HASHED = (
    "seq",
    "at",
    "actor",
    "actor_role",
    "centre_id",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "outcome",
    "request_id",
    "detail",
)


def _canonical(values: dict[str, Any]) -> str:
    body = {}
    for name in _HASHED:
        value = values[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body[name] = value
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def row_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's canonical JSON."""
    return hashlib.sha256((prev_hash + _canonical(values)).encode()).hexdigest()


def append(session: Session, **values: Any) -> AuditEvent:
    """Add one audit row after the chain's head (inside the caller's transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_ADVISORY_KEY)))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    values = {"entity": "", "entity_id": None, "patient_id": None, "centre_id": None, **values}
    values.setdefault("request_id", "")
    values.setdefault("actor_role", "")
    values["detail"] = dict(values.get("detail") or {})
    values["at"] = values["at"].astimezone(dt.UTC)
    values["seq"] = head.seq + 1
    digest = row_hash(head.hash, values)
    event = AuditEvent(**values, prev_hash=head.hash, hash=digest)
    session.add(event)
    head.seq = values["seq"]
    head.hash = digest
    session.flush()
    return event


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain: where and what."""

    seq: int
    problem: str


@dataclass(frozen=True)
class AuditReport:
    """The verifier's answer: rows checked and every problem found."""

    rows: int
    head_seq: int
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()


def verify(session: Session) -> AuditReport:
    """Walk the whole chain: every hash, every link, no gaps, and the head matches the tail."""
    problems: list[AuditProblem] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    for row in _rows(session):
        count += 1
        values = {name: getattr(row, name) for name in _HASHED}
        if row.seq != expected_seq:
            problems.append(AuditProblem(row.seq, f"sequence gap: expected {expected_seq}"))
        if row.prev_hash != prev_hash:
            problems.append(AuditProblem(row.seq, "link broken: prev_hash is not the prior hash"))
        if row_hash(row.prev_hash, values) != row.hash:
            problems.append(AuditProblem(row.seq, "content changed: hash does not match"))
        prev_hash = row.hash
        expected_seq = row.seq + 1
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    head_seq = head.seq if head is not None else -1
    if head is None:
        problems.append(AuditProblem(0, "chain head missing"))
    elif head.seq != expected_seq - 1 or head.hash != prev_hash:
        problems.append(AuditProblem(head.seq, "head does not match the last row (truncated?)"))
    return AuditReport(rows=count, head_seq=head_seq, problems=problems)
