"""Operations: health, migrations, backup and restore (the command line and /api/health)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.errors import DatabaseUnavailable
from plexms.settings import Settings
from plexms.store import backup as store_backup
from plexms.store import migrate
from plexms.store.backup import BackupError, BackupResult
from plexms.store.database import Database

__all__ = [
    "BackupError",
    "BackupResult",
    "backup",
    "health",
    "prepare_database",
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
    """``{"ok", "database", "migration"}``: can the database answer, at which revision."""
    try:
        ctx.db.ping()
        with ctx.db.engine.connect() as conn:
            from alembic.runtime.migration import MigrationContext

            revision = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return {"ok": False, "database": f"unavailable ({type(exc).__name__})"}
    return {"ok": True, "database": ctx.db.dialect, "migration": revision}


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
