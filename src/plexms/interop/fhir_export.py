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

import base64
import datetime as dt
import functools
import json
import uuid
from typing import Any

from plexms.core.record import (
    AdverseEvent,
    Course,
    DmtHistory,
    Document,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    OutcomeAssessment,
    PatientRecord,
    SteroidCourse,
)
from plexms.interop.codes import EXT, UCUM, concept
from plexms.interop.units import UNITS, from_canonical

__all__ = [
    "FS_KEYS",
    "ID_SYSTEM",
    "MRN_TYPE",
    "ext_url",
    "first_identifier",
    "patient_bundle",
]

ID_SYSTEM = "urn:plexms:id:"
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
_NS = uuid.UUID("6f0f1d8e-6a8b-4c57-9b3e-7d1c2a9e5b11")  # plexms resource-id namespace
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
_COURSE_STATUS = {"planned": "draft", "active": "active", "completed": "completed"}
_COURSE_STATUS_OTHER = "revoked"  # stopped
_SESSION_STATUS = {"done": "completed", "planned": "preparation"}
_SESSION_STATUS_OTHER = "not-done"  # held, cancelled
_OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
_AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"


def first_identifier(resource: dict[str, Any]) -> dict[str, Any]:
    """The first identifier of a resource (AdverseEvent has one, others a list)."""
    ident = resource.get("identifier") or {}
    if isinstance(ident, list):
        return dict(ident[0]) if ident else {}
    return dict(ident)


def ext_url(name: str) -> str:
    """The URL of plexms extension ``name``."""
    return f"{EXT}StructureDefinition:{name}"


class _Builder:
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
    return f"urn:uuid:{uuid.uuid5(_NS, f'{code}/{kind}/{row_id}')}"


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


def _dt(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


class _Pruned(dict[str, Any]):
    """A dict built with no empty element anywhere inside: :func:`_prune` keeps it as it is.

    Extensions and quantities make up most of a bundle's small dicts; marking them saves the
    pruning pass its most frequent recursion (the export profile's top entry).
    """

    __slots__ = ()


_SCALARS = (str, int, float, bool, _Pruned)


def _ext(name: str, kind: str, value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    body = {"url": ext_url(name), f"value{kind}": value}
    return _Pruned(body) if type(value) in _SCALARS else body


def _json_ext(name: str, value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return _ext(name, "String", json.dumps(value, sort_keys=True, separators=(",", ":")))


def _ml(name: str, value: float | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return _ext(name, "Quantity", _quantity(value, "mL"))


def _quantity(value: float, unit: str) -> dict[str, Any]:
    known = UNITS.get(unit)
    body: dict[str, Any] = {"value": _num(value), "unit": known.label if known else unit}
    if known is not None:
        body |= {"system": UCUM, "code": unit}
    return _Pruned(body) if unit else body


def _num(value: float) -> float | int:
    rounded = round(float(value), 10)
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def _note(text: str) -> list[dict[str, str]]:
    return [{"text": text}] if text else []


def patient_bundle(
    record: PatientRecord, *, bundle_type: str = "collection", now: dt.datetime
) -> dict[str, Any]:
    """The FHIR R4 Bundle of ``record`` (``collection`` or ``transaction``)."""
    if bundle_type not in ("collection", "transaction"):
        raise ValueError(f"bundle_type {bundle_type!r}: allowed collection, transaction")
    b = _Builder(record)
    _patient(b)
    for episode in record.episodes:
        _episode(b, episode)
    _measurements(b)
    for steroid in record.steroid_courses:
        _steroid(b, steroid)
    for dmt in record.dmts:
        _dmt(b, dmt)
    for course in record.courses:
        _course(b, course)
    for session in record.sessions:
        _session(b, session)
    for lab in record.labs:
        _lab(b, lab)
    for event in record.adverse_events:
        _adverse_event(b, event)
    for outcome in record.outcomes:
        _outcome(b, outcome)
    for hand_back in record.hand_backs:
        _hand_back(b, hand_back)
    for document in record.documents:
        _document(b, document)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(_NS, f"{b.code}/bundle/{record.patient.id}")),
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


def _patient(b: _Builder) -> None:
    p = b.record.patient
    b.add(
        "patient",
        p.id,
        {
            "resourceType": "Patient",
            "identifier": [
                {"use": "usual", "type": MRN_TYPE, "system": f"{ID_SYSTEM}mrn:{b.code}"}
                | {"value": p.mrn}
            ],
            "name": [{"family": p.family_name, "given": [p.given_name]}],
            "gender": p.sex,
            "birthDate": _dt(p.birth_date),
            "telecom": [
                {"system": "phone", "value": p.phone} if p.phone else None,
                {"system": "email", "value": p.email} if p.email else None,
            ],
            "extension": [_ext("referring-neurologist", "String", p.referring_neurologist)],
        },
    )
    b.add(
        "ms",
        p.id,
        {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": concept("ms"),
            "subject": b.subject,
            "onsetDateTime": str(p.ms_diagnosis_year) if p.ms_diagnosis_year else None,
            "extension": [_ext("ms-phenotype", "String", p.ms_phenotype)],
        },
    )


def _episode(b: _Builder, e: Episode) -> None:
    b.add(
        "episode",
        e.id,
        {
            "resourceType": "Condition",
            "category": [{"text": "MS acute episode"}],
            "code": concept(e.presentation),
            "subject": b.subject,
            "onsetDateTime": _dt(e.onset_date),
            "note": _note(e.description),
            "extension": [
                _ext("edss-at-onset", "Decimal", e.edss_at_onset),
                _ext("steroid-response", "String", e.steroid_response),
            ],
        },
    )


def _observation(
    b: _Builder, code: dict[str, Any], category: str, when: str | None, **rest: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": _OBS_CATEGORY, "code": category}]}],
        "code": code,
        "subject": b.subject,
        "effectiveDateTime": when,
        **rest,
    }


def _measurements(b: _Builder) -> None:
    for m in b.record.measurements:
        when = _dt(m.measured_at)
        for key, value, unit, category in (
            ("height", m.height_cm, "cm", "vital-signs"),
            ("weight", m.weight_kg, "kg", "vital-signs"),
            ("hematocrit", m.hematocrit, "L/L", "laboratory"),
        ):
            if value is None:
                continue
            shown, shown_unit = value, unit
            if key == "hematocrit":
                shown, shown_unit = from_canonical(value, "hematocrit", "%"), "%"
            b.add(
                "measurement",
                f"{m.id}/{key}",
                _observation(
                    b, concept(key), category, when, valueQuantity=_quantity(shown, shown_unit)
                ),
            )


def _steroid(b: _Builder, s: SteroidCourse) -> None:
    dose = None
    if s.dose_mg_per_day is not None:
        dose = {
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "route": {"text": s.route},
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": _num(s.dose_mg_per_day),
                        "unit": "mg",
                        "system": UCUM,
                        "code": "mg",
                    }
                }
            ],
        }
    b.add(
        "steroid",
        s.id,
        {
            "resourceType": "MedicationStatement",
            "status": "completed" if s.end_date else "active",
            "category": {"text": "corticosteroid"},
            "medicationCodeableConcept": concept(s.drug, s.drug),
            "subject": b.subject,
            "effectivePeriod": {"start": _dt(s.start_date), "end": _dt(s.end_date)},
            "reasonReference": [b.ref("episode", s.episode_id)],
            "dosage": [dose] if dose else [],
            "extension": [
                _ext("steroid-route", "String", s.route),
                _ext("steroid-response", "String", s.response),
            ],
        },
    )


