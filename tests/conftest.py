"""Shared fixtures: a database URL for each backend (SQLite file, the real PostgreSQL).

``db_url`` is an empty database; ``migrated_url`` an empty, migrated one. PostgreSQL tests are
marked ``postgres``; they skip when the server is unreachable, except under ``CI=true`` where
they fail. Each xdist worker gets its own PostgreSQL databases (``plexms_test_<worker>_<pid>``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, make_url, text

from plexms.services import ops
from plexms.settings import Settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade

# Under CI the examples are derandomised (same inputs every run, so a red run is reproducible)
# and no per-example deadline applies (two xdist workers share two cores with PostgreSQL and
# chromium; timing is measured by `make bench`, never asserted in tests).
hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if os.environ.get("CI", "").lower() == "true":
    hypothesis_settings.load_profile("ci")

#: The suite's "now": the wall clock is moved here for the whole session (and keeps ticking from
#: it), so a test's fixed dates ("a course starting 2026-11-30") mean the same on any day the
#: suite runs. 12:00 UTC is 04:00 in the test centres' zone (America/Los_Angeles): a run of
#: any length stays on the same clinic day. `.ci/run` runs the time-sensitive tests a second
#: time under faketime (+400 days, and across a daylight-saving change) to prove it.
FROZEN_NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session", autouse=True)
def _frozen_now() -> Iterator[None]:
    with time_machine.travel(FROZEN_NOW, tick=True):
        yield


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
    # the pid keeps two pytest runs on one machine (several engineers, CI) apart
    stem = f"plexms_test_{worker}_{os.getpid()}"
    names = (f"{stem}_empty", stem)
    try:
        _admin_exec(
            [f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names]
            + [f"CREATE DATABASE {n}" for n in names]
            # test data need not survive a power cut: skip the commit fsync wait
            + [f"ALTER DATABASE {n} SET synchronous_commit = off" for n in names]
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
            # replica role: no triggers (append-only guard) and no FK checks, so plain DELETEs
            # (much faster than TRUNCATE for tiny tables) in any order.
            conn.execute(text("SET session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("SET session_replication_role = DEFAULT"))
            # a tamper test drops the append-only guard (ALTER TABLE ... DISABLE TRIGGER) and
            # commits: put it back so the next test on this worker's database has it
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
    """The test database opened as the service opens it (already migrated: not again)."""
    database = ops.prepare_database(settings, migrate_first=False)
    yield database
    database.dispose()


# --- a running service and a small world to act in --------------------------------------

PASSWORD = "correct horse battery"  # >= 12 characters
ROLES = ("admin", "physician", "nurse", "coordinator", "viewer")


class World:
    """Two centres (``a``, ``b``) with one user of each role; tokens by ``(centre, role)``."""

    def __init__(self, db: Database, settings: Settings) -> None:
        from plexms.services.admin import auth, centres, users
        from plexms.services.context import ServiceContext
        from plexms.services.schemas import CentreIn, UserIn

        self.db = db
        self.settings = settings
        self.system = ops.system_context(settings, db=db)
        self.centres: dict[str, int] = {}
        self.tokens: dict[tuple[str, str], str] = {}
        self.users: dict[tuple[str, str], int] = {}
        for code in ("a", "b"):
            centre = centres.create_centre(
                self.system,
                CentreIn(
                    code=f"centre-{code}",
                    name=f"Centre {code.upper()}",
                    time_zone="America/Los_Angeles",
                    units="us",
                ),
            )
            self.centres[code] = centre.id
            for role in ROLES:
                user = users.create_user(
                    self.system,
                    UserIn(username=f"{role}-{code}", password=PASSWORD, role=role),
                    centre_code=f"centre-{code}",
                )
                self.users[(code, role)] = user.id
                login_ctx = ServiceContext(db=db, actor=None, settings=settings)
                self.tokens[(code, role)] = auth.login(login_ctx, user.username, PASSWORD).token

    def ctx(self, role: str, centre: str = "a"):  # type: ignore[no-untyped-def]
        """A service context acting as ``role`` of ``centre``."""
        from plexms.services.context import Actor, ServiceContext

        actor = Actor(self.users[(centre, role)], f"{role}-{centre}", role, self.centres[centre])
        return ServiceContext(db=self.db, actor=actor, settings=self.settings)

    def patient(self, centre: str = "a", mrn: str = "MRN-1", **extra):  # type: ignore[no-untyped-def]
        """A patient (with height, weight and haematocrit measured) in ``centre``."""
        import datetime as dt

        from plexms.services.clinical import patients
        from plexms.services.schemas import MeasurementIn, PatientIn

        ctx = self.ctx("physician", centre)
        values = {
            "mrn": mrn,
            "family_name": "Sentinelname",
            "given_name": "Ada",
            "birth_date": dt.date(1984, 5, 17),
            "sex": "female",
            **extra,
        }
        out = patients.create_patient(ctx, PatientIn(**values))
        patients.add_measurement(
            ctx,
            out.id,
            MeasurementIn(measured_at=ctx.now, height_cm=165, weight_kg=60, hematocrit=0.40),
        )
        return out

    def headers(self, role: str, centre: str = "a") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(centre, role)]}"}


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return World(db, settings)


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from plexms.app import create_app

    application = create_app(settings)
    yield application
    application.state.db.dispose()


class SyncClient:
    """httpx's ASGI transport, in process, driven synchronously through an anyio portal.

    Thread-safe: several threads may call it at once (the concurrency tests do).
    """

    def __init__(self, app, base_url: str = "http://testserver") -> None:  # type: ignore[no-untyped-def]
        import anyio.from_thread
        import httpx

        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    def request(self, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
        import functools

        return self._portal.call(functools.partial(self._client.request, method, url, **kwargs))

    def get(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("DELETE", url, **kwargs)

    @property
    def cookies(self):  # type: ignore[no-untyped-def]
        return self._client.cookies

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._portal_cm.__exit__(None, None, None)


@pytest.fixture
def client(app, world: World):  # type: ignore[no-untyped-def]
    """A synchronous in-process HTTP client on the app (with the ``world`` seeded)."""
    test_client = SyncClient(app)
    yield test_client
    test_client.close()
