"""Disk full and read-only database during writes: a clean 503, nothing partial, recovery.

The SQLite database lives on its own small tmpfs (needs root to mount; skipped otherwise). A
filler file takes the remaining space, or the file system is remounted read-only, while the
service writes 20 kB notes through the API.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from plexms.settings import Settings
from plexms.store import audit_chain
from plexms.store.models import Patient
from tests.conftest import SyncClient, World

NOTES = "n" * 19_000


def _mount(point: Path, size: str) -> bool:
    point.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _remount(point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(point)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path, sqlite_template: Path) -> Iterator[Path]:
    point = tmp_path / "small"
    if not _mount(point, "6m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        shutil.copyfile(sqlite_template, point / "plexms.sqlite3")
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture
def service(small_disk: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    from plexms.app import create_app

    settings = Settings(
        database_url=f"sqlite:///{small_disk / 'plexms.sqlite3'}",
        data_dir=tmp_path / "data",
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        auto_migrate=False,
        sqlite_busy_timeout_ms=2000,
    )
    app = create_app(settings)
    world = World(app.state.db, settings)
    client = SyncClient(app)
    yield app, world, client
    client.close()
    app.state.db.dispose()


def _patient(mrn: str) -> dict[str, object]:
    return {
        "mrn": mrn,
        "family_name": "Full",
        "given_name": "Disk",
        "birth_date": dt.date(1980, 1, 1).isoformat(),
        "sex": "female",
        "notes": NOTES,
    }


def _fill(point: Path) -> Path:
    filler = point / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def _stored(world: World, mrn: str) -> int:
    with world.db.read() as s:
        return int(s.execute(select(func.count()).where(Patient.mrn == mrn)).scalar_one())


def _intact(world: World) -> None:
    with world.db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
    with world.db.read() as s:
        assert audit_chain.verify(s).ok


def _assert_clean_503(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 503 and "nothing was saved" in body["detail"]
    assert r.headers.get("retry-after")
    assert "Traceback" not in r.text and "sqlite" not in r.text.lower()


def test_disk_full_503_nothing_partial_then_recovers(service, small_disk: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _app, world, client = service
    doc = world.headers("physician")
    filler = _fill(small_disk)
    answers = []
    for n in range(200):  # WAL pages already allocated may still take a few writes
        r = client.post("/api/patients", headers=doc, json=_patient(f"FULL-{n}"))
        answers.append(r.status_code)
        if r.status_code != 201:
            break
    assert answers[-1] != 201, "the disk never filled up"
    assert set(answers) <= {201, 503}, answers
    _assert_clean_503(r)
    failed = f"FULL-{len(answers) - 1}"
    assert _stored(world, failed) == 0  # no partial record
    filler.unlink()  # space returns
    again = client.post("/api/patients", headers=doc, json=_patient(failed))
    assert again.status_code == 201, again.text[:300]
    assert _stored(world, failed) == 1
    _intact(world)
    with capsys.disabled():
        print(f"\n[disk-full] {len(answers) - 1} writes fitted after the fill, then 503; recovered")


def test_read_only_database_503_then_recovers(service, small_disk: Path) -> None:
    app, world, client = service
    doc = world.headers("physician")
    assert client.post("/api/patients", headers=doc, json=_patient("RO-0")).status_code == 201
    app.state.db.dispose()  # no file open for writing: the remount needs that
    _remount(small_disk, "ro")
    try:
        r = client.post("/api/patients", headers=doc, json=_patient("RO-1"))
        _assert_clean_503(r)
        reads = client.get("/api/patients", headers=doc)
        assert reads.status_code in (200, 503), reads.text[:300]
    finally:
        app.state.db.dispose()
        _remount(small_disk, "rw")
    assert _stored(world, "RO-1") == 0
    again = client.post("/api/patients", headers=doc, json=_patient("RO-1"))
    assert again.status_code == 201, again.text[:300]
    _intact(world)
