"""Authentication: argon2id passwords, sessions and API tokens, login throttling.

A token is 32 random bytes (URL-safe); only its SHA-256 is stored. Browser sessions expire
after ``session_idle_minutes`` without use and ``session_absolute_hours`` after sign-in; API
tokens after ``api_token_days``. ``login_max_failures`` failures within
``login_failure_window_minutes`` lock the account for ``login_lock_minutes``. Unknown user,
wrong password, locked and inactive accounts all get the same answer, after the same work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.admin import passwords, throttle
from plexms.services.admin.centres import load_policy
from plexms.services.context import Actor, ServiceContext
from plexms.services.errors import NotFound, Unauthenticated
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import ApiTokenOut, CentreOut, TokenOut
from plexms.settings import Settings
from plexms.store.models import AuthToken, Centre, User

__all__ = [
    "LOGIN_FAILED",
    "LOGIN_THROTTLED",
    "SESSION_COOKIE",
    "authenticate",
    "authenticate_in_centre",
    "change_password",
    "create_api_token",
    "csrf_token_for",
    "hash_password",
    "list_api_tokens",
    "login",
    "logout",
    "password_hasher",
    "revoke_api_token",
    "token_digest",
    "validate_password",
]

SESSION_COOKIE = "plexms_session"
LOGIN_FAILED = "Sign-in failed: wrong username or password, or the account is locked."
LOGIN_THROTTLED = "Too many failed sign-ins from your network address: wait a minute and try again."
_TOUCH_EVERY = dt.timedelta(seconds=60)


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHash:
    return PasswordHash(
        (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
    )


def password_hasher(settings: Settings) -> PasswordHash:
    """The argon2id hasher with the configured cost."""
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )


@cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash(secrets.token_hex(16))


def validate_password(settings: Settings, password: str, *, username: str = "") -> None:
    """Refuse passwords shorter than the minimum (12) or longer than 1024 characters, and
    weak ones (blank, common, a keyboard run, the username: :func:`passwords.weakness`)."""
    if len(password) < settings.password_min_length:
        raise InputError(
            "password",
            f"must be at least {settings.password_min_length} characters",
            allowed=f">= {settings.password_min_length} characters",
        )
    if len(password) > 1024:
        raise InputError("password", "is too long", allowed="<= 1024 characters")
    why = passwords.weakness(password, username)
    if why is not None:
        raise InputError(
            "password",
            f"{why}: choose a longer phrase of unrelated words",
            allowed="not blank, common, a keyboard run or the username",
        )


def hash_password(settings: Settings, password: str, *, username: str = "") -> str:
    """argon2id hash of a valid password."""
    validate_password(settings, password, username=username)
    return password_hasher(settings).hash(password)


def csrf_token_for(secret: bytes, browser_id: str, session_token: str | None) -> str:
    """The CSRF token of one browser (``plexms_csrf`` cookie) in one session (or none): what
    the web's forms carry and what the API asks of a state-changing request signed in by the
    session cookie (``X-CSRF-Token``)."""
    message = f"{browser_id}|{session_token or ''}".encode()
    return hmac.new(secret, b"csrf:" + message, hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """What the database stores for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(ctx: ServiceContext, user: User, kind: str, name: str) -> tuple[str, AuthToken]:
    token = secrets.token_urlsafe(32)
    if kind == "session":
        expires = ctx.now + dt.timedelta(hours=ctx.settings.session_absolute_hours)
    else:
        expires = ctx.now + dt.timedelta(days=ctx.settings.api_token_days)
    row = AuthToken(
        user_id=user.id,
        kind=kind,
        name=name,
        token_hash=token_digest(token),
        created_at=ctx.now,
        last_seen_at=ctx.now,
        expires_at=expires,
    )
    return token, row


def _register_failure(ctx: ServiceContext, user: User) -> None:
    window = dt.timedelta(minutes=ctx.settings.login_failure_window_minutes)
    if user.failure_window_start is None or ctx.now - user.failure_window_start > window:
        user.failure_window_start = ctx.now
        user.failed_logins = 0
    user.failed_logins += 1
    if user.failed_logins >= ctx.settings.login_max_failures:
        user.locked_until = ctx.now + dt.timedelta(minutes=ctx.settings.login_lock_minutes)


@dataclass(frozen=True)
class _Attempt:
    token: TokenOut | None


