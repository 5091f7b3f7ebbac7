"""Operations: health, migrations, backup and restore (the command line and /api/health)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from plexms.services._replica import fence_key
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.errors import DatabaseUnavailable
from plexms.settings import Settings
from plexms.store import backup as store_backup
from plexms.store import migrate
from plexms.store.backup import BackupError, BackupRejected, BackupResult
from plexms.store.database import Database
from plexms.store.replica import ReadSource

__all__ = [
    "WRITE_PROBE_INTERVAL_S",
    "BackupError",
    "BackupRejected",
    "BackupResult",
    "backup",
    "health",
    "note_write",
    "prepare_database",
    "replica_status",
    "restore",
    "system_context",
    "upgrade",
]


@contextmanager
def _reachable() -> Iterator[None]:
    """Turn the driver's "cannot connect / not a database" into :class:`DatabaseUnavailable`."""
    try:
        yield
    except DBAPIError as exc:
        reason = (str(exc.orig).strip().splitlines() or [""])[0]
        raise DatabaseUnavailable(
            f"the database cannot be used: {type(exc.orig).__name__}: {reason}"
        ) from exc


_log = structlog.get_logger("plexms.ops")

#: A write probe's answer is reused this long: /api/health is public, and a flood of it must
#: not become a flood of committed (fsynced) writes (local policy).
WRITE_PROBE_INTERVAL_S = 1.0
_probes: weakref.WeakKeyDictionary[Database, tuple[float, str]] = weakref.WeakKeyDictionary()
_probe_lock = threading.Lock()


def prepare_database(settings: Settings, *, migrate_first: bool = True) -> Database:
    """The database of ``settings``, migrated to the newest schema first (by default).

    The one start-up path: ``serve``, ``demo``, ``devrun``, the registry generator and the
    tests open the database here, with the pool and SQLite settings the service uses.
    :class:`DatabaseUnavailable` when the migration cannot reach the database.
    """
    if migrate_first:
        with _reachable():
            migrate.upgrade(settings.database_url)
    return Database(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        async_read_audit=settings.audit_reads_async,
        replica_url=settings.database_replica_url,
        replica_max_lag_seconds=settings.replica_max_lag_seconds,
        replica_check_seconds=settings.replica_check_seconds,
    )


def system_context(
    settings: Settings, *, migrate_first: bool = True, db: Database | None = None
) -> ServiceContext:
    """A context acting as the command line (``system``) on a prepared database.

    The caller disposes of ``ctx.db`` when done. ``db``: a database already prepared (the
    app's, a test's) instead of a new one; a new one answers before this returns, or
    :class:`DatabaseUnavailable` is raised.
    """
    if db is None:
        db = prepare_database(settings, migrate_first=migrate_first)
        try:
            with _reachable():
                db.ping()
        except DatabaseUnavailable:
            db.dispose()
            raise
    return ServiceContext(db=db, actor=SYSTEM, settings=settings)


def health(ctx: ServiceContext) -> dict[str, Any]:
    """``{"ok", "status", "database", "migration", "writes", "replica"}``: can the database
    answer, at which revision, and can it take a write (``status`` ``ok``, ``degraded`` when
    it reads but cannot write, e.g. a read-only file or a full disk, ``unavailable`` when it
    does not answer). With a read replica, ``replica`` is its state; a replica that is down or
    too far behind makes the answer ``degraded`` but still ``ok`` (200): its reads go to the
    primary, and the service answers in full."""
    try:
        ctx.db.ping()
        with ctx.db.engine.connect() as conn:
            from alembic.runtime.migration import MigrationContext

            revision = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return {
            "ok": False,
            "status": "unavailable",
            "database": f"unavailable ({type(exc).__name__})",
        }
    writes = _recent_write_probe(ctx.db)
    replica = replica_status(ctx.db)
    replica_ok = replica.replica is None or replica.replica.usable
    return {
        "ok": writes == "ok",
        "status": "ok" if writes == "ok" and replica_ok else "degraded",
        "database": ctx.db.dialect,
        "migration": revision,
        "writes": writes,
        "replica": None if replica.replica is None else replica.replica.describe(),
        "replica_lag_seconds": replica.lag_seconds,
    }


def replica_status(db: Database) -> ReadSource:
    """The read replica's state (``replica`` None when there is none), checked at most every
    ``replica_check_seconds``."""
    return db.replica_state()


def note_write(db: Database, user_id: int, now: dt.datetime) -> None:
    """After a request of ``user_id`` that may have written: that user's stale-ok reads stay
    on the primary until the replica has replayed it (read-your-writes; nothing to do
    without a replica). Never fatal: a failure is logged and the answer goes out."""
    try:
        db.note_write(fence_key(user_id), now)
    except SQLAlchemyError as exc:
        _log.warning("replica_fence_failed", error=type(exc).__name__)


def _recent_write_probe(db: Database) -> str:
    """The last probe's answer if younger than :data:`WRITE_PROBE_INTERVAL_S`, else a new one
    (one probe at a time: concurrent health checks wait for it rather than write too)."""
    with _probe_lock:
        last = _probes.get(db)
        if last is not None and time.monotonic() - last[0] < WRITE_PROBE_INTERVAL_S:
            return last[1]
        answer = _write_probe(db)
        _probes[db] = (time.monotonic(), answer)
        return answer


def _write_probe(db: Database) -> str:
    """A real, committed, invisible write: ``"ok"`` or ``"failing (<error>)"``.

    A rolled-back write never reaches the disk (SQLite's WAL is written at commit), so the
    probe commits a heartbeat: on SQLite it flips the low bit of the header's
    ``user_version`` (plexms does not use it; Alembic keeps its revision in a table), which
    appends a page to the WAL; on PostgreSQL it rewrites the Alembic revision row unchanged
    (a new row version in the WAL; refused in a read-only transaction or on a standby).
    """
    try:
        with db.write() as session:
            if db.is_sqlite:
                current = int(session.execute(text("PRAGMA user_version")).scalar_one())
                session.execute(text(f"PRAGMA user_version = {(current ^ 1) & 0x7FFFFFFF}"))
            else:
                session.execute(text("SET LOCAL lock_timeout = '2s'"))
                session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except SQLAlchemyError as exc:
        return f"failing ({type(exc).__name__})"
    return "ok"


def upgrade(url: str) -> str:
    """Apply every migration; returns the revision now in place."""
    with _reachable():
        migrate.upgrade(url)
    return migrate.head_revision()


def backup(url: str, target: str) -> BackupResult:
    """A consistent copy of the database at ``url`` into ``target`` (online; no downtime).

    :class:`BackupError` when the file cannot be written or the tool fails.
    """
    return store_backup.backup(url, target)


def restore(url: str, source: str) -> BackupResult:
    """Replace the database at ``url`` with the backup ``source`` (stop the service first).

    :class:`BackupError` when the file is missing or unreadable or the tool fails.
    """
    return store_backup.restore(url, source)
