"""Outcome visits (EDSS, visual acuity, targeted deficit, response), the hand-back to the
referring neurologist, documents, and the whole record (read or export)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.core.vocabulary import PRESENTATIONS
from plexms.services import audit
from plexms.services._compute import compute, rule_version
from plexms.services._records import Saved, load, new, scoped, upsert
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.calc import acuity as acuity_calc
from plexms.services.calc import dmt as dmt_calc
from plexms.services.calc import edss as edss_calc
from plexms.services.calc import response as response_calc
from plexms.services.clinical import course_state, documents
from plexms.services.clinical.courses import advance_stage
from plexms.services.clinical.measures import baseline_check, store_measures
from plexms.services.clinical.patients import load_patient
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AdverseEventOut,
    AssessmentOut,
    CourseOut,
    DocumentIn,
    DocumentOut,
    HandBackIn,
    HandBackOut,
    LabOut,
    OutcomeIn,
    OutcomeOut,
    PatientRecord,
    SessionOut,
)
from plexms.services.schemas.patient import (
    DmtOut,
    EpisodeOut,
    MeasurementOut,
    MriOut,
    PatientOut,
    ReferralOut,
    SteroidOut,
)
from plexms.store.models import (
    AdverseEvent,
    Assessment,
    Centre,
    Course,
    DmtHistory,
    Document,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    Measurement,
    MriStudy,
    OutcomeAssessment,
    OutcomeMeasure,
    Referral,
    SteroidCourse,
)

__all__ = [
    "add_document",
    "export_record",
    "get_document_content",
    "get_record",
    "list_outcomes",
    "record_handback",
    "record_outcome",
    "upsert_document",
    "upsert_handback",
    "upsert_outcome",
    "upsert_outcome_measure",
]


def _check_course(
    session: Session, ctx: ServiceContext, course_id: int | None, patient_id: int
) -> None:
    if course_id is not None and load(session, ctx, Course, course_id).patient_id != patient_id:
        raise InputError("course_id", "belongs to another patient")


def _eyes(
    ctx: ServiceContext,
    data: OutcomeIn,
    policy: CentrePolicy,
    result: dict[str, Any],
    versions: list[str],
) -> tuple[float | None, float | None]:
    """logMAR of each eye: entered as logMAR, or converted by calc acuity (one eye a request)."""
    logmar = {"right": data.va_right_logmar, "left": data.va_left_logmar}
    if data.acuity is None:
        return logmar["right"], logmar["left"]
    converted: dict[str, Any] = {}
    calc = acuity_calc.CALCULATOR
    for eye in ("right", "left"):
        given = getattr(data.acuity, eye)
        if given is None:
            continue
        if logmar[eye] is not None:
            raise InputError(
                f"acuity.{eye}", f"give acuity.{eye} or va_{eye}_logmar, not both", allowed="one"
            )
        payload = given.model_dump(exclude_none=True)
        answer = compute(calc, payload, policy, f"acuity.{eye}", now=ctx.now)
        if answer.acuity is None:  # pragma: no cover - a request with "value" is answered so
            raise TypeError(answer)
        converted[eye] = calc.to_json(answer)  # stored with the visit, as the contract says
        # The logMAR the answer reports (to 2 places), as stored before.
        logmar[eye] = acuity_calc.acuity_report(answer.acuity).logmar
    if converted:
        result["acuity"] = converted
        versions.append(rule_version("acuity", answer))
    return logmar["right"], logmar["left"]


def _state(edss: float | None, right: float | None, left: float | None) -> dict[str, Any]:
    """An assessment in calc response's form (only what is known)."""
    state: dict[str, Any] = {} if edss is None else {"edss": edss}
    eyes = {k: v for k, v in (("right", right), ("left", left)) if v is not None}
    return state | ({"logmar": eyes} if eyes else {})


