"""The audit chain: appends link up; the verifier finds edits, deletions, insertions, reorders;
the database refuses UPDATE and DELETE on audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from plexms.store import audit_chain
from plexms.store.database import Database

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _append(db: Database, n: int) -> None:
    for i in range(n):
        with db.write() as s:
            audit_chain.append(
                s,
                at=T0 + dt.timedelta(seconds=i),
                actor="nurse",
                action="read",
                entity="patient",
                entity_id=i,
                patient_id=i,
                outcome="ok",
                detail={"use_case": "get_patient"},
            )


def _verify(db: Database) -> audit_chain.AuditReport:
    with db.read() as s:
        return audit_chain.verify(s)


def _unguard(db: Database) -> None:
    """What an attacker with DDL rights would do first: drop the append-only triggers."""
    with db.write() as s:
        if db.is_sqlite:
            s.execute(text("DROP TRIGGER audit_event_no_update"))
            s.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            s.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))


def test_chain_verifies(db: Database) -> None:
    _append(db, 5)
    report = _verify(db)
    assert report.ok and report.rows == 5 and report.head_seq == 5


def test_update_and_delete_refused(db: Database) -> None:
    _append(db, 2)
    with pytest.raises(Exception, match="append-only"), db.write() as s:
        s.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 1"))
    with pytest.raises(Exception, match="append-only"), db.write() as s:
        s.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    assert _verify(db).ok


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_event SET actor = 'someone' WHERE seq = 3",
        "UPDATE audit_event SET detail = '{}' WHERE seq = 2",
        "UPDATE audit_event SET at = at WHERE seq = 1; UPDATE audit_event SET outcome = 'x' "
        "WHERE seq = 4",
        "DELETE FROM audit_event WHERE seq = 3",
        "DELETE FROM audit_event WHERE seq = 5",
        "INSERT INTO audit_event SELECT seq + 100, at, actor, actor_role, centre_id, action,"
        " entity, entity_id, patient_id, outcome, request_id, detail, prev_hash, hash"
        " FROM audit_event WHERE seq = 2",
        # reorder: swap the contents of two rows (keys kept)
        "UPDATE audit_event SET seq = -1 WHERE seq = 2; UPDATE audit_event SET seq = 2 "
        "WHERE seq = 3; UPDATE audit_event SET seq = 3 WHERE seq = -1",
    ],
    ids=[
        "edit-actor",
        "edit-detail",
        "edit-outcome",
        "delete-middle",
        "delete-tail",
        "insert",
        "reorder",
    ],
)
def test_tampering_detected(db: Database, tamper: str) -> None:
    _append(db, 5)
    _unguard(db)
    with db.write() as s:
        for statement in tamper.split("; "):
            s.execute(text(statement))
    report = _verify(db)
    assert not report.ok, tamper
