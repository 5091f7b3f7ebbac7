"""Two signatures on a prescription (issue 14): where the centre requires it
(``prescription.cosign_required``, a centre setting, local policy), a planned course waits for
a second physician or pharmacist to co-sign before it can start, and its sessions cannot be
started, checked or signed until then. The co-signer must not be the prescriber.

Refusals: 403 when the co-signer is the prescriber (or lacks the permission); 409 when the
course needs no co-signature, is already co-signed, or is no longer planned.
"""

from __future__ import annotations

from plexms.services import audit
from plexms.services._records import check_version, load
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, PermissionDenied
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import CourseOut
from plexms.store.models import Course

__all__ = ["AWAITING_COSIGN", "cosign_course", "require_cosigned"]

AWAITING_COSIGN = (
    "the prescription awaits a second signature: a physician or pharmacist other than the "
    "prescriber must co-sign the course first"
)


def require_cosigned(course: Course, field: str = "cosign") -> None:
    """Refuse (409) to start a course, or work on its sessions, before it is co-signed."""
    if course.awaiting_cosign:
        raise Conflict(AWAITING_COSIGN, field=field)


@use_case(Permission.COURSE_COSIGN)
def cosign_course(ctx: ServiceContext, course_id: int, expected_version: int) -> CourseOut:
    """Co-sign a planned course's prescription as its second signatory (audited)."""
    with ctx.db.write() as session:
        course = load(session, ctx, Course, course_id, for_update=True)
        check_version(course, expected_version)
        if not course.cosign_required:
            raise Conflict(
                "this course needs no co-signature (the centre did not require one when it "
                "was planned)",
                field="cosign",
            )
        if course.cosigned_at is not None:
            raise Conflict(
                f"the course was already co-signed by {course.cosigned_by}", field="cosign"
            )
        if course.status != "planned":
            raise Conflict(f"a {course.status} course cannot be co-signed", field="status")
        if course.created_by == ctx.username:
            raise PermissionDenied(
                "the co-signer must be a second person: the prescriber cannot co-sign their "
                "own prescription"
            )
        course.cosigned_by = ctx.username
        course.cosigned_at = ctx.now
        course.updated_at = ctx.now
        session.flush()
        audit.record(
            session,
            ctx,
            "cosign",
            entity="course",
            entity_id=course.id,
            patient_id=course.patient_id,
            detail={"prescriber": course.created_by},
        )
        return CourseOut.model_validate(course)