@use_case(Permission.PUBLIC)
def login(ctx: ServiceContext, username: str, password: str) -> TokenOut:
    """Check the password and open a browser session; the token is also an API bearer token."""
    hasher = password_hasher(ctx.settings)
    with ctx.db.write() as session:
        if ctx.client and throttle.blocked_until(
            session, throttle.LOGIN_ADDRESS, ctx.client, ctx.now
        ):
            # refused unchecked: a guess made now tells the attacker nothing
            audit.record(
                session,
                ctx,
                "login",
                outcome="failed",
                actor="unknown-user",
                detail={"reason": "throttled"},
            )
            throttled = True
            result = _Attempt(None)
        else:
            throttled = False
            result = _check_password(ctx, session, hasher, username, password)
        if result.token is None and ctx.client and not throttled:
            s = ctx.settings
            throttle.failed(
                session,
                s,
                throttle.LOGIN_ADDRESS,
                ctx.client,
                ctx.now,
                s.login_address_max_failures,
            )
    if result.token is None:
        raise Unauthenticated(LOGIN_THROTTLED if throttled else LOGIN_FAILED)
    return result.token


def _check_password(
    ctx: ServiceContext, session: Session, hasher: PasswordHash, username: str, password: str
) -> _Attempt:
    """The attempt's token, or none (the failure counted on the account and audited)."""
    user = session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        s = ctx.settings
        hasher.verify(
            password,
            _dummy_hash(s.argon2_time_cost, s.argon2_memory_cost_kib, s.argon2_parallelism),
        )
        audit.record(
            session,
            ctx,
            "login",
            outcome="failed",
            actor="unknown-user",
            detail={"reason": "credentials"},
        )
        result = _Attempt(None)
    else:
        valid, new_hash = hasher.verify_and_update(password, user.password_hash)
        locked = user.locked_until is not None and user.locked_until > ctx.now
        if valid and not locked and user.active:
            user.failed_logins = 0
            user.failure_window_start = None
            if new_hash is not None:
                user.password_hash = new_hash
            token, row = _new_token(ctx, user, "session", "browser")
            session.add(row)
            audit.record(
                session,
                ctx,
                "login",
                actor=user.username,
                centre_id=user.centre_id,
                entity="user",
                entity_id=user.id,
            )
            result = _Attempt(
                TokenOut(
                    token=token,
                    expires_at=row.expires_at,
                    username=user.username,
                    role=user.role,
                    centre_id=user.centre_id,
                )
            )
        else:
            if not locked:
                _register_failure(ctx, user)
            reason = "locked" if locked else ("inactive" if not user.active else "credentials")
            audit.record(
                session,
                ctx,
                "login",
                outcome="failed",
                actor=user.username,
                centre_id=user.centre_id,
                entity="user",
                entity_id=user.id,
                detail={"reason": reason},
            )
            result = _Attempt(None)
    return result


def authenticate(ctx: ServiceContext, token: str) -> Actor:
    """The actor behind a session or API token, or :class:`Unauthenticated`."""
    digest = token_digest(token)
    with ctx.db.read() as session:
        found = session.execute(
            select(AuthToken, User)
            .join(User, User.id == AuthToken.user_id)
            .where(AuthToken.token_hash == digest)
        ).one_or_none()
    if found is None:
        raise Unauthenticated("not signed in")
    return _actor(ctx, *found)


def authenticate_in_centre(
    ctx: ServiceContext, token: str
) -> tuple[Actor, CentreOut | None, CentrePolicy]:
    """:func:`authenticate`, with the user's centre and its settings read in the same query
    (every page needs all three); no centre: ``None`` and the default settings."""
    digest = token_digest(token)
    with ctx.db.read() as session:
        found = session.execute(
            select(AuthToken, User, Centre)
            .join(User, User.id == AuthToken.user_id)
            .outerjoin(Centre, Centre.id == User.centre_id)
            .where(AuthToken.token_hash == digest)
        ).one_or_none()
        if found is None:
            raise Unauthenticated("not signed in")
        row, user, centre = found
        out = CentreOut.model_validate(centre) if centre is not None else None
        policy = load_policy(centre) if centre is not None else CentrePolicy()
    return _actor(ctx, row, user), out, policy


def _actor(ctx: ServiceContext, row: AuthToken, user: User) -> Actor:
    """The token's actor if the token is live (else :class:`Unauthenticated`); seen now."""
    idle = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    if row.revoked_at is not None or row.expires_at <= ctx.now or not user.active:
        raise Unauthenticated("session ended: sign in again")
    if row.kind == "session" and row.last_seen_at + idle <= ctx.now:
        raise Unauthenticated("session timed out after inactivity: sign in again")
    if ctx.now - row.last_seen_at >= _TOUCH_EVERY:
        with ctx.db.write() as session:
            session.execute(
                update(AuthToken).where(AuthToken.id == row.id).values(last_seen_at=ctx.now)
            )
    return Actor(user_id=user.id, username=user.username, role=user.role, centre_id=user.centre_id)


