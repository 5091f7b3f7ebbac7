"""Reading a FHIR Bundle: parsing and R4B validation, problems with their place, and the
per-resource accessors (:class:`Res`) the importer's mixins use."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from plexms.core.errors import InputError
from plexms.interop.fhir_export import ID_SYSTEM, ext_url, first_identifier
from plexms.interop.units import QUANTITIES, to_canonical

__all__ = [
    "SUPPORTED",
    "BundleRejected",
    "ImportSummary",
    "Res",
    "note_text",
    "parse_bundle",
    "text_of",
]


SUPPORTED = (
    "AdverseEvent",
    "CarePlan",
    "Condition",
    "DocumentReference",
    "MedicationAdministration",
    "MedicationStatement",
    "Observation",
    "Patient",
    "Procedure",
)
_BUNDLE_TYPES = ("collection", "transaction", "searchset", "batch")
#: Deepest nesting of JSON arrays and objects a bundle may have: our own exports reach 9;
#: deeper input is refused before the R4B models (recursive) see it.
MAX_DEPTH = 32


class BundleRejected(InputError):
    """The bundle was not imported; ``problems`` says what and where."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first["path"], first["message"] + more)

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["problems"] = self.problems
        return body


@dataclass
class ImportSummary:
    """What an import did: the patient and how many rows were created or updated, by kind."""

    patient_id: int
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"patient_id": self.patient_id, "created": self.created, "updated": self.updated}


def parse_bundle(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The bundle as a dict, checked against the FHIR R4B models; :class:`BundleRejected` if not."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BundleRejected([{"path": "$", "message": f"not JSON: {exc}"}]) from None
        except RecursionError:
            raise BundleRejected([{"path": "$", "message": _TOO_DEEP}]) from None
    if _depth(data) > MAX_DEPTH:
        raise BundleRejected([{"path": "$", "message": _TOO_DEEP}])
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleRejected([{"path": "resourceType", "message": "must be 'Bundle'"}])
    if data.get("type") not in _BUNDLE_TYPES:
        message = f"bundle type {data.get('type')!r} is not supported"
        raise BundleRejected(
            [{"path": "type", "message": message + f" ({', '.join(_BUNDLE_TYPES)})"}]
        )
    problems = []
    for index, entry in enumerate(data.get("entry") or []):
        kind = (
            (entry.get("resource") or {}).get("resourceType") if isinstance(entry, dict) else None
        )
        if kind not in SUPPORTED:
            problems.append(
                {
                    "path": f"entry[{index}].resource.resourceType",
                    "message": f"{kind!r} is not supported (supported: {', '.join(SUPPORTED)})",
                }
            )
    if problems:
        raise BundleRejected(problems)
    from fhir.resources.R4B.bundle import Bundle  # heavy import: only when a bundle arrives

    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleRejected(
            [
                {"path": _path(err["loc"]), "message": err["msg"]}
                for err in exc.errors(include_url=False)
            ]
        ) from None
    return data


_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


def _depth(data: Any) -> int:
    """How deeply ``data``'s lists and dicts nest (iterative: no recursion on hostile input);
    stops counting past :data:`MAX_DEPTH`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return depth
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return deepest


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "root":
            out += f".{part}" if out else str(part)
    return out or "$"


# --- reading resources ------------------------------------------------------------------------


class _Problems(Exception):
    pass


class Res:
    """One entry's resource with the helpers that record problems at their path."""

    def __init__(self, index: int, body: dict[str, Any], problems: list[dict[str, str]]) -> None:
        self.index = index
        self.body = body
        self.kind = body["resourceType"]
        self.problems = problems

    def where(self, path: str) -> str:
        return f"entry[{self.index}].resource.{path}"

    def fail(self, path: str, message: str) -> None:
        self.problems.append({"path": self.where(path), "message": message})

    def ext(self, name: str, kind: str, default: Any = None) -> Any:
        for item in self.body.get("extension") or []:
            if item.get("url") == ext_url(name):
                return item.get(f"value{kind}", default)
        return default

    def json_ext(self, name: str) -> Any:
        text = self.ext(name, "String")
        if text is None:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            self.fail(f"extension({name})", "is not JSON")
            return None

    def date(self, path: str, value: Any, *, required: bool = False) -> dt.date | None:
        if not value:
            if required:
                self.fail(path, "is required")
            return None
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            self.fail(path, f"{value!r} is not a full date (YYYY-MM-DD)")
            return None

    def datetime(self, path: str, value: Any, *, required: bool = False) -> dt.datetime | None:
        if not value:
            if required:
                self.fail(path, "is required")
            return None
        text = str(value)
        try:
            if len(text) == 10:
                parsed = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
            else:
                parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(path, f"{value!r} is not a date-time")
            return None
        if parsed.tzinfo is None:
            self.fail(path, f"{value!r} has no time zone")
            return None
        return parsed.astimezone(dt.UTC)

    def kind_of(self) -> str | None:
        ident = first_identifier(self.body)
        system = str(ident.get("system", ""))
        return system.removeprefix(ID_SYSTEM) if system.startswith(ID_SYSTEM) else None

    def ml(self, name: str) -> float | None:
        quantity = self.ext(name, "Quantity")
        if quantity is None:
            return None
        return self.quantity(f"extension({name}).valueQuantity", quantity, "volume")

    def quantity(self, path: str, value: dict[str, Any] | None, quantity: str) -> float | None:
        if not value or value.get("value") is None:
            self.fail(path, "a value with a unit is required")
            return None
        unit = value.get("code") if value.get("system") == "http://unitsofmeasure.org" else None
        if unit is None:
            allowed = ", ".join(QUANTITIES[quantity].allowed)
            self.fail(path + ".code", f"needs a UCUM unit code (allowed: {allowed})")
            return None
        try:
            return to_canonical(float(value["value"]), unit, quantity)
        except InputError as exc:
            self.fail(path + ".code", f"{exc.message} (allowed: {exc.allowed})")
            return None


def text_of(concept_value: dict[str, Any] | None) -> str:
    if not concept_value:
        return ""
    if concept_value.get("text"):
        return str(concept_value["text"])
    for coding in concept_value.get("coding") or []:
        if coding.get("display"):
            return str(coding["display"])
    return ""


def note_text(body: dict[str, Any]) -> str:
    return "\n".join(n.get("text", "") for n in body.get("note") or [] if n.get("text"))
