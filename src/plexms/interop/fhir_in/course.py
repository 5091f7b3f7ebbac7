"""CarePlan (the TPE course, the hand-back), Procedure (an exchange) and
MedicationAdministration (fluids and calcium given during an exchange)."""

from __future__ import annotations

from typing import Any

from plexms.interop.codes import concept_key
from plexms.interop.fhir_in.base import ImporterBase, link
from plexms.interop.fhir_in.drafts import FluidDraft, RowDraft
from plexms.interop.fhir_in.reading import Res, note_text, text_of
from plexms.interop.fhir_out.course import DEVICE_TYPES, MEDICATION_TEXTS

_COURSE_STATUS = {"draft": "planned", "active": "active", "completed": "completed"}
_SESSION_STATUS = {"completed": "done", "preparation": "planned", "in-progress": "planned"}


__all__ = ["CourseMixin"]


def _category(body: dict[str, Any]) -> str:
    return " ".join(text_of(c) for c in body.get("category") or [])


class CourseMixin(ImporterBase):
    """CarePlan, Procedure, MedicationAdministration."""

    # -- CarePlan: the TPE course, or the hand-back ------------------------------------------

    def _careplan(self, res: Res) -> RowDraft | None:
        body = res.body
        category = _category(body)
        details = [a.get("detail") or {} for a in body.get("activity") or []]
        if "dmt-hand-back" in category:
            course_res = self.target(
                res, "partOf[0]", (body.get("partOf") or [None])[0], ("CarePlan",)
            )
            if course_res is not None and "dmt-hand-back" in _category(course_res.body):
                # a hand-back is part of the TPE course, never of a hand-back (nor itself):
                # references between hand-backs could only loop or dangle
                res.fail("partOf[0]", "must refer to the TPE course, not to a hand-back")
                course_res = None
            detail = details[0] if details else {}
            values = {
                "planned_dmt": text_of(detail.get("productCodeableConcept")),
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
            course = (link("course_id", (course_res, "id"), in_key=True),)
            return RowDraft(res.index, "hand_back", "hand_back", {}, values, course)
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
            "notes": note_text(body),
        }
        episode = (link("episode_id", (episode_res, "id")),)
        return RowDraft(res.index, "course", "course", {"start_date": start}, values, episode)

    # -- Procedure: one exchange ------------------------------------------------------------

    def _procedure(self, res: Res) -> RowDraft | None:
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
            "notes": note_text(body),
            "replacement_fluids": [],
            "calcium_gluconate_ml": None,
            "planned_start": planned_start,
            "lots": _lots(body),
        }
        # sequence None: numbered after this import's sessions of the course (by the writer)
        course = (link("course_id", (course_res, "id"), in_key=True),)
        match = {"sequence": sequence}
        return RowDraft(res.index, "exchange_session", "session", match, values, course)

    def _administration(self, res: Res) -> FluidDraft | None:
        body = res.body
        session_res = self.target(
            res, "partOf[0]", (body.get("partOf") or [None])[0], ("Procedure",)
        )
        if session_res is None:
            if not any(p["path"].startswith(res.where("partOf")) for p in self.problems):
                res.fail("partOf", "only fluids and calcium given during an exchange are supported")
            return None
        med = body.get("medicationCodeableConcept") or {}
        key = concept_key(med) or text_of(med)
        dose = (body.get("dosage") or {}).get("dose")
        volume = res.quantity("dosage.dose", dose, "volume") if dose else None
        return FluidDraft(res.index, session_res.index, key, volume)


_DEVICE_KIND = {text: kind for kind, text in DEVICE_TYPES.items()}
_MEDICATION_KIND = {text: kind for kind, text in MEDICATION_TEXTS.items()}


def _lots(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The lots and serials of an exchange from its contained Device and Medication
    resources (as :func:`plexms.interop.fhir_out.course.add_session` writes them)."""
    lots = []
    for item in body.get("contained") or []:
        if not isinstance(item, dict):
            continue
        if item.get("resourceType") == "Device":
            kind = _DEVICE_KIND.get(text_of(item.get("type")) or "")
            udi = (item.get("udiCarrier") or [{}])[0]
            lot, serial = item.get("lotNumber"), item.get("serialNumber")
            gtin, expiry = udi.get("deviceIdentifier"), item.get("expirationDate")
        elif item.get("resourceType") == "Medication":
            kind = _MEDICATION_KIND.get(text_of(item.get("code")) or "")
            batch = item.get("batch") or {}
            ident = (item.get("identifier") or [{}])[0]
            lot, serial = batch.get("lotNumber"), ""
            gtin, expiry = ident.get("value"), batch.get("expirationDate")
        else:
            continue
        if kind is None:
            continue
        lots.append(
            {
                "kind": kind,
                "lot": lot or "",
                "serial": serial or "",
                "gtin": gtin or "",
                "expiry": expiry or None,
            }
        )
    return lots
