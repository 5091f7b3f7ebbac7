"""A PostgreSQL streaming replica (hot standby) for the heavy reads: its engine, how far behind
the primary it is, and the read-your-writes fences.

Lag is measured, not guessed: the primary's flushed WAL position against the standby's
replayed one. A standby that has replayed all of it is 0 s behind; otherwise it is behind by
the age of the last transaction it replayed (``now() - pg_last_xact_replay_timestamp()`` on
the standby, the usual measure). That is an upper bound: it overstates the lag for a moment
after a quiet spell (until the standby replays the first new commit, it looks as old as the
commit before it), which only sends reads to the primary early, never late.

Read-your-writes: after a user's request that may have written, :func:`note_write` bumps
that user's counter in the shared ``throttle`` table on the primary (kind
:data:`FENCE_KIND`). The user's reads may use the replica once the replica's copy of that
counter has caught up with the primary's, i.e. once it has replayed the counter's
transaction and so everything the user committed before it. Exact, whatever the lag and
whatever the clocks say, and shared by every app instance (it lives in the database).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from plexms.store.models.throttle import Throttle

__all__ = [
    "DOWN_RETRY_S",
    "FENCE_KIND",
    "READ_SOURCE",
    "ReadSource",
    "Replica",
    "ReplicaState",
    "fence_count",
    "lsn_int",
    "note_write",
]

#: The ``throttle`` rows that hold the read-your-writes counters (key: the fence, a user).
FENCE_KIND = "replica_fence"
#: ``Session.info`` key of the :class:`ReadSource` a stale-ok read was served from.
READ_SOURCE = "plexms_read_source"
#: A replica found down is tried again after this long at the earliest, so a replica host
#: that drops packets costs one connect timeout per period, not one per read (local policy).
DOWN_RETRY_S = 5.0
_CONNECT_TIMEOUT_S = 2  # libpq's minimum; a stopped replica on the LAN refuses at once


def lsn_int(lsn: str) -> int:
    """A WAL position (``"16/B374D848"``) as a byte offset.

    >>> lsn_int("1/0") - lsn_int("0/FFFFFFFF")
    1
    """
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class ReplicaState:
    """What the last check found: ``ok`` (usable), ``lagging`` (further behind than the
    threshold, or behind by an unknown time) or ``down`` (not answering, or not a standby)."""

    state: Literal["ok", "lagging", "down"]
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    detail: str = ""
    max_lag_seconds: float = 0.0

    @property
    def usable(self) -> bool:
        return self.state == "ok"

    def describe(self) -> str:
        """For health and the registry page: ``ok (0.4 s behind)``, ``down (OperationalError)``."""
        if self.state == "down":
            return f"down ({self.detail})"
        if self.lag_seconds is None:
            return f"{self.state} (behind by {self.lag_bytes or 0} bytes, time unknown)"
        behind = f"{self.lag_seconds:.1f} s behind"
        if self.state == "lagging":
            return f"lagging ({behind}, over {self.max_lag_seconds:g} s)"
        return f"ok ({behind})"


@dataclass(frozen=True)
class ReadSource:
    """Which database a stale-ok read came from, and why (shown on the registry page)."""

    database: Literal["primary", "replica"]
    replica: ReplicaState | None = None  # None: no replica configured
    reason: str = ""

    @property
    def lag_seconds(self) -> float | None:
        return None if self.replica is None else self.replica.lag_seconds


class Replica:
    """The standby's engine and its last known state (checked at most every
    ``check_seconds``; a failed read marks it down at once)."""

    def __init__(
        self,
        url: str,
        *,
        max_lag_seconds: float,
        check_seconds: float,
        pool_size: int = 10,
    ) -> None:
        self.url = url
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self.engine: Engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"connect_timeout": _CONNECT_TIMEOUT_S},
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._lock = threading.Lock()
        self._last: tuple[float, ReplicaState] | None = None

    def state(self, primary: Engine) -> ReplicaState:
        """The last check's answer if young enough, else a new check (one at a time)."""
        with self._lock:
            last = self._last
            if last is not None:
                age = time.monotonic() - last[0]
                wait = self.check_seconds
                if last[1].state == "down":
                    wait = max(wait, DOWN_RETRY_S)
                if age < wait:
                    return last[1]
            found = self.check(primary)
            self._last = (time.monotonic(), found)
            return found

    def mark_down(self, error: BaseException) -> ReplicaState:
        """Note that a read just failed on the replica (its reads go to the primary)."""
        found = ReplicaState(
            "down", detail=type(error).__name__, max_lag_seconds=self.max_lag_seconds
        )
        with self._lock:
            self._last = (time.monotonic(), found)
        return found

    def check(self, primary: Engine) -> ReplicaState:
        """Measure now: the primary's flushed WAL position first, then the standby's replay."""
        limit = self.max_lag_seconds
        try:
            with primary.connect() as conn:
                flushed = str(conn.execute(text("SELECT pg_current_wal_flush_lsn()")).scalar())
        except SQLAlchemyError as exc:
            return ReplicaState(
                "down", detail=f"primary: {type(exc).__name__}", max_lag_seconds=limit
            )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(
                    text(
                        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                        " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
                    )
                ).one()
        except SQLAlchemyError as exc:
            return ReplicaState("down", detail=type(exc).__name__, max_lag_seconds=limit)
        recovering, replayed, age = row
        if not recovering or replayed is None:
            return ReplicaState("down", detail="not a standby", max_lag_seconds=limit)
        behind = max(0, lsn_int(flushed) - lsn_int(replayed))
        if behind == 0:
            return ReplicaState("ok", 0.0, 0, max_lag_seconds=limit)
        if age is None or not math.isfinite(float(age)):
            return ReplicaState("lagging", None, behind, max_lag_seconds=limit)
        lag = max(0.0, float(age))
        state: Literal["ok", "lagging"] = "ok" if lag <= limit else "lagging"
        return ReplicaState(state, lag, behind, max_lag_seconds=limit)

    def dispose(self) -> None:
        self.engine.dispose()


def fence_count(session: Session, fence: str) -> int | None:
    """The fence's counter as this database (primary or replica) has it; ``None``: none yet."""
    return session.scalar(
        select(Throttle.failures).where(Throttle.kind == FENCE_KIND, Throttle.key == fence)
    )


def note_write(session: Session, fence: str, now: object) -> None:
    """Bump ``fence``'s counter on the primary (PostgreSQL upsert; one row per user)."""
    statement = pg_insert(Throttle).values(
        kind=FENCE_KIND, key=fence, failures=1, window_start=now, not_before=None
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Throttle.kind, Throttle.key],
            set_={
                "failures": Throttle.failures + 1,
                "window_start": statement.excluded.window_start,
            },
        )
    )
