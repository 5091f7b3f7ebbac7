"""Passwords, login throttling, session expiry and logout (services, both backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from tests.conftest import PASSWORD

from plexms.core.errors import InputError
from plexms.services.admin import auth, users
from plexms.services.context import ServiceContext
from plexms.services.errors import Unauthenticated
from plexms.services.schemas import UserIn
from plexms.store.models import User

T0 = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)


def _ctx(world, now: dt.datetime = T0) -> ServiceContext:  # type: ignore[no-untyped-def]
    return ServiceContext(db=world.db, actor=None, now=now, settings=world.settings)


def test_short_password_refused(world) -> None:
    with pytest.raises(InputError) as err:
        users.create_user(
            world.system,
            UserIn(username="shorty", password="x" * 11, role="nurse"),
            centre_code="centre-a",
        )
    assert err.value.field == "password"


def test_password_hash_is_argon2id(world) -> None:
    with world.db.read() as s:
        stored = s.execute(select(User.password_hash).where(User.username == "nurse-a")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_throttling_locks_after_100_failures_and_answers_alike(world) -> None:
    ctx = _ctx(world)
    messages = set()
    for _ in range(100):
        with pytest.raises(Unauthenticated) as err:
            auth.login(ctx, "nurse-a", "wrong password!")
        messages.add(str(err.value))
    with pytest.raises(Unauthenticated) as err:  # locked: even the right password fails
        auth.login(ctx, "nurse-a", PASSWORD)
    messages.add(str(err.value))
    with pytest.raises(Unauthenticated) as err:
        auth.login(ctx, "nobody-at-all", PASSWORD)
    messages.add(str(err.value))
    assert messages == {auth.LOGIN_FAILED}
    later = _ctx(world, T0 + dt.timedelta(minutes=61))
    assert auth.login(later, "nurse-a", PASSWORD).username == "nurse-a"


def test_failures_outside_the_window_do_not_lock(world) -> None:
    for i in range(99):
        with pytest.raises(Unauthenticated):
            auth.login(_ctx(world, T0 + dt.timedelta(minutes=i)), "viewer-a", "nope nope nope")
    # the window restarted after 60 minutes: still usable
    assert auth.login(_ctx(world, T0 + dt.timedelta(minutes=100)), "viewer-a", PASSWORD)


def test_idle_and_absolute_expiry(world) -> None:
    token = auth.login(_ctx(world), "nurse-a", PASSWORD).token
    t = T0
    for _ in range(23):  # active every 29 minutes: stays signed in for 11 h 07 min
        t += dt.timedelta(minutes=29)
        assert auth.authenticate(_ctx(world, t), token).username == "nurse-a"
    with pytest.raises(Unauthenticated):  # absolute 12 h
        auth.authenticate(_ctx(world, T0 + dt.timedelta(hours=12, minutes=1)), token)
    token2 = auth.login(_ctx(world), "nurse-a", PASSWORD).token
    with pytest.raises(Unauthenticated, match="inactivity"):
        auth.authenticate(_ctx(world, T0 + dt.timedelta(minutes=31)), token2)


def test_logout_and_deactivation_end_sessions(world) -> None:
    token = auth.login(_ctx(world), "nurse-a", PASSWORD).token
    actor = auth.authenticate(_ctx(world), token)
    auth.logout(dataclasses.replace(_ctx(world), actor=actor), token)
    with pytest.raises(Unauthenticated):
        auth.authenticate(_ctx(world), token)
    token = auth.login(_ctx(world), "nurse-a", PASSWORD).token
    users.set_user_active(world.ctx("admin"), world.users[("a", "nurse")], False)
    with pytest.raises(Unauthenticated):
        auth.authenticate(_ctx(world), token)


def test_api_token_outlives_idle_timeout(world) -> None:
    api = auth.create_api_token(world.ctx("physician"), "script")
    later = ServiceContext(
        db=world.db, actor=None, now=api.expires_at - dt.timedelta(days=1), settings=world.settings
    )
    assert auth.authenticate(later, api.token).role == "physician"


def test_admin_sets_a_password_unlocks_and_ends_every_session(world) -> None:
    nurse = world.users[("a", "nurse")]
    token = world.tokens[("a", "nurse")]
    with world.db.write() as s:
        s.get_one(User, nurse).locked_until = T0 + dt.timedelta(hours=1)
    users.set_password(world.ctx("admin"), nurse, "a-brand-new-password")
    with pytest.raises(Unauthenticated):
        auth.authenticate(_ctx(world), token)
    assert auth.login(_ctx(world), "nurse-a", "a-brand-new-password").role == "nurse"
    with pytest.raises(InputError):
        users.set_password(world.ctx("admin"), "nurse-a", "short")
    from plexms.services.errors import NotFound, PermissionDenied

    with pytest.raises(NotFound):  # another centre's user is not there
        users.set_password(world.ctx("admin"), "nurse-b", "a-brand-new-password")
    with pytest.raises(PermissionDenied):
        users.set_password(world.ctx("physician"), "nurse-a", "a-brand-new-password")


def test_api_tokens_listed_and_revoked(world) -> None:
    from plexms.services.errors import NotFound

    nurse, admin, other = world.ctx("nurse"), world.ctx("admin"), world.ctx("admin", "b")
    made = auth.create_api_token(nurse, "script")
    listed = auth.list_api_tokens(nurse)
    assert [t.name for t in listed] == ["script"] and "token" not in listed[0].model_dump()
    assert auth.authenticate(_ctx(world, nurse.now), made.token).username == "nurse-a"
    with pytest.raises(NotFound):  # not the other centre's admin
        auth.revoke_api_token(other, listed[0].id)
    with pytest.raises(NotFound):  # not another user's (non-admin)
        auth.revoke_api_token(world.ctx("physician"), listed[0].id)
    assert auth.revoke_api_token(admin, listed[0].id).revoked_at is not None
    with pytest.raises(Unauthenticated):
        auth.authenticate(_ctx(world, nurse.now), made.token)
    assert auth.list_api_tokens(nurse)[0].revoked_at is not None
