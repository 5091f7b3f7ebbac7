"""Passwords and sign-in (issue 15, item 9).

The attacks: an account given a common password (``Password123!``, ``summer2024!!``) or a
blank one of twelve spaces; one attacker spraying wrong passwords over every known username
until each account is locked for an hour; a stolen session guessing the current password
on the password-change form without limit. The defences: common, trivially weak and blank
passwords are refused wherever a password is set; failures are counted by client address
too (progressive delay, then a lock of the address; an attempt during the delay is refused
unchecked), so one address cannot lock other people out; wrong current passwords are
throttled the same way per user.
"""

from __future__ import annotations

import anyio.from_thread
import httpx
import pytest

from plexms.services.admin import auth
from tests.conftest import PASSWORD, ROLES, SyncClient


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """Accounts lock after 5 failures (a strict centre), so a spray would lock them all."""
    return settings.model_copy(update={"login_max_failures": 5})


class _From(SyncClient):
    """The in-process client, seen by the server as coming from ``address``."""

    def __init__(self, app, address: str) -> None:  # type: ignore[no-untyped-def]
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def attacker(app, world):  # type: ignore[no-untyped-def]
    c = _From(app, "203.0.113.66")
    yield c
    c.close()


@pytest.fixture
def colleague(app, world):  # type: ignore[no-untyped-def]
    c = _From(app, "198.51.100.7")
    yield c
    c.close()


WEAK = [
    "Password123!",
    "summer2024!!",
    "P@ssw0rd2024",
    "qwertyuiop12",
    "123456789012",
    "aaaaaaaaaaaa",
    " " * 12,
    "\t" * 6 + " " * 6,
    "iloveyou1234",
    "plexms123456",
    "1qaz2wsx3edc",
]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_when_an_account_is_made(client, world, password: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/users",
        headers=world.headers("admin"),
        json={"username": "newnurse", "password": password, "role": "nurse"},
    )
    assert r.status_code == 422, r.text
    assert "password" in r.text


@pytest.mark.parametrize("password", WEAK[:4])
def test_weak_passwords_are_refused_on_change(client, world, password: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/auth/password",
        headers=world.headers("nurse"),
        json={"current_password": PASSWORD, "new_password": password},
    )
    assert r.status_code == 422, r.text


def test_the_username_is_not_a_password(client, world) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/users",
        headers=world.headers("admin"),
        json={"username": "ward7nurse", "password": "Ward7Nurse!!2026", "role": "nurse"},
    )
    assert r.status_code == 422, r.text


def _login(c, username: str, password: str):  # type: ignore[no-untyped-def]
    return c.post("/api/auth/login", json={"username": username, "password": password})


def test_one_address_cannot_lock_every_account(attacker, colleague, world) -> None:  # type: ignore[no-untyped-def]
    users = [f"{role}-{centre}" for centre in ("a", "b") for role in ROLES]
    for attempt in range(60):  # a spray: 6 wrong passwords per known account
        r = _login(attacker, users[attempt % len(users)], f"wrong-guess-{attempt:04d}")
        assert r.status_code == 401
    throttled = _login(attacker, "nurse-a", PASSWORD)
    assert throttled.status_code == 401, "the attacker's address is held back"
    assert throttled.json()["detail"] == auth.LOGIN_THROTTLED
    for user in users:  # and nobody else is locked out
        assert _login(colleague, user, PASSWORD).status_code == 200, user


def test_failures_from_one_address_slow_it_down(attacker, colleague, world) -> None:  # type: ignore[no-untyped-def]
    for attempt in range(world.settings.login_delay_after_failures + 1):
        assert _login(attacker, f"nobody-{attempt}", "wrong-password-x").status_code == 401
    # the right password is not even checked while the address waits
    assert _login(attacker, "physician-a", PASSWORD).json()["detail"] == auth.LOGIN_THROTTLED
    assert _login(colleague, "physician-a", PASSWORD).status_code == 200


def test_wrong_current_passwords_are_throttled(client, world) -> None:  # type: ignore[no-untyped-def]
    headers = world.headers("nurse")
    for attempt in range(world.settings.login_delay_after_failures + 1):
        r = client.post(
            "/api/auth/password",
            headers=headers,
            json={"current_password": f"guess-{attempt:08d}", "new_password": "tPE-ms-7Qx!w2z"},
        )
        assert r.status_code == 422, r.text
    right = client.post(
        "/api/auth/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "tPE-ms-7Qx!w2z"},
    )
    assert right.status_code == 422, right.text
    assert "too many" in right.text
