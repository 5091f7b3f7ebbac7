"""The FHIR resources of a TPE course: CarePlan (the course, the DMT hand-back), Procedure
(each exchange, volumes as extensions), MedicationAdministration (fluids and calcium gluconate
given during an exchange), AdverseEvent and DocumentReference."""

from __future__ import annotations

import base64
from typing import Any

from plexms.core.record import AdverseEvent, Course, Document, ExchangeSession, HandBack
from plexms.interop.codes import concept
from plexms.interop.fhir_out.build import Builder, ext, iso, json_ext, ml, note, num, quantity

__all__ = [
    "DEVICE_TYPES",
    "MEDICATION_TEXTS",
    "add_adverse_event",
    "add_course",
    "add_document",
    "add_hand_back",
    "add_session",
]

_COURSE_STATUS = {
    "planned": "draft",
    "active": "active",
    "completed": "completed",
    "closed": "completed",
}
_COURSE_STATUS_OTHER = "revoked"  # stopped
_SESSION_STATUS = {"done": "completed", "planned": "preparation"}
_SESSION_STATUS_OTHER = "not-done"  # held, cancelled
_AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
_AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"


def add_course(b: Builder, c: Course) -> None:
    b.add(
        "course",
        c.id,
        {
            "resourceType": "CarePlan",
            "status": _COURSE_STATUS.get(c.status, _COURSE_STATUS_OTHER),
            "intent": "plan",
            "title": "Therapeutic plasma exchange course",
            "category": [{"text": "tpe-course"}],
            "subject": b.subject,
            "period": {"start": iso(c.start_date), "end": iso(c.completed_on)},
            "addresses": [b.ref("episode", c.episode_id)],
            "note": note(c.notes),
            "activity": [
                {
                    "detail": {
                        "kind": "ServiceRequest",
                        "code": concept("plasma_exchange"),
                        "status": "completed"
                        if c.status in ("completed", "closed")
                        else "scheduled",
                        "scheduledTiming": {"repeat": {"count": c.planned_exchanges}},
                        "productCodeableConcept": concept(c.replacement_fluid),
                    }
                }
            ],
            "extension": [
                ext("course-status", "String", c.status),
                ext("indication", "String", c.indication),
                ext("stop-reason", "String", c.stop_reason),
                ext("plasma-volumes-per-exchange", "Decimal", num(c.plasma_volumes_per_exchange)),
                ext("replacement-fluid", "String", c.replacement_fluid),
                ext("started-on", "Date", iso(c.started_on)),
                json_ext("prescription", c.prescription),
                json_ext("inputs", c.inputs),
                ext("rule-version", "String", c.rule_version),
            ],
        },
    )


def add_session(b: Builder, s: ExchangeSession) -> None:
    start, end = (s.actual_start, s.actual_end) if s.actual_start else (None, None)
    b.add(
        "session",
        s.id,
        {
            "resourceType": "Procedure",
            "status": _SESSION_STATUS.get(s.status, _SESSION_STATUS_OTHER),
            "code": concept("plasma_exchange"),
            "subject": b.subject,
            "basedOn": [b.ref("course", s.course_id)],
            "performedPeriod": {"start": iso(start), "end": iso(end)},
            "performer": [{"actor": {"display": s.operator}}] if s.operator else [],
            "note": note(s.notes),
            **_used(s.lots or []),
            "extension": [
                ext("session-status", "String", s.status),
                ext("sequence", "Integer", s.sequence),
                ext(
                    "planned", "Period", {"start": iso(s.planned_start), "end": iso(s.planned_end)}
                ),
                ml("planned-plasma-volume", s.planned_plasma_volume_ml),
                ml("plasma-removed", s.plasma_removed_ml),
                ml("whole-blood-processed", s.whole_blood_processed_ml),
                ext("anticoagulant", "String", s.anticoagulant),
                ml("anticoagulant-volume", s.anticoagulant_ml),
                ext("vascular-access", "String", s.vascular_access),
                ext("go-decision", "String", s.go_decision),
                ext("signed-off", "DateTime", iso(s.signed_off_at)),
                json_ext("vitals", s.vitals),
                json_ext("precheck-inputs", s.precheck_inputs),
                json_ext("precheck-result", s.precheck_result),
                ext("precheck-rule-version", "String", s.precheck_rule_version),
            ],
        },
    )
    when = iso(s.actual_start or s.planned_start)
    fluids = [f for f in s.replacement_fluids or [] if isinstance(f, dict)]
    for index, fluid in enumerate(fluids):
        _administration(b, s, f"{s.id}/fluid/{index}", str(fluid.get("fluid", "")), fluid, when)
    if s.calcium_gluconate_ml is not None:
        calcium = {"volume_ml": s.calcium_gluconate_ml}
        _administration(b, s, f"{s.id}/calcium", "calcium_gluconate", calcium, when)


#: The type text of the Device of each lot kind that is a device (issue 17).
DEVICE_TYPES = {"machine": "Apheresis machine", "tubing_set": "Plasma exchange tubing set"}
#: The code text of the Medication of each lot kind that is a medicine (issue 17).
MEDICATION_TEXTS = {
    "albumin": "Albumin human solution",
    "acd_a": "ACD-A (acid citrate dextrose, solution A)",
    "saline": "Sodium chloride 0.9% solution",
    "calcium": "Calcium gluconate 10% solution",
}


