"""User administration: create, list, activate/deactivate, unlock, reset password."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.admin.auth import hash_password, validate_password
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, NotFound
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import UserIn, UserOut
from plexms.store.models import AuthToken, Centre, User

__all__ = ["create_user", "list_users", "set_password", "set_user_active", "unlock_user"]


def _centre_id(ctx: ServiceContext, centre_code: str | None) -> int:
    if centre_code is None and ctx.centre_id is not None:
        return ctx.centre_id
    with ctx.db.read() as session:
        query = select(Centre.id)
        if centre_code is not None:
            query = query.where(Centre.code == centre_code)
        ids = session.execute(query.order_by(Centre.id)).scalars().all()
    if not ids:
        raise NotFound(f"no centre {centre_code or ''}".strip(), field="centre")
    if centre_code is None and len(ids) > 1:
        raise NotFound("several centres: name one with --centre", field="centre")
    if ctx.actor is not None and not ctx.actor.is_system and ids[0] != ctx.centre_id:
        raise NotFound(f"no centre {centre_code}", field="centre")
    return ids[0]


@use_case(Permission.USERS_MANAGE)
def create_user(ctx: ServiceContext, data: UserIn, centre_code: str | None = None) -> UserOut:
    """Create a user in the actor's centre (the command line names the centre)."""
    centre_id = _centre_id(ctx, centre_code)
    password_hash = hash_password(ctx.settings, data.password, username=data.username)
    username = data.username.lower()
    with ctx.db.write() as session:
        if session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"username {username!r} is taken", field="username")
        user = User(
            centre_id=centre_id,
            username=username,
            display_name=data.display_name,
            role=data.role,
            password_hash=password_hash,
            active=True,
            failed_logins=0,
            created_at=ctx.now,
            password_changed_at=ctx.now,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="user",
            entity_id=user.id,
            centre_id=centre_id,
            detail={"role": data.role},
        )
        return UserOut.model_validate(user)


@use_case(Permission.USERS_MANAGE)
def list_users(ctx: ServiceContext) -> list[UserOut]:
    """The users of the actor's centre."""
    with ctx.db.read() as session:
        query = select(User).order_by(User.username)
        if ctx.actor is not None and not ctx.actor.is_system:
            query = query.where(User.centre_id == ctx.centre_id)
        return [UserOut.model_validate(u) for u in session.execute(query).scalars()]


def _user(ctx: ServiceContext, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or (
        ctx.actor is not None and not ctx.actor.is_system and user.centre_id != ctx.centre_id
    ):
        raise NotFound(f"no user {user_id}", field="user_id")
    return user


@use_case(Permission.USERS_MANAGE)
def set_user_active(ctx: ServiceContext, user_id: int, active: bool) -> UserOut:
    """Activate or deactivate a user; deactivating ends every session and token."""
    with ctx.db.write() as session:
        user = _user(ctx, session, user_id)
        user.active = active
        if not active:
            session.execute(
                update(AuthToken)
                .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
                .values(revoked_at=ctx.now)
            )
        audit.record(
            session, ctx, "update", entity="user", entity_id=user.id, detail={"active": active}
        )
        return UserOut.model_validate(user)


@use_case(Permission.USERS_MANAGE)
def unlock_user(ctx: ServiceContext, user_id: int) -> UserOut:
    """Lift a login-throttling lock."""
    with ctx.db.write() as session:
        user = _user(ctx, session, user_id)
        user.locked_until = None
        user.failed_logins = 0
        user.failure_window_start = None
        audit.record(
            session, ctx, "update", entity="user", entity_id=user.id, detail={"unlocked": True}
        )
        return UserOut.model_validate(user)


@use_case(Permission.USERS_MANAGE)
def set_password(ctx: ServiceContext, user: int | str, new_password: str) -> UserOut:
    """An administrator sets a user's password (by id or username): the account is unlocked
    and every session and API token of the user ends. The password is never audited."""
    validate_password(ctx.settings, new_password)
    password_hash = hash_password(ctx.settings, new_password)
    with ctx.db.write() as session:
        if isinstance(user, str):
            found = session.execute(select(User.id).where(User.username == user.lower())).first()
            if found is None:
                raise NotFound(f"no user {user!r}", field="username")
            user = int(found[0])
        row = _user(ctx, session, user)
        row.password_hash = password_hash
        row.password_changed_at = ctx.now
        row.locked_until = None
        row.failed_logins = 0
        row.failure_window_start = None
        session.execute(
            update(AuthToken)
            .where(AuthToken.user_id == row.id, AuthToken.revoked_at.is_(None))
            .values(revoked_at=ctx.now)
        )
        audit.record(
            session, ctx, "password_reset", entity="user", entity_id=row.id, centre_id=row.centre_id
        )
        return UserOut.model_validate(row)
