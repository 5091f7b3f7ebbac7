"""Calling the ``plexms calc`` calculators from use cases (never computing anything here).

A calculator's error becomes an :class:`InputError` naming ``section.field``; its result is
stored with the rule version it reports (``rule_version``) or the calculator name and the
plexms version.
"""

from __future__ import annotations

from typing import Any

from plexms import __version__
from plexms.core.errors import InfeasibleError, InputError
from plexms.core.policy import CentrePolicy
from plexms.services import calc as calc_service
from plexms.services.errors import ServiceError

__all__ = ["CalculatorMissing", "available", "compute", "rule_version"]


class CalculatorMissing(ServiceError):
    """This build has no such calculator yet [501]."""

    status = 501
    title = "Not implemented"


def available(*names: str) -> str | None:
    """The first of ``names`` that exists as a calculator."""
    calcs = calc_service.calculators()
    return next((n for n in names if n in calcs), None)


def compute(
    name: str, payload: dict[str, Any], policy: CentrePolicy, section: str
) -> dict[str, Any]:
    """The calculator's JSON answer to ``payload``, or InputError naming ``section.field``."""
    calcs = calc_service.calculators()
    if name not in calcs:
        raise CalculatorMissing(f"the {name} calculation is not available", field=section)
    body, ok = calc_service.run_one(calcs[name], payload, policy)
    if ok:
        return body
    err = body["error"]
    field = f"{section}.{err.get('field', 'request')}"
    if "alternatives" in err:
        raise InfeasibleError(
            field, err["message"], alternatives=err["alternatives"], allowed=err.get("allowed")
        )
    raise InputError(field, err["message"], allowed=err.get("allowed"))


def rule_version(name: str, result: dict[str, Any]) -> str:
    """The version of the rules that computed ``result``."""
    version = result.get("rule_version")
    return f"{name}:{version}" if version else f"{name}:plexms-{__version__}"
