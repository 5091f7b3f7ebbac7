"""PDF reports of a patient: the course summary (for the referring neurologist) and the
patient handout. Each is rendered from a read of the record (on the read replica when there is
one: the author's own changes are always on what it reads), then kept as a ``Document`` and
audited as an export of patient data in one short write transaction (rendering takes about a
second, and no write lock is held meanwhile)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core import record as rec
from plexms.core.errors import InputError
from plexms.interop import units
from plexms.interop.display import Display
from plexms.reports.course_summary import course_summary_pdf as _render_course_summary
from plexms.reports.handout import handout_pdf as _render_handout
from plexms.reports.inputs import LabDisplay, pick_course
from plexms.reports.summary import CourseSummary, build_course_summary
from plexms.services import audit
from plexms.services._records import load, new
from plexms.services._replica import read_stale
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.store.models import Assessment, Document, Patient
from plexms.store.patient_records import load_record, to_record

__all__ = [
    "PDF",
    "CourseSummary",
    "course_summary",
    "course_summary_pdf",
    "lab_display",
    "patient_handout_pdf",
]

PDF = "application/pdf"


def lab_display(unit_system: str, time_zone: str | None = None) -> LabDisplay:
    """Lab values, dates and times in the centre's convention (a lab value as stored when its
    unit is not a known one)."""
    shown = Display.for_centre(unit_system, time_zone=time_zone)

    def text(analyte: str, value: float, unit: str) -> str:
        if analyte in units.QUANTITIES and unit == units.canonical_unit(analyte):
            return units.format_quantity(value, analyte, unit_system)
        return f"{value:g} {unit}"

    def scale(analyte: str) -> tuple[str, float]:
        shown = units.display_unit(analyte, unit_system)
        return units.unit_label(shown), units.from_canonical(1.0, analyte, shown)

    return LabDisplay(
        text=text, scale=scale, date=shown.date, datetime=shown.datetime, time=shown.time
    )


def _render(
    ctx: ServiceContext,
    patient_id: int,
    course_id: int | None,
    draw: Callable[[Session, rec.PatientRecord, rec.Course | None], bytes],
    *,
    course_required: bool,
) -> tuple[bytes, int, int | None]:

    def read(session: Session) -> tuple[bytes, int, int | None]:
        patient = load(session, ctx, Patient, patient_id)
        try:
            record = load_record(session, patient.id, patient.centre_id)
        except InputError:  # pragma: no cover - load() found the patient a moment ago
            raise NotFound(f"no patient {patient_id}") from None
        course = pick_course(record, course_id)
        if course is None and (course_required or course_id is not None):
            what = f"course {course_id} of patient" if course_id else "course for patient"
            raise NotFound(f"no {what} {patient_id}", field="course_id")
        return draw(session, record, course), patient.centre_id, course.id if course else None

    # on the read replica when there is one: the reader's own changes are on it, anyone
    # else's at most replica_max_lag_seconds old
    rendered, _ = read_stale(ctx, read, again_on=(NotFound,))
    return rendered


def _keep(
    ctx: ServiceContext,
    *,
    pdf: bytes,
    patient_id: int,
    centre_id: int,
    course_id: int | None,
    kind: str,
    title: str,
    store: bool,
) -> None:
    with ctx.db.write() as session:
        document_id = None
        if store:
            document = new(
                ctx,
                Document,
                centre_id=centre_id,
                patient_id=patient_id,
                course_id=course_id,
                kind=kind,
                title=title,
                media_type=PDF,
                content=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
            )
            session.add(document)
            session.flush()
            document_id = document.id
        detail: dict[str, Any] = {"format": "pdf", "report": kind, "bytes": len(pdf)}
        if course_id is not None:
            detail["course_id"] = course_id
        audit.record(
            session,
            ctx,
            "export",
            entity="document",
            entity_id=document_id,
            patient_id=patient_id,
            centre_id=centre_id,
            detail=detail,
        )


def _assessment(session: Session, course: rec.Course) -> rec.Assessment | None:
    """The course's eligibility assessment, else the latest one of its episode."""
    found: Assessment | None
    if course.assessment_id is not None:
        found = session.get(Assessment, course.assessment_id)
    elif course.episode_id is None:
        return None
    else:
        query = (
            select(Assessment)
            .where(Assessment.episode_id == course.episode_id, Assessment.deleted_at.is_(None))
            .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
        )
        found = session.scalars(query.limit(1)).first()
    return None if found is None else to_record(found)


def _summary(session: Session, record: rec.PatientRecord, course: rec.Course) -> CourseSummary:
    return build_course_summary(
        record,
        course,
        assessment=_assessment(session, course),
        display=lab_display(record.centre.units, record.centre.time_zone),
    )


@use_case(Permission.PATIENT_READ)
def course_summary(
    ctx: ServiceContext, patient_id: int, *, course_id: int | None = None
) -> CourseSummary:
    """The summary of the patient's course (``course_id``, default the latest) that the course
    page, the letter and both PDFs render (one object, so they agree)."""
    with ctx.db.write() as session:
        patient = load(session, ctx, Patient, patient_id)
        record = load_record(session, patient.id, patient.centre_id)
        course = pick_course(record, course_id)
        if course is None:
            what = f"course {course_id} of patient" if course_id else "course for patient"
            raise NotFound(f"no {what} {patient_id}", field="course_id")
        summary = _summary(session, record, course)
        audit.record(
            session,
            ctx,
            "read",
            entity="course",
            entity_id=course.id,
            patient_id=patient.id,
            detail={"view": "summary"},
        )
        return summary


@use_case(Permission.EXPORT)
def course_summary_pdf(
    ctx: ServiceContext, patient_id: int, *, course_id: int | None = None, store: bool = True
) -> bytes:
    """The course summary PDF of the patient's course (``course_id``, default the latest)."""

    def draw(session: Session, record: rec.PatientRecord, course: rec.Course | None) -> bytes:
        assert course is not None  # noqa: S101 - _render refuses a missing course
        return _render_course_summary(
            record,
            course,
            _summary(session, record, course),
            assessment=_assessment(session, course),
            display=lab_display(record.centre.units, record.centre.time_zone),
            now=ctx.now,
        )

    pdf, centre_id, cid = _render(ctx, patient_id, course_id, draw, course_required=True)
    _keep(
        ctx,
        pdf=pdf,
        patient_id=patient_id,
        centre_id=centre_id,
        course_id=cid,
        kind="report",
        title=f"TPE course summary (course {cid})",
        store=store,
    )
    return pdf


@use_case(Permission.EXPORT)
def patient_handout_pdf(
    ctx: ServiceContext, patient_id: int, *, course_id: int | None = None, store: bool = True
) -> bytes:
    """The patient handout PDF (appointments of ``course_id``, default the latest course)."""

    def draw(session: Session, record: rec.PatientRecord, course: rec.Course | None) -> bytes:
        policy = load_policy(record.centre)
        summary = None if course is None else _summary(session, record, course)
        display = lab_display(record.centre.units, record.centre.time_zone)
        return _render_handout(record, course, summary, policy=policy, now=ctx.now, display=display)

    pdf, centre_id, cid = _render(ctx, patient_id, course_id, draw, course_required=False)
    _keep(
        ctx,
        pdf=pdf,
        patient_id=patient_id,
        centre_id=centre_id,
        course_id=cid,
        kind="handout",
        title="Your plasma exchange treatment (patient handout)",
        store=store,
    )
    return pdf