@use_case(Permission.AUTHENTICATED)
def logout(ctx: ServiceContext, token: str) -> None:
    """End the session (or revoke the API token) ``token``."""
    with ctx.db.write() as session:
        session.execute(
            update(AuthToken)
            .where(AuthToken.token_hash == token_digest(token), AuthToken.revoked_at.is_(None))
            .values(revoked_at=ctx.now)
        )
        audit.record(
            session,
            ctx,
            "logout",
            entity="user",
            entity_id=ctx.actor.user_id if ctx.actor else None,
        )


@use_case(Permission.AUTHENTICATED)
def create_api_token(ctx: ServiceContext, name: str = "api") -> TokenOut:
    """A long-lived token for scripts (``Authorization: Bearer``), shown once."""
    assert ctx.actor is not None and ctx.actor.user_id is not None  # noqa: S101 - use_case checked
    with ctx.db.write() as session:
        user = session.get_one(User, ctx.actor.user_id)
        token, row = _new_token(ctx, user, "api", name)
        session.add(row)
        audit.record(session, ctx, "create", entity="api_token", entity_id=user.id)
        return TokenOut(
            token=token,
            expires_at=row.expires_at,
            username=user.username,
            role=user.role,
            centre_id=user.centre_id,
        )


@use_case(Permission.AUTHENTICATED)
def change_password(ctx: ServiceContext, current_password: str, new_password: str) -> None:
    """Change one's own password; every session and token of the user ends."""
    assert ctx.actor is not None and ctx.actor.user_id is not None  # noqa: S101 - use_case checked
    validate_password(ctx.settings, new_password, username=ctx.actor.username)
    hasher = password_hasher(ctx.settings)
    key = str(ctx.actor.user_id)
    with ctx.db.write() as session:
        user = session.get_one(User, ctx.actor.user_id)
        wait = throttle.blocked_until(session, throttle.PASSWORD_CHANGE, key, ctx.now)
        ok = wait is None and hasher.verify(current_password, user.password_hash)
        if ok:
            throttle.clear(session, throttle.PASSWORD_CHANGE, key)
            user.password_hash = hasher.hash(new_password)
            user.password_changed_at = ctx.now
            session.execute(
                update(AuthToken)
                .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
                .values(revoked_at=ctx.now)
            )
        audit.record(
            session,
            ctx,
            "password_change",
            entity="user",
            entity_id=user.id,
            outcome="ok" if ok else "failed",
            detail={} if wait is None else {"reason": "throttled"},
        )
        if not ok and wait is None:
            s = ctx.settings
            throttle.failed(
                session, s, throttle.PASSWORD_CHANGE, key, ctx.now, s.password_change_max_failures
            )
    if wait is not None:
        seconds = max(1, int((wait - ctx.now).total_seconds()))
        raise InputError(
            "current_password",
            f"too many wrong current passwords: try again in {seconds} s",
            allowed="a wait between attempts",
        )
    if not ok:
        raise InputError("current_password", "is not your current password")


@use_case(Permission.AUTHENTICATED)
def list_api_tokens(ctx: ServiceContext) -> list[ApiTokenOut]:
    """Your API tokens (live and ended), newest first; never their secrets."""
    assert ctx.actor is not None and ctx.actor.user_id is not None  # noqa: S101 - use_case checked
    with ctx.db.read() as session:
        rows = session.execute(
            select(AuthToken)
            .where(AuthToken.user_id == ctx.actor.user_id, AuthToken.kind == "api")
            .order_by(AuthToken.created_at.desc(), AuthToken.id.desc())
        ).scalars()
        return [ApiTokenOut.model_validate(r) for r in rows]


@use_case(Permission.AUTHENTICATED)
def revoke_api_token(ctx: ServiceContext, token_id: int) -> ApiTokenOut:
    """Revoke one of your API tokens (an admin: any API token of the centre's users)."""
    assert ctx.actor is not None and ctx.actor.user_id is not None  # noqa: S101 - use_case checked
    with ctx.db.write() as session:
        found = session.execute(
            select(AuthToken, User)
            .join(User, User.id == AuthToken.user_id)
            .where(AuthToken.id == token_id, AuthToken.kind == "api")
        ).one_or_none()
        mine = found is not None and found[0].user_id == ctx.actor.user_id
        admin = found is not None and ctx.actor.role == "admin"
        if found is None or not (mine or (admin and found[1].centre_id == ctx.centre_id)):
            raise NotFound(f"no API token {token_id}", field="token_id")
        row = found[0]
        if row.revoked_at is None:
            row.revoked_at = ctx.now
        audit.record(
            session,
            ctx,
            "revoke",
            entity="api_token",
            entity_id=row.id,
            detail={"user_id": row.user_id},
        )
        return ApiTokenOut.model_validate(row)
