"""AdverseEvent and DocumentReference resources."""

from __future__ import annotations

import base64
import binascii
import hashlib

from plexms.core.record import AE_SEVERITIES, DOCUMENT_KINDS
from plexms.interop.fhir_in.base import ImporterBase, link
from plexms.interop.fhir_in.drafts import RowDraft
from plexms.interop.fhir_in.reading import Res, text_of

__all__ = ["EventMixin"]


class EventMixin(ImporterBase):
    """AdverseEvent, DocumentReference."""

    # -- AdverseEvent and DocumentReference ---------------------------------------------------

    def _adverse_event(self, res: Res) -> RowDraft:
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
        event_type = text_of(body.get("event")) or "unspecified"
        values = {
            "severity": severity,
            "procedure_interrupted": bool(res.ext("procedure-interrupted", "Boolean", False)),
            "action": res.ext("action", "String", ""),
            "outcome": res.ext("outcome-text", "String", ""),
            "notes": res.ext("notes", "String", ""),
        }
        links = (
            link("session_id", (session_res, "id")),
            link("course_id", (course_res, "id"), (session_res, "course_id")),
        )
        match = {"event_type": event_type, "onset_at": onset}
        return RowDraft(res.index, "adverse_event", "adverse_event", match, values, links)

    def _document(self, res: Res) -> RowDraft | None:
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
        kind = text_of(body.get("type"))
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
        course = (link("course_id", (course_res, "id")),)
        return RowDraft(res.index, "document", "document", {"sha256": digest}, values, course)
