"""Throttling kept in the database so it holds across workers (issue 15, items 9 and 10).

A counter per ``(kind, key)``: failed sign-ins by client address (``login_address``), wrong
current passwords by user (``password_change``). After ``login_delay_after_failures``
failures within ``login_failure_window_minutes`` each further failure makes the next attempt
wait twice as long as the last one did (1 s, 2 s, 4 s ... capped at
``login_delay_max_seconds``); ``max_failures`` within the window lock the key for
``login_lock_minutes``. An attempt before ``not_before`` is refused without being checked,
so a guess made then tells the attacker nothing. Used referral stamps are rows of the same
table (``referral_stamp``), so one stamp is accepted once whichever worker sees it.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.settings import Settings
from plexms.store.models import Throttle

__all__ = [
    "LOGIN_ADDRESS",
    "PASSWORD_CHANGE",
    "REFERRAL_RATE",
    "REFERRAL_STAMP",
    "allow_referral",
    "blocked_until",
    "clear",
    "failed",
    "spend_form_stamp",
    "spend_once",
    "spend_rate",
]

LOGIN_ADDRESS = "login_address"
PASSWORD_CHANGE = "password_change"  # noqa: S105 - a counter's kind, not a password
REFERRAL_STAMP = "referral_stamp"
REFERRAL_RATE = "referral_rate"


def _row(session: Session, kind: str, key: str) -> Throttle | None:
    stmt = select(Throttle).where(Throttle.kind == kind, Throttle.key == key[:128])
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def blocked_until(session: Session, kind: str, key: str, now: dt.datetime) -> dt.datetime | None:
    """When ``key`` may try again, if not now."""
    row = _row(session, kind, key)
    if row is None or row.not_before is None or row.not_before <= now:
        return None
    return row.not_before


def failed(
    session: Session, settings: Settings, kind: str, key: str, now: dt.datetime, max_failures: int
) -> None:
    """Count one failure for ``key``: a delay past the free failures, a lock at the maximum."""
    window = dt.timedelta(minutes=settings.login_failure_window_minutes)
    row = _row(session, kind, key)
    if row is None:
        row = Throttle(kind=kind, key=key[:128], failures=0, window_start=now)
        session.add(row)
    elif now - row.window_start > window:
        row.window_start, row.failures = now, 0
    row.failures += 1
    extra = row.failures - settings.login_delay_after_failures
    if row.failures >= max_failures:
        row.not_before = now + dt.timedelta(minutes=settings.login_lock_minutes)
    elif extra > 0:
        delay = min(2 ** min(extra - 1, 30), settings.login_delay_max_seconds)
        row.not_before = now + dt.timedelta(seconds=delay)
    session.flush()


def clear(session: Session, kind: str, key: str) -> None:
    """Forget ``key``'s failures (a user who got their current password right)."""
    session.execute(delete(Throttle).where(Throttle.kind == kind, Throttle.key == key[:128]))


def spend_once(
    session: Session,
    key: str,
    now: dt.datetime,
    max_age: dt.timedelta,
    kind: str = REFERRAL_STAMP,
) -> bool:
    """Record ``key`` (a referral stamp's digest, a federation query's nonce) as used:
    ``False`` if it was already. Keys older than ``max_age`` are forgotten (they are refused
    as expired anyway). Two workers spending one key at once: one wins, the other is told
    it was used."""
    session.execute(
        delete(Throttle).where(Throttle.kind == kind, Throttle.window_start < now - max_age)
    )
    if _row(session, kind, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Throttle(kind=kind, key=key[:128], failures=1, window_start=now))
    except IntegrityError:
        return False
    return True


@use_case(Permission.PUBLIC)
def spend_form_stamp(ctx: ServiceContext, stamp: str) -> bool:
    """Use the public form's ``stamp`` once: ``False`` when it was used before (by any
    worker). Kept for ``referral_stamp_max_age_minutes``, after which it has expired."""
    digest = hashlib.sha256(stamp.encode()).hexdigest()
    max_age = dt.timedelta(minutes=ctx.settings.referral_stamp_max_age_minutes)
    with ctx.db.write() as session:
        return spend_once(session, digest, ctx.now, max_age)


def spend_rate(
    session: Session, kind: str, key: str, now: dt.datetime, limit: int, window: dt.timedelta
) -> bool:
    """Count one event for ``key`` in a fixed window of ``window``: ``False`` (and nothing
    counted) once ``limit`` events were counted in the current window. Two workers that see a
    new key at once: one inserts, the other counts on the row it made."""
    row = _row(session, kind, key)
    if row is None:
        try:
            with session.begin_nested():
                session.add(Throttle(kind=kind, key=key[:128], failures=1, window_start=now))
            return True
        except IntegrityError:
            row = _row(session, kind, key)
            if row is None:  # pragma: no cover - the other insert was rolled back meanwhile
                return True
    if now - row.window_start >= window:
        row.window_start, row.failures = now, 1
        return True
    if row.failures >= limit:
        return False
    row.failures += 1
    return True


@use_case(Permission.PUBLIC)
def allow_referral(ctx: ServiceContext, client: str, limit: int, window_seconds: int) -> bool:
    """Whether the public referral form may take one more submission from ``client`` (at most
    ``limit`` per ``window_seconds``, counted in the database so every worker and every app
    instance shares the count)."""
    with ctx.db.write() as session:
        return spend_rate(
            session,
            REFERRAL_RATE,
            client,
            ctx.now,
            limit,
            dt.timedelta(seconds=window_seconds),
        )
