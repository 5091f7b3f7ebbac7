"""Operations: health, migrations, backup and restore (the command line and /api/health)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from plexms.services.context import ServiceContext
from plexms.store import backup as store_backup
from plexms.store import migrate

__all__ = ["backup", "health", "restore", "upgrade"]


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
