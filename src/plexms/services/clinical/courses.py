"""Eligibility assessments and TPE courses: plan (prescription + schedule from the core via
``calc plan``), start, complete or stop; the course's sessions are created from the schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plexms.core.contraindications import pregnancy_not_asked
from plexms.core.eligibility import Assessment as Eligibility
from plexms.core.errors import InputError
from plexms.core.plan import Plan
from plexms.services import audit
from plexms.services._compute import available, compute, rule_version
from plexms.services._records import (
    Saved,
    check_version,
    load,
    new,
    page_of,
    pending,
    scoped,
    upsert,
)
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.calc import Calculator
from plexms.services.calc import assess as assess_calc
from plexms.services.calc import plan as plan_calc
from plexms.services.clinical import booking
from plexms.services.clinical.cosign import require_cosigned
from plexms.services.clinical.patients import latest_measurement, load_patient, rows_of
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AssessmentIn,
    AssessmentOut,
    CourseOut,
    CoursePlanIn,
    CourseStatusIn,
    SessionOut,
)
from plexms.services.schemas.common import Page
from plexms.services.sharing import reminders
from plexms.store.models import Assessment, Centre, Course, Episode, ExchangeSession, Patient

__all__ = [
    "ASSESS_CALCULATORS",
    "ASSESS_PRESENTATION",
    "STATUS_COLUMNS",
    "AssessmentIn",
    "CoursePreview",
    "advance_stage",
    "assess_eligibility",
    "available",
    "get_course",
    "list_assessments",
    "list_course_sessions",
    "list_courses",
    "plan_course",
    "preview_course",
    "set_course_status",
    "upsert_course",
    "upsert_course_status",
]

ASSESS_CALCULATORS = ("assess", "eligibility")
# Episode presentation -> calc assess presentation. Only the 1:1 ones: a CIS episode may or may
# not be "cis_aggressive", and "other" may be anything, so those stay unset (the calculator then
# answers "incomplete" naming presentation) unless the request says which.
ASSESS_PRESENTATION = {
    "relapse": "relapse",
    "optic_neuritis": "optic_neuritis",
    "tumefactive": "tumefactive",
}
_STAGE_ORDER = (
    "referred",
    "assessed",
    "course_planned",
    "course_active",
    "course_completed",
    "handed_back",
)


def advance_stage(patient: Patient, stage: str) -> None:
    """Move the patient's stage forward (never backwards: a new course restarts at planned)."""
    if stage == "course_planned" or _STAGE_ORDER.index(stage) > _STAGE_ORDER.index(patient.stage):
        patient.stage = stage


def _fill(
    calc: Calculator[Any, Any], payload: dict[str, Any], defaults: dict[str, Any]
) -> dict[str, Any]:
    """``payload`` plus ``defaults`` for fields the calculator has and the client left out."""
    fields = calc.request_model.model_fields
    filled = dict(payload)
    for name, value in defaults.items():
        if name in fields and name not in filled and value is not None:
            filled[name] = value
    return filled


def _local_today(ctx: ServiceContext, centre: Centre) -> dt.date:
    return ctx.now.astimezone(ZoneInfo(centre.time_zone)).date()


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _not_asked(payload: dict[str, Any], why: str | None) -> dict[str, str]:
    """Pregnancy ``false`` from the record where not asked; ``{"conditions.pregnant": why}``."""
    conditions: dict[str, Any] = payload.get("conditions") or {}
    if why is None or conditions.get("pregnant") is not None:
        return {}
    payload["conditions"] = {**conditions, "pregnant": False}
    return {"conditions.pregnant": why}


