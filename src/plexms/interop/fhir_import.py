"""Read a FHIR R4 Bundle (ours or a referring hospital's) into a plan of a patient's record.

All or nothing: the bundle is parsed and validated (``fhir.resources`` R4B models), every
resource is mapped and checked, and only when no problem was found is an :class:`ImportPlan`
returned (plain drafts, :mod:`plexms.interop.fhir_in.drafts`); the service writes it in its
transaction (``plexms.services.sharing._fhir_write``). A malformed or unsupported bundle raises
:class:`BundleRejected` listing every problem with its place
(``entry[3].resource.valueQuantity.code``).

Matching (by the writer): the patient by identifier (the one typed ``MR``, else the first)
within the centre; the other rows by their natural key (episode: onset date and presentation;
lab: analyte and time; session: course and sequence; ...), so importing the same bundle twice
changes nothing.
"""

from __future__ import annotations

from typing import Any

from plexms.interop.fhir_in.course import CourseMixin
from plexms.interop.fhir_in.drafts import ImportPlan, Step
from plexms.interop.fhir_in.events import EventMixin
from plexms.interop.fhir_in.observation import ObservationMixin
from plexms.interop.fhir_in.patient import PatientMixin
from plexms.interop.fhir_in.reading import (
    SUPPORTED,
    BundleRejected,
    ImportSummary,
    Res,
    parse_bundle,
)

__all__ = [
    "SUPPORTED",
    "BundleRejected",
    "ImportPlan",
    "ImportSummary",
    "parse_bundle",
    "plan_import",
]

_ORDER = (  # the write order: a row's links point at rows of earlier kinds
    "Condition",
    "CarePlan",
    "Procedure",
    "MedicationAdministration",
    "Observation",
    "MedicationStatement",
    "AdverseEvent",
    "DocumentReference",
)


class _Importer(PatientMixin, CourseMixin, ObservationMixin, EventMixin):
    """Plans every resource, collecting problems; writes nothing."""

    def run(self) -> ImportPlan:
        patients = [r for r in self.resources if r.kind == "Patient"]
        if len(patients) != 1:
            self.problems.append(
                {"path": "entry", "message": f"needs exactly one Patient (found {len(patients)})"}
            )
            raise BundleRejected(self.problems)
        self.patient_res = patients[0]
        self.patient_fields = self._patient_fields(self.patient_res)
        handlers = {
            "Condition": self._condition,
            "CarePlan": self._careplan,
            "Procedure": self._procedure,
            "MedicationAdministration": self._administration,
            "Observation": self._observation,
            "MedicationStatement": self._statement,
            "AdverseEvent": self._adverse_event,
            "DocumentReference": self._document,
        }
        plans: list[tuple[Res, Any]] = [
            (res, handlers[kind]) for kind in _ORDER for res in self.resources if res.kind == kind
        ]
        steps: list[Step | None] = [handler(res) for res, handler in plans]
        if self.problems:
            raise BundleRejected(self.problems)
        return ImportPlan(self._patient_draft(), tuple(s for s in steps if s is not None))


def plan_import(data: bytes | str | dict[str, Any], *, actor: str) -> ImportPlan:
    """What importing ``data`` writes (``actor`` is the assessor of visits naming none);
    :class:`BundleRejected` listing every problem when anything is wrong."""
    return _Importer(parse_bundle(data), actor).run()
