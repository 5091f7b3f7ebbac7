"""The layering contracts in pyproject.toml hold (import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core imports nothing else from plexms KEPT" in result.stdout


# What reads a clock: the time module (time.time, monotonic, perf_counter, ...), plexms.clock,
# time-machine, the datetime and date constructors of "now", uuid1 (a timestamp) and NumPy's
# "now"/"today" datetime64.
_CLOCK_MODULES = frozenset({"time", "time_machine", "plexms.clock"})
_CLOCK_CALLS = frozenset({"now", "today", "utcnow", "uuid1"})
_CLOCK_STRINGS = frozenset({"now", "today"})


def clock_reads(source: str, name: str) -> list[str]:
    """``name:line what`` for each place the module ``source`` could read the wall clock."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        what = None
        if isinstance(node, ast.Import):
            hit = [a.name for a in node.names if a.name in _CLOCK_MODULES]
            what = f"import {hit[0]}" if hit else None
        elif isinstance(node, ast.ImportFrom):
            names = {f"{node.module}.{a.name}" for a in node.names} | {node.module or ""}
            hit = sorted(names & _CLOCK_MODULES)
            what = f"from {node.module} import" if hit else None
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _CLOCK_CALLS:
                what = f"{called}()"
            elif called == "datetime64" and any(
                isinstance(a, ast.Constant) and a.value in _CLOCK_STRINGS for a in node.args
            ):
                what = "datetime64('now')"
        if what:
            found.append(f"{name}:{node.lineno} {what}")
    return found


def test_core_and_its_tests_read_no_clock() -> None:
    """`make clock-check` leaves out tests/core: the domain (and its tests) never read the
    wall clock (dates come in as arguments), so a moved clock cannot change their outcome.
    A clock read here belongs in the services (ServiceContext.now) or the test's arguments."""
    files = sorted((ROOT / "src" / "plexms" / "core").rglob("*.py"))
    files += sorted((ROOT / "tests" / "core").rglob("*.py"))
    assert len(files) > 40
    found = [hit for p in files for hit in clock_reads(p.read_text(), str(p.relative_to(ROOT)))]
    assert found == []


def test_clock_reads_are_found() -> None:
    """The scan above sees each way of reading the clock (and not a plain time of day)."""
    lines = [
        "import time",
        "from plexms import clock",
        "from time_machine import travel",
        "x = dt.datetime.now(dt.UTC)",
        "y = dt.date.today()",
        "z = uuid.uuid1()",
        "w = np.datetime64('today')",
        "v = moment.time()",  # a datetime's time of day: not a clock read
    ]
    found = clock_reads("\n".join(lines), "sample.py")
    assert found == [
        "sample.py:1 import time",
        "sample.py:2 from plexms import",
        "sample.py:3 from time_machine import",
        "sample.py:4 now()",
        "sample.py:5 today()",
        "sample.py:6 uuid1()",
        "sample.py:7 datetime64('now')",
    ]
