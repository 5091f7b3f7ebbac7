"""Shared fixtures: a database URL for each backend (SQLite file, the real PostgreSQL).

``db_url`` is an empty database; ``migrated_url`` an empty, migrated one. PostgreSQL tests are
marked ``postgres``; they skip when the server is unreachable, except under ``CI=true`` where
they fail. Each xdist worker gets its own PostgreSQL databases (``plexms_test_<worker>``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from plexms.settings import Settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "PLEXMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _worker(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


def _admin_exec(statements: list[str]) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_urls(request: pytest.FixtureRequest) -> Iterator[tuple[str, str] | str]:
    """``(empty_url, migrated_url)`` of this worker's two databases, or why there are none."""
    worker = _worker(request)
    names = (f"plexms_test_{worker}_empty", f"plexms_test_{worker}")
    try:
        _admin_exec(
            [f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names]
            + [f"CREATE DATABASE {n}" for n in names]
        )
    except Exception as exc:  # any connection failure: skip (or fail under CI)
        yield f"PostgreSQL unreachable at {make_url(POSTGRES_URL).host}: {type(exc).__name__}"
        return
    base = make_url(POSTGRES_URL)
    empty, migrated = (base.set(database=n).render_as_string(hide_password=False) for n in names)
    upgrade(migrated)
    yield empty, migrated
    _admin_exec([f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names])


def _postgres(request: pytest.FixtureRequest) -> tuple[str, str]:
    urls = request.getfixturevalue("postgres_urls")
    if isinstance(urls, str):
        if os.environ.get("CI") == "true":
            pytest.fail(urls)
        pytest.skip(urls)
    return urls


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (migrating once per worker is faster)."""
    path = tmp_path_factory.mktemp("template") / "plexms.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


_TABLES_SQL = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename NOT IN ('alembic_version', 'audit_head')"
)


def _clean_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            tables = [row[0] for row in conn.execute(text(_TABLES_SQL))]
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
            conn.execute(text(f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}'"))
    finally:
        engine.dispose()


def _reset_schema(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (nothing migrated) on each backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    empty, _ = _postgres(request)
    _reset_schema(empty)
    return empty


@pytest.fixture
def migrated_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with no rows on each backend."""
    if backend == "sqlite":
        target = tmp_path / "plexms.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    _, migrated = _postgres(request)
    _clean_postgres(migrated)
    return migrated


@pytest.fixture
def settings(migrated_url: str, tmp_path: Path) -> Settings:
    """Settings for tests: the migrated database and cheap argon2 (never used in production)."""
    return Settings(
        database_url=migrated_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        log_json=True,
        auto_migrate=False,
        demo_password="demo-password-123",
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()
