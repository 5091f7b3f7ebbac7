"""The ``calc`` use cases: stateless clinical calculations with a JSON contract.

Each module in this package defines ``CALCULATOR``, a :class:`Calculator` whose request model
(pydantic) validates one JSON object and whose ``compute`` turns it into a JSON-ready dict
using :mod:`plexms.core`. The CLI (``plexms calc NAME``) and the API (``POST /api/calc/NAME``)
both go through :func:`run`, so a request gives the same answer everywhere.

A request is one object or a list of objects; a list is answered with a list in the same
order, a bad element with its own ``{"error": {...}}`` in its place.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy

__all__ = [
    "CalcOutcome",
    "Calculator",
    "calculator",
    "calculators",
    "error_body",
    "module_names",
    "run",
    "run_one",
]

_DEFAULT_POLICY = CentrePolicy()


@dataclass(frozen=True)
class Calculator:
    """One calculation of the JSON contract."""

    name: str
    summary: str
    request_model: type[BaseModel]
    compute: Callable[[Any, CentrePolicy], dict[str, Any]]
    help: str = ""
    # Optional: answers a whole batch exactly as ``run_one`` would answer each element, but
    # faster (e.g. skipping per-element overhead for the common shape of request).
    run_batch: Callable[[list[Any], CentrePolicy], list[tuple[dict[str, Any], bool]]] | None = None


@dataclass(frozen=True)
class CalcOutcome:
    """The JSON answer and whether every request in it succeeded."""

    body: Any
    ok: bool
    batch: bool


@cache
def module_names() -> frozenset[str]:
    """The calculator modules of this package (found without importing them)."""
    return frozenset(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def calculator(name: str) -> Calculator:
    """Calculator ``name`` (``KeyError`` if none): only its own module is imported when the
    module has the calculator's name, as every calculator's does."""
    if name in module_names():
        calc = getattr(importlib.import_module(f"{__name__}.{name}"), "CALCULATOR", None)
        if isinstance(calc, Calculator) and calc.name == name:
            return calc
    return calculators()[name]


@cache
def calculators() -> dict[str, Calculator]:
    """Every calculator in this package, by name."""
    found: dict[str, Calculator] = {}
    for module in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{module.name}")
        calc = getattr(mod, "CALCULATOR", None)
        if isinstance(calc, Calculator):
            found[calc.name] = calc
    return dict(sorted(found.items()))


def error_body(exc: Exception) -> dict[str, Any]:
    """``{"error": {"field", "message", ...}}`` for a validation or domain error."""
    if isinstance(exc, InputError):
        return {"error": exc.to_dict()}
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(part) for part in first["loc"]) or "request"
        body: dict[str, Any] = {"field": loc, "message": first["msg"]}
        ctx = first.get("ctx") or {}
        bounds = [f"{k} {ctx[k]}" for k in ("ge", "gt", "le", "lt") if k in ctx]
        if bounds:
            body["allowed"] = ", ".join(
                b.replace("ge ", ">= ")
                .replace("gt ", "> ")
                .replace("le ", "<= ")
                .replace("lt ", "< ")
                for b in bounds
            )
        elif "expected" in ctx:
            body["allowed"] = str(ctx["expected"])
        return {"error": body}
    raise TypeError(exc)  # pragma: no cover - only the two kinds above reach here


def run_one(
    calc: Calculator, payload: Any, policy: CentrePolicy = _DEFAULT_POLICY
) -> tuple[dict[str, Any], bool]:
    """Answer one request object: ``(body, ok)``."""
    if not isinstance(payload, dict):
        return {"error": {"field": "request", "message": "must be a JSON object"}}, False
    try:
        request = calc.request_model.model_validate(payload)
        return calc.compute(request, policy), True
    except (InputError, ValidationError) as exc:
        return error_body(exc), False


def run(name: str, payload: Any, policy: CentrePolicy = _DEFAULT_POLICY) -> CalcOutcome:
    """Answer one request object or a list of them with calculator ``name``."""
    calc = calculator(name)
    if isinstance(payload, list):
        if calc.run_batch is not None:
            answers = calc.run_batch(payload, policy)
        else:
            answers = [run_one(calc, item, policy) for item in payload]
        return CalcOutcome([body for body, _ in answers], all(ok for _, ok in answers), batch=True)
    body, ok = run_one(calc, payload, policy)
    return CalcOutcome(body, ok, batch=False)
