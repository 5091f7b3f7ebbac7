"""Read-replica routing without a standby: the settings' checks, no replica (every read on the
primary, nothing shown), a "replica" that is not a standby (left out, reads on the primary),
the read-your-writes counter. The real primary and hot standby pair is in
tests/reliability/test_replica.py."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from plexms.settings import Settings
from plexms.store.database import Database, read_source
from plexms.store.models.throttle import Throttle
from plexms.store.replica import FENCE_KIND, ReplicaState, fence_count

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_a_replica_needs_postgresql_on_both_sides() -> None:
    with pytest.raises(ValidationError, match="database_url must be PostgreSQL"):
        Settings(database_url="sqlite:///x.sqlite3", database_replica_url=PG)
    with pytest.raises(ValidationError, match="database_replica_url must be PostgreSQL"):
        Settings(database_url=PG, database_replica_url="sqlite:///x.sqlite3")
    assert Settings(database_url=PG, database_replica_url="").database_replica_url is None
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        Database("sqlite://", replica_url=PG)


def test_states_say_what_they_are() -> None:
    assert ReplicaState("ok", 0.4, 100).describe() == "ok (0.4 s behind)"
    lagging = ReplicaState("lagging", 42.0, 9, max_lag_seconds=30)
    assert lagging.describe() == "lagging (42.0 s behind, over 30 s)"
    assert not lagging.usable
    assert ReplicaState("lagging", None, 9).describe().endswith("time unknown)")
    assert ReplicaState("down", detail="OperationalError").describe() == "down (OperationalError)"


def test_without_a_replica_every_read_is_of_the_primary(db: Database) -> None:
    assert db.replica is None
    with db.read_replica(fence="user:1") as session:
        source = read_source(session)
    assert (source.database, source.replica) == ("primary", None)
    db.note_write("user:1", NOW)
    with db.read() as session:  # nothing written without a replica
        assert session.scalars(select(Throttle).where(Throttle.kind == FENCE_KIND)).all() == []
    assert db.replica_state().replica is None


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_replica_that_is_not_a_standby_is_left_out(migrated_url: str) -> None:
    db = Database(migrated_url, replica_url=migrated_url, replica_check_seconds=0)
    try:
        state = db.replica_state()
        assert state.replica is not None and state.replica.describe() == "down (not a standby)"
        with db.read_replica(fence="user:7") as session:
            source = read_source(session)
        assert source.database == "primary" and "not a standby" in source.reason
        # the read-your-writes counter goes up by one per note, one row per user
        for expected in (1, 2):
            db.note_write("user:7", NOW)
            with db.read() as session:
                assert fence_count(session, "user:7") == expected
        with db.read() as session:
            assert fence_count(session, "user:8") is None
    finally:
        db.dispose()
