"""Three ``plexms serve`` instances on one PostgreSQL, requests spread round-robin: what one
instance learns, the others know at once (issue 19, item 1).

Real servers only: each instance is its own ``plexms serve`` process on a free local port,
with the same secret key and database, as a load balancer would see them. A lockout, the
public form's rate limit, a revoked token and a settings change made through one instance
hold on the others; ``/metrics`` from any of them counts the requests of all three (they
share a prometheus_client multiprocess directory, as instances on one host do).
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from plexms.settings import Settings
from plexms.store.migrate import upgrade
from tests.conftest import POSTGRES_URL, _admin_exec

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("instances")]

PASSWORD = "correct horse battery staple"
SECRET = "shared-secret-of-the-three-instances"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(url: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PLEXMS_DATABASE_URL": url,
        "PLEXMS_SECRET_KEY": SECRET,
        "PLEXMS_DATA_DIR": str(tmp / "data"),
        "PLEXMS_ARGON2_TIME_COST": "1",
        "PLEXMS_ARGON2_MEMORY_COST_KIB": "8",
        "PLEXMS_ARGON2_PARALLELISM": "1",
        "PLEXMS_LOGIN_MAX_FAILURES": "3",
        "PLEXMS_LOG_LEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }


def _seed(url: str, tmp: Path) -> None:
    from plexms.services import ops
    from plexms.services.admin import centres, users
    from plexms.services.schemas import CentreIn, UserIn

    settings = Settings(
        database_url=url,
        data_dir=tmp / "seed",
        secret_key=SECRET,
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        auto_migrate=False,
    )
    ctx = ops.system_context(settings, migrate_first=False)
    try:
        centres.create_centre(
            ctx, CentreIn(code="one", name="One", time_zone="America/Los_Angeles", units="us")
        )
        for name, role in (("admin1", "admin"), ("nurse1", "nurse"), ("victim", "nurse")):
            users.create_user(
                ctx, UserIn(username=name, password=PASSWORD, role=role), centre_code="one"
            )
    finally:
        ctx.db.dispose()


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    tmp = tmp_path_factory.mktemp("instances")
    name = f"plexms_instances_{os.getpid()}"
    try:
        _admin_exec([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"])
    except Exception as exc:  # the server is not there
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)  # once, before the instances start (each would otherwise race to migrate)
    _seed(url, tmp)
    (tmp / "metrics").mkdir()
    env = _env(url, tmp)
    ports = [_free_port() for _ in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "plexms.cli", "serve", "--port", str(p)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for p in ports
    ]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        deadline = time.monotonic() + 90
        for proc, base in zip(procs, urls, strict=True):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "exited")
                try:
                    if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{base} did not start")
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
            if proc.stderr is not None:
                proc.stderr.close()
        _admin_exec([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


class RoundRobin:
    """A client that sends each request to the next instance, as a load balancer does."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._next = itertools.cycle(range(len(urls)))
        self.client = httpx.Client(timeout=30)
        self.sent = 0

    def request(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        base = self.urls[next(self._next)]
        self.sent += 1
        return self.client.request(method, base + path, **kwargs)

    def at(self, index: int, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        self.sent += 1
        return self.client.request(method, self.urls[index] + path, **kwargs)


def _login(rr: RoundRobin, username: str, index: int = 0) -> dict[str, str]:
    answer = rr.at(
        index, "POST", "/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def rr(instances: list[str]) -> Iterator[RoundRobin]:
    balancer = RoundRobin(instances)
    yield balancer
    balancer.client.close()


def test_state_is_shared_across_instances(rr: RoundRobin) -> None:

    # a revoked token: signed in on the first, signed out on the second, refused on all
    headers = _login(rr, "nurse1", 0)
    for i in range(3):
        assert rr.at(i, "GET", "/api/auth/me", headers=headers).status_code == 200
    assert rr.at(1, "POST", "/api/auth/logout", headers=headers).status_code == 204
    for i in range(3):
        assert rr.at(i, "GET", "/api/auth/me", headers=headers).status_code == 401, i

    admin = _login(rr, "admin1", 2)  # (before the wrong passwords slow down this address)

    # a lockout: three wrong passwords spread over the three instances lock the account
    wrong = {"username": "victim", "password": "not the password at all"}
    for _ in range(3):
        assert rr.request("POST", "/api/auth/login", json=wrong).status_code == 401
    right = {"username": "victim", "password": PASSWORD}
    for i in range(3):
        assert rr.at(i, "POST", "/api/auth/login", json=right).status_code == 401, i

    # a settings change made through one instance is what the others answer at once
    centre = rr.at(0, "GET", "/api/centre", headers=admin)
    changed = rr.at(
        0,
        "PATCH",
        "/api/centre",
        headers={**admin, "If-Match": centre.headers["etag"]},
        json={"units": "si", "phone": "+1 555 0199"},
    )
    assert changed.status_code == 200, changed.text
    for i in (1, 2):
        seen = rr.at(i, "GET", "/api/centre", headers=admin).json()
        assert (seen["units"], seen["phone"]) == ("si", "+1 555 0199"), i

    # the public form's rate limit counts every instance's submissions together
    statuses = []
    for _ in range(6):
        page = rr.request("GET", "/referral")
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert csrf, page.text[:200]
        form = {"csrf_token": csrf.group(1), "form_ts": "0.0"}
        statuses.append(rr.request("POST", "/referral", data=form).status_code)
    assert statuses[5] == 429 and 429 not in statuses[:5], statuses

    # /metrics from one instance counts the requests all three served
    text = rr.at(1, "GET", "/metrics").text
    served = sum(
        float(v)
        for v in re.findall(r"^plexms_http_requests_total\{[^}]*\} ([0-9.e+]+)$", text, re.M)
    )
    assert served >= rr.sent - 1, (served, rr.sent)  # (this /metrics request counts after)