@use_case(Permission.ASSESSMENT_WRITE)
def assess_eligibility(ctx: ServiceContext, patient_id: int, data: AssessmentIn) -> AssessmentOut:
    """Run the eligibility rules (core, via the calculator) and store inputs, result, version."""
    calc: Calculator[Any, Eligibility] = assess_calc.CALCULATOR
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        centre = session.get_one(Centre, patient.centre_id)
        episode = load(session, ctx, Episode, data.episode_id) if data.episode_id else None
        if episode is not None and episode.patient_id != patient.id:
            raise InputError("episode_id", "belongs to another patient")
        today = _local_today(ctx, centre)
        defaults: dict[str, Any] = {
            "sex": patient.sex if patient.sex in ("female", "male") else None,
            "age": _age(patient.birth_date, today),
            "assessment_date": today.isoformat(),
        }
        if episode is not None:
            defaults |= {
                "onset_date": episode.onset_date.isoformat(),
                "presentation": ASSESS_PRESENTATION.get(episode.presentation),
                "edss_pre_relapse": episode.edss_pre_relapse,
            }
        payload = _fill(calc, data.request, defaults)
        policy = load_policy(centre)
        why = pregnancy_not_asked(patient.sex, defaults["age"], policy.eligibility)
        not_asked = _not_asked(payload, why)
        assessment = compute(calc, payload, policy, "request", now=ctx.now)
        row = new(
            ctx,
            Assessment,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            episode_id=episode.id if episode else None,
            assessed_at=ctx.now,
            assessed_by=ctx.username,
            inputs=payload,
            result={**calc.to_json(assessment), "not_asked": not_asked},
            recommendation=assessment.recommendation[:32],
            rule_version=rule_version(calc.name, assessment),
            notes=data.notes,
        )
        session.add(row)
        advance_stage(patient, "assessed")
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="assessment",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"rule_version": row.rule_version},
        )
        return AssessmentOut.model_validate(row)


@use_case(Permission.PATIENT_READ)
def list_assessments(ctx: ServiceContext, patient_id: int) -> list[AssessmentOut]:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        out = rows_of(session, ctx, patient.id, Assessment, AssessmentOut, Assessment.assessed_at)
        audit.record(
            session,
            ctx,
            "read",
            entity="assessment",
            patient_id=patient.id,
            detail={"returned": len(out)},
        )
        return out


def _plan_payload(
    ctx: ServiceContext, session: Session, patient: Patient, centre: Centre, plan: dict[str, Any]
) -> dict[str, Any]:
    measured = latest_measurement(session, patient.id)
    defaults = {
        "sex": patient.sex if patient.sex in ("female", "male") else None,
        **measured,
        "start_date": _local_today(ctx, centre).isoformat(),
    }
    return _fill(plan_calc.CALCULATOR, plan, defaults)


def _plan(ctx: ServiceContext, payload: dict[str, Any], centre: Centre) -> Plan:
    return compute(plan_calc.CALCULATOR, payload, load_policy(centre), "plan", now=ctx.now)


@dataclass(frozen=True)
class CoursePreview:
    """A course as ``plan_course`` would plan it: the ``calc plan`` request filled in from the
    patient's record (``inputs``, JSON as stored with a course) and the core's :class:`Plan`."""

    inputs: dict[str, Any]
    plan: Plan


