"""Each kind of failure leaves ``plexms`` with its own exit status (plexms.cli.errors), and
standard output still carries one ``{"error": {"field", "message"}}``. Real SQLite files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from plexms.cli import app
from plexms.cli import errors as cli_errors
from plexms.cli.errors import (
    EXIT_CONFLICT,
    EXIT_DATABASE_UNAVAILABLE,
    EXIT_INPUT,
    EXIT_INTEGRITY,
    EXIT_IO,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_PERMISSION,
    EXIT_STATUSES,
    EXIT_UNEXPECTED,
)
from plexms.settings import get_settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from tests.interop.conftest import add_centre, seed_patient

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-enough-password\n"

Run = Callable[..., Result]


def _runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    def run(args: list[str], url: str, stdin: str = "") -> Result:
        env = {
            "PLEXMS_DATABASE_URL": url,
            "PLEXMS_DATA_DIR": str(tmp_path),
            "PLEXMS_ARGON2_TIME_COST": "1",
            "PLEXMS_ARGON2_MEMORY_COST_KIB": "8",
            "PLEXMS_ARGON2_PARALLELISM": "1",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return CliRunner().invoke(app, args, input=stdin)

    return run


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Run]:
    """``plexms ARGS`` in process against the database at ``url``."""
    yield _runner(monkeypatch, tmp_path)
    get_settings.cache_clear()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated SQLite file with one centre and one patient (id 1)."""
    url = f"sqlite:///{tmp_path / 'plexms.sqlite3'}"
    upgrade(url)
    db = Database(url)
    seed_patient(db, add_centre(db))
    db.dispose()
    return url


def _error(result: Result) -> dict[str, object]:
    body = json.loads(result.stdout)["error"]
    assert set(body) >= {"field", "message"}, body
    return dict(body)


def test_every_status_is_distinct_and_named() -> None:
    statuses = [status for status, _, _ in EXIT_STATUSES]
    assert statuses == sorted(set(statuses)) == list(range(10))
    for status, name, _ in EXIT_STATUSES:
        assert getattr(cli_errors, name) == status
    assert (EXIT_OK, EXIT_INPUT, EXIT_PARTIAL) == (0, 2, 3)  # the calc contract