def _dmt(b: _Builder, d: DmtHistory) -> None:
    b.add(
        "dmt",
        d.id,
        {
            "resourceType": "MedicationStatement",
            "status": "stopped" if d.stopped_on else "active",
            "category": {"text": "disease-modifying therapy"},
            "medicationCodeableConcept": {"text": d.drug},
            "subject": b.subject,
            "effectivePeriod": {"start": _dt(d.started_on), "end": _dt(d.stopped_on)},
            "note": _note(d.notes),
            "extension": [_ext("last-dose", "DateTime", _dt(d.last_dose_at))],
        },
    )


def _course(b: _Builder, c: Course) -> None:
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
            "period": {"start": _dt(c.start_date), "end": _dt(c.completed_on)},
            "addresses": [b.ref("episode", c.episode_id)],
            "note": _note(c.notes),
            "activity": [
                {
                    "detail": {
                        "kind": "ServiceRequest",
                        "code": concept("plasma_exchange"),
                        "status": "completed" if c.status == "completed" else "scheduled",
                        "scheduledTiming": {"repeat": {"count": c.planned_exchanges}},
                        "productCodeableConcept": concept(c.replacement_fluid),
                    }
                }
            ],
            "extension": [
                _ext("course-status", "String", c.status),
                _ext("indication", "String", c.indication),
                _ext("stop-reason", "String", c.stop_reason),
                _ext("plasma-volumes-per-exchange", "Decimal", _num(c.plasma_volumes_per_exchange)),
                _ext("replacement-fluid", "String", c.replacement_fluid),
                _ext("started-on", "Date", _dt(c.started_on)),
                _json_ext("prescription", c.prescription),
                _json_ext("inputs", c.inputs),
                _ext("rule-version", "String", c.rule_version),
            ],
        },
    )


