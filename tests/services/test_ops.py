"""Backup and restore drill, the demo seed, health, and the operations commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plexms.services import ops
from plexms.services.admin import demo
from plexms.services.context import SYSTEM, ServiceContext
from plexms.store import audit_chain
from plexms.store.models import AuditEvent, Patient

ROOT = Path(__file__).resolve().parents[2]


def _snapshot(db) -> tuple[list[tuple[str, str]], int]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        rows = s.execute(select(Patient.mrn, Patient.notes).order_by(Patient.mrn)).all()
        audit = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return [tuple(r) for r in rows], int(audit)


def test_backup_restore_round_trip(world, tmp_path: Path) -> None:
    for n in range(3):
        world.patient("a", mrn=f"BK-{n}")
    at_backup = _snapshot(world.db)
    result = ops.backup(world.db.url, str(tmp_path / "plexms.backup"))
    assert result.bytes > 0
    world.patient("a", mrn="AFTER-BACKUP")  # written after the backup point: must vanish
    assert _snapshot(world.db) != at_backup
    world.db.dispose()
    ops.restore(world.db.url, str(tmp_path / "plexms.backup"))
    assert _snapshot(world.db) == at_backup
    with world.db.read() as s:
        assert audit_chain.verify(s).ok
    world.patient("a", mrn="AFTER-RESTORE")  # the restored database takes writes


def test_restore_refuses_missing_file(world, tmp_path: Path) -> None:
    from plexms.store.backup import BackupError

    with pytest.raises(BackupError):
        ops.restore(world.db.url, str(tmp_path / "nope"))


def _unit_has_a_full_week(db, settings, centre_id: int) -> None:  # type: ignore[no-untyped-def]
    """The demo unit (issue 17): bookings on every weekday of the coming week, never two on a
    place or machine at once."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from plexms.services.clinical import booking
    from plexms.services.context import Actor

    actor = Actor(1, "coordinator", "coordinator", centre_id)
    ctx = ServiceContext(db=db, actor=actor, settings=settings)
    zone = ZoneInfo("America/Los_Angeles")
    today = ctx.now.astimezone(zone).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    start = dt.datetime.combine(monday, dt.time(), zone)
    entries = booking.calendar(ctx, start, start + dt.timedelta(days=5))
    days = {e.start_at.astimezone(zone).date() for e in entries}
    assert days == {monday + dt.timedelta(days=k) for k in range(5)}
    assert len(entries) >= 15
    for a in entries:
        for b in entries:
            if a is not b and a.start_at < b.end_at and b.start_at < a.end_at:
                assert a.place_id != b.place_id and a.machine_id != b.machine_id


def test_demo_seed(db, settings) -> None:
    ctx = ServiceContext(db=db, actor=SYSTEM, settings=settings)
    result = demo.seed(ctx, None)
    assert result.generated_password and len(result.password) >= 12
    with db.read() as s:
        stages = dict(s.execute(select(Patient.stage, func.count()).group_by(Patient.stage)).all())
        assert audit_chain.verify(s).ok
    assert sum(stages.values()) == 16  # + 2 referrals awaiting triage = 18
    _unit_has_a_full_week(db, settings, result.centre_id)
    for stage in ("referred", "course_planned", "course_active", "course_completed", "handed_back"):
        assert stages.get(stage), stage
    assert ops.health(ctx)["ok"]
    with pytest.raises(Exception, match="not empty"):
        demo.seed(ctx, None)


def test_demo_seed_is_all_or_nothing(db, settings) -> None:
    from plexms.core.errors import InputError
    from plexms.store.models import AuditEvent, Centre

    ctx = ServiceContext(db=db, actor=SYSTEM, settings=settings)
    # the centre is created, then the first user fails (password too short): nothing stays
    with pytest.raises(InputError, match="password"):
        demo.seed(ctx, "short")
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(Centre)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 0
        assert audit_chain.verify(s).ok
    assert not demo.is_seeded(ctx)
    assert demo.seed(ctx, "long-enough-password").patients == 18  # 12 + the unit's six


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run ``plexms`` commands in process (typer's runner) against ``PLEXMS_DATABASE_URL``."""
    from typer.testing import CliRunner

    from plexms.cli import app
    from plexms.settings import get_settings

    def run(args: list[str], url: str, stdin: str = ""):  # type: ignore[no-untyped-def]
        env = {
            "PLEXMS_DATABASE_URL": url,
            "PLEXMS_DATA_DIR": str(tmp_path),
            "PLEXMS_ARGON2_TIME_COST": "1",
            "PLEXMS_ARGON2_MEMORY_COST_KIB": "8",
            "PLEXMS_ARGON2_PARALLELISM": "1",
            "PLEXMS_DEMO_PASSWORD": "demo-password-123",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return CliRunner().invoke(app, args, input=stdin)

    yield run
    get_settings.cache_clear()


def test_cli_operations(cli, db_url: str, tmp_path: Path) -> None:
    assert cli(["db", "upgrade"], db_url).exit_code == 0
    seeded = cli(["demo"], db_url)
    assert seeded.exit_code == 0, seeded.output
    made = cli(["users", "create", "extra", "--role", "nurse"], db_url, "a-long-enough-password\n")
    assert made.exit_code == 0 and json.loads(made.stdout)["role"] == "nurse"
    short = cli(["users", "create", "extra2", "--role", "nurse"], db_url, "short\n")
    assert short.exit_code == 2 and json.loads(short.stdout)["error"]["field"] == "password"
    reset = cli(["users", "set-password", "extra"], db_url, "another-long-password\n")
    assert reset.exit_code == 0 and json.loads(reset.stdout)["username"] == "extra"
    too_short = cli(["users", "set-password", "extra"], db_url, "short\n")
    assert json.loads(too_short.stdout)["error"]["field"] == "password"
    nobody = cli(["users", "set-password", "nobody"], db_url, "another-long-password\n")
    assert too_short.exit_code == 2
    assert nobody.exit_code == 4 and json.loads(nobody.stdout)["error"]["field"] == "username"
    verify = cli(["audit", "verify"], db_url)
    assert verify.exit_code == 0 and json.loads(verify.stdout)["ok"]
    backup = cli(["backup", str(tmp_path / "b.dump")], db_url)
    assert backup.exit_code == 0, backup.output
    assert cli(["restore", str(tmp_path / "b.dump")], db_url).exit_code == 2
    restored = cli(["restore", str(tmp_path / "b.dump"), "--yes"], db_url)
    assert restored.exit_code == 0, restored.output
    assert json.loads(cli(["audit", "verify"], db_url).stdout)["ok"]


def test_cli_module_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "plexms.cli", "audit", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0 and "verify" in done.stdout
