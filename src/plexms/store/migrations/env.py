"""Alembic environment: the URL comes from ``config.attributes['url']`` (see store.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from plexms.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(str(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes migrating at once (several workers starting) take turns.
            conn.exec_driver_sql("SELECT pg_advisory_lock(727001)")
        try:
            context.configure(
                connection=conn,
                target_metadata=target_metadata,
                render_as_batch=conn.dialect.name == "sqlite",
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_unlock(727001)")
                conn.commit()
    engine.dispose()


run_migrations()
