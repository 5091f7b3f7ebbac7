"""Every public module of plexms says what it exports: a sorted ``__all__`` without duplicates,
naming only what the module defines or imports (encode/httpx checks its exports the same way).

The modules are found by walking the package, so a new module is checked without being listed
here. Public means no part of the dotted name starts with ``_``. The order is ruff's RUF022
("isort-style"): SCREAMING_CASE constants, then CamelCase classes, then the rest, each in
natural order. Alembic's migration directory is left out: its scripts are not modules
(``env.py`` runs only inside Alembic, the version files are named by revision).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

import plexms

_ALEMBIC = "plexms.store.migrations"


def _public_modules() -> list[str]:
    names = ["plexms"]
    for info in pkgutil.walk_packages(plexms.__path__, "plexms."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name == _ALEMBIC or info.name.startswith(_ALEMBIC + "."):
            continue
        names.append(info.name)
    return sorted(names)


def _sort_key(name: str) -> tuple[int, list[int | str]]:
    """RUF022's order: constants, classes, then everything else; digits compared as numbers."""
    bare = name.lstrip("_")
    if len(bare) > 1 and bare.upper() == bare and bare.lower() != bare:
        group = 0
    elif bare[:1].isupper():
        group = 1
    else:
        group = 2
    return group, [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _problems(module: ModuleType) -> list[str]:
    exported = getattr(module, "__all__", None)
    if exported is None:
        return ["no __all__"]
    if not isinstance(exported, list | tuple) or not all(isinstance(n, str) for n in exported):
        return [f"__all__ is not a list of names: {exported!r}"]
    problems = []
    names = list(exported)
    if names != sorted(names, key=_sort_key):
        problems.append(f"not sorted; expected {sorted(names, key=_sort_key)}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"duplicates {duplicates}")
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        problems.append(f"names not in the module {missing}")
    return problems


def test_the_walk_finds_the_package() -> None:
    found = _public_modules()
    assert {"plexms", "plexms.core.kinetics", "plexms.services.context"} <= set(found)
    assert not any(part.startswith("_") for name in found for part in name.split("."))


@pytest.mark.parametrize("name", _public_modules())
def test_public_module_exports_a_sorted_all(name: str) -> None:
    assert _problems(importlib.import_module(name)) == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("", "no __all__"),
        ("__all__ = ['b', 'a']\na = b = 1", "not sorted"),
        ("__all__ = ['f', 'Cls', 'CONST']\nf = Cls = CONST = 1", "not sorted"),
        ("__all__ = ['a', 'a']\na = 1", "duplicates ['a']"),
        ("__all__ = ['a', 'gone']\na = 1", "names not in the module ['gone']"),
        ("__all__ = 'a'\na = 1", "not a list"),
    ],
)
def test_the_check_catches(source: str, problem: str) -> None:
    module = ModuleType("example")
    exec(source, module.__dict__)  # a fixed snippet of this test
    found = _problems(module)
    assert found and problem in found[0]


def test_the_order_is_ruffs() -> None:
    names = ["MAX_2", "MAX_10", "Acuity", "Eye", "__version__", "parse", "x2", "x10"]
    shuffled = ["x10", "Eye", "parse", "MAX_10", "__version__", "x2", "Acuity", "MAX_2"]
    assert sorted(shuffled, key=_sort_key) == names
