"""Migrations build the schema from an empty database, go down cleanly, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from plexms.store.migrate import current_revision, downgrade, head_revision, upgrade
from plexms.store.models import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert set(Base.metadata.tables) <= _tables(db_url)
    downgrade(db_url, "base")
    assert current_revision(db_url) is None
    assert _tables(db_url) <= {"alembic_version"}
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()


# SQLite's reflection cannot read an index on an expression (the benchmarking's newest-first
# procedures, ix_exchange_session_done_time); PostgreSQL's can, and is compared in full.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrated_schema_matches_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
