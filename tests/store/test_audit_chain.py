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


def _row(i: int, action: str = "read", outcome: str = "ok") -> dict[str, object]:
    return {
        "at": T0 + dt.timedelta(seconds=i),
        "actor": "nurse",
        "action": action,
        "entity": "patient",
        "entity_id": i,
        "patient_id": i,
        "outcome": outcome,
    }


def test_rows_of_one_transaction_link_in_order_at_commit(db: Database) -> None:
    with db.write() as s:
        for i in range(4):
            audit_chain.append(s, **_row(i))
        assert audit_chain.pending(s) == 4
        assert s.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 0
    with db.read() as s:
        ids = s.execute(text("SELECT entity_id FROM audit_event ORDER BY seq")).scalars().all()
    assert ids == [0, 1, 2, 3]
    report = _verify(db)
    assert report.ok and report.rows == 4 and report.head_seq == 4


def test_seal_links_early_and_commit_adds_only_the_rest(db: Database) -> None:
    with db.write() as s:
        audit_chain.append(s, **_row(0))
        assert audit_chain.seal(s) == 1
        assert audit_chain.pending(s) == 0
        assert s.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1
        audit_chain.append(s, **_row(1))
    assert _verify(db).rows == 2 and _verify(db).ok


def test_rolled_back_transaction_leaves_no_row(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as s:
        audit_chain.append(s, **_row(0))
        raise RuntimeError("the change failed")
    _append(db, 1)  # the next transaction starts clean
    report = _verify(db)
    assert report.ok and report.rows == 1


def test_a_savepoint_rolled_back_drops_its_rows_only(db: Database) -> None:
    with db.transaction() as bound:
        with bound.write() as s:
            audit_chain.append(s, **_row(0, "create"))
        with pytest.raises(RuntimeError), bound.write() as s:
            audit_chain.append(s, **_row(1, "update"))
            raise RuntimeError("this step failed")
        with bound.write() as s:
            audit_chain.append(s, **_row(2, "update"))
    with db.read() as s:
        ids = s.execute(text("SELECT entity_id FROM audit_event ORDER BY seq")).scalars().all()
    assert ids == [0, 2]
    assert _verify(db).ok


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    ("rows", "change", "durable"),
    [
        ([("read", "ok")], False, False),
        ([("read", "ok"), ("search", "ok"), ("export", "ok")], False, False),
        ([("read", "ok"), ("create", "ok")], False, True),  # a change: durable commit
        ([("read", "denied")], False, True),  # a denial is a security event
        ([("read", "ok")], True, True),  # the transaction changed a clinical row
    ],
)
def test_only_pure_read_audit_commits_asynchronously(
    db: Database, rows: list[tuple[str, str]], change: bool, durable: bool
) -> None:
    with db.write() as s:
        # the test databases default to synchronous_commit = off: start from production's on
        # (on the raw connection, which the session does not count as a change)
        s.connection().exec_driver_sql("SET LOCAL synchronous_commit TO on")
        if change:
            s.execute(text("UPDATE audit_head SET seq = seq WHERE id = 1"))
        for i, (action, outcome) in enumerate(rows):
            audit_chain.append(s, **_row(i, action, outcome))
        audit_chain.seal(s)
        setting = s.execute(text("SELECT current_setting('synchronous_commit')")).scalar_one()
    assert (setting == "off") is not durable
    assert _verify(db).ok


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_setting_makes_read_audit_durable(settings) -> None:  # type: ignore[no-untyped-def]
    durable = Database(settings.database_url, async_read_audit=False)
    try:
        with durable.write() as s:
            s.connection().exec_driver_sql("SET LOCAL synchronous_commit TO on")
            audit_chain.append(s, **_row(0))
            audit_chain.seal(s)
            setting = s.execute(text("SELECT current_setting('synchronous_commit')")).scalar_one()
        assert setting == "on"
    finally:
        durable.dispose()