@use_case(Permission.PATIENT_READ)
def preview_course(ctx: ServiceContext, patient_id: int, plan: dict[str, Any]) -> CoursePreview:
    """What ``plan_course`` would store, without storing it (the planner's comparisons)."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        centre = session.get_one(Centre, patient.centre_id)
        payload = _plan_payload(ctx, session, patient, centre, plan)
        planned = _plan(ctx, payload, centre)
        audit.record(session, ctx, "read", entity="course_preview", patient_id=patient.id)
        return CoursePreview(inputs=payload, plan=planned)


@use_case(Permission.COURSE_PLAN)
def plan_course(ctx: ServiceContext, patient_id: int, data: CoursePlanIn) -> CourseOut:
    """Store a planned course (prescription + schedule from the core) and its sessions."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        centre = session.get_one(Centre, patient.centre_id)
        for field, model in (("episode_id", Episode), ("assessment_id", Assessment)):
            ref = getattr(data, field)
            owner = getattr(load(session, ctx, model, ref), "patient_id", None) if ref else None
            if ref is not None and owner != patient.id:
                raise InputError(field, "belongs to another patient")
        open_course = session.execute(
            select(Course.id).where(
                Course.patient_id == patient.id,
                Course.status.in_(("planned", "active")),
                Course.deleted_at.is_(None),
            )
        ).first()
        if open_course is not None:
            raise Conflict("the patient already has a planned or active course", field="patient_id")
        payload = _plan_payload(ctx, session, patient, centre, data.plan)
        planned = _plan(ctx, payload, centre)
        appointments = planned.course.appointments
        course = new(
            ctx,
            Course,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            episode_id=data.episode_id,
            assessment_id=data.assessment_id,
            indication=data.indication,
            status="planned",
            planned_exchanges=len(appointments),
            plasma_volumes_per_exchange=float(planned.prescription.plasma_volumes_per_exchange),
            replacement_fluid="albumin_5",
            start_date=planned.first_date,
            inputs=payload,
            prescription=plan_calc.plan_json(planned),
            rule_version=rule_version("plan", planned),
            notes=data.notes,
            cosign_required=load_policy(centre).prescription.cosign_required,
        )
        session.add(course)
        session.flush()
        zone = ZoneInfo(planned.time_zone)
        # The volume as the stored plan shows it (to 0.1 mL).
        exchange_volume_ml = round(planned.prescription.exchange_volume_ml, 1)
        booked: list[ExchangeSession] = []
        for appt in appointments:
            start = dt.datetime.combine(appt.date, appt.start, zone)
            end = dt.datetime.combine(appt.date, appt.end, zone)
            booked.append(
                new(
                    ctx,
                    ExchangeSession,
                    centre_id=patient.centre_id,
                    patient_id=patient.id,
                    course_id=course.id,
                    sequence=appt.exchange,
                    status="planned",
                    planned_start=start,
                    planned_end=end,
                    planned_plasma_volume_ml=exchange_volume_ml,
                    replacement_fluids=[],
                    vitals=[],
                )
            )
        session.add_all(booked)
        advance_stage(patient, "course_planned")
        session.flush()
        # Book each exchange into a place, machine and nurse (a centre without resources
        # keeps the exchanges unbooked); 409 with alternatives when they do not fit.
        bookings = booking.book_planned_course(session, ctx, course)
        # then the patient's reminders, for the times as booked
        reminders.queue_for_sessions(session, ctx, booked, planned.time_zone)
        audit.record(
            session,
            ctx,
            "create",
            entity="course",
            entity_id=course.id,
            patient_id=patient.id,
            detail={"sessions": len(appointments), "booked": len(bookings.bookings)},
        )
        return CourseOut.model_validate(course)


COURSE_ORDER = (Course.start_date.desc(), Course.id)


def courses_query(
    ctx: ServiceContext, *, patient_id: int | None = None, status: str | None = None
) -> Select[Any]:
    """The centre's live courses (of one patient, of one status)."""
    query = scoped(ctx, Course).where(Course.deleted_at.is_(None))
    if patient_id is not None:
        query = query.where(Course.patient_id == patient_id)
    if status is not None:
        query = query.where(Course.status == status)
    return query


