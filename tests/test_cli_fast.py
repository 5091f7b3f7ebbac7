"""``plexms calc NAME`` answered by the entry point's fast path (only that calculator is
imported) gives exactly what the full Typer command line gives: output and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from plexms.services import calc

PLEXMS = Path(sys.executable).with_name("plexms")
EDSS = {
    "fs": {
        "visual": 1,
        "brainstem": 2,
        "pyramidal": 3,
        "cerebellar": 2,
        "sensory": 2,
        "bowel_bladder": 1,
        "cerebral": 1,
    },
    "ambulation_score": 2,
}


def _run(command: list[str], stdin: str) -> tuple[str, int]:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)
    return done.stdout, done.returncode


@pytest.mark.parametrize(
    ("name", "stdin", "status"),
    [
        ("edss", json.dumps(EDSS), 0),
        ("edss", json.dumps([EDSS, {"fs": {}}, 7]), 3),
        ("edss", json.dumps({"fs": {"visual": 9}}), 2),
        ("edss", "not json", 2),
        ("edss", "", 2),
        ("acuity", json.dumps({"value": "20/40"}), None),
        ("plan", json.dumps({"height_cm": 170, "weight_kg": 70, "sex": "female"}), None),
    ],
)
def test_fast_path_equals_the_full_command_line(name: str, stdin: str, status: int | None) -> None:
    fast = _run([str(PLEXMS), "calc", name], stdin)
    full = _run([sys.executable, "-m", "plexms.cli", "calc", name], stdin)
    assert fast == full
    if status is not None:
        assert fast[1] == status


def test_fast_path_imports_only_the_calculator_asked_for() -> None:
    probe = (
        "import sys, io\n"
        "sys.argv = ['plexms', 'calc', 'edss']\n"
        f"sys.stdin = io.StringIO({json.dumps(json.dumps(EDSS))})\n"
        "from plexms.cli_io import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('plexms.', 'typer')))\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = done.stderr
    assert "plexms.services.calc.edss" in loaded
    for heavy in ("typer", "plexms.cli'", "plexms.store", "plexms.services.calc.plan"):
        assert heavy not in loaded, heavy


def test_every_calculator_lives_in_the_module_of_its_name() -> None:
    assert set(calc.calculators()) == set(calc.module_names())
    for name in calc.module_names():
        assert calc.calculator(name) is calc.calculators()[name]
    with pytest.raises(KeyError):
        calc.calculator("no_such_calculator")
