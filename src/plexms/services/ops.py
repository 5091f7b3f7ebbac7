"""Operations: health, migrations, backup and restore (the command line and /api/health)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from plexms.services.context import SYSTEM, ServiceContext
from plexms.settings import Settings
from plexms.store import backup as store_backup
from plexms.store import migrate
from plexms.store.database import Database

__all__ = ["backup", "health", "prepare_database", "restore", "system_context", "upgrade"]


def prepare_database(settings: Settings, *, migrate_first: bool = True) -> Database:
    """The database of ``settings``, migrated to the newest schema first (by default).

    The one start-up path: ``serve``, ``demo``, ``devrun``, the registry generator and the
    tests open the database here, with the pool and SQLite settings the service uses.
    """
    if migrate_first:
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

    ``db``: a database already prepared (the app's, a test's) instead of a new one. The
    caller disposes of ``ctx.db`` when done.
    """
    if db is None:
        db = prepare_database(settings, migrate_first=migrate_first)
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
    migrate.upgrade(url)
    return migrate.head_revision()


def backup(url: str, target: str) -> store_backup.BackupResult:
    """A consistent copy of the database at ``url`` into ``target`` (online; no downtime)."""
    return store_backup.backup(url, target)


def restore(url: str, source: str) -> store_backup.BackupResult:
    """Replace the database at ``url`` with the backup ``source`` (stop the service first)."""
    return store_backup.restore(url, source)
