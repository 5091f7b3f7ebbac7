"""A patient's record as a FHIR R4 Bundle (``collection``, or ``transaction`` for a server).

Resources: Patient, Condition (MS; each relapse/episode), Observation (height, weight,
haematocrit, labs with UCUM units, EDSS with FS components, visual acuity per eye),
MedicationStatement (steroid courses, DMTs), CarePlan (the TPE course; the DMT hand-back),
Procedure (each exchange, volumes as extensions), MedicationAdministration (replacement
fluids and calcium gluconate per exchange), AdverseEvent and DocumentReference.

Every resource carries an identifier ``urn:plexms:id:<kind>`` / ``<centre code>-<row id>`` so
that a FHIR server can update it in place (conditional PUT) and our importer can route it.
Codes come from :mod:`plexms.interop.codes` only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from plexms.core.record import PatientRecord
from plexms.interop.fhir_out.build import (
    FS_KEYS,
    ID_SYSTEM,
    MRN_TYPE,
    NAMESPACE,
    Builder,
    ext_url,
    first_identifier,
)
from plexms.interop.fhir_out.clinical import (
    add_dmt,
    add_episode,
    add_lab,
    add_measure,
    add_measurements,
    add_outcome,
    add_patient,
    add_steroid,
)
from plexms.interop.fhir_out.course import (
    add_adverse_event,
    add_course,
    add_document,
    add_hand_back,
    add_session,
)

__all__ = [
    "FS_KEYS",
    "ID_SYSTEM",
    "MRN_TYPE",
    "ext_url",
    "first_identifier",
    "patient_bundle",
]


def patient_bundle(
    record: PatientRecord, *, bundle_type: str = "collection", now: dt.datetime
) -> dict[str, Any]:
    """The FHIR R4 Bundle of ``record`` (``collection`` or ``transaction``)."""
    if bundle_type not in ("collection", "transaction"):
        raise ValueError(f"bundle_type {bundle_type!r}: allowed collection, transaction")
    b = Builder(record)
    add_patient(b)
    for episode in record.episodes:
        add_episode(b, episode)
    add_measurements(b)
    for steroid in record.steroid_courses:
        add_steroid(b, steroid)
    for dmt in record.dmts:
        add_dmt(b, dmt)
    for course in record.courses:
        add_course(b, course)
    for session in record.sessions:
        add_session(b, session)
    for lab in record.labs:
        add_lab(b, lab)
    for event in record.adverse_events:
        add_adverse_event(b, event)
    for outcome in record.outcomes:
        add_outcome(b, outcome)
    for measure in record.measures:
        add_measure(b, measure)
    for hand_back in record.hand_backs:
        add_hand_back(b, hand_back)
    for document in record.documents:
        add_document(b, document)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, f"{b.code}/bundle/{record.patient.id}")),
        "type": bundle_type,
        "timestamp": now.isoformat(),
        "entry": b.entries,
    }
    if bundle_type == "transaction":
        for entry in b.entries:
            resource = entry["resource"]
            ident = first_identifier(resource)
            entry["request"] = {
                "method": "PUT",
                "url": f"{resource['resourceType']}?identifier={ident['system']}|{ident['value']}",
            }
    return bundle
