"""The rules of the direct routes, applied to a FHIR import (issue 15, item 2).

An import is a front like the API and the web: before anything is written every draft's text
is held to the limits of the route's schema (:mod:`plexms.services.schemas`: one line without
control characters, lengths, the vocabularies), and while writing, each row the import would
create or change needs the permission of the use case that writes that record directly,
a signed-off session cannot change (corrections are addenda), and a document keeps to the
media-type allow-list. Rows the import leaves as they are need nothing: re-importing an
unchanged export is allowed to anyone who may import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import StringConstraints, TypeAdapter, ValidationError

from plexms.core.vocabulary import (
    ANTICOAGULANTS,
    MEASURE_SIDES,
    OUTCOME_MEASURES,
    PRESENTATIONS,
    REPLACEMENT_FLUIDS,
    VASCULAR_ACCESS,
)
from plexms.interop.fhir_import import BundleRejected
from plexms.interop.fhir_in.drafts import FluidDraft, ImportPlan, RowDraft
from plexms.services.clinical.documents import check_document
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict
from plexms.services.permissions import Permission, allowed
from plexms.services.schemas.common import Name, ShortText, SingleLineText, Text
from plexms.services.schemas.patient import Email, Mrn, Phone

__all__ = ["ImportDenied", "RowGuard", "check_plan"]

#: The permission of the direct use case that writes each kind of record.
_PERMISSION: dict[str, Permission] = {
    "patient": Permission.PATIENT_WRITE,
    "measurement": Permission.PATIENT_WRITE,
    "episode": Permission.PATIENT_WRITE,
    "steroid": Permission.PATIENT_WRITE,
    "dmt": Permission.PATIENT_WRITE,
    "course": Permission.COURSE_PLAN,
    "session": Permission.SESSION_RECORD,
    "lab": Permission.SESSION_RECORD,
    "adverse_event": Permission.SESSION_RECORD,
    "outcome": Permission.OUTCOME_RECORD,
    "outcome_measure": Permission.OUTCOME_RECORD,
    "hand_back": Permission.HANDBACK_WRITE,
    "document": Permission.DOCUMENT_WRITE,
}
#: Course columns the course-status route (``COURSE_MANAGE``) may change; any other needs
#: ``COURSE_PLAN`` like planning the course does.
_COURSE_STATUS_COLUMNS = frozenset({"status", "stop_reason", "started_on", "completed_on"})

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
    ("outcome_measure", "measure"): OUTCOME_MEASURES.values,
    ("outcome_measure", "side"): MEASURE_SIDES.values,
}


class ImportDenied(Exception):
    """The actor may not write a ``kind`` record (needs ``permission``)."""

    def __init__(self, kind: str, permission: Permission) -> None:
        super().__init__(kind)
        self.kind = kind
        self.permission = permission


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


class RowGuard:
    """Checked by the writer for each row it is about to create or change."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.role = "system" if ctx.actor is None else ctx.actor.role

    def check(self, kind: str, row: Any, changed: Iterable[str]) -> None:
        """``row`` (None when created) may get ``changed`` columns, or raise."""
        changed = set(changed)
        permission = _PERMISSION.get(kind, Permission.PATIENT_WRITE)
        if kind == "course" and row is not None and changed <= _COURSE_STATUS_COLUMNS:
            permission = Permission.COURSE_MANAGE
        if not allowed(self.role, permission):
            raise ImportDenied(kind, permission)
        if kind == "session" and row is not None and row.signed_off_at is not None:
            raise Conflict(
                f"exchange {row.sequence} is signed off and cannot change "
                f"({', '.join(sorted(changed))}); corrections are addenda",
                field="Procedure",
            )

    def document(self, media_type: str, content: bytes) -> None:
        """The allow-list and byte sniffing of a direct upload."""
        check_document(media_type, content)
