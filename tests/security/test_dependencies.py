"""Dependency hygiene: every locked dependency pinned exactly; the venv matches the lock.

The vulnerability lookup itself is ``make audit`` (pip-audit against requirements/dev.lock):
it needs PyPI's JSON API or osv.dev, which this build machine cannot reach, so it is not part
of ``make test``.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = sorted((ROOT / "requirements").glob("*.lock"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]+\])?==([A-Za-z0-9.+!-]+)(\s*;.*)?$")


def _requirements(lock: Path) -> list[str]:
    lines = []
    for raw in lock.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def test_there_are_lock_files() -> None:
    assert {p.name for p in LOCKS} >= {"dev.lock", "run.lock"}


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_every_dependency_is_pinned_exactly(lock: Path) -> None:
    lines = _requirements(lock)
    assert lines
    loose = [line for line in lines if not _PIN.match(line)]
    assert loose == [], f"not pinned with == in {lock.name}: {loose}"


def test_run_lock_is_a_subset_of_dev_lock() -> None:
    def pins(lock: str) -> dict[str, str]:
        found = {}
        for line in _requirements(ROOT / "requirements" / lock):
            match = _PIN.match(line)
            assert match, line
            found[match.group(1).lower().replace("_", "-")] = match.group(3)
        return found

    run, dev = pins("run.lock"), pins("dev.lock")
    differ = {name: (v, dev.get(name)) for name, v in run.items() if dev.get(name) != v}
    assert differ == {}


def test_installed_versions_match_the_dev_lock() -> None:
    mismatched = []
    for line in _requirements(ROOT / "requirements" / "dev.lock"):
        match = _PIN.match(line)
        assert match, line
        name, version = match.group(1), match.group(3)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched.append(f"{name}: not installed")
            continue
        if installed != version:
            mismatched.append(f"{name}: {installed} installed, {version} locked")
    assert mismatched == []


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_nothing_is_installed_outside_the_dev_lock() -> None:
    """The attack: an old package left in the venv (say ``setuptools`` 65 from ``python -m venv``,
    with known advisories) is importable by the service although no lock names it, so
    ``make audit`` never looks at it. The defence: the environment is exactly the lock."""
    locked = {"plexms"}
    for line in _requirements(ROOT / "requirements" / "dev.lock"):
        match = _PIN.match(line)
        assert match, line
        locked.add(_normalised(match.group(1)))
    extra = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in metadata.distributions()
        if _normalised(dist.metadata["Name"]) not in locked
    )
    assert extra == [], f"installed but not in requirements/dev.lock: {extra}"
