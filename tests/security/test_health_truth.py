"""Health tells the truth (issue 15, item 12).

The finding: ``/api/health`` answered ``ok`` while every write failed (disk full, read-only),
because it only read. The defence: a real write probe (a heartbeat write committed, on every
backend); when reads work and the probe fails the answer is ``degraded`` with 503.

Tried against a read-only SQLite file (a read-only bind mount as root, where file modes do not
bind; ``chmod 0444`` otherwise) and a read-only directory (a tmpfs remounted read-only).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plexms.services.ops import WRITE_PROBE_INTERVAL_S
from plexms.settings import Settings
from tests.conftest import SyncClient


def _run(*args: str) -> bool:
    if shutil.which(args[0]) is None:
        return False
    return subprocess.run(list(args), capture_output=True, check=False).returncode == 0


def _service(url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from plexms.app import create_app

    settings = Settings(
        database_url=url,
        data_dir=tmp_path / "data",
        secret_key="test-secret",
        auto_migrate=False,
        sqlite_busy_timeout_ms=500,
    )
    return create_app(settings)


def _check(  # type: ignore[no-untyped-def]
    app, make_read_only: Callable[[], None], undo: Callable[[], None], statuses=("degraded",)
) -> None:
    client = SyncClient(app)
    try:
        r = client.get("/api/health")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ok"
        app.state.db.engine.dispose()  # no file open for writing while it turns read-only
        make_read_only()
        time.sleep(WRITE_PROBE_INTERVAL_S)  # the last probe's answer has expired
        try:
            r = client.get("/api/health")
            assert r.status_code == 503, r.text
            body = r.json()
            assert body["status"] in statuses
            if body["status"] == "degraded":
                assert body["writes"].startswith("failing")
        finally:
            undo()
        app.state.db.engine.dispose()
        time.sleep(WRITE_PROBE_INTERVAL_S)
        r = client.get("/api/health")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ok"
    finally:
        client.close()
        app.state.db.dispose()


def test_health_is_degraded_on_a_read_only_sqlite_file(  # type: ignore[no-untyped-def]
    tmp_path: Path, sqlite_template: Path
) -> None:
    db = tmp_path / "plexms.sqlite3"
    shutil.copyfile(sqlite_template, db)
    app = _service(f"sqlite:///{db}", tmp_path)
    if os.geteuid() == 0:  # root writes through 0444: make the file itself read-only
        if not _run("mount", "--bind", str(db), str(db)):
            pytest.skip("cannot bind-mount here")

        def read_only() -> None:
            assert _run("mount", "-o", "remount,ro,bind", str(db))

        def undo() -> None:
            _run("umount", "-l", str(db))
    else:

        def read_only() -> None:
            db.chmod(0o444)

        def undo() -> None:
            db.chmod(0o644)

    try:
        _check(app, read_only, undo)
    finally:
        if os.geteuid() == 0:
            _run("umount", "-l", str(db))


@pytest.fixture
def small_disk(tmp_path: Path, sqlite_template: Path) -> Iterator[Path]:
    point = tmp_path / "small"
    point.mkdir()
    if os.geteuid() != 0 or not _run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(point)):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        shutil.copyfile(sqlite_template, point / "plexms.sqlite3")
        yield point
    finally:
        _run("umount", "-l", str(point))


def test_health_is_degraded_on_a_read_only_directory(small_disk: Path, tmp_path: Path) -> None:
    app = _service(f"sqlite:///{small_disk / 'plexms.sqlite3'}", tmp_path)
    _check(
        app,
        lambda: subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True),
        lambda: subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True),
        # a WAL database in a read-only directory cannot even be read (no -shm): unavailable
        statuses=("degraded", "unavailable"),
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_health_probe_leaves_no_trace(client, world) -> None:  # type: ignore[no-untyped-def]
    """The probe writes nothing a reader sees: no audit rows, same data (both backends); a burst
    of health checks makes one probe, not one write each."""
    from sqlalchemy import func, select, text

    from plexms.store.models import AuditEvent

    def heartbeat() -> int:
        with world.db.read() as s:
            return int(s.execute(text("PRAGMA user_version")).scalar_one())

    with world.db.read() as s:
        before = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    beat = heartbeat() if world.db.is_sqlite else 0
    for _ in range(2):
        r = client.get("/api/health")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ok" and r.json()["writes"] == "ok"
    if world.db.is_sqlite:  # one probe flipped the bit once, not twice
        assert heartbeat() == beat ^ 1
    with world.db.read() as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before
