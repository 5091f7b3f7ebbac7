"""The Database opens SQLite safely and gives read and write transactions on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from plexms.store.database import Database, sqlite_path
from plexms.store.models import Centre

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def test_sqlite_pragmas(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    database.dispose()


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:////tmp/a.db") is not None
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None


def test_write_commits_and_rolls_back(db: Database) -> None:
    with db.write() as s:
        s.add(Centre(code="a", name="A", created_at=NOW, policy={}))
    with pytest.raises(RuntimeError), db.write() as s:
        s.add(Centre(code="b", name="B", created_at=NOW, policy={}))
        s.flush()
        raise RuntimeError("fault after the write")
    with db.read() as s:
        assert s.execute(select(Centre.code)).scalars().all() == ["a"]
        created = s.execute(select(Centre.created_at)).scalar_one()
        assert created == NOW and created.tzinfo is not None
    db.ping()


def test_naive_datetime_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"), db.write() as s:
        s.add(Centre(code="n", name="N", created_at=NOW.replace(tzinfo=None), policy={}))
        s.flush()


def test_foreign_keys_enforced(db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), db.write() as s:
        s.execute(
            text(
                "INSERT INTO app_user (centre_id, username, display_name, role, password_hash,"
                " active, failed_logins, created_at, password_changed_at, version)"
                " VALUES (999, 'u', '', 'viewer', 'x', true, 0, :t, :t, 1)"
            ),
            {"t": NOW},
        )
