"""Patient and Condition resources: the patient (matched by MRN), MS and its episodes."""

from __future__ import annotations

from typing import Any

from plexms.core.record import PRESENTATIONS, SEXES
from plexms.interop.codes import concept_key
from plexms.interop.fhir_in.base import ImporterBase
from plexms.interop.fhir_in.drafts import PatientDraft, RowDraft
from plexms.interop.fhir_in.reading import Res, note_text, text_of

__all__ = ["PatientMixin"]


class PatientMixin(ImporterBase):
    """Patient, Condition."""

    # -- Patient ----------------------------------------------------------------------------

    def _patient_fields(self, res: Res) -> dict[str, Any]:
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

    def _patient_draft(self) -> PatientDraft:
        fields = dict(self.patient_fields)
        fields.update(getattr(self, "ms_fields", {}))
        return PatientDraft(self.patient_res.index, fields)

    # -- Condition: MS, or an episode -------------------------------------------------------

    def _condition(self, res: Res) -> RowDraft | None:
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
            "description": note_text(body) or (text_of(body.get("code")) if key is None else ""),
            "edss_at_onset": res.ext("edss-at-onset", "Decimal"),
            "steroid_response": res.ext("steroid-response", "String", "unknown"),
        }
        match = {"onset_date": onset_date, "presentation": presentation}
        return RowDraft(res.index, "episode", "episode", match, values)