def _baseline(
    session: Session, patient_id: int, course: Course | None, on: dt.date
) -> dict[str, Any] | None:
    """The baseline visit (this course's first, else the latest before ``on``), else the
    latest eligibility assessment with an EDSS or acuity."""
    visits = list(
        session.execute(
            select(OutcomeAssessment)
            .where(
                OutcomeAssessment.patient_id == patient_id,
                OutcomeAssessment.timepoint == "baseline",
                OutcomeAssessment.assessed_on <= on,
                OutcomeAssessment.deleted_at.is_(None),
            )
            .order_by(OutcomeAssessment.assessed_on.desc(), OutcomeAssessment.id.desc())
        ).scalars()
    )
    same = [v for v in visits if course is not None and v.course_id == course.id]
    for visit in same or visits:
        return {
            "from": "outcome",
            "id": visit.id,
            "date": visit.assessed_on.isoformat(),
            "state": _state(visit.edss, visit.va_right_logmar, visit.va_left_logmar),
        }
    rows = session.execute(
        select(Assessment)
        .where(Assessment.patient_id == patient_id, Assessment.deleted_at.is_(None))
        .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
    ).scalars()
    for a in rows:
        if a.assessed_at.date() > on:
            continue
        logmar = a.inputs.get("logmar") or {}
        state = _state(a.inputs.get("edss_now"), logmar.get("right"), logmar.get("left"))
        if state:
            return {
                "from": "assessment",
                "id": a.id,
                "date": a.assessed_at.date().isoformat(),
                "state": state,
                "edss_pre_relapse": a.inputs.get("edss_pre_relapse"),
            }
    return None


