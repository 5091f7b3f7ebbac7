"""Reads that may come from the read replica: only the registry dashboards, the exports, the
reports and the bulk FHIR export use these; clinical pages and every write use the primary.

The reading user is the read-your-writes fence (:meth:`plexms.store.database.Database.
read_replica`): their own changes are on whatever they read. A replica that fails in the
middle of a read is marked down and the read runs again on the primary (:func:`read_stale`):
the user never sees an error for the replica's sake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from plexms.services.context import ServiceContext
from plexms.store.database import read_source
from plexms.store.replica import READ_SOURCE, ReadSource

__all__ = ["ReadSource", "fence_key", "read_stale", "replica_read", "source_of"]

T = TypeVar("T")


def fence_key(user_id: int | None) -> str:
    """The read-your-writes fence of a user (the command line's system actor: ``system``)."""
    return "system" if user_id is None else f"user:{user_id}"


def _fence(ctx: ServiceContext) -> str | None:
    if ctx.actor is None:
        return None
    return fence_key(ctx.actor.user_id)


@contextmanager
def replica_read(ctx: ServiceContext) -> Iterator[Session]:
    """A read transaction on the replica when it is usable for ``ctx``'s user, else on the
    primary (:func:`source_of` tells which)."""
    with ctx.db.read_replica(fence=_fence(ctx)) as session:
        yield session


def source_of(session: Session) -> ReadSource:
    """Which database ``session`` reads."""
    return read_source(session)


def read_stale(
    ctx: ServiceContext,
    read: Callable[[Session], T],
    *,
    again_on: tuple[type[Exception], ...] = (),
) -> tuple[T, ReadSource]:
    """``read(session)`` on the replica (see :func:`replica_read`) and where it ran; if the
    replica fails meanwhile (stopped, or a query cancelled by a recovery conflict), or the
    read raises one of ``again_on`` there (a record someone else created a moment ago, not
    replayed yet), the read runs again on the primary."""
    failure: Exception
    with replica_read(ctx) as session:
        source = source_of(session)
        if source.database == "primary":
            return read(session), source
        try:
            return read(session), source
        except DBAPIError as exc:
            failure = exc
        except again_on as exc:
            failure = exc
    replica = ctx.db.replica
    lost = isinstance(failure, DBAPIError) and failure.connection_invalidated
    state = replica.mark_down(failure) if replica is not None and lost else None
    with ctx.db.read() as session:
        reason = f"the replica could not answer this read ({type(failure).__name__})"
        fallback = ReadSource("primary", state or source.replica, reason)
        session.info[READ_SOURCE] = fallback
        return read(session), fallback
