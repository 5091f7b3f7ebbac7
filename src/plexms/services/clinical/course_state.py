"""How a course moves through its states (``core.vocabulary.COURSE_STATUSES``) as the clinic
works, inside the caller's transaction:

- planned -> active: the first exchange is recorded as done (``sessions.record_session``);
- active -> completed: the last exchange is signed off, i.e. no exchange is still planned and
  every done exchange is signed (held and cancelled ones do not count);
- completed -> closed: the hand-back to the referring neurologist is recorded;
- stopped (with a reason) by a person, through ``courses.set_course_status``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.services.context import ServiceContext
from plexms.store.models import Course, ExchangeSession, Patient

__all__ = ["close_at_handback", "complete_if_signed"]

_STAGES = ("course_completed", "handed_back")


def _stage(session: Session, course: Course, stage: str) -> None:
    patient = session.get_one(Patient, course.patient_id)
    if _STAGES.index(stage) >= (_STAGES.index(patient.stage) if patient.stage in _STAGES else -1):
        patient.stage = stage


def complete_if_signed(session: Session, ctx: ServiceContext, course_id: int) -> bool:
    """Mark an active course completed once its last exchange is signed off; ``True`` if so."""
    course = session.get_one(Course, course_id)
    if course.status not in ("planned", "active"):
        return False
    rows = session.execute(
        select(ExchangeSession.status, ExchangeSession.signed_off_at).where(
            ExchangeSession.course_id == course_id, ExchangeSession.deleted_at.is_(None)
        )
    ).all()
    done = [signed for status, signed in rows if status == "done"]
    if not done or any(status == "planned" for status, _ in rows) or None in done:
        return False
    course.status = "completed"
    course.completed_on = max(d for d in done if d is not None).date()
    course.updated_at = ctx.now
    _stage(session, course, "course_completed")
    return True


def close_at_handback(session: Session, ctx: ServiceContext, course_id: int | None) -> bool:
    """Close the course handed back (a completed one; an active course is completed first when
    its exchanges are all signed); ``True`` if it closed."""
    if course_id is None:
        return False
    complete_if_signed(session, ctx, course_id)
    course = session.get_one(Course, course_id)
    if course.status != "completed":
        return False
    course.status = "closed"
    course.updated_at = ctx.now
    return True
