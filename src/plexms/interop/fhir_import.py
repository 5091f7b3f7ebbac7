"""Read a FHIR R4 Bundle (ours or a referring hospital's) into a patient's record.

All or nothing: the bundle is parsed and validated (``fhir.resources`` R4B models), every
resource is mapped and checked, and only when no problem was found is anything written, inside
the caller's transaction. A malformed or unsupported bundle raises :class:`BundleRejected`
listing every problem with its place (``entry[3].resource.valueQuantity.code``).

Matching: the patient by identifier (the one typed ``MR``, else the first) within the centre;
the other rows by their natural key (episode: onset date and presentation; lab: analyte and
time; session: course and sequence; ...), so importing the same bundle twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from plexms.interop.fhir_in.course import CourseMixin
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

__all__ = ["SUPPORTED", "BundleRejected", "ImportSummary", "import_bundle", "parse_bundle"]


class _Importer(PatientMixin, CourseMixin, ObservationMixin, EventMixin):
    """Plans every resource (collecting problems, writing nothing), then writes it all."""

    # -- planning: read everything, collect problems, write nothing ------------------------

    def run(self) -> ImportSummary:
        patients = [r for r in self.resources if r.kind == "Patient"]
        if len(patients) != 1:
            self.problems.append(
                {"path": "entry", "message": f"needs exactly one Patient (found {len(patients)})"}
            )
            raise BundleRejected(self.problems)
        self.patient_res = patients[0]
        self.patient_fields = self._patient_fields(self.patient_res)
        order = (
            "Condition",
            "CarePlan",
            "Procedure",
            "MedicationAdministration",
            "Observation",
            "MedicationStatement",
            "AdverseEvent",
            "DocumentReference",
        )
        plans: list[tuple[Res, Callable[[Res], Callable[[], None] | None]]] = []
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
        for kind in order:
            for res in self.resources:
                if res.kind == kind:
                    plans.append((res, handlers[kind]))
        steps = [(res, handler(res)) for res, handler in plans]
        if self.problems:
            raise BundleRejected(self.problems)
        # -- writing: only now, in the caller's transaction ---------------------------------
        self.patient = self._upsert_patient()
        for _res, step in steps:
            if step is not None:
                step()
        self.s.flush()
        assert self.summary is not None  # noqa: S101 - set by _upsert_patient
        return self.summary


def import_bundle(
    session: Session,
    data: bytes | str | dict[str, Any],
    *,
    centre_id: int,
    actor: str,
    now: dt.datetime,
) -> ImportSummary:
    """Import ``data`` into centre ``centre_id`` in ``session``'s transaction (all or nothing)."""
    bundle = parse_bundle(data)
    return _Importer(session, bundle, centre_id, actor, now).run()
