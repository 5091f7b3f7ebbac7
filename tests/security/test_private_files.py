"""Patient data on disk is private (issue 15, item 8).

The attack: another account on the host reads the database, its WAL or a backup, which
were created ``0644`` under the usual umask (or ``0666`` under umask 0); or an operator
restores a file that is not a plexms backup (a stranger's SQLite file, one of an unknown
schema, one whose audit trail was edited) over the live database. The defence: the data
directory is created ``0700``, the database, its ``-wal``/``-shm``/``-journal`` files and every
backup ``0600`` whatever the umask; ``plexms restore`` checks the file is a SQLite plexms
database of a known schema whose audit chain verifies before it replaces anything.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plexms.cli import app
from plexms.cli.errors import EXIT_INTEGRITY, EXIT_IO, EXIT_OK
from plexms.services import ops
from plexms.settings import get_settings
from plexms.store.backup import BackupError
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from tests.interop.conftest import add_centre, seed_patient


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _fresh(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "data" / "plexms"
    return folder, f"sqlite:///{folder / 'plexms.sqlite3'}"


def test_database_files_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    folder, url = _fresh(tmp_path)
    upgrade(url)
    db = Database(url)
    seed_patient(db, add_centre(db))
    with db.write() as s:  # a transaction open: the WAL and shared memory exist now
        s.connection().exec_driver_sql("CREATE TABLE scratch (x)")
        files = sorted(folder.iterdir())
        modes = {p.name: _mode(p) for p in files}
    db.dispose()
    assert _mode(folder) == 0o700
    assert {"plexms.sqlite3", "plexms.sqlite3-wal"} <= set(modes), modes
    assert all(mode == 0o600 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}


def test_an_existing_readable_database_is_made_private(tmp_path: Path, umask: int) -> None:
    folder, url = _fresh(tmp_path)
    upgrade(url)
    (folder / "plexms.sqlite3").chmod(0o644)
    Database(url).dispose()
    assert _mode(folder / "plexms.sqlite3") == 0o600


def test_backups_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    _, url = _fresh(tmp_path)
    upgrade(url)
    target = tmp_path / "backups" / "nightly.backup"
    ops.backup(url, str(target))
    assert _mode(target) == 0o600


@pytest.fixture
def live(tmp_path: Path) -> str:
    _, url = _fresh(tmp_path)
    upgrade(url)
    db = Database(url)
    seed_patient(db, add_centre(db))
    db.dispose()
    return url


def _restore(url: str, source: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLEXMS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["restore", str(source), "--yes"])
    finally:
        get_settings.cache_clear()


def _live_ok(url: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT count(*) FROM patient").fetchone()[0] == 1
    conn.close()


def test_restore_refuses_a_sqlite_file_that_is_not_plexms(
    live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = tmp_path / "stranger.sqlite3"
    with sqlite3.connect(stranger) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    result = _restore(live, stranger, monkeypatch)
    assert result.exit_code == EXIT_IO, result.output
    assert "not a plexms backup" in result.output
    _live_ok(live)


def test_restore_refuses_an_unknown_schema(
    live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "future.backup"
    ops.backup(live, str(backup))
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    result = _restore(live, backup, monkeypatch)
    assert result.exit_code == EXIT_IO, result.output
    assert "schema" in result.output
    _live_ok(live)


def test_restore_refuses_a_backup_whose_audit_chain_is_broken(
    live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "edited.backup"
    db = Database(live)
    from plexms.services import audit as _audit
    from plexms.services.context import SYSTEM, ServiceContext

    _audit.record_alone(ServiceContext(db=db, actor=SYSTEM), "export", detail={"n": 1})
    db.dispose()
    ops.backup(live, str(backup))
    with sqlite3.connect(backup) as conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor = 'someone else' WHERE seq = 1")
    conn.close()
    result = _restore(live, backup, monkeypatch)
    assert result.exit_code == EXIT_INTEGRITY, result.output
    assert "audit" in result.output
    _live_ok(live)


def test_restore_refuses_junk_with_a_clean_error(live: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"\x00" * 4096)
    with pytest.raises(BackupError, match="not a plexms backup"):
        ops.restore(live, str(junk))
    _live_ok(live)


def test_restore_of_a_good_backup_still_works(
    live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "good.backup"
    ops.backup(live, str(backup))
    assert _restore(live, backup, monkeypatch).exit_code == EXIT_OK
    _live_ok(live)