def _device(index: int, item: dict[str, Any]) -> dict[str, Any]:
    udi = {"deviceIdentifier": item.get("gtin"), "issuer": "http://hl7.org/fhir/NamingSystem/gs1"}
    return {
        "resourceType": "Device",
        "id": f"device-{index}",
        "type": {"text": DEVICE_TYPES[item["kind"]]},
        "serialNumber": item.get("serial"),
        "lotNumber": item.get("lot"),
        "expirationDate": item.get("expiry"),
        "udiCarrier": [udi] if item.get("gtin") else [],
    }


def _medication(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": f"medication-{index}",
        "code": {"text": MEDICATION_TEXTS.get(item["kind"], item["kind"])},
        "identifier": (
            [{"system": "https://gs1.org/gtin", "value": item["gtin"]}] if item.get("gtin") else []
        ),
        "batch": {"lotNumber": item.get("lot"), "expirationDate": item.get("expiry")},
    }


def _used(lots: list[Any]) -> dict[str, Any]:
    """The lots and serials of an exchange (issue 17): each machine and tubing set a contained
    Device (serialNumber, lotNumber, UDI), the manipulated device of ``focalDevice``; each
    albumin, ACD-A, saline and calcium lot a contained Medication with its ``batch``, in
    ``usedReference``. Contained, so a bundle holds no Device or Medication of its own."""
    contained: list[dict[str, Any]] = []
    focal: list[dict[str, Any]] = []
    used: list[dict[str, Any]] = []
    for index, item in enumerate(i for i in lots if isinstance(i, dict)):
        if item.get("kind") in DEVICE_TYPES:
            device = _device(index, item)
            contained.append(device)
            ref = {"reference": f"#{device['id']}", "display": device["type"]["text"]}
            focal.append({"action": {"text": "used"}, "manipulated": ref})
            used.append(ref)
        else:
            medication = _medication(index, item)
            contained.append(medication)
            used.append(
                {"reference": f"#{medication['id']}", "display": medication["code"]["text"]}
            )
    return {"contained": contained, "focalDevice": focal, "usedReference": used}


def _administration(
    b: Builder, s: ExchangeSession, row_id: str, key: str, item: dict[str, Any], when: str | None
) -> None:
    volume = item.get("volume_ml")
    b.add(
        "administration",
        row_id,
        {
            "resourceType": "MedicationAdministration",
            "status": "completed" if s.status == "done" else "not-done",
            "medicationCodeableConcept": concept(key, key or "replacement fluid"),
            "subject": b.subject,
            "partOf": [b.ref("session", s.id)],
            "effectiveDateTime": when,
            "dosage": {"dose": quantity(volume, "mL")} if volume is not None else None,
        },
    )


def add_adverse_event(b: Builder, e: AdverseEvent) -> None:
    severity = "severe" if e.severity == "death" else e.severity
    b.add(
        "adverse_event",
        e.id,
        {
            "resourceType": "AdverseEvent",
            "actuality": "actual",
            "event": {"text": e.event_type},
            "subject": b.subject,
            "date": iso(e.onset_at),
            "severity": {"coding": [{"system": _AE_SEVERITY, "code": severity}]},
            "outcome": (
                {"coding": [{"system": _AE_OUTCOME, "code": "fatal"}]}
                if e.severity == "death"
                else None
            ),
            "suspectEntity": (
                [{"instance": b.ref("session", e.session_id)}] if e.session_id else []
            ),
            "extension": [
                ext("waa-severity", "String", e.severity),
                ext("course", "Reference", b.ref("course", e.course_id)),
                ext("procedure-interrupted", "Boolean", e.procedure_interrupted),
                ext("action", "String", e.action),
                ext("outcome-text", "String", e.outcome),
                ext("notes", "String", e.notes),
            ],
        },
    )


def add_hand_back(b: Builder, h: HandBack) -> None:
    b.add(
        "hand_back",
        h.id,
        {
            "resourceType": "CarePlan",
            "status": "completed" if h.sent_at else "active",
            "intent": "plan",
            "title": "Hand-back to the referring neurologist",
            "category": [{"text": "dmt-hand-back"}],
            "subject": b.subject,
            "partOf": [b.ref("course", h.course_id)],
            "description": h.plan,
            "activity": [
                {
                    "detail": {
                        "kind": "MedicationRequest",
                        "status": "scheduled",
                        "productCodeableConcept": {"text": h.planned_dmt},
                        "scheduledPeriod": {"start": iso(h.earliest_dose_date)},
                    }
                }
            ]
            if h.planned_dmt
            else [],
            "extension": [
                ext("sent", "DateTime", iso(h.sent_at)),
                json_ext("inputs", h.inputs),
                json_ext("result", h.result),
                ext("rule-version", "String", h.rule_version),
            ],
        },
    )


def add_document(b: Builder, d: Document) -> None:
    b.add(
        "document",
        d.id,
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": {"text": d.kind},
            "subject": b.subject,
            "date": iso(d.created_at),
            "description": d.title,
            "content": [
                {
                    "attachment": {
                        "contentType": d.media_type,
                        "data": base64.b64encode(d.content).decode("ascii"),
                        "title": d.title,
                        "size": len(d.content),
                    }
                }
            ],
            "context": {"related": [b.ref("course", d.course_id)]},
            "extension": [ext("sha256", "String", d.sha256)],
        },
    )
