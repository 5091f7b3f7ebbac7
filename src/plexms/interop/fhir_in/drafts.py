"""What an import will write, as plain values: the planner (:mod:`plexms.interop.fhir_import`)
builds an :class:`ImportPlan` from a bundle without touching the database, and the service
writes it (``plexms.services.sharing._fhir_write``) in its transaction.

Rows refer to each other by the bundle entry they come from (``Link``): the writer fills in
the id of the row that entry became, once that row is written (the plan is in write order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["AcuityDraft", "FluidDraft", "ImportPlan", "Link", "PatientDraft", "RowDraft", "Step"]


@dataclass(frozen=True)
class Link:
    """Column ``column`` (of the key when ``in_key``) takes the first value found among
    ``sources``: ``(entry index, attribute)`` of the rows those entries became (else None)."""

    column: str
    sources: tuple[tuple[int, str], ...]
    in_key: bool = False


@dataclass(frozen=True)
class PatientDraft:
    """The patient, matched by MRN within the centre."""

    index: int
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RowDraft:
    """One row of the patient's ``table``, matched by ``key`` among its live rows: created
    when none matches, else updated where ``values`` differ; counted as ``kind``."""

    index: int
    table: str
    kind: str
    key: Mapping[str, Any]
    values: Mapping[str, Any]
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class FluidDraft:
    """A fluid (or calcium gluconate) given during the exchange of entry ``session_index``."""

    index: int
    session_index: int
    medication: str | None
    volume_ml: float | None


@dataclass(frozen=True)
class AcuityDraft:
    """One eye's visual acuity, set on the outcome visit of entry ``parent_index`` (else the
    patient's visit of that day, else a new visit)."""

    index: int
    parent_index: int | None
    assessed_on: dt.date | None
    column: str
    logmar: float


Step = RowDraft | FluidDraft | AcuityDraft


@dataclass(frozen=True)
class ImportPlan:
    """The patient, then every other row in write order."""

    patient: PatientDraft
    steps: tuple[Step, ...]