def test_the_statuses_are_in_the_help_and_in_docs_cli_md(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    shown = CliRunner().invoke(app, ["--help"]).stdout
    table = (ROOT / "docs" / "cli.md").read_text()
    for status, name, meaning in EXIT_STATUSES:
        assert f" {status}  {meaning}" in shown
        assert f"| {status} | `{name}` | {meaning} |" in table


def test_ok_and_bad_input(cli: Run, url: str) -> None:
    made = cli(["users", "create", "nurse1", "--role", "nurse"], url, PASSWORD)
    assert made.exit_code == EXIT_OK, made.output
    short = cli(["users", "create", "nurse2", "--role", "nurse"], url, "short\n")
    assert short.exit_code == EXIT_INPUT and _error(short)["field"] == "password"
    role = cli(["users", "create", "nurse2", "--role", "surgeon"], url, PASSWORD)
    assert role.exit_code == EXIT_INPUT and _error(role)["field"] == "role"
    unconfirmed = cli(["restore", "nowhere.backup"], url)
    assert unconfirmed.exit_code == EXIT_INPUT and _error(unconfirmed)["field"] == "yes"


def test_partial_batch(cli: Run, url: str) -> None:
    batch = json.dumps([{"value": "20/40"}, {"value": "twenty"}])
    result = cli(["calc", "acuity"], url, batch)
    assert result.exit_code == EXIT_PARTIAL
    answers = json.loads(result.stdout)
    assert "error" not in answers[0] and "error" in answers[1]


def test_not_found(cli: Run, url: str, tmp_path: Path) -> None:
    out = tmp_path / "fhir"
    exported = cli(["fhir", "export", "--patient", "1", "--out", str(out)], url)
    assert exported.exit_code == EXIT_OK, exported.output
    missing = cli(["fhir", "export", "--patient", "999", "--out", str(out)], url)
    assert missing.exit_code == EXIT_NOT_FOUND and _error(missing)["field"] == "patient"
    bundle = str(out / "1.json")
    centre = cli(["fhir", "import", bundle, "--centre", "NOPE"], url)
    assert centre.exit_code == EXIT_NOT_FOUND and _error(centre)["field"] == "centre"
    nobody = cli(["users", "set-password", "nobody"], url, PASSWORD)
    assert nobody.exit_code == EXIT_NOT_FOUND and _error(nobody)["field"] == "username"
    report = cli(["report", "handout", "--patient", "1", "--course", "999", "--out", "x.pdf"], url)
    assert report.exit_code == EXIT_NOT_FOUND and _error(report)["field"] == "course"


def test_conflict(cli: Run, url: str) -> None:
    assert cli(["users", "create", "nurse1", "--role", "nurse"], url, PASSWORD).exit_code == 0
    again = cli(["users", "create", "nurse1", "--role", "viewer"], url, PASSWORD)
    assert again.exit_code == EXIT_CONFLICT and _error(again)["field"] == "username"


def test_permission(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line acts as ``system``; a use case run as a viewer is refused, and the
    command line's mapping gives that refusal its own status."""
    from plexms.services.admin import users
    from plexms.services.context import Actor, ServiceContext
    from plexms.services.errors import PermissionDenied, Unauthenticated
    from plexms.services.schemas import UserIn

    db = Database(url)
    data = UserIn(username="someone", password="long-enough-password", role="nurse")
    viewer = Actor(user_id=None, username="viewer1", role="viewer", centre_id=1)
    try:
        for actor, kind in ((viewer, PermissionDenied), (None, Unauthenticated)):
            ctx = ServiceContext(db=db, actor=actor, settings=get_settings())
            with pytest.raises(kind) as refused:
                users.create_user(ctx, data)
            with pytest.raises(typer.Exit) as exited:
                cli_errors.fail(refused.value)
            assert exited.value.exit_code == EXIT_PERMISSION
            assert json.loads(capsys.readouterr().out)["error"]["message"] == str(refused.value)
    finally:
        db.dispose()


@pytest.mark.parametrize("kind", ["directory", "not a database", "server down"])
def test_database_unavailable(cli: Run, tmp_path: Path, kind: str) -> None:
    if kind == "directory":
        (tmp_path / "db").mkdir()
        url = f"sqlite:///{tmp_path / 'db'}"
    elif kind == "not a database":
        (tmp_path / "junk.sqlite3").write_bytes(b"this is not SQLite " * 100)
        url = f"sqlite:///{tmp_path / 'junk.sqlite3'}"
    else:  # nothing listens on port 1
        url = "postgresql+psycopg://plexms@127.0.0.1:1/plexms?connect_timeout=5"
    for args in (["audit", "verify"], ["db", "upgrade"], ["fhir", "export", "--all", "--out", "x"]):
        result = cli(args, url)
        assert result.exit_code == EXIT_DATABASE_UNAVAILABLE, (args, result.output)
        error = _error(result)
        assert error["field"] == "database" and "cannot be used" in str(error["message"])


def test_backup_and_file_io_failures(cli: Run, url: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    backup = cli(["backup", str(tmp_path / "a-file" / "b.backup")], url)
    assert backup.exit_code == EXIT_IO and _error(backup)["field"] == "backup"
    (tmp_path / "junk.backup").write_bytes(b"not a backup " * 100)
    restore = cli(["restore", str(tmp_path / "junk.backup"), "--yes"], url)
    assert restore.exit_code == EXIT_IO and _error(restore)["field"] == "restore"
    gone = cli(["restore", str(tmp_path / "no.backup"), "--yes"], url)
    assert gone.exit_code == EXIT_IO
    bundle = cli(["fhir", "import", str(tmp_path / "no-such-bundle.json")], url)
    assert bundle.exit_code == EXIT_IO and _error(bundle)["field"] == "file"
    assert cli(["audit", "verify"], url).exit_code == EXIT_OK  # the database is untouched


def test_integrity(cli: Run, url: str) -> None:
    assert cli(["users", "create", "nurse1", "--role", "nurse"], url, PASSWORD).exit_code == 0
    assert cli(["audit", "verify"], url).exit_code == EXIT_OK
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # what an attacker with the file would do
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor = 'someone else' WHERE seq = 1")
    conn.close()
    broken = cli(["audit", "verify"], url)
    assert broken.exit_code == EXIT_INTEGRITY
    body = json.loads(broken.stdout)
    assert not body["ok"] and body["problems"][0]["seq"] == 1


def test_a_bug_keeps_status_1_and_its_traceback(cli: Run, url: str) -> None:
    assert cli_errors.exit_status(KeyError("x")) == EXIT_UNEXPECTED
    assert cli_errors.exit_status(ZeroDivisionError()) == EXIT_UNEXPECTED


def test_reminders_run(cli: Run, url: str) -> None:
    result = cli(["reminders", "run"], url)
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.stdout) == {"sent": 0, "failed": 0, "superseded": 0, "waiting": 0}
    bad = cli(["reminders", "run", "--limit", "0"], url)
    assert bad.exit_code != EXIT_OK


def test_demo_with_a_registry_books_the_recent_exchanges(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    monkeypatch.setenv("PLEXMS_DEMO_PASSWORD", "demo password for the cli test")
    result = cli(["demo", "--registry", "400", "--seed", "5"], url)
    assert result.exit_code == EXIT_OK, result.output
    body = json.loads(result.stdout)
    assert body["rows"]["patient"] == 400
    assert body["bookings"] > 0  # the demo unit (places, machines, nurses) is busy
