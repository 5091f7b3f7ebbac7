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

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.interop.codes import LAB_CODES, concept_key
from plexms.interop.fhir_export import FS_KEYS, ID_SYSTEM, ext_url, first_identifier
from plexms.interop.units import QUANTITIES, to_canonical
from plexms.store.models import (
    AdverseEvent,
    Course,
    DmtHistory,
    Document,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    Measurement,
    OutcomeAssessment,
    Patient,
    SteroidCourse,
)
from plexms.store.models.course import AE_SEVERITIES
from plexms.store.models.outcome import DOCUMENT_KINDS, TIMEPOINTS
from plexms.store.models.patient import PRESENTATIONS, SEXES

__all__ = ["SUPPORTED", "BundleRejected", "ImportSummary", "import_bundle", "parse_bundle"]

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
_STEROIDS = ("methylprednisolone", "prednisone", "prednisolone", "dexamethasone")
_COURSE_STATUS = {"draft": "planned", "active": "active", "completed": "completed"}
_SESSION_STATUS = {"completed": "done", "preparation": "planned", "in-progress": "planned"}


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


class _Res:
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


def _text(concept_value: dict[str, Any] | None) -> str:
    if not concept_value:
        return ""
    if concept_value.get("text"):
        return str(concept_value["text"])
    for coding in concept_value.get("coding") or []:
        if coding.get("display"):
            return str(coding["display"])
    return ""


# --- the importer -----------------------------------------------------------------------------


