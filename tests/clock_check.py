"""The suite holds on any date: compare a run under a moved clock with the normal run.

``make test`` writes the normal run's JUnit report; ``make clock-check`` runs the
time-sensitive tests again under faketime (400 days on, and across a US daylight-saving
change) and this script fails when any test's outcome (passed, skipped, failed) differs from
the normal run's, or when a moved run lost or gained a test.

    python tests/clock_check.py var/junit.xml var/junit-400d.xml [...]
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def outcomes(path: Path) -> dict[str, str]:
    """``{classname::name: outcome}`` of a JUnit report."""
    found: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            outcome = "failed"
        elif "skipped" in kinds:
            outcome = "skipped"
        else:
            outcome = "passed"
        found[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return found


def compare(normal: dict[str, str], moved: dict[str, str]) -> list[str]:
    """What differs: a moved run's test missing from the normal run, or a different outcome."""
    problems = []
    for test, outcome in sorted(moved.items()):
        expected = normal.get(test)
        if expected is None:
            problems.append(f"{test}: not in the normal run")
        elif outcome != expected:
            problems.append(f"{test}: {expected} normally, {outcome} with the clock moved")
    return problems


def main(argv: list[str]) -> int:
    normal = outcomes(Path(argv[0]))
    status = 0
    for report in argv[1:]:
        moved = outcomes(Path(report))
        problems = compare(normal, moved)
        if not moved:
            problems.append("no test ran")
        for line in problems:
            print(f"clock check ({report}): {line}")
        print(f"clock check ({report}): {len(moved)} tests, {len(problems)} differences")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
