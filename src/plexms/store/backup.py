"""Backup and restore: SQLite's online backup API; ``pg_dump``/``pg_restore`` for PostgreSQL.

A SQLite backup is a consistent snapshot taken while the service runs. A PostgreSQL backup is
``pg_dump --format=custom`` (consistent: one repeatable-read snapshot); restore runs
``pg_restore --clean --if-exists --single-transaction`` so a failed restore changes nothing.
Every backup file is ``0600`` whatever the umask.

Before a SQLite restore replaces anything the file is checked (:func:`check_backup`): a SQLite
database that passes SQLite's integrity check, at a revision of plexms's migrations, whose
audit chain verifies. A PostgreSQL backup must be a ``pg_dump`` custom-format archive.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from plexms.core.errors import PlexmsError
from plexms.store import audit_chain
from plexms.store.database import sqlite_path
from plexms.store.migrate import known_revisions
from plexms.store.private import private_file, private_folder, private_sqlite

__all__ = [
    "BackupError",
    "BackupRejected",
    "BackupResult",
    "backup",
    "check_backup",
    "restore",
]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_DUMP_MAGIC = b"PGDMP"


class BackupError(PlexmsError, RuntimeError):
    """The backup or restore could not be done; the message says why.

    Raised for the file (missing, unwritable, not a database) and for the tool (pg_dump,
    pg_restore) alike: an I/O failure, never the caller's bad input.
    """


class BackupRejected(BackupError):
    """The file is not a plexms backup that may be restored; nothing was replaced.
    ``audit_broken``: it is one, but its audit chain does not verify."""

    def __init__(self, message: str, *, audit_broken: bool = False) -> None:
        super().__init__(message)
        self.audit_broken = audit_broken


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    seconds: float
    backend: str


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def backup(url: str, target: str | Path) -> BackupResult:
    """Write a consistent copy of the database at ``url`` to ``target``."""
    try:
        return _backup(url, Path(target))
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"backup to {target} failed: {exc}") from exc


def _backup(url: str, target: Path) -> BackupResult:
    start = time.perf_counter()
    private_folder(target.parent)
    source = sqlite_path(url)
    if make_url(url).get_backend_name() == "sqlite":
        if source is None or not source.exists():
            raise BackupError("no SQLite database file to back up")
        tmp = target.with_suffix(target.suffix + ".partial")
        tmp.unlink(missing_ok=True)
        private_file(tmp)  # 0600 before a byte of patient data is in it
        with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        tmp.replace(target)
        backend = "sqlite"
    else:
        dsn, env = _libpq(url)
        private_file(target)
        cmd = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", dsn]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        backend = "postgresql"
    os.chmod(target, 0o600)
    return BackupResult(target, target.stat().st_size, time.perf_counter() - start, backend)


def restore(url: str, source: str | Path) -> BackupResult:
    """Replace the database at ``url`` with the backup in ``source``."""
    try:
        return _restore(url, Path(source))
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"restore from {source} failed: {exc}") from exc


def check_backup(source: Path, backend: str) -> None:
    """:class:`BackupRejected` unless ``source`` is a plexms backup for ``backend`` (see the
    module's docstring); reads the file only."""
    with source.open("rb") as handle:
        head = handle.read(16)
    if backend != "sqlite":
        if not head.startswith(_PG_DUMP_MAGIC):
            raise BackupRejected(f"{source} is not a plexms backup: not a pg_dump archive")
        return
    if head != _SQLITE_MAGIC:
        raise BackupRejected(f"{source} is not a plexms backup: not a SQLite database")
    read_only = f"{source.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(read_only, uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupRejected(f"{source} fails SQLite's integrity check")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not {"alembic_version", "audit_event", "audit_head", "patient"} <= tables:
            raise BackupRejected(f"{source} is not a plexms backup: no plexms tables")
        revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    finally:
        conn.close()
    if len(revisions) != 1 or revisions[0] not in known_revisions():
        raise BackupRejected(
            f"{source} is not a plexms backup of a known schema (revision {revisions!r})"
        )
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(read_only, uri=True))
    try:
        with Session(engine) as session:
            report = audit_chain.verify(session)
    finally:
        engine.dispose()
    if not report.ok:
        first = report.problems[0]
        raise BackupRejected(
            f"{source}: its audit trail does not verify (row {first.seq}: {first.problem}); "
            "not restored",
            audit_broken=True,
        )


def _restore(url: str, source: Path) -> BackupResult:
    start = time.perf_counter()
    if not source.exists():
        raise BackupError(f"no backup file at {source}")
    backend_name = make_url(url).get_backend_name()
    check_backup(source, backend_name)
    if backend_name == "sqlite":
        target = sqlite_path(url)
        if target is None:
            raise BackupError("restore needs a SQLite database file")
        private_sqlite(target)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        backend = "sqlite"
    else:
        dsn, env = _libpq(url)
        cmd = [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dsn}",
            str(source),
        ]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        backend = "postgresql"
    return BackupResult(source, source.stat().st_size, time.perf_counter() - start, backend)