class _Importer:
    def __init__(
        self, session: Session, bundle: dict[str, Any], centre_id: int, actor: str, now: dt.datetime
    ) -> None:
        self.s = session
        self.centre_id = centre_id
        self.actor = actor
        self.now = now
        self.problems: list[dict[str, str]] = []
        self.resources = [
            _Res(i, e["resource"], self.problems) for i, e in enumerate(bundle.get("entry") or [])
        ]
        self.by_ref: dict[str, _Res] = {}
        for entry, res in zip(bundle.get("entry") or [], self.resources, strict=True):
            if entry.get("fullUrl"):
                self.by_ref[entry["fullUrl"]] = res
            if res.body.get("id"):
                self.by_ref[f"{res.kind}/{res.body['id']}"] = res
        self.rows: dict[int, Any] = {}  # entry index -> ORM row
        self.summary: ImportSummary | None = None
        self.plan: list[Callable[[], None]] = []

    def target(
        self, res: _Res, path: str, ref: dict[str, Any] | None, kinds: tuple[str, ...]
    ) -> _Res | None:
        if not ref:
            return None
        found = self.by_ref.get(str(ref.get("reference", "")))
        if found is None or found.kind not in kinds:
            res.fail(
                path,
                f"reference {ref.get('reference')!r} does not resolve to a "
                f"{'/'.join(kinds)} in this bundle",
            )
            return None
        return found

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
        plans: list[tuple[_Res, Callable[[_Res], Callable[[], None] | None]]] = []
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

    def _count(self, kind: str, created: bool) -> None:
        assert self.summary is not None  # noqa: S101
        target = self.summary.created if created else self.summary.updated
        target[kind] = target.get(kind, 0) + 1

    def _upsert(
        self, model: type[Any], key: dict[str, Any], values: dict[str, Any], kind: str, index: int
    ) -> Any:
        stmt = select(model).where(model.patient_id == self.patient.id, model.deleted_at.is_(None))
        for name, value in key.items():
            stmt = stmt.where(getattr(model, name) == value)
        row = self.s.scalars(stmt.order_by(model.id).limit(1)).first()
        if row is None:
            row = model(
                centre_id=self.centre_id,
                patient_id=self.patient.id,
                created_at=self.now,
                updated_at=self.now,
                created_by=self.actor,
                **key,
                **values,
            )
            self.s.add(row)
            self._count(kind, True)
        else:
            changed = False
            for name, value in values.items():
                if not _same(getattr(row, name), value):
                    setattr(row, name, value)
                    changed = True
            if changed:
                row.updated_at = self.now
                self._count(kind, False)
        self.s.flush()
        self.rows[index] = row
        return row

    # -- Patient ----------------------------------------------------------------------------

    def _patient_fields(self, res: _Res) -> dict[str, Any]:
        body = res.body
        idents = body.get("identifier") or []
        mrn_ident = next(
            (
                i
                for i in idents
                if any(c.get("code") == "MR" for c in (i.get("type") or {}).get("coding") or [])
            ),
            idents[0] if idents else None,
        )
        if not mrn_ident or not mrn_ident.get("value"):
            res.fail("identifier", "a patient identifier (MRN) is required to match the patient")
        names = body.get("name") or [{}]
        name = names[0]
        if not name.get("family"):
            res.fail("name[0].family", "is required")
        gender = body.get("gender") or "unknown"
        if gender not in SEXES:
            res.fail("gender", f"{gender!r} is not a gender (allowed: {', '.join(SEXES)})")
        birth = res.date("birthDate", body.get("birthDate"), required=True)
        telecom = {t.get("system"): t.get("value") for t in body.get("telecom") or []}
        return {
            "mrn": (mrn_ident or {}).get("value", ""),
            "family_name": name.get("family", ""),
            "given_name": " ".join(name.get("given") or []),
            "birth_date": birth,
            "sex": gender,
            "phone": telecom.get("phone") or "",
            "email": telecom.get("email") or "",
            "referring_neurologist": res.ext("referring-neurologist", "String", ""),
        }

    def _upsert_patient(self) -> Patient:
        fields = dict(self.patient_fields)
        fields.update(getattr(self, "ms_fields", {}))
        row = self.s.scalars(
            select(Patient).where(
                Patient.centre_id == self.centre_id,
                Patient.mrn == fields["mrn"],
                Patient.deleted_at.is_(None),
            )
        ).first()
        created = row is None
        changed: list[str] = []
        if row is None:
            row = Patient(
                centre_id=self.centre_id,
                created_at=self.now,
                updated_at=self.now,
                created_by=self.actor,
                **fields,
            )
            self.s.add(row)
        else:
            changed = [n for n, v in fields.items() if not _same(getattr(row, n), v)]
            for name in changed:
                setattr(row, name, fields[name])
            if changed:
                row.updated_at = self.now
        self.s.flush()
        self.summary = ImportSummary(patient_id=row.id)
        if created or changed:
            self._count("patient", created)
        self.rows[self.patient_res.index] = row
        return row

    # -- Condition: MS, or an episode -------------------------------------------------------

    def _condition(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        key = concept_key(body.get("code") or {})
        if key == "ms":
            onset = str(body.get("onsetDateTime") or "")
            self.ms_fields = {
                "ms_diagnosis_year": int(onset[:4]) if onset[:4].isdigit() else None,
                "ms_phenotype": res.ext("ms-phenotype", "String", "unknown"),
            }
            return None
        presentation = key if key in PRESENTATIONS else "other"
        onset_date = res.date("onsetDateTime", body.get("onsetDateTime"), required=True)
        values = {
            "description": _note_text(body) or (_text(body.get("code")) if key is None else ""),
            "edss_at_onset": res.ext("edss-at-onset", "Decimal"),
            "steroid_response": res.ext("steroid-response", "String", "unknown"),
        }
        return lambda: self._upsert(
            Episode,
            {"onset_date": onset_date, "presentation": presentation},
            values,
            "episode",
            res.index,
        )

    # -- CarePlan: the TPE course, or the hand-back ------------------------------------------

    def _careplan(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        category = " ".join(_text(c) for c in body.get("category") or [])
        details = [a.get("detail") or {} for a in body.get("activity") or []]
        if "dmt-hand-back" in category:
            course_res = self.target(
                res, "partOf[0]", (body.get("partOf") or [None])[0], ("CarePlan",)
            )
            detail = details[0] if details else {}
            values = {
                "planned_dmt": _text(detail.get("productCodeableConcept")),
                "earliest_dose_date": res.date(
                    "activity[0].detail.scheduledPeriod.start",
                    (detail.get("scheduledPeriod") or {}).get("start"),
                ),
                "plan": body.get("description", ""),
                "sent_at": res.datetime("extension(sent)", res.ext("sent", "DateTime")),
                "inputs": res.json_ext("inputs") or {},
                "result": res.json_ext("result") or {},
                "rule_version": res.ext("rule-version", "String", ""),
            }

            def step() -> None:
                values["course_id"] = self.rows[course_res.index].id if course_res else None
                self._upsert(
                    HandBack, {"course_id": values.pop("course_id")}, values, "hand_back", res.index
                )

            return step
        tpe = "tpe-course" in category or any(
            concept_key(d.get("code") or {}) == "plasma_exchange" for d in details
        )
        if not tpe:
            res.fail("category", "only TPE course and hand-back care plans are supported")
            return None
        detail = next(
            (d for d in details if concept_key(d.get("code") or {}) == "plasma_exchange"), {}
        )
        count = ((detail.get("scheduledTiming") or {}).get("repeat") or {}).get("count")
        if not isinstance(count, int) or count < 1:
            res.fail(
                "activity[0].detail.scheduledTiming.repeat.count",
                "the number of exchanges is required",
            )
        pv = res.ext("plasma-volumes-per-exchange", "Decimal")
        if pv is None:
            res.fail(
                "extension(plasma-volumes-per-exchange)", "plasma volumes per exchange are required"
            )
        period = body.get("period") or {}
        start = res.date("period.start", period.get("start"), required=True)
        status = res.ext("course-status", "String") or _COURSE_STATUS.get(
            body.get("status", ""), "stopped"
        )
        episode_res = self.target(
            res, "addresses[0]", (body.get("addresses") or [None])[0], ("Condition",)
        )
        values = {
            "status": status,
            "indication": res.ext("indication", "String", "relapse"),
            "stop_reason": res.ext("stop-reason", "String", ""),
            "planned_exchanges": count,
            "plasma_volumes_per_exchange": float(pv) if pv is not None else None,
            "replacement_fluid": res.ext("replacement-fluid", "String", "albumin_5"),
            "started_on": res.date("extension(started-on)", res.ext("started-on", "Date")),
            "completed_on": res.date("period.end", period.get("end")),
            "prescription": res.json_ext("prescription") or {},
            "inputs": res.json_ext("inputs") or {},
            "rule_version": res.ext("rule-version", "String", "fhir-import"),
            "notes": _note_text(body),
        }

        def course_step() -> None:
            values["episode_id"] = self.rows[episode_res.index].id if episode_res else None
            self._upsert(Course, {"start_date": start}, values, "course", res.index)

        return course_step

    # -- Procedure: one exchange ------------------------------------------------------------

    def _procedure(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        if concept_key(body.get("code") or {}) != "plasma_exchange":
            res.fail("code", "only therapeutic plasma exchange procedures are supported")
            return None
        based_on = (body.get("basedOn") or [None])[0]
        course_res = self.target(res, "basedOn[0]", based_on, ("CarePlan",))
        if based_on is None:
            res.fail("basedOn", "an exchange must refer to its course (CarePlan)")
        sequence = res.ext("sequence", "Integer")
        period = body.get("performedPeriod") or {}
        planned = res.ext("planned", "Period") or {}
        actual_start = res.datetime("performedPeriod.start", period.get("start"))
        planned_start = (
            res.datetime("extension(planned).start", planned.get("start")) or actual_start
        )
        if planned_start is None:
            res.fail("performedPeriod.start", "the time of the exchange is required")
        status = res.ext("session-status", "String") or _SESSION_STATUS.get(
            body.get("status", ""), "cancelled"
        )
        operator = ((body.get("performer") or [{}])[0].get("actor") or {}).get("display")
        values = {
            "status": status,
            "planned_end": res.datetime("extension(planned).end", planned.get("end"))
            or res.datetime("performedPeriod.end", period.get("end"))
            or planned_start,
            "actual_start": actual_start,
            "actual_end": res.datetime("performedPeriod.end", period.get("end")),
            "planned_plasma_volume_ml": res.ml("planned-plasma-volume"),
            "plasma_removed_ml": res.ml("plasma-removed"),
            "whole_blood_processed_ml": res.ml("whole-blood-processed"),
            "anticoagulant": res.ext("anticoagulant", "String", ""),
            "anticoagulant_ml": res.ml("anticoagulant-volume"),
            "vascular_access": res.ext("vascular-access", "String", ""),
            "go_decision": res.ext("go-decision", "String"),
            "signed_off_at": res.datetime(
                "extension(signed-off)", res.ext("signed-off", "DateTime")
            ),
            "vitals": res.json_ext("vitals") or [],
            "precheck_inputs": res.json_ext("precheck-inputs"),
            "precheck_result": res.json_ext("precheck-result"),
            "precheck_rule_version": res.ext("precheck-rule-version", "String"),
            "operator": operator,
            "notes": _note_text(body),
            "replacement_fluids": [],
            "calcium_gluconate_ml": None,
            "planned_start": planned_start,
        }

        def step() -> None:
            assert course_res is not None  # noqa: S101 - checked while planning
            course = self.rows[course_res.index]
            seq = sequence
            if seq is None:
                existing = [
                    r
                    for i, r in self.rows.items()
                    if isinstance(r, ExchangeSession) and r.course_id == course.id
                ]
                seq = len(existing) + 1
            self._upsert(
                ExchangeSession,
                {"course_id": course.id, "sequence": seq},
                values,
                "session",
                res.index,
            )

        return step

    def _administration(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        session_res = self.target(
            res, "partOf[0]", (body.get("partOf") or [None])[0], ("Procedure",)
        )
        if session_res is None:
            if not any(p["path"].startswith(res.where("partOf")) for p in self.problems):
                res.fail("partOf", "only fluids and calcium given during an exchange are supported")
            return None
        med = body.get("medicationCodeableConcept") or {}
        key = concept_key(med) or _text(med)
        dose = (body.get("dosage") or {}).get("dose")
        volume = res.quantity("dosage.dose", dose, "volume") if dose else None

        def step() -> None:
            row = self.rows[session_res.index]
            if key == "calcium_gluconate":
                row.calcium_gluconate_ml = volume
            else:
                fluids = list(row.replacement_fluids or [])
                item: dict[str, Any] = {"fluid": key}
                if volume is not None:
                    item["volume_ml"] = volume
                fluids.append(item)
                row.replacement_fluids = fluids
            self.s.flush()

        return step

    # -- Observation: measurement, lab, EDSS, visual acuity ----------------------------------

    def _observation(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        key = concept_key(body.get("code") or {})
        when_text = body.get("effectiveDateTime")
        if key in ("height", "weight") or (key == "hematocrit" and res.kind_of() == "measurement"):
            when = res.datetime("effectiveDateTime", when_text, required=True)
            value = res.quantity("valueQuantity", body.get("valueQuantity"), key)
            column = {"height": "height_cm", "weight": "weight_kg", "hematocrit": "hematocrit"}[key]
            return lambda: self._measurement(res, when, column, value)
        if key in LAB_CODES:
            when = res.datetime("effectiveDateTime", when_text, required=True)
            value = res.quantity("valueQuantity", body.get("valueQuantity"), key)
            session_res = self.target(
                res, "partOf[0]", (body.get("partOf") or [None])[0], ("Procedure",)
            )
            values = {
                "value": value,
                "unit": QUANTITIES[key].canonical,
                "timing": res.ext("lab-timing", "String", ""),
            }

            def lab() -> None:
                values["session_id"] = self.rows[session_res.index].id if session_res else None
                self._upsert(
                    LabResult, {"analyte": key, "taken_at": when}, values, "lab", res.index
                )

            return lab
        if key == "edss":
            return self._edss(res)
        if key == "visual_acuity":
            return self._acuity(res)
        res.fail(
            "code",
            f"observation {_text(body.get('code'))!r} is not supported "
            f"(labs: {', '.join(LAB_CODES)}; height, weight, EDSS, visual acuity)",
        )
        return None

    def _measurement(
        self, res: _Res, when: dt.datetime | None, column: str, value: float | None
    ) -> None:
        key = {"measured_at": when}
        stmt = select(Measurement).where(
            Measurement.patient_id == self.patient.id, Measurement.measured_at == when
        )
        row = self.s.scalars(stmt).first()
        values = {column: value}
        if row is not None:
            values = {c: getattr(row, c) for c in ("height_cm", "weight_kg", "hematocrit")} | values
        self._upsert(Measurement, key, values, "measurement", res.index)

    def _edss(self, res: _Res) -> Callable[[], None]:
        body = res.body
        assessed = res.date("effectiveDateTime", body.get("effectiveDateTime"), required=True)
        value = (body.get("valueQuantity") or {}).get("value")
        timepoint = res.ext("timepoint", "String", "other")
        if timepoint not in TIMEPOINTS:
            res.fail("extension(timepoint)", f"{timepoint!r} (allowed: {', '.join(TIMEPOINTS)})")
        inputs = res.json_ext("inputs")
        if inputs is None:
            fs = {}
            for comp in body.get("component") or []:
                ckey = concept_key(comp.get("code") or {})
                if ckey and ckey.startswith("fs_") and ckey[3:] in FS_KEYS:
                    fs[ckey[3:]] = comp.get("valueInteger")
            inputs = {"fs": fs} if fs else {}
        course_ref = res.ext("course", "Reference")
        course_res = self.target(res, "extension(course)", course_ref, ("CarePlan",))
        values = {
            "assessed_by": res.ext("assessed-by", "String", self.actor),
            "edss": float(value) if value is not None else None,
            "targeted_deficit": res.ext("targeted-deficit", "String"),
            "inputs": inputs,
            "result": res.json_ext("result") or {},
            "rule_version": res.ext("rule-version", "String", "fhir-import"),
            "notes": _note_text(body),
        }

        def step() -> None:
            values["course_id"] = self.rows[course_res.index].id if course_res else None
            self._upsert(
                OutcomeAssessment,
                {"assessed_on": assessed, "timepoint": timepoint},
                values,
                "outcome",
                res.index,
            )

        return step

    def _acuity(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        eye = concept_key(body.get("bodySite") or {}, ("right_eye", "left_eye"))
        if eye is None:
            res.fail("bodySite", "visual acuity needs the eye (right or left)")
            return None
        quantity = body.get("valueQuantity") or {}
        if str(quantity.get("unit", "")).lower() != "logmar" or quantity.get("value") is None:
            res.fail("valueQuantity", "visual acuity must be given in logMAR")
            return None
        parent = self.target(
            res, "derivedFrom[0]", (body.get("derivedFrom") or [None])[0], ("Observation",)
        )
        assessed = res.date("effectiveDateTime", body.get("effectiveDateTime"), required=True)
        column = "va_right_logmar" if eye == "right_eye" else "va_left_logmar"

        def step() -> None:
            row = self.rows.get(parent.index) if parent else None
            if row is None:
                stmt = select(OutcomeAssessment).where(
                    OutcomeAssessment.patient_id == self.patient.id,
                    OutcomeAssessment.assessed_on == assessed,
                )
                row = self.s.scalars(stmt).first()
            if row is None:
                row = self._upsert(
                    OutcomeAssessment,
                    {"assessed_on": assessed, "timepoint": "other"},
                    {
                        "assessed_by": self.actor,
                        "inputs": {},
                        "result": {},
                        "rule_version": "fhir-import",
                    },
                    "outcome",
                    res.index,
                )
            setattr(row, column, float(quantity["value"]))
            self.s.flush()

        return step

    # -- MedicationStatement: steroid course or DMT ------------------------------------------

    def _statement(self, res: _Res) -> Callable[[], None]:
        body = res.body
        drug = _text(body.get("medicationCodeableConcept"))
        if not drug:
            res.fail("medicationCodeableConcept", "the medication is required")
        period = body.get("effectivePeriod") or {}
        start = res.date(
            "effectivePeriod.start", period.get("start") or body.get("effectiveDateTime")
        )
        end = res.date("effectivePeriod.end", period.get("end"))
        category = _text(body.get("category"))
        if category == "corticosteroid" or drug.lower() in _STEROIDS:
            if start is None:
                res.fail("effectivePeriod.start", "a steroid course needs its start date")
            dose = None
            for dosage in body.get("dosage") or []:
                for rate in dosage.get("doseAndRate") or []:
                    q = rate.get("doseQuantity")
                    if q and q.get("code") == "mg":
                        dose = float(q["value"])
            episode_res = self.target(
                res,
                "reasonReference[0]",
                (body.get("reasonReference") or [None])[0],
                ("Condition",),
            )
            values = {
                "end_date": end,
                "route": res.ext("steroid-route", "String", "iv"),
                "dose_mg_per_day": dose,
                "response": res.ext("steroid-response", "String", "unknown"),
            }

            def steroid() -> None:
                values["episode_id"] = self.rows[episode_res.index].id if episode_res else None
                self._upsert(
                    SteroidCourse, {"drug": drug, "start_date": start}, values, "steroid", res.index
                )

            return steroid
        values = {
            "stopped_on": end,
            "last_dose_at": res.datetime("extension(last-dose)", res.ext("last-dose", "DateTime")),
            "notes": _note_text(body),
        }
        return lambda: self._upsert(
            DmtHistory, {"drug": drug, "started_on": start}, values, "dmt", res.index
        )

    # -- AdverseEvent and DocumentReference ---------------------------------------------------

    def _adverse_event(self, res: _Res) -> Callable[[], None]:
        body = res.body
        onset = res.datetime("date", body.get("date"), required=True)
        severity = res.ext("waa-severity", "String")
        if severity is None:
            codes = [c.get("code") for c in (body.get("severity") or {}).get("coding") or []]
            severity = codes[0] if codes else None
        if severity not in AE_SEVERITIES:
            res.fail("severity", f"{severity!r} (allowed: {', '.join(AE_SEVERITIES)})")
        session_ref = ((body.get("suspectEntity") or [{}])[0]).get("instance")
        session_res = self.target(res, "suspectEntity[0].instance", session_ref, ("Procedure",))
        course_res = self.target(
            res, "extension(course)", res.ext("course", "Reference"), ("CarePlan",)
        )
        event_type = _text(body.get("event")) or "unspecified"
        values = {
            "severity": severity,
            "procedure_interrupted": bool(res.ext("procedure-interrupted", "Boolean", False)),
            "action": res.ext("action", "String", ""),
            "outcome": res.ext("outcome-text", "String", ""),
            "notes": res.ext("notes", "String", ""),
        }

        def step() -> None:
            session = self.rows[session_res.index] if session_res else None
            values["session_id"] = session.id if session else None
            course = self.rows[course_res.index] if course_res else None
            values["course_id"] = course.id if course else (session.course_id if session else None)
            self._upsert(
                AdverseEvent,
                {"event_type": event_type, "onset_at": onset},
                values,
                "adverse_event",
                res.index,
            )

        return step

    def _document(self, res: _Res) -> Callable[[], None] | None:
        body = res.body
        attachment = ((body.get("content") or [{}])[0]).get("attachment") or {}
        try:
            content = base64.b64decode(attachment.get("data") or "", validate=True)
        except (binascii.Error, ValueError):
            res.fail("content[0].attachment.data", "is not base64")
            return None
        if not content:
            res.fail("content[0].attachment.data", "documents are imported with their content only")
            return None
        kind = _text(body.get("type"))
        kind = kind if kind in DOCUMENT_KINDS else "other"
        title = body.get("description") or attachment.get("title") or "Document"
        course_res = self.target(
            res,
            "context.related[0]",
            ((body.get("context") or {}).get("related") or [None])[0],
            ("CarePlan",),
        )
        digest = hashlib.sha256(content).hexdigest()
        values = {
            "kind": kind,
            "title": title,
            "media_type": attachment.get("contentType") or "application/octet-stream",
            "content": content,
        }

        def step() -> None:
            values["course_id"] = self.rows[course_res.index].id if course_res else None
            self._upsert(Document, {"sha256": digest}, values, "document", res.index)

        return step


def _same(old: Any, new: Any) -> bool:
    """Equal, floats within the 1e-9 relative noise of a JSON round trip."""
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12)
    return bool(old == new)


def _note_text(body: dict[str, Any]) -> str:
    return "\n".join(n.get("text", "") for n in body.get("note") or [] if n.get("text"))


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