@use_case(Permission.PATIENT_READ)
def list_courses(
    ctx: ServiceContext,
    *,
    patient_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[CourseOut]:
    """Courses of the centre (the registry list), newest first; filter by patient and status."""
    query = courses_query(ctx, patient_id=patient_id, status=status)
    with ctx.db.write() as session:
        found = page_of(session, CourseOut, query, limit, offset, COURSE_ORDER)
        audit.record(
            session,
            ctx,
            "search",
            entity="course",
            patient_id=patient_id,
            detail={"returned": len(found.items), "total": found.total},
        )
        return found


@use_case(Permission.PATIENT_READ)
def get_course(ctx: ServiceContext, course_id: int) -> CourseOut:
    with ctx.db.write() as session:
        course = load(session, ctx, Course, course_id)
        audit.record(
            session, ctx, "read", entity="course", entity_id=course.id, patient_id=course.patient_id
        )
        return CourseOut.model_validate(course)


@use_case(Permission.PATIENT_READ)
def list_course_sessions(ctx: ServiceContext, course_id: int) -> list[SessionOut]:
    with ctx.db.write() as session:
        course = load(session, ctx, Course, course_id)
        rows = session.execute(
            select(ExchangeSession)
            .where(ExchangeSession.course_id == course.id, ExchangeSession.deleted_at.is_(None))
            .order_by(ExchangeSession.sequence)
        ).scalars()
        out = [SessionOut.model_validate(r) for r in rows]
        audit.record(
            session,
            ctx,
            "read",
            entity="session",
            patient_id=course.patient_id,
            detail={"course_id": course.id, "returned": len(out)},
        )
        return out


#: The statuses a course may move to from each status (start, complete, stop).
_NEXT_STATUS = {"planned": {"active", "stopped"}, "active": {"completed", "stopped"}}
#: The columns of a course that :func:`set_course_status` changes (``COURSE_MANAGE``); any
#: other needs ``COURSE_PLAN``, as planning the course does.
STATUS_COLUMNS = frozenset({"status", "stop_reason", "started_on", "completed_on"})


@use_case(Permission.COURSE_MANAGE)
def set_course_status(
    ctx: ServiceContext, course_id: int, data: CourseStatusIn, expected_version: int
) -> CourseOut:
    """Start, complete or stop a course (stopping needs a reason)."""
    allowed = _NEXT_STATUS
    with ctx.db.write() as session:
        course = load(session, ctx, Course, course_id, for_update=True)
        check_version(course, expected_version)
        if data.status not in allowed.get(course.status, set()):
            raise Conflict(f"a {course.status} course cannot become {data.status}", field="status")
        if data.status == "active":
            require_cosigned(course)
        if data.status == "stopped" and len(data.reason.strip()) < 3:
            raise InputError("reason", "say why the course stopped", allowed=">= 3 characters")
        patient = session.get_one(Patient, course.patient_id)
        today = ctx.now.date()
        course.status = data.status
        course.updated_at = ctx.now
        if data.status == "active":
            course.started_on = course.started_on or today
            advance_stage(patient, "course_active")
        else:
            course.completed_on = today
            course.stop_reason = data.reason if data.status == "stopped" else ""
            advance_stage(patient, "course_completed")
            cancelled = []
            for s in session.execute(
                select(ExchangeSession).where(
                    ExchangeSession.course_id == course.id, ExchangeSession.status == "planned"
                )
            ).scalars():
                s.status = "cancelled"
                s.updated_at = ctx.now
                cancelled.append(s.id)
            booking.release_bookings(session, ctx, cancelled)
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="course",
            entity_id=course.id,
            patient_id=course.patient_id,
            detail={"status": data.status},
        )
        return CourseOut.model_validate(course)


def _upsert_course(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    via: str,
    *,
    status_only: bool,
) -> Saved:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        row, fields = pending(session, Course, patient.id, key, values)
        if status_only and (row is None or not set(fields) <= STATUS_COLUMNS):
            raise Conflict("planning a course needs course:plan", field="course")
        if row is not None and "status" in fields and row.status != values["status"]:
            if values["status"] not in _NEXT_STATUS.get(row.status, set()):
                raise Conflict(
                    f"a {row.status} course cannot become {values['status']}", field="status"
                )
        return upsert(
            session, ctx, Course, entity="course", patient=patient, key=key, values=values, via=via
        )


@use_case(Permission.COURSE_PLAN)
def upsert_course(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The patient's course matched by ``key`` (its start date), created or given the
    ``values`` it lacks, with :func:`plan_course`'s permission; a status moves only as
    :func:`set_course_status` allows (409)."""
    return _upsert_course(ctx, patient_id, key, values, via, status_only=False)


@use_case(Permission.COURSE_MANAGE)
def upsert_course_status(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """Only the status columns (:data:`STATUS_COLUMNS`) of an existing course, with
    :func:`set_course_status`'s permission and transitions (409 otherwise)."""
    return _upsert_course(ctx, patient_id, key, values, via, status_only=True)
