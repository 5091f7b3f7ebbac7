"""Engine and sessions: SQLite (WAL, foreign keys, synchronous=FULL) or PostgreSQL.

Writes on SQLite start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead
of failing with "database is locked" when a read transaction tries to upgrade to a write.

With a PostgreSQL streaming replica (``replica_url``), :meth:`Database.read_replica` serves the
heavy reads that may be a little stale (registry dashboards, exports, reports, bulk FHIR) from
it; everything else, and every read of a user whose own writes the replica has not replayed
yet, stays on the primary (:mod:`plexms.store.replica`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from plexms.store import registry_facts
from plexms.store.private import private_sqlite
from plexms.store.replica import READ_SOURCE, ReadSource, Replica, fence_count, note_write

__all__ = ["ASYNC_READ_AUDIT", "Database", "read_source", "sqlite_path"]

_WRITE = "plexms_write"
ASYNC_READ_AUDIT = "plexms_async_read_audit"


registry_facts.install()  # the registry's facts kept with every write, on every session


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other backends or in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


class Database:
    """One engine and two session factories: ``read()`` and ``write()`` transactions."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 30_000,
        pool_size: int = 10,
        async_read_audit: bool = True,
        replica_url: str | None = None,
        replica_max_lag_seconds: float = 30.0,
        replica_check_seconds: float = 1.0,
    ) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            path = sqlite_path(url)
            if path is not None:
                private_sqlite(path)
            kwargs["connect_args"] = {
                "check_same_thread": False,
                "timeout": busy_timeout_ms / 1000,
            }
            if path is not None:
                kwargs["pool_size"] = pool_size
                kwargs["max_overflow"] = pool_size * 2
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        self.engine: Engine = create_engine(url, **kwargs)
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine, busy_timeout_ms)
        # read by store.audit_chain.seal: may a read-only audit transaction commit async?
        info = {ASYNC_READ_AUDIT: async_read_audit}
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._writer = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False, info=info
        )
        self.replica: Replica | None = None
        if replica_url:
            if self.dialect != "postgresql" or make_url(replica_url).get_backend_name() != (
                "postgresql"
            ):
                raise ValueError("a read replica needs PostgreSQL for both databases")
            self.replica = Replica(
                replica_url,
                max_lag_seconds=replica_max_lag_seconds,
                check_seconds=replica_check_seconds,
                pool_size=pool_size,
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction, ended (never committed) when the block ends; rows stay readable."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on any exception."""
        with self._writer() as session:
            try:
                session.connection()  # BEGIN (IMMEDIATE on SQLite) now, before any read
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_replica(self, *, fence: str | None = None) -> Iterator[Session]:
        """A read transaction that may be a little stale: on the replica when there is one,
        it answers, it is no further behind than the threshold and it has replayed every
        write of ``fence`` (the reading user; see :func:`note_write`); else on the primary.
        Never an error for the replica's sake: a replica that fails to connect is marked
        down and the read goes to the primary. ``read_source(session)`` says which it was.
        Only for reads that tolerate the lag: dashboards, exports, reports."""
        chosen, source = self._choose(fence)
        with chosen as session:
            session.info[READ_SOURCE] = source
            yield session

    def _choose(self, fence: str | None) -> tuple[AbstractContextManager[Session], ReadSource]:
        replica = self.replica
        if replica is None:
            return self.read(), ReadSource("primary", None, "no replica configured")
        state = replica.state(self.engine)
        if not state.usable:
            return self.read(), ReadSource("primary", state, f"the replica is {state.describe()}")
        wanted = None
        if fence is not None:
            with self.read() as primary:
                wanted = fence_count(primary, fence)
        session = replica.sessions()
        try:
            # connects now: a replica that is down is found here, before the caller reads
            if wanted is not None and fence is not None:
                seen = fence_count(session, fence)
            else:
                session.connection()
                seen = None
        except DBAPIError as exc:
            session.close()
            down = replica.mark_down(exc)
            return self.read(), ReadSource("primary", down, f"the replica is {down.describe()}")
        if wanted is not None and (seen is None or seen < wanted):
            session.close()
            reason = "your latest changes are not on the replica yet"
            return self.read(), ReadSource("primary", state, reason)
        return _ended(session), ReadSource("replica", state)

    def note_write(self, fence: str, now: dt.datetime) -> None:
        """Record that ``fence`` (a user) may just have written, so that user's
        :meth:`read_replica` reads stay on the primary until the replica has replayed it.
        Nothing to do without a replica."""
        if self.replica is None:
            return
        with self.write() as session:
            # losing the last few of these in a crash loses nothing: skip the WAL flush wait
            session.execute(text("SET LOCAL synchronous_commit = off"))
            note_write(session, fence, now)

    def replica_state(self) -> ReadSource:
        """The replica's state now (for health and metrics); ``replica`` None without one."""
        if self.replica is None:
            return ReadSource("primary", None, "no replica configured")
        state = self.replica.state(self.engine)
        return ReadSource("replica" if state.usable else "primary", state)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One write transaction shared by every ``read()``/``write()`` of the Database it
        yields (each ``write()`` a savepoint): all of it is committed at the end, or none."""
        with self.write() as session:
            yield _Bound(self, session)

    def ping(self) -> None:
        """Raise if the database cannot answer ``SELECT 1``."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


def read_source(session: Session) -> ReadSource:
    """Which database a :meth:`Database.read_replica` session reads (primary otherwise)."""
    found = session.info.get(READ_SOURCE)
    return found if isinstance(found, ReadSource) else ReadSource("primary")


@contextmanager
def _ended(session: Session) -> Iterator[Session]:
    with session:
        yield session


class _Bound(Database):
    """A view of ``db`` whose transactions all run inside ``session``'s (see transaction)."""

    def __init__(self, db: Database, session: Session) -> None:  # no engine of its own
        self.url, self.dialect, self.engine = db.url, db.dialect, db.engine
        self._reader, self._writer = db._reader, db._writer
        self.replica = None  # inside a write transaction every read is of the primary
        self._session = session

    @contextmanager
    def read(self) -> Iterator[Session]:
        yield self._session

    @contextmanager
    def write(self) -> Iterator[Session]:
        savepoint = self._session.begin_nested()
        try:
            yield self._session
            self._session.flush()
            savepoint.commit()
        except BaseException:
            savepoint.rollback()
            raise

    def dispose(self) -> None:  # the outer Database owns the engine
        return None


def _install_sqlite_hooks(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred-only).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