def _session(b: _Builder, s: ExchangeSession) -> None:
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
            "performedPeriod": {"start": _dt(start), "end": _dt(end)},
            "performer": [{"actor": {"display": s.operator}}] if s.operator else [],
            "note": _note(s.notes),
            "extension": [
                _ext("session-status", "String", s.status),
                _ext("sequence", "Integer", s.sequence),
                _ext(
                    "planned", "Period", {"start": _dt(s.planned_start), "end": _dt(s.planned_end)}
                ),
                _ml("planned-plasma-volume", s.planned_plasma_volume_ml),
                _ml("plasma-removed", s.plasma_removed_ml),
                _ml("whole-blood-processed", s.whole_blood_processed_ml),
                _ext("anticoagulant", "String", s.anticoagulant),
                _ml("anticoagulant-volume", s.anticoagulant_ml),
                _ext("vascular-access", "String", s.vascular_access),
                _ext("go-decision", "String", s.go_decision),
                _ext("signed-off", "DateTime", _dt(s.signed_off_at)),
                _json_ext("vitals", s.vitals),
                _json_ext("precheck-inputs", s.precheck_inputs),
                _json_ext("precheck-result", s.precheck_result),
                _ext("precheck-rule-version", "String", s.precheck_rule_version),
            ],
        },
    )
    when = _dt(s.actual_start or s.planned_start)
    fluids = [f for f in s.replacement_fluids or [] if isinstance(f, dict)]
    for index, fluid in enumerate(fluids):
        _administration(b, s, f"{s.id}/fluid/{index}", str(fluid.get("fluid", "")), fluid, when)
    if s.calcium_gluconate_ml is not None:
        calcium = {"volume_ml": s.calcium_gluconate_ml}
        _administration(b, s, f"{s.id}/calcium", "calcium_gluconate", calcium, when)


def _administration(
    b: _Builder, s: ExchangeSession, row_id: str, key: str, item: dict[str, Any], when: str | None
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
            "dosage": {"dose": _quantity(volume, "mL")} if volume is not None else None,
        },
    )


def _lab(b: _Builder, lab: LabResult) -> None:
    b.add(
        "lab",
        lab.id,
        _observation(
            b,
            concept(lab.analyte, lab.analyte),
            "laboratory",
            _dt(lab.taken_at),
            valueQuantity=_quantity(lab.value, lab.unit),
            partOf=[b.ref("session", lab.session_id)],
            extension=[_ext("lab-timing", "String", lab.timing)],
        ),
    )


def _adverse_event(b: _Builder, e: AdverseEvent) -> None:
    severity = "severe" if e.severity == "death" else e.severity
    b.add(
        "adverse_event",
        e.id,
        {
            "resourceType": "AdverseEvent",
            "actuality": "actual",
            "event": {"text": e.event_type},
            "subject": b.subject,
            "date": _dt(e.onset_at),
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
                _ext("waa-severity", "String", e.severity),
                _ext("course", "Reference", b.ref("course", e.course_id)),
                _ext("procedure-interrupted", "Boolean", e.procedure_interrupted),
                _ext("action", "String", e.action),
                _ext("outcome-text", "String", e.outcome),
                _ext("notes", "String", e.notes),
            ],
        },
    )


def _outcome(b: _Builder, o: OutcomeAssessment) -> None:
    when = _dt(o.assessed_on)
    raw = o.inputs.get("fs") if isinstance(o.inputs.get("fs"), dict) else o.inputs
    fs: dict[str, Any] = raw if isinstance(raw, dict) else {}
    components = [
        {"code": concept(f"fs_{key}"), "valueInteger": int(fs[key])}
        for key in FS_KEYS
        if isinstance(fs.get(key), int) and not isinstance(fs.get(key), bool)
    ]
    edss: dict[str, Any] = {
        "component": components,
        "extension": [
            _ext("timepoint", "String", o.timepoint),
            _ext("assessed-by", "String", o.assessed_by),
            _ext("targeted-deficit", "String", o.targeted_deficit),
            _ext("course", "Reference", b.ref("course", o.course_id)),
            _json_ext("inputs", o.inputs),
            _json_ext("result", o.result),
            _ext("rule-version", "String", o.rule_version),
        ],
        "note": _note(o.notes),
    }
    if o.edss is None:
        edss["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ]
        }
    else:
        edss["valueQuantity"] = {"value": _num(o.edss), "unit": "{score}", "system": UCUM}
        edss["valueQuantity"]["code"] = "{score}"
    b.add("outcome", o.id, _observation(b, concept("edss"), "exam", when, **edss))
    for eye, value in (("right", o.va_right_logmar), ("left", o.va_left_logmar)):
        if value is None:
            continue
        b.add(
            "outcome",
            f"{o.id}/{eye}",
            _observation(
                b,
                concept("visual_acuity"),
                "exam",
                when,
                bodySite=concept(f"{eye}_eye"),
                valueQuantity={"value": _num(value), "unit": "logMAR"},
                derivedFrom=[b.ref("outcome", o.id)],
            ),
        )


def _hand_back(b: _Builder, h: HandBack) -> None:
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
                        "scheduledPeriod": {"start": _dt(h.earliest_dose_date)},
                    }
                }
            ]
            if h.planned_dmt
            else [],
            "extension": [
                _ext("sent", "DateTime", _dt(h.sent_at)),
                _json_ext("inputs", h.inputs),
                _json_ext("result", h.result),
                _ext("rule-version", "String", h.rule_version),
            ],
        },
    )


def _document(b: _Builder, d: Document) -> None:
    b.add(
        "document",
        d.id,
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": {"text": d.kind},
            "subject": b.subject,
            "date": _dt(d.created_at),
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
            "extension": [_ext("sha256", "String", d.sha256)],
        },
    )
