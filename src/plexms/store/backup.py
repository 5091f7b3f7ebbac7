"""Backup and restore: SQLite's online backup API; ``pg_dump``/``pg_restore`` for PostgreSQL.

A SQLite backup is a consistent snapshot taken while the service runs. A PostgreSQL backup is
``pg_dump --format=custom`` (consistent: one repeatable-read snapshot); restore runs
``pg_restore --clean --if-exists --single-transaction`` so a failed restore changes nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from plexms.core.errors import PlexmsError
from plexms.store.database import sqlite_path

__all__ = ["BackupError", "BackupResult", "backup", "restore"]


class BackupError(PlexmsError, RuntimeError):
    """The backup or restore could not be done; the message says why.

    Raised for the file (missing, unwritable, not a database) and for the tool (pg_dump,
    pg_restore) alike: an I/O failure, never the caller's bad input.
    """


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
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite_path(url)
    if make_url(url).get_backend_name() == "sqlite":
        if source is None or not source.exists():
            raise BackupError("no SQLite database file to back up")
        tmp = target.with_suffix(target.suffix + ".partial")
        tmp.unlink(missing_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        tmp.replace(target)
        backend = "sqlite"
    else:
        dsn, env = _libpq(url)
        cmd = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", dsn]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        backend = "postgresql"
    return BackupResult(target, target.stat().st_size, time.perf_counter() - start, backend)


def restore(url: str, source: str | Path) -> BackupResult:
    """Replace the database at ``url`` with the backup in ``source``."""
    try:
        return _restore(url, Path(source))
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"restore from {source} failed: {exc}") from exc


def _restore(url: str, source: Path) -> BackupResult:
    start = time.perf_counter()
    if not source.exists():
        raise BackupError(f"no backup file at {source}")
    if make_url(url).get_backend_name() == "sqlite":
        target = sqlite_path(url)
        if target is None:
            raise BackupError("restore needs a SQLite database file")
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the backup file fails SQLite's integrity check")
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
