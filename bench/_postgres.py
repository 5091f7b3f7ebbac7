"""The PostgreSQL the benchmarks build their throw-away databases on (shared by the areas)."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, make_url, text

__all__ = ["POSTGRES", "admin", "database_url"]

POSTGRES = os.environ.get(
    "PLEXMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def admin(*statements: str) -> None:
    """Run ``statements`` outside a transaction (CREATE/DROP DATABASE, CHECKPOINT)."""
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def database_url(name: str) -> str:
    """The URL of database ``name`` on the same server."""
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
