"""AdverseEvent and DocumentReference resources."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable

from plexms.interop.fhir_in.base import ImporterBase
from plexms.interop.fhir_in.reading import Res, text_of
from plexms.store.models import AdverseEvent, Document
from plexms.store.models.course import AE_SEVERITIES
from plexms.store.models.outcome import DOCUMENT_KINDS

__all__ = ["EventMixin"]


class EventMixin(ImporterBase):
    """AdverseEvent, DocumentReference."""

    # -- AdverseEvent and DocumentReference ---------------------------------------------------

    def _adverse_event(self, res: Res) -> Callable[[], None]:
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

    def _document(self, res: Res) -> Callable[[], None] | None:
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

        def step() -> None:
            values["course_id"] = self.rows[course_res.index].id if course_res else None
            self._upsert(Document, {"sha256": digest}, values, "document", res.index)

        return step
