"""The ``calc`` use cases: stateless clinical calculations, typed inside, JSON at the edges.

:data:`CALCULATORS` names every calculator and the module that defines it (its
``CALCULATOR``, a :class:`Calculator`). A calculator's request model (pydantic) validates one
JSON object; :meth:`Calculator.evaluate` turns it into a typed result (a frozen dataclass, e.g.
the plan, the EDSS) using :mod:`plexms.core`, raising :class:`InputError` (or
:class:`InfeasibleError`) naming the field; :meth:`Calculator.to_json` is the one serialiser of
that result to the JSON contract. Use cases and the web front take the typed result; the CLI
(``plexms calc NAME``) and the API (``POST /api/calc/NAME``) go through :func:`run`, so a
request gives the same JSON everywhere.

A request is one object or a list of objects; a list is answered with a list in the same
order, a bad element with its own ``{"error": {...}}`` in its place. Nothing here reads the
clock: the caller passes ``now`` (the plan's default start is today at the centre).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy

__all__ = [
    "CALCULATORS",
    "CalcOutcome",
    "Calculator",
    "calculator",
    "calculators",
    "error_body",
    "input_error",
    "module_names",
    "run",
    "run_one",
]

# Every calculator, by name: the module that defines its ``CALCULATOR`` (imported on first use,
# so ``plexms calc NAME`` loads only that one module).
CALCULATORS: Mapping[str, str] = {
    "acuity": "plexms.services.calc.acuity",
    "assess": "plexms.services.calc.assess",
    "cohort": "plexms.services.calc.cohort",
    "dmt": "plexms.services.calc.dmt",
    "edss": "plexms.services.calc.edss",
    "fit": "plexms.services.calc.fit",
    "plan": "plexms.services.calc.plan",
    "precheck": "plexms.services.calc.precheck",
    "response": "plexms.services.calc.response",
}

_DEFAULT_POLICY = CentrePolicy()
RequestT = TypeVar("RequestT", bound=Any)
ResultT = TypeVar("ResultT")
Answer = tuple[dict[str, Any], bool]


@dataclass(frozen=True)
class Calculator(Generic[RequestT, ResultT]):
    """One calculation of the JSON contract.

    ``compute(request, policy, now)`` gives the typed result (``now``: the caller's clock, or
    ``None`` when it has none); ``to_json`` is the contract's JSON form of that result.
    """

    name: str
    summary: str
    request_model: type[BaseModel]
    compute: Callable[[RequestT, CentrePolicy, dt.datetime | None], ResultT]
    to_json: Callable[[ResultT], dict[str, Any]]
    help: str = ""
    # Optional: answers a whole batch exactly as ``run_one`` would answer each element, but
    # faster (e.g. skipping per-element overhead for the common shape of request).
    run_batch: Callable[[list[Any], CentrePolicy], list[Answer]] | None = None

    def parse(self, payload: Any) -> RequestT:
        """The validated request, or :class:`InputError` naming the field."""
        if not isinstance(payload, dict):
            raise InputError("request", "must be a JSON object")
        try:
            request = self.request_model.model_validate(payload)
        except ValidationError as exc:
            raise input_error(exc) from None
        return cast(RequestT, request)

    def evaluate(
        self, payload: Any, policy: CentrePolicy = _DEFAULT_POLICY, *, now: dt.datetime | None
    ) -> ResultT:
        """The typed result for one JSON request object (``InputError`` when refused)."""
        return self.compute(self.parse(payload), policy, now)


@dataclass(frozen=True)
class CalcOutcome:
    """The JSON answer and whether every request in it succeeded."""

    body: Any
    ok: bool
    batch: bool


@cache
def module_names() -> frozenset[str]:
    """The names of the calculators (without importing any of them)."""
    return frozenset(CALCULATORS)


def calculator(name: str) -> Calculator[Any, Any]:
    """Calculator ``name`` (``KeyError`` if none): only its own module is imported."""
    calc = importlib.import_module(CALCULATORS[name]).CALCULATOR
    if not isinstance(calc, Calculator) or calc.name != name:  # pragma: no cover - wiring bug
        raise TypeError(f"{CALCULATORS[name]}.CALCULATOR is not the {name} calculator")
    return calc


@cache
def calculators() -> dict[str, Calculator[Any, Any]]:
    """Every calculator, by name."""
    return {name: calculator(name) for name in sorted(CALCULATORS)}


def _allowed(ctx: Mapping[str, Any]) -> str | None:
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    bounds = [f"{symbols[k]} {ctx[k]}" for k in ("ge", "gt", "le", "lt") if k in ctx]
    if bounds:
        return ", ".join(bounds)
    return str(ctx["expected"]) if "expected" in ctx else None


def input_error(exc: ValidationError) -> InputError:
    """The request model's first complaint as an :class:`InputError` (field path, bounds)."""
    first = exc.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in first["loc"]) or "request"
    return InputError(loc, first["msg"], allowed=_allowed(first.get("ctx") or {}))


def error_body(exc: Exception) -> dict[str, Any]:
    """``{"error": {"field", "message", ...}}`` for a validation or domain error."""
    if isinstance(exc, ValidationError):
        exc = input_error(exc)
    if isinstance(exc, InputError):
        return {"error": exc.to_dict()}
    raise TypeError(exc)  # pragma: no cover - only the two kinds above reach here


def run_one(
    calc: Calculator[Any, Any],
    payload: Any,
    policy: CentrePolicy = _DEFAULT_POLICY,
    *,
    now: dt.datetime | None = None,
) -> Answer:
    """Answer one request object: ``(body, ok)``."""
    try:
        return calc.to_json(calc.evaluate(payload, policy, now=now)), True
    except InputError as exc:
        return {"error": exc.to_dict()}, False


def run(
    name: str,
    payload: Any,
    policy: CentrePolicy = _DEFAULT_POLICY,
    *,
    now: dt.datetime | None = None,
) -> CalcOutcome:
    """Answer one request object or a list of them with calculator ``name``.

    ``now`` is the caller's clock (the CLI's, the request's); without it a request that needs
    today (a plan without ``start_date``) is refused.
    """
    calc = calculator(name)
    if isinstance(payload, list):
        if calc.run_batch is not None:
            answers = calc.run_batch(payload, policy)
        else:
            answers = [run_one(calc, item, policy, now=now) for item in payload]
        return CalcOutcome([body for body, _ in answers], all(ok for _, ok in answers), batch=True)
    body, ok = run_one(calc, payload, policy, now=now)
    return CalcOutcome(body, ok, batch=False)
