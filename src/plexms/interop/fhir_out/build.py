"""The bundle builder of the FHIR export: ids and identifiers of each row, references, the
pruning of empty elements (FHIR forbids them), and the small element makers (extensions,
quantities, notes) the resource mappers of this package use."""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from typing import Any

from plexms.core.record import PatientRecord
from plexms.interop.codes import EXT, UCUM
from plexms.interop.units import UNITS

__all__ = [
    "FS_KEYS",
    "ID_SYSTEM",
    "MRN_TYPE",
    "NAMESPACE",
    "Builder",
    "ext",
    "ext_url",
    "first_identifier",
    "iso",
    "json_ext",
    "ml",
    "note",
    "num",
    "quantity",
]

ID_SYSTEM = "urn:plexms:id:"
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
NAMESPACE = uuid.UUID("6f0f1d8e-6a8b-4c57-9b3e-7d1c2a9e5b11")  # plexms resource-id namespace
FS_KEYS = (
    "visual",
    "brainstem",
    "pyramidal",
    "cerebellar",
    "sensory",
    "bowel_bladder",
    "cerebral",
    "ambulation",
)


def first_identifier(resource: dict[str, Any]) -> dict[str, Any]:
    """The first identifier of a resource (AdverseEvent has one, others a list)."""
    ident = resource.get("identifier") or {}
    if isinstance(ident, list):
        return dict(ident[0]) if ident else {}
    return dict(ident)


def ext_url(name: str) -> str:
    """The URL of plexms extension ``name``."""
    return f"{EXT}StructureDefinition:{name}"


class Builder:
    """The entries of one patient's bundle, as they are added."""

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self.code = record.centre.code
        self.entries: list[dict[str, Any]] = []

    def full_url(self, kind: str, row_id: int | str) -> str:
        return _full_url(self.code, kind, row_id)

    def ref(self, kind: str, row_id: int | str | None) -> dict[str, str] | None:
        return None if row_id is None else {"reference": self.full_url(kind, row_id)}

    def identifier(self, kind: str, row_id: int | str) -> list[dict[str, str]]:
        return [{"system": f"{ID_SYSTEM}{kind}", "value": f"{self.code}-{row_id}"}]

    def add(self, kind: str, row_id: int | str, resource: dict[str, Any]) -> None:
        full_url = self.full_url(kind, row_id)
        resource["id"] = full_url.removeprefix("urn:uuid:")
        if kind != "patient":
            ident = self.identifier(kind, row_id)
            # AdverseEvent.identifier is 0..1 in R4; everywhere else a list.
            single = resource["resourceType"] == "AdverseEvent"
            resource.setdefault("identifier", ident[0] if single else ident)
        self.entries.append({"fullUrl": full_url, "resource": _prune(resource)})

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": self.full_url("patient", self.record.patient.id)}


@functools.lru_cache(maxsize=65536)
def _full_url(code: str, kind: str, row_id: int | str) -> str:
    # uuid5 (SHA-1) dominated the export profile: the same ids recur in every reference.
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{code}/{kind}/{row_id}')}"


def _prune(value: Any) -> Any:
    """Drop ``None``, empty strings, lists and dicts (FHIR forbids empty elements).

    One pass that recurses only into containers; this runs for every element of every
    resource, so it tests ``type() is`` rather than ``isinstance`` (plain JSON values only).
    """
    kind = type(value)
    if kind is dict or kind is _Pruned:
        return _prune_dict(value)
    if kind is list:
        return _prune_list(value)
    return value


def _prune_dict(value: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, item in value.items():
        kind = type(item)
        if kind is _Pruned:
            out[key] = item
            continue
        if kind is dict:
            item = _prune_dict(item)
        elif kind is list:
            item = _prune_list(item)
        elif item is None or item == "":
            continue
        else:
            out[key] = item
            continue
        if item:
            out[key] = item
    return out


def _prune_list(value: list[Any]) -> list[Any]:
    kept = []
    for item in value:
        kind = type(item)
        if kind is _Pruned:
            kept.append(item)
            continue
        if kind is dict:
            item = _prune_dict(item)
        elif kind is list:
            item = _prune_list(item)
        elif item is None or item == "":
            continue
        else:
            kept.append(item)
            continue
        if item:
            kept.append(item)
    return kept


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


class _Pruned(dict[str, Any]):
    """A dict built with no empty element anywhere inside: :func:`_prune` keeps it as it is.

    Extensions and quantities make up most of a bundle's small dicts; marking them saves the
    pruning pass its most frequent recursion (the export profile's top entry).
    """

    __slots__ = ()


_SCALARS = (str, int, float, bool, _Pruned)


def ext(name: str, kind: str, value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    body = {"url": ext_url(name), f"value{kind}": value}
    return _Pruned(body) if type(value) in _SCALARS else body


def json_ext(name: str, value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return ext(name, "String", json.dumps(value, sort_keys=True, separators=(",", ":")))


def ml(name: str, value: float | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return ext(name, "Quantity", quantity(value, "mL"))


def quantity(value: float, unit: str) -> dict[str, Any]:
    known = UNITS.get(unit)
    body: dict[str, Any] = {"value": num(value), "unit": known.label if known else unit}
    if known is not None:
        body |= {"system": UCUM, "code": unit}
    return _Pruned(body) if unit else body


def num(value: float) -> float | int:
    rounded = round(float(value), 10)
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def note(text: str) -> list[dict[str, str]]:
    return [{"text": text}] if text else []
