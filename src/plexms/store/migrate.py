"""Alembic migrations run from code: ``upgrade(url)``, ``downgrade(url, rev)``, ``current(url)``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from plexms.store import registry_facts
from plexms.store.database import sqlite_path
from plexms.store.private import private_sqlite

__all__ = [
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "known_revisions",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (creating the SQLite file and folder if needed)."""
    path = sqlite_path(url)
    if path is not None:
        private_sqlite(path)
    command.upgrade(alembic_config(url), revision)
    in_memory = path is None and url.startswith("sqlite")  # gone with alembic's connection
    if revision == "head" and not in_memory:  # the registry's facts, once where missing
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                registry_facts.ensure_built(conn)
        finally:
            engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    """Revert migrations down to ``revision``."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise RuntimeError("no migrations found")
    return head


def known_revisions() -> frozenset[str]:
    """Every revision id of the shipped migrations (a backup must be at one of them)."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(rev.revision for rev in scripts.walk_revisions())


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (``None`` when never migrated)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
