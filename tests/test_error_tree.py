"""The error tree drawn in plexms.services.errors is the real one: every error plexms raises
on purpose (a subclass of PlexmsError, wherever it lives) is drawn once, under its base."""

from __future__ import annotations

import importlib
import pkgutil
import re

import plexms
from plexms.core.errors import PlexmsError
from plexms.services import errors

_BULLET = re.compile(r"^(?P<indent> *)\* (?P<name>\w+)")


def _every_error() -> dict[str, type[BaseException]]:
    for module in pkgutil.walk_packages(plexms.__path__, "plexms."):
        if not module.name.endswith("__main__") and ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: dict[str, type[BaseException]] = {}
    todo: list[type[BaseException]] = [PlexmsError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _drawn() -> list[tuple[int, str, str]]:
    """``(depth, class name, its text)`` of every bullet of the tree, in order."""
    drawn: list[tuple[int, str, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        if m := _BULLET.match(line):
            drawn.append((len(m["indent"]) // 2, m["name"], line))
        elif drawn and line.startswith("    "):  # a bullet's continuation line
            depth, name, text = drawn[-1]
            drawn[-1] = (depth, name, text + " " + line.strip())
    return drawn


def test_every_error_is_drawn_once_under_its_base() -> None:
    real = _every_error()
    drawn = _drawn()
    names = [name for _, name, _ in drawn]
    assert sorted(names) == sorted(real), "draw every PlexmsError subclass, and only those"
    parents: list[str] = []
    for depth, name, _ in drawn:
        del parents[depth:]
        if parents:
            assert real[parents[-1]] in real[name].__bases__, f"{name} under {parents[-1]}"
        else:
            assert real[name] is PlexmsError
        parents.append(name)


def test_each_service_error_shows_its_http_status() -> None:
    real = _every_error()
    for _, name, text in _drawn():
        status = getattr(real[name], "status", None)
        if status is not None:
            assert f"[{status}" in text, name
