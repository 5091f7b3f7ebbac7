"""The text limits of the direct routes, applied to a FHIR import before it writes.

An import is a front like the API and the web: every draft's text is held to the limits of
the route's schema (:mod:`plexms.services.schemas`: one line without control characters,
lengths, the vocabularies), every problem of the bundle listed at once (422). Permissions,
state rules and audit come from the clinical use cases the import then calls
(:mod:`plexms.services.sharing._fhir_write`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import StringConstraints, TypeAdapter, ValidationError

from plexms.core.vocabulary import (
    ANTICOAGULANTS,
    PRESENTATIONS,
    REPLACEMENT_FLUIDS,
    VASCULAR_ACCESS,
)
from plexms.interop.fhir_import import BundleRejected
from plexms.interop.fhir_in.drafts import FluidDraft, ImportPlan, RowDraft
from plexms.services.schemas.common import Name, ShortText, SingleLineText, Text
from plexms.services.schemas.patient import Email, Mrn, Phone

__all__ = ["check_plan"]

#: A rule version is a code (``prescription/1``, ``edss/1``, ``fhir-import``), never text.
_RuleVersion = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/:+-]{0,63}$")]
_FIELD_TYPES: dict[str, Any] = {
    "mrn": Mrn,
    "family_name": Name,
    "given_name": Name,
    "phone": Phone,
    "email": Email,
    "referring_neurologist": ShortText,
    "title": Annotated[SingleLineText, StringConstraints(min_length=1, max_length=200)],
    "rule_version": _RuleVersion,
    "precheck_rule_version": _RuleVersion,
    "notes": Text,
    "plan": Text,
    "action": Text,
    "outcome": Text,
}
_ADAPTERS = {name: TypeAdapter(kind) for name, kind in _FIELD_TYPES.items()}
_DEFAULT = TypeAdapter(ShortText)
_OPTIONAL = frozenset({"given_name", "phone", "email", "rule_version", "precheck_rule_version"})
_VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("session", "vascular_access"): ("", *VASCULAR_ACCESS.values),
    ("session", "anticoagulant"): ("", *ANTICOAGULANTS.values),
    ("course", "replacement_fluid"): REPLACEMENT_FLUIDS.values,
    ("course", "indication"): PRESENTATIONS.values,
}


def _text_problems(index: int, kind: str, fields: Mapping[str, Any]) -> list[dict[str, str]]:
    problems = []
    for name, value in fields.items():
        if not isinstance(value, str):
            continue
        where = f"entry[{index}].resource({name})"
        allowed_values = _VOCABULARIES.get((kind, name))
        if allowed_values is not None and value not in allowed_values:
            message = f"{value[:40]!r} is not one of {', '.join(v for v in allowed_values if v)}"
            problems.append({"path": where, "message": message})
            continue
        if value == "" and (name in _OPTIONAL or name not in _FIELD_TYPES):
            continue
        try:
            _ADAPTERS.get(name, _DEFAULT).validate_python(value)
        except ValidationError as exc:
            problems.append({"path": where, "message": f"{name}: {exc.errors()[0]['msg']}"})
    return problems


def check_plan(plan: ImportPlan) -> None:
    """:class:`BundleRejected` listing every text that the direct routes would refuse."""
    problems = _text_problems(plan.patient.index, "patient", plan.patient.fields)
    for step in plan.steps:
        if isinstance(step, RowDraft):
            problems += _text_problems(step.index, step.kind, {**step.key, **step.values})
        elif isinstance(step, FluidDraft):  # another system's names are kept as given
            problems += _text_problems(step.index, "fluid", {"medication": step.medication})
    if problems:
        raise BundleRejected(problems)