def _episode(session: Session, patient_id: int, course: Course | None, on: dt.date) -> Any:
    """The course's episode, else the patient's latest episode with onset on or before ``on``."""
    if course is not None and course.episode_id is not None:
        return session.get(Episode, course.episode_id)
    return session.execute(
        select(Episode)
        .where(
            Episode.patient_id == patient_id,
            Episode.onset_date <= on,
            Episode.deleted_at.is_(None),
        )
        .order_by(Episode.onset_date.desc(), Episode.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _response(
    session: Session,
    patient_id: int,
    course: Course | None,
    data: OutcomeIn,
    followup: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(baseline, calc response request)`` for this visit, or None (a baseline visit, or no
    baseline to compare with)."""
    if data.timepoint == "baseline":
        return None
    baseline = _baseline(session, patient_id, course, data.assessed_on)
    if baseline is None:
        return None
    episode = _episode(session, patient_id, course, data.assessed_on)
    kind = course.indication if course is not None else getattr(episode, "presentation", None)
    kind = kind or "relapse"
    request: dict[str, Any] = {
        "baseline": baseline["state"],
        "followup": followup,
        # the calc response contract's spelling of the course indication
        "indication": PRESENTATIONS.contract(kind) if kind in PRESENTATIONS else "other",
    }
    pre = getattr(episode, "edss_pre_relapse", None)
    if pre is None:
        pre = baseline.get("edss_pre_relapse")
    if pre is not None:
        request["pre_relapse"] = {"edss": pre}
    if data.targeted_deficit is not None:
        request["tnd"] = data.targeted_deficit
    if course is not None:
        # the stop/continue review (core.review): exchanges done by the visit's day
        request["exchanges_done"] = _exchanges_done(session, course, data.assessed_on)
    return baseline, request


def _exchanges_done(session: Session, course: Course, on: dt.date) -> int:
    """The course's completed exchanges that started on or before ``on`` (centre-local)."""
    centre = session.get_one(Centre, course.centre_id)
    zone = ZoneInfo(centre.time_zone)
    starts = session.execute(
        select(ExchangeSession.actual_start).where(
            ExchangeSession.course_id == course.id,
            ExchangeSession.status == "done",
            ExchangeSession.actual_start.is_not(None),
            ExchangeSession.deleted_at.is_(None),
        )
    ).scalars()
    return sum(1 for s in starts if s is not None and s.astimezone(zone).date() <= on)


@use_case(Permission.OUTCOME_RECORD)
def record_outcome(ctx: ServiceContext, patient_id: int, data: OutcomeIn) -> OutcomeOut:
    """Store an outcome visit: EDSS computed by the core from the FS scores (calc ``edss``),
    acuity per eye in any notation (calc ``acuity``), and the response against the baseline
    (the baseline visit, else the latest assessment; pre-relapse EDSS from the episode) under
    every definition (calc ``response``). Inputs, results and rule versions are stored."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        centre = session.get_one(Centre, patient.centre_id)
        today = ctx.now.astimezone(ZoneInfo(centre.time_zone)).date()
        if data.assessed_on > today:
            # a visit is recorded after it happened (the centre's today, not UTC's)
            raise InputError(
                "assessed_on",
                f"{data.assessed_on.isoformat()} is in the future",
                allowed=f"on or before {today.isoformat()}",
            )
        _check_course(session, ctx, data.course_id, patient.id)
        course = session.get(Course, data.course_id) if data.course_id is not None else None
        policy = load_policy(centre)
        result: dict[str, Any] = {}
        versions: list[str] = []
        edss = None
        if data.edss is not None:
            scored = compute(edss_calc.CALCULATOR, data.edss, policy, "edss", now=ctx.now)
            result["edss"] = edss_calc.CALCULATOR.to_json(scored)
            edss = float(scored.edss)
            versions.append(rule_version("edss", scored))
        va_right, va_left = _eyes(ctx, data, policy, result, versions)
        if edss is not None:
            result["edss_baseline"] = baseline_check(session, patient.id, data.assessed_on)
        inputs = data.model_dump(mode="json", exclude={"notes", "measures"})
        found = _response(session, patient.id, course, data, _state(edss, va_right, va_left))
        if found is not None:
            baseline, request = found
            response = compute(response_calc.CALCULATOR, request, policy, "response", now=ctx.now)
            result["response"] = response_calc.CALCULATOR.to_json(response)
            result["response"]["baseline"] = {k: v for k, v in baseline.items() if k != "state"}
            if "edss" in baseline["state"]:
                # the EDSS compared against: a disability baseline, or within 30 days of a relapse?
                result["response"]["edss_baseline"] = baseline_check(
                    session, patient.id, dt.date.fromisoformat(baseline["date"])
                )
            inputs["response"] = request
            versions.append(rule_version("response", response))
        row = new(
            ctx,
            OutcomeAssessment,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            course_id=data.course_id,
            timepoint=data.timepoint,
            assessed_on=data.assessed_on,
            assessed_by=ctx.username,
            edss=edss,
            va_right_logmar=va_right,
            va_left_logmar=va_left,
            targeted_deficit=data.targeted_deficit,
            inputs=inputs,
            result=result,
            rule_version=";".join(versions) or "entered",
            notes=data.notes,
        )
        session.add(row)
        session.flush()
        if data.measures:
            store_measures(session, ctx, row, data.measures, policy)
            session.flush()
            session.refresh(row)
        audit.record(
            session,
            ctx,
            "create",
            entity="outcome",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"timepoint": data.timepoint}
            | ({"measures": len(data.measures)} if data.measures else {}),
        )
        return OutcomeOut.model_validate(row)


@use_case(Permission.PATIENT_READ)
def list_outcomes(ctx: ServiceContext, patient_id: int) -> list[OutcomeOut]:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        rows = _rows(session, OutcomeAssessment, patient.id, OutcomeAssessment.assessed_on)
        out = [OutcomeOut.model_validate(r) for r in rows]
        audit.record(
            session,
            ctx,
            "read",
            entity="outcome",
            patient_id=patient.id,
            detail={"returned": len(out)},
        )
        return out


def _with_done_exchanges(
    session: Session, centre: Centre, course_id: int | None, request: dict[str, Any]
) -> dict[str, Any]:
    """The calc dmt request with the course as done: the dates of its completed exchanges
    (centre-local), so the timing runs from the actual last exchange, not the plan."""
    course_in = request.get("course")
    if course_id is None or (isinstance(course_in, dict) and "exchange_dates" in course_in):
        return request
    starts = session.execute(
        select(ExchangeSession.actual_start)
        .where(
            ExchangeSession.course_id == course_id,
            ExchangeSession.status == "done",
            ExchangeSession.actual_start.is_not(None),
            ExchangeSession.deleted_at.is_(None),
        )
        .order_by(ExchangeSession.actual_start)
    ).scalars()
    zone = ZoneInfo(centre.time_zone)
    dates = [s.astimezone(zone).date().isoformat() for s in starts if s is not None]
    if not dates:
        return request  # nothing done yet: the calculator plans from the request's course
    course = session.get_one(Course, course_id)
    given = course_in if isinstance(course_in, dict) else {}
    return request | {
        "course": {
            "plasma_volumes_per_exchange": course.plasma_volumes_per_exchange,
            **given,
            "start_date": dates[0],
            "exchanges": len(dates),
            "exchange_dates": dates,
        }
    }


@use_case(Permission.HANDBACK_WRITE)
def record_handback(ctx: ServiceContext, patient_id: int, data: HandBackIn) -> HandBackOut:
    """The hand-back plan: DMT and timing by calc dmt, against the course's completed
    exchanges (their actual dates) when the course is given."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        _check_course(session, ctx, data.course_id, patient.id)
        result: dict[str, Any] = {}
        version = "entered"
        earliest = data.earliest_dose_date
        inputs = data.request
        if inputs is not None:
            calc = dmt_calc.CALCULATOR
            centre = session.get_one(Centre, patient.centre_id)
            inputs = _with_done_exchanges(session, centre, data.course_id, inputs)
            advice = compute(calc, inputs, load_policy(centre), "request", now=ctx.now)
            result = calc.to_json(advice)
            version = rule_version(calc.name, advice)
        row = new(
            ctx,
            HandBack,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            course_id=data.course_id,
            planned_dmt=data.planned_dmt,
            earliest_dose_date=earliest,
            plan=data.plan,
            inputs=inputs or {},
            result=result,
            rule_version=version,
        )
        session.add(row)
        advance_stage(patient, "handed_back")
        session.flush()
        course_state.close_at_handback(session, ctx, data.course_id)
        audit.record(
            session, ctx, "create", entity="handback", entity_id=row.id, patient_id=patient.id
        )
        return HandBackOut.model_validate(row)


@use_case(Permission.DOCUMENT_WRITE)
def add_document(ctx: ServiceContext, patient_id: int, data: DocumentIn) -> DocumentOut:
    """Keep a letter, report or handout with the record (PDF, PNG, JPEG or plain text, checked
    by its bytes: see :mod:`plexms.services.clinical.documents`)."""
    try:
        content = base64.b64decode(data.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("content_base64", "is not base64") from None
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        _check_course(session, ctx, data.course_id, patient.id)
        media_type = documents.check_document(data.media_type, content)  # after: 404 first
        row = new(
            ctx,
            Document,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            course_id=data.course_id,
            kind=data.kind,
            title=data.title,
            media_type=media_type,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="document",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"kind": data.kind},
        )
        return DocumentOut.model_validate(row)


@use_case(Permission.EXPORT)
def get_document_content(ctx: ServiceContext, document_id: int) -> tuple[DocumentOut, bytes]:
    """A document's bytes (audited as an export)."""
    with ctx.db.write() as session:
        row = load(session, ctx, Document, document_id)
        audit.record(
            session, ctx, "export", entity="document", entity_id=row.id, patient_id=row.patient_id
        )
        return DocumentOut.model_validate(row), bytes(row.content)


def _rows(session: Session, model: Any, patient_id: int, order: Any) -> list[Any]:
    return list(
        session.execute(
            select(model)
            .where(model.patient_id == patient_id, model.deleted_at.is_(None))
            .order_by(order, model.id)
        ).scalars()
    )


def _record(session: Session, ctx: ServiceContext, patient_id: int) -> PatientRecord:
    patient = load_patient(session, ctx, patient_id)

    def rows(model: Any, out: Any, order: Any) -> list[Any]:
        return [out.model_validate(r) for r in _rows(session, model, patient.id, order)]

    return PatientRecord(
        patient=PatientOut.model_validate(patient),
        measurements=rows(Measurement, MeasurementOut, Measurement.measured_at),
        referrals=rows(Referral, ReferralOut, Referral.received_at),
        episodes=rows(Episode, EpisodeOut, Episode.onset_date),
        steroid_courses=rows(SteroidCourse, SteroidOut, SteroidCourse.start_date),
        mri=rows(MriStudy, MriOut, MriStudy.study_date),
        dmts=rows(DmtHistory, DmtOut, DmtHistory.started_on),
        assessments=rows(Assessment, AssessmentOut, Assessment.assessed_at),
        courses=rows(Course, CourseOut, Course.start_date),
        sessions=rows(ExchangeSession, SessionOut, ExchangeSession.planned_start),
        labs=rows(LabResult, LabOut, LabResult.taken_at),
        adverse_events=rows(AdverseEvent, AdverseEventOut, AdverseEvent.onset_at),
        outcomes=rows(OutcomeAssessment, OutcomeOut, OutcomeAssessment.assessed_on),
        handbacks=rows(HandBack, HandBackOut, HandBack.created_at),
        documents=rows(Document, DocumentOut, Document.created_at),
    )


@use_case(Permission.PATIENT_READ)
def get_record(ctx: ServiceContext, patient_id: int) -> PatientRecord:
    """The whole record for the patient page (audited as a read)."""
    with ctx.db.write() as session:
        record = _record(session, ctx, patient_id)
        audit.record(session, ctx, "read", entity="record", patient_id=patient_id)
        return record


@use_case(Permission.EXPORT)
def export_record(ctx: ServiceContext, patient_id: int, purpose: str = "export") -> PatientRecord:
    """The whole record for export (FHIR, reports); audited as an export with its purpose."""
    with ctx.db.write() as session:
        record = _record(session, ctx, patient_id)
        audit.record(
            session,
            ctx,
            "export",
            entity="record",
            patient_id=patient_id,
            detail={"purpose": purpose[:64]},
        )
        return record


_ = scoped


# --- upsert by identifier (the FHIR import): the permissions and audit of the routes above --


def _upsert(
    ctx: ServiceContext,
    patient_id: int,
    model: Any,
    entity: str,
    key: dict[str, Any],
    values: dict[str, Any],
    via: str,
) -> Saved:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        return upsert(
            session, ctx, model, entity=entity, patient=patient, key=key, values=values, via=via
        )


@use_case(Permission.OUTCOME_RECORD)
def upsert_outcome(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The outcome visit matched by ``key`` (day and timepoint, or id), created or given the
    ``values`` it lacks, with :func:`record_outcome`'s permission."""
    return _upsert(ctx, patient_id, OutcomeAssessment, "outcome", key, values, via)


@use_case(Permission.OUTCOME_RECORD)
def upsert_outcome_measure(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """A measure beyond the EDSS of an outcome visit (matched by visit, measure and side),
    created or given the ``values`` it lacks, with the measures route's permission."""
    return _upsert(ctx, patient_id, OutcomeMeasure, "outcome_measure", key, values, via)


@use_case(Permission.HANDBACK_WRITE)
def upsert_handback(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The course's hand-back, created or given the ``values`` it lacks, with
    :func:`record_handback`'s permission."""
    return _upsert(ctx, patient_id, HandBack, "hand_back", key, values, via)


@use_case(Permission.DOCUMENT_WRITE)
def upsert_document(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The document matched by ``key`` (its SHA-256), created or given the ``values`` it
    lacks, with :func:`add_document`'s permission and media-type allow-list (415/422)."""
    media_type = documents.check_document(values["media_type"], values["content"])
    if hashlib.sha256(values["content"]).hexdigest() != key["sha256"]:
        raise InputError("sha256", "does not match the content")
    return _upsert(
        ctx, patient_id, Document, "document", key, values | {"media_type": media_type}, via
    )
