"""Appending to and verifying the hash-chained audit trail.

``append`` must run inside the caller's write transaction, so the audit row commits or rolls
back with the change it describes. The rows of a transaction are linked into the chain just
before it commits (``seal``), so appends are serialised only for the commit itself: on PostgreSQL
by a row lock on the chain's head, on SQLite by the database write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from plexms.store.database import ASYNC_READ_AUDIT
from plexms.store.models.audit import AuditEvent, AuditHead

__all__ = [
    "GENESIS_HASH",
    "READ_ACTIONS",
    "AuditProblem",
    "AuditReport",
    "append",
    "pending",
    "row_hash",
    "seal",
    "verify",
]

GENESIS_HASH = "0" * 64
_PENDING = "plexms_audit_pending"
_WROTE = "plexms_wrote"
READ_ACTIONS = frozenset({"read", "search", "list", "export"})
"""Actions that record an access, not a change (their transactions may commit asynchronously)."""
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


def append(session: Session, **values: Any) -> None:
    """Add one audit row to ``session``'s transaction; it joins the chain when that commits.

    The row is linked (seq, prev_hash, hash) in the ``before_commit`` hook, together with every
    other row of the transaction, so the chain is locked only while committing. A row added
    inside a savepoint that rolls back is dropped with it, as if it had been flushed there.
    """
    values = {"entity": "", "entity_id": None, "patient_id": None, "centre_id": None, **values}
    values.setdefault("request_id", "")
    values.setdefault("actor_role", "")
    values["detail"] = dict(values.get("detail") or {})
    values["at"] = values["at"].astimezone(dt.UTC)
    session.connection()  # begin now if not yet begun, so a rollback can drop the row
    pending: list[tuple[list[SessionTransaction], dict[str, Any]]]
    pending = session.info.setdefault(_PENDING, [])
    pending.append((_transactions(session), values))


def pending(session: Session) -> int:
    """Audit rows of ``session``'s transaction not yet linked into the chain."""
    return len(session.info.get(_PENDING, ()))


def seal(session: Session) -> int:
    """Link the transaction's pending rows into the chain now (also runs before commit).

    Serialised: on PostgreSQL by locking the head row (``FOR UPDATE``) until the commit, on
    SQLite by the database write lock. On PostgreSQL a transaction whose only change is
    audit rows of reads (``READ_ACTIONS``) commits asynchronously (``synchronous_commit = off``
    for that transaction): the lock is not held through a WAL flush for every page view. A
    server crash can lose such a transaction of the last moment (PostgreSQL's bound is three
    ``wal_writer_delay``, 0.6 s by default), never a clinical change or its audit row, and the
    chain stays whole: the WAL is replayed in order and a later durable commit flushes it.
    """
    rows = [values for _, values in session.info.pop(_PENDING, ())]
    if not rows:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    head = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    if postgres:
        head = head.with_for_update()
        if (
            session.info.get(ASYNC_READ_AUDIT, True)
            and not session.info.get(_WROTE)
            and all(_is_read(r) for r in rows)
        ):
            # set_config(..., is_local => true) is SET LOCAL, sent with the head's query
            head = head.add_columns(func.set_config("synchronous_commit", "off", True))
    seq, prev = session.execute(head).one()[:2]
    linked = []
    for values in rows:
        seq += 1
        values["seq"] = seq
        digest = row_hash(prev, values)
        linked.append({**values, "prev_hash": prev, "hash": digest})
        prev = digest
    move_head = update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev)
    if postgres:  # one round trip: the rows in a data-modifying CTE of the head's update
        session.execute(move_head.add_cte(insert(AuditEvent).values(linked).cte("audit_rows")))
    else:
        session.execute(insert(AuditEvent), linked)
        session.execute(move_head)
    return len(linked)


def _is_read(values: dict[str, Any]) -> bool:
    return values["action"] in READ_ACTIONS and values["outcome"] == "ok"


def _transactions(session: Session) -> list[SessionTransaction]:
    """The open transaction and its parents (savepoints first)."""
    chain = []
    current = session.get_nested_transaction() or session.get_transaction()
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        session.flush()
        seal(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    rows = session.info.get(_PENDING)
    if rows:
        session.info[_PENDING] = [(chain, v) for chain, v in rows if previous not in chain]


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: start clean next time
        session.info.pop(_PENDING, None)
        session.info.pop(_WROTE, None)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


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
