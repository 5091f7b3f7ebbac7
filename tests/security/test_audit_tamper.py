"""Audit integrity: the verifier catches every random edit, deletion, insertion and reorder.

Each trial tampers with a chain of real audit rows inside one transaction (the append-only
triggers dropped/disabled first, as an attacker with DDL rights would), runs the verifier in
that transaction and rolls everything back. Seeded random; 300 trials per backend in
``make test``, 5,000 under ``make fuzz``. tests/store/test_audit_chain.py has the fixed cases.

Limit (by design of any hash chain without an external anchor): an attacker who rewrites the
whole chain after a point, or appends rows and moves the head, is not detected; ``plexms audit
verify`` output kept elsewhere (the head hash) is the anchor for that.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from plexms.store import audit_chain
from plexms.store.database import Database
from plexms.store.models import AuditEvent
from tests.reliability.support import scale

pytestmark = [pytest.mark.fuzz]

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ROWS = 12
TRIALS = scale(300, 5000)
EDITABLE = (
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
    "prev_hash",
    "hash",
)
KINDS = ("edit", "delete", "insert_copy", "insert_forged", "swap_contents", "swap_seq")


def _chain(db: Database) -> None:
    for i in range(ROWS):
        with db.write() as s:
            audit_chain.append(
                s,
                at=T0 + dt.timedelta(seconds=i),
                actor=f"user{i % 3}",
                actor_role="nurse",
                centre_id=1 + i % 2,
                action=("read", "update", "denied")[i % 3],
                entity="patient",
                entity_id=i,
                patient_id=100 + i,
                outcome="ok",
                request_id=f"req{i}",
                detail={"use_case": "get_patient", "n": i},
            )


def _unguard(session: Session, db: Database) -> None:
    if db.is_sqlite:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))


def _changed(value: object, rnd: random.Random) -> object:
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(microseconds=rnd.choice([1, -1, 1000, 86_400_000_000]))
    if isinstance(value, dict):
        return {**value, "n": rnd.randint(1000, 2000)}
    if isinstance(value, int):
        return value + rnd.choice([1, -1, 7])
    if value is None:
        return rnd.randint(1, 9)
    text_value = str(value)
    if len(text_value) == 64:  # a hash: flip one hex digit
        i = rnd.randrange(64)
        return text_value[:i] + ("0" if text_value[i] != "0" else "1") + text_value[i + 1 :]
    return text_value + rnd.choice(["x", " ", "0"])


def _tamper(session: Session, kind: str, rnd: random.Random) -> None:
    rows = list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
    row = rnd.choice(rows)
    if kind == "edit":
        name = rnd.choice(EDITABLE)
        setattr(row, name, _changed(getattr(row, name), rnd))
    elif kind == "delete":
        session.delete(row)
    elif kind in ("insert_copy", "insert_forged"):
        position = rnd.randint(1, ROWS + 1)  # before row ``position`` (ROWS + 1: at the end)
        values = {n: getattr(row, n) for n in (*audit_chain._HASHED, "prev_hash", "hash")}
        if kind == "insert_forged":  # a well-formed row hashed onto its predecessor
            values["actor"] = "intruder"
            values["prev_hash"] = rows[position - 2].hash if position > 1 else "0" * 64
            values["hash"] = audit_chain.row_hash(values["prev_hash"], values)
        for later in sorted((r for r in rows if r.seq >= position), key=lambda r: -r.seq):
            later.seq += 1  # make room (keys shift; contents stay)
            session.flush()
        values["seq"] = position
        session.add(AuditEvent(**values))
    elif kind == "swap_contents":
        other = rnd.choice([r for r in rows if r is not row])
        for name in (*EDITABLE,):
            a, b = getattr(row, name), getattr(other, name)
            setattr(row, name, b)
            setattr(other, name, a)
    else:  # swap_seq: two rows exchange their places in the order
        other = rnd.choice([r for r in rows if r is not row])
        a, b = row.seq, other.seq
        row.seq = -1
        session.flush()
        other.seq = a
        session.flush()
        row.seq = b
    session.flush()


def test_verifier_detects_every_random_tampering(db: Database, backend: str) -> None:
    _chain(db)
    with db.read() as s:
        assert audit_chain.verify(s).ok
    rnd = random.Random(20261130)
    missed: list[str] = []
    done: Counter[str] = Counter()
    for trial in range(TRIALS):
        kind = KINDS[trial % len(KINDS)]
        with Session(db.engine) as session:
            _unguard(session, db)
            _tamper(session, kind, rnd)
            if audit_chain.verify(session).ok:
                missed.append(f"trial {trial}: {kind}")
            session.rollback()
        done[kind] += 1
    assert missed == [], missed
    assert sum(done.values()) == TRIALS and set(done) == set(KINDS)
    with db.read() as s:
        assert audit_chain.verify(s).ok  # every trial rolled back


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET outcome = 'ok2' WHERE seq = {seq}",
        "UPDATE audit_event SET hash = prev_hash WHERE seq = {seq}",
        "DELETE FROM audit_event WHERE seq = {seq}",
        "DELETE FROM audit_event",
    ],
)
def test_the_app_role_cannot_change_audit_rows(db: Database, statement: str) -> None:
    _chain(db)
    seq = random.Random(statement).randint(1, ROWS)
    with pytest.raises(Exception, match="append-only"), db.write() as s:
        s.execute(text(statement.format(seq=seq)))
    with db.read() as s:
        report = audit_chain.verify(s)
    assert report.ok and report.rows == ROWS


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_refuses_truncate(db: Database) -> None:
    _chain(db)
    with pytest.raises(Exception, match="append-only"), db.write() as s:
        s.execute(text("TRUNCATE audit_event"))
    with db.read() as s:
        assert audit_chain.verify(s).rows == ROWS
