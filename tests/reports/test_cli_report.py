from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.interop.conftest import add_centre, seed_patient
from typer.testing import CliRunner

from plexms.cli import app
from plexms.cli.errors import EXIT_NOT_FOUND
from plexms.settings import get_settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    db = Database(url)
    patient_id = seed_patient(db, add_centre(db))
    db.dispose()
    monkeypatch.setenv("PLEXMS_DATABASE_URL", url)
    get_settings.cache_clear()
    yield patient_id
    get_settings.cache_clear()


def test_report_handout_writes_a_pdf(database_url: int, tmp_path: Path) -> None:
    out = tmp_path / "out" / "handout.pdf"
    result = CliRunner().invoke(
        app, ["report", "handout", "--patient", str(database_url), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["report"] == "handout" and body["bytes"] == out.stat().st_size
    assert out.read_bytes().startswith(b"%PDF-")


def test_report_for_an_unknown_patient_exits_not_found(database_url: int, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "course", "--patient", "999", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == EXIT_NOT_FOUND
    assert json.loads(result.stdout)["error"]["field"] == "patient"
    assert not (tmp_path / "x.pdf").exists()
