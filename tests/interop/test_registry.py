from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.interop.conftest import add_centre, seed_patient
from typer.testing import CliRunner

from plexms.cli import app
from plexms.interop.registry import (
    MAX_SHIFT_DAYS,
    Pseudonymiser,
    _age,
    _ages,
    _cell,
    _csv_float,
    _csv_text,
    _fluids,
    neutralise,
)
from plexms.interop.registry_columns import TABLES, registry_columns_markdown
from plexms.settings import get_settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade

DOC = Path(__file__).parents[2] / "docs" / "registry-columns.md"


def test_column_reference_matches_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == registry_columns_markdown()
    for columns in TABLES.values():
        assert len({c.name for c in columns}) == len(columns)


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_shift_is_never_zero_and_bounded(patient_id: int) -> None:
    shift = Pseudonymiser(b"0123456789abcdef").shift_days(patient_id)
    assert 1 <= abs(shift) <= MAX_SHIFT_DAYS


def test_shifts_go_both_ways_and_pseudonyms_differ_by_kind() -> None:
    pseudo = Pseudonymiser(b"0123456789abcdef")
    shifts = [pseudo.shift_days(i) for i in range(1, 200)]
    assert min(shifts) < 0 < max(shifts)
    assert pseudo.pid("patient", 1) != pseudo.pid("course", 1)
    assert len(pseudo.pid("patient", 1) or "") == 16 and pseudo.pid("patient", None) is None


def test_age_is_capped_and_fluids_are_summed() -> None:
    assert _age(dt.date(1930, 6, 1), dt.date(2025, 5, 31)) == 90
    assert _age(dt.date(1990, 6, 1), dt.date(2025, 5, 31)) == 34
    fluids = [
        {"fluid": "albumin_5", "volume_ml": 2000},
        {"fluid": "saline", "volume_ml": 500},
        {"fluid": "albumin_5", "volume_ml": 500},
        {"fluid": "unknown", "volume_ml": 1},
        "junk",
        {"fluid": "plasma", "volume_ml": None},
    ]
    assert _fluids(fluids) == {"albumin_ml": 2500.0, "saline_ml": 500.0, "plasma_ml": None}


@pytest.mark.parametrize("length", [16, 32, 63, 64, 65, 200])
def test_batch_pseudonyms_and_shifts_are_the_single_ones(length: int) -> None:
    key = bytes(range(256))[:length]
    pseudo = Pseudonymiser(key)
    ids = [1, 2, 17, 999_999, 2**40 + 3]
    assert pseudo.pids_of("course", ids) == [pseudo.pid("course", i) for i in ids]
    assert pseudo.pid("course", 17) == hmac.new(key, b"course:17", "sha256").hexdigest()[:16]
    assert pseudo.shifts(ids).tolist() == [pseudo.shift_days(i) for i in ids]


@given(st.lists(st.dates(), min_size=1), st.lists(st.dates(), min_size=1))
def test_ages_column_wise_are_age(births: list[dt.date], days: list[dt.date]) -> None:
    n = min(len(births), len(days))
    births, days = births[:n], days[:n]
    got = _ages(
        np.array(births, "datetime64[D]").astype(np.int64),
        np.array(days, "datetime64[D]").astype(np.int64),
    )
    assert got.tolist() == [_age(b, d) for b, d in zip(births, days, strict=True)]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.floats(),
            st.sampled_from([-0.0, 1e16, 9999999999999998.0, 2.0**53 + 2, -1e15, 5e-324]),
        )
    )
)
def test_csv_floats_are_python_str(values: list[float | None]) -> None:
    assert _csv_float(pa.array(values, pa.float64())).to_pylist() == [
        None if v is None else _cell(v) for v in values
    ]


@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from('ab ,"\r\n\t\x00;é\u2028=+-@'))))
)
def test_csv_strings_are_what_csv_writer_writes(values: list[str | None]) -> None:
    """... of the neutralised text: a formula opens as text (issue 15, item 7)."""
    cells = _csv_text(pa.array(values, pa.string())).to_pylist()
    for value, cell in zip(values, cells, strict=True):
        buffer = io.StringIO()
        csv.writer(buffer).writerow(["x", neutralise(value or "")])
        assert buffer.getvalue() == f"x,{cell or ''}\r\n"


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    db = Database(url)
    seed_patient(db, add_centre(db))
    db.dispose()
    monkeypatch.setenv("PLEXMS_DATABASE_URL", url)
    monkeypatch.setenv("PLEXMS_SECRET_KEY", "cli-test-secret-key-0123")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_registry_export(cli_database: None, tmp_path: Path) -> None:
    out = tmp_path / "registry"
    result = CliRunner().invoke(app, ["registry", "export", "--out", str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["rows"]["sessions"] == 5 and sorted(body["files"])[0] == "adverse_events.csv"
    with (out / "courses.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 1
    bad = CliRunner().invoke(app, ["registry", "export", "--out", str(out), "--format", "xls"])
    assert bad.exit_code == 2 and json.loads(bad.stdout)["error"]["field"] == "format"


def test_cli_registry_check_facts(cli_database: None) -> None:
    """True facts: exit 0; cells lost behind the session's back: named and exit 1; --rebuild
    counts them again (and the command is audited)."""
    from sqlalchemy import text

    from plexms.settings import get_settings

    ok = CliRunner().invoke(app, ["registry", "check-facts"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"courses": 0, "cells": 0}
    db = Database(get_settings().database_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM registry_cell"))
    finally:
        db.dispose()
    broken = CliRunner().invoke(app, ["registry", "check-facts"])
    assert broken.exit_code == 1 and json.loads(broken.stdout)["cells"] == 1
    fixed = CliRunner().invoke(app, ["registry", "check-facts", "--rebuild"])
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout) == {"courses": 0, "cells": 0, "rebuilt_courses": 1}
