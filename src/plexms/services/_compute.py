"""Calling the ``plexms calc`` calculators from use cases (never computing anything here).

A use case hands a calculator its JSON request (as stored with the record) and gets the typed
result back, or the calculator's :class:`InputError` / :class:`InfeasibleError` with the field
named ``section.field``. The result is stored in the calculator's JSON form with the rule
version it reports (``rule_version``) or the calculator name and the plexms version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from plexms import __version__
from plexms.core.errors import InfeasibleError, InputError
from plexms.core.policy import CentrePolicy
from plexms.services import calc as calc_service
from plexms.services.calc import Calculator

__all__ = ["available", "compute", "rule_version"]

ResultT = TypeVar("ResultT")


def available(*names: str) -> str | None:
    """The first of ``names`` that exists as a calculator."""
    return next((n for n in names if n in calc_service.CALCULATORS), None)


def _within(section: str, exc: InputError) -> InputError:
    field = f"{section}.{exc.field}"
    if isinstance(exc, InfeasibleError):
        return InfeasibleError(
            field, exc.message, alternatives=exc.alternatives, allowed=exc.allowed
        )
    return InputError(field, exc.message, allowed=exc.allowed)


def compute(
    calculator: Calculator[Any, ResultT],
    payload: dict[str, Any],
    policy: CentrePolicy,
    section: str,
    *,
    now: dt.datetime,
) -> ResultT:
    """The calculator's typed answer to ``payload``, or InputError naming ``section.field``."""
    try:
        return calculator.evaluate(payload, policy, now=now)
    except InputError as exc:
        raise _within(section, exc) from exc


def rule_version(name: str, result: object) -> str:
    """The version of the rules that computed ``result`` (a calculator's typed answer)."""
    version = getattr(result, "rule_version", None)
    return f"{name}:{version}" if version else f"{name}:plexms-{__version__}"
