"""The FHIR resources of a patient's clinical history: Patient, Condition (MS, episodes),
Observation (height, weight, haematocrit, labs, EDSS with FS components, visual acuity, the
outcome measures beyond the EDSS) and MedicationStatement (steroid courses, DMTs)."""

from __future__ import annotations

from typing import Any

from plexms.core.record import (
    DmtHistory,
    Episode,
    LabResult,
    OutcomeAssessment,
    OutcomeMeasure,
    SteroidCourse,
)
from plexms.core.vocabulary import MEASURE_SIDES
from plexms.interop.codes import UCUM, concept, measure_concept
from plexms.interop.fhir_out.build import (
    FS_KEYS,
    ID_SYSTEM,
    MRN_TYPE,
    Builder,
    ext,
    iso,
    json_ext,
    note,
    num,
    quantity,
)
from plexms.interop.units import from_canonical

__all__ = [
    "add_dmt",
    "add_episode",
    "add_lab",
    "add_measure",
    "add_measurements",
    "add_outcome",
    "add_patient",
    "add_steroid",
]

_OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# The change against the baseline as the v3 ObservationInterpretation "B" (better) and "W"
# (worse); unchanged and incomplete are said in text only.
_CHANGE = {"improved": ("B", "Better"), "worsened": ("W", "Worse")}
# Patient-reported scores are surveys; the timed and letter tests are examinations.
_SURVEYS = frozenset({"msis29_physical", "msis29_psychological", "msws12", "mfis", "fss"})


def add_patient(b: Builder) -> None:
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
            "birthDate": iso(p.birth_date),
            "telecom": [
                {"system": "phone", "value": p.phone} if p.phone else None,
                {"system": "email", "value": p.email} if p.email else None,
            ],
            "extension": [ext("referring-neurologist", "String", p.referring_neurologist)],
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
            "extension": [ext("ms-phenotype", "String", p.ms_phenotype)],
        },
    )


def add_episode(b: Builder, e: Episode) -> None:
    b.add(
        "episode",
        e.id,
        {
            "resourceType": "Condition",
            "category": [{"text": "MS acute episode"}],
            "code": concept(e.presentation),
            "subject": b.subject,
            "onsetDateTime": iso(e.onset_date),
            "note": note(e.description),
            "extension": [
                ext("edss-at-onset", "Decimal", e.edss_at_onset),
                ext("steroid-response", "String", e.steroid_response),
            ],
        },
    )


def _observation(
    b: Builder, code: dict[str, Any], category: str, when: str | None, **rest: Any
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


def add_measurements(b: Builder) -> None:
    for m in b.record.measurements:
        when = iso(m.measured_at)
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
                    b, concept(key), category, when, valueQuantity=quantity(shown, shown_unit)
                ),
            )


def add_steroid(b: Builder, s: SteroidCourse) -> None:
    dose = None
    if s.dose_mg_per_day is not None:
        dose = {
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "route": {"text": s.route},
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": num(s.dose_mg_per_day),
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
            "effectivePeriod": {"start": iso(s.start_date), "end": iso(s.end_date)},
            "reasonReference": [b.ref("episode", s.episode_id)],
            "dosage": [dose] if dose else [],
            "extension": [
                ext("steroid-route", "String", s.route),
                ext("steroid-response", "String", s.response),
            ],
        },
    )


def add_dmt(b: Builder, d: DmtHistory) -> None:
    b.add(
        "dmt",
        d.id,
        {
            "resourceType": "MedicationStatement",
            "status": "stopped" if d.stopped_on else "active",
            "category": {"text": "disease-modifying therapy"},
            "medicationCodeableConcept": {"text": d.drug},
            "subject": b.subject,
            "effectivePeriod": {"start": iso(d.started_on), "end": iso(d.stopped_on)},
            "note": note(d.notes),
            "extension": [ext("last-dose", "DateTime", iso(d.last_dose_at))],
        },
    )


def add_lab(b: Builder, lab: LabResult) -> None:
    b.add(
        "lab",
        lab.id,
        _observation(
            b,
            concept(lab.analyte, lab.analyte),
            "laboratory",
            iso(lab.taken_at),
            valueQuantity=quantity(lab.value, lab.unit),
            partOf=[b.ref("session", lab.session_id)],
            extension=[ext("lab-timing", "String", lab.timing)],
        ),
    )


def add_outcome(b: Builder, o: OutcomeAssessment) -> None:
    when = iso(o.assessed_on)
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
            ext("timepoint", "String", o.timepoint),
            ext("assessed-by", "String", o.assessed_by),
            ext("targeted-deficit", "String", o.targeted_deficit),
            ext("course", "Reference", b.ref("course", o.course_id)),
            json_ext("inputs", o.inputs),
            json_ext("result", o.result),
            ext("rule-version", "String", o.rule_version),
        ],
        "note": note(o.notes),
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
        edss["valueQuantity"] = {"value": num(o.edss), "unit": "{score}", "system": UCUM}
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
                valueQuantity={"value": num(value), "unit": "logMAR"},
                derivedFrom=[b.ref("outcome", o.id)],
            ),
        )


def add_measure(b: Builder, m: OutcomeMeasure) -> None:
    """A measure beyond the EDSS: the score (never a questionnaire's items) in its unit, the
    eye or hand, derived from its visit's EDSS observation, with the change from baseline."""
    verdict = str((m.result or {}).get("result", ""))
    interpretation = None
    if verdict:
        body: dict[str, Any] = {"text": verdict}
        if verdict in _CHANGE:
            code, display = _CHANGE[verdict]
            body["coding"] = [{"system": _INTERPRETATION, "code": code, "display": display}]
        interpretation = [body]
    site = None
    if m.side in ("right", "left"):
        site = concept(f"{m.side}_eye")
    elif m.side is not None:
        site = {"text": MEASURE_SIDES.label(m.side)}
    b.add(
        "measure",
        m.id,
        _observation(
            b,
            measure_concept(m.measure),
            "survey" if m.measure in _SURVEYS else "exam",
            iso(m.taken_on),
            bodySite=site,
            valueQuantity={"value": num(m.value), "unit": m.unit, "system": UCUM, "code": m.unit},
            interpretation=interpretation,
            derivedFrom=[b.ref("outcome", m.outcome_id)],
            extension=[
                json_ext("result", m.result),
                ext("rule-version", "String", m.rule_version),
            ],
        ),
    )
