"""Golden files of the ``plexms calc`` contract: every calculator's JSON, byte for byte.

``tests/data/calc/<name>/`` holds, for each calculator:

- ``<case>.request.json``: one request (an object, a batch, or something that is not an object)
  as it would arrive on standard input;
- ``<case>.output.json``: the exact bytes ``plexms calc NAME`` writes to standard output for it,
  and ``exit_status.json`` the exit status of each case;
- ``schema.json``: the bytes of ``plexms calc NAME --schema``;
- ``openapi.json``: the ``POST /api/calc/NAME`` operation as the API publishes it in OpenAPI.

The files were written from the code before the calculators returned typed results, so a
refactor that changes a byte of the contract fails here. Requests that would depend on the
day pass an explicit date. To write the expected files again after a deliberate change of the
contract: ``PLEXMS_REGENERATE_GOLDEN=1 pytest tests/services/test_calc_golden.py`` (then read
the diff before committing it).
"""

from __future__ import annotations

import json
import os
import sys
from io import StringIO
from pathlib import Path

import pytest
from fastapi import FastAPI

from plexms import cli_io
from plexms.api.routes.calc import build_router

DATA = Path(__file__).parent.parent / "data" / "calc"
REGENERATE = os.environ.get("PLEXMS_REGENERATE_GOLDEN") == "1"
NAMES = sorted(path.name for path in DATA.iterdir() if path.is_dir())
CASES = [
    (name, path.name.removesuffix(".request.json"))
    for name in NAMES
    for path in sorted((DATA / name).glob("*.request.json"))
]


def _check(path: Path, actual: str) -> None:
    if REGENERATE:
        path.write_bytes(actual.encode())
        return
    assert path.read_bytes() == actual.encode(), f"{path} changed"


def _run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], stdin: str
) -> tuple[str, int]:
    """``plexms ARGS`` through the console-script entry point: (stdout, exit status)."""
    monkeypatch.setattr(sys, "argv", ["plexms", *args])
    monkeypatch.setattr(sys, "stdin", StringIO(stdin))
    capsys.readouterr()
    try:
        cli_io.main()
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return capsys.readouterr().out, status


def test_every_calculator_has_golden_files() -> None:
    from plexms.services import calc

    assert NAMES == sorted(calc.calculators())
    for name in NAMES:
        requests = list((DATA / name).glob("*.request.json"))
        assert len(requests) >= 4, name
        assert any(p.name.startswith("batch") for p in requests), name
        assert any(p.name.startswith("error") for p in requests), name


@pytest.mark.parametrize(("name", "case"), CASES)
def test_calc_output_is_unchanged(
    name: str, case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    request = (DATA / name / f"{case}.request.json").read_text()
    out, status = _run_cli(monkeypatch, capsys, ["calc", name], request)
    _check(DATA / name / f"{case}.output.json", out)
    statuses_path = DATA / name / "exit_status.json"
    statuses = json.loads(statuses_path.read_text()) if statuses_path.exists() else {}
    if REGENERATE:
        statuses[case] = status
        statuses_path.write_text(json.dumps(dict(sorted(statuses.items())), indent=2) + "\n")
        return
    assert statuses[case] == status


@pytest.mark.parametrize("name", NAMES)
def test_calc_schema_is_unchanged(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, status = _run_cli(monkeypatch, capsys, ["calc", name, "--schema"], "")
    assert status == 0
    _check(DATA / name / "schema.json", out)


@pytest.fixture(scope="module")
def openapi() -> dict[str, object]:
    app = FastAPI()
    app.include_router(build_router())
    return app.openapi()


@pytest.mark.parametrize("name", NAMES)
def test_calc_openapi_is_unchanged(name: str, openapi: dict[str, object]) -> None:
    paths = openapi["paths"]
    assert isinstance(paths, dict)
    operation = paths[f"/api/calc/{name}"]
    _check(DATA / name / "openapi.json", json.dumps(operation, indent=2, ensure_ascii=False) + "\n")
