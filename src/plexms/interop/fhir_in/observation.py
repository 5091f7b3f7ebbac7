"""Observation (measurements, labs, EDSS, visual acuity) and MedicationStatement (steroid
courses, DMTs)."""

from __future__ import annotations

from plexms.core.errors import InputError
from plexms.core.measures import check_measure
from plexms.core.record import TIMEPOINTS
from plexms.core.vocabulary import MEASURE_SIDES, MEASURES
from plexms.interop.codes import LAB_CODES, concept_key, measure_key
from plexms.interop.fhir_export import FS_KEYS
from plexms.interop.fhir_in.base import ImporterBase, link
from plexms.interop.fhir_in.drafts import AcuityDraft, RowDraft
from plexms.interop.fhir_in.reading import Res, note_text, text_of
from plexms.interop.units import QUANTITIES

_STEROIDS = ("methylprednisolone", "prednisone", "prednisolone", "dexamethasone")


__all__ = ["ObservationMixin"]


class ObservationMixin(ImporterBase):
    """Observation, MedicationStatement."""

    # -- Observation: measurement, lab, EDSS, visual acuity ----------------------------------

    def _observation(self, res: Res) -> RowDraft | AcuityDraft | None:
        body = res.body
        measure = measure_key(body.get("code") or {})
        if measure is not None:
            return self._measure(res, measure)
        key = concept_key(body.get("code") or {})
        when_text = body.get("effectiveDateTime")
        if key in ("height", "weight") or (key == "hematocrit" and res.kind_of() == "measurement"):
            when = res.datetime("effectiveDateTime", when_text, required=True)
            value = res.quantity("valueQuantity", body.get("valueQuantity"), key)
            column = {"height": "height_cm", "weight": "weight_kg", "hematocrit": "hematocrit"}[key]
            # the writer keeps the other measured columns of a row at that time
            return RowDraft(
                res.index, "measurement", "measurement", {"measured_at": when}, {column: value}
            )
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
            match = {"analyte": key, "taken_at": when}
            session = (link("session_id", (session_res, "id")),)
            return RowDraft(res.index, "lab_result", "lab", match, values, session)
        if key == "edss":
            return self._edss(res)
        if key == "visual_acuity":
            return self._acuity(res)
        res.fail(
            "code",
            f"observation {text_of(body.get('code'))!r} is not supported "
            f"(labs: {', '.join(LAB_CODES)}; height, weight, EDSS, visual acuity)",
        )
        return None

    def _edss(self, res: Res) -> RowDraft:
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
            "notes": note_text(body),
        }
        match = {"assessed_on": assessed, "timepoint": timepoint}
        course = (link("course_id", (course_res, "id")),)
        return RowDraft(res.index, "outcome_assessment", "outcome", match, values, course)

    def _acuity(self, res: Res) -> AcuityDraft | None:
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

        parent_index = parent.index if parent else None
        return AcuityDraft(res.index, parent_index, assessed, column, float(quantity["value"]))

    def _measure(self, res: Res, measure: str) -> RowDraft | None:
        """A measure beyond the EDSS, on the visit its ``derivedFrom`` names (an earlier entry:
        the visit's EDSS observation)."""
        body = res.body
        if measure not in MEASURES:
            res.fail("code", f"unknown outcome measure {measure!r}")
            return None
        parent = self.target(
            res, "derivedFrom[0]", (body.get("derivedFrom") or [None])[0], ("Observation",)
        )
        if parent is None or parent.index > res.index:
            res.fail("derivedFrom[0]", "a measure needs its outcome visit (an earlier entry)")
            return None
        taken = res.date("effectiveDateTime", body.get("effectiveDateTime"), required=True)
        site = body.get("bodySite") or {}
        side = concept_key(site, ("right_eye", "left_eye"))
        side = side.removesuffix("_eye") if side else None
        if side is None and site:
            text = str(site.get("text", ""))
            side = next((v for v, label in MEASURE_SIDES.options if label == text), text)
        quantity = body.get("valueQuantity") or {}
        try:
            value = check_measure(measure, quantity.get("value"), side)
        except InputError as exc:
            res.fail(f"valueQuantity ({exc.field})", f"{exc.message} (allowed: {exc.allowed})")
            return None
        values = {
            "value": value,
            "unit": MEASURES[measure].unit,
            "result": res.json_ext("result") or {},
            "rule_version": res.ext("rule-version", "String", "fhir-import"),
        }
        key = {"measure": measure, "side": side, "taken_on": taken}
        outcome = link("outcome_id", (parent, "id"), in_key=True)
        return RowDraft(res.index, "outcome_measure", "outcome_measure", key, values, (outcome,))

    # -- MedicationStatement: steroid course or DMT ------------------------------------------

    def _statement(self, res: Res) -> RowDraft:
        body = res.body
        drug = text_of(body.get("medicationCodeableConcept"))
        if not drug:
            res.fail("medicationCodeableConcept", "the medication is required")
        period = body.get("effectivePeriod") or {}
        start = res.date(
            "effectivePeriod.start", period.get("start") or body.get("effectiveDateTime")
        )
        end = res.date("effectivePeriod.end", period.get("end"))
        category = text_of(body.get("category"))
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
            match = {"drug": drug, "start_date": start}
            episode = (link("episode_id", (episode_res, "id")),)
            return RowDraft(res.index, "steroid_course", "steroid", match, values, episode)
        values = {
            "stopped_on": end,
            "last_dose_at": res.datetime("extension(last-dose)", res.ext("last-dose", "DateTime")),
            "notes": note_text(body),
        }
        return RowDraft(
            res.index, "dmt_history", "dmt", {"drug": drug, "started_on": start}, values
        )
