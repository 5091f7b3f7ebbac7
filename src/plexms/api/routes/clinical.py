"""Assessments, courses, sessions, labs, adverse events, outcomes, hand-back, documents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response

from plexms.api.deps import IfMatch, Limit, Offset, PathId, etag, expected_version, requires
from plexms.api.problems import PROBLEM_JSON, Problem
from plexms.services.calc import plan as plan_calc
from plexms.services.clinical import cosign, courses, documents, measures, outcomes, sessions
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AdverseEventIn,
    AdverseEventOut,
    AssessmentIn,
    AssessmentOut,
    CourseOut,
    CoursePlanIn,
    CourseStatus,
    CourseStatusIn,
    DocumentIn,
    DocumentOut,
    HandBackIn,
    HandBackOut,
    LabIn,
    LabOut,
    MeasureOut,
    MeasuresIn,
    OutcomeIn,
    OutcomeOut,
    PatientRecord,
    PrecheckIn,
    SessionAddendumIn,
    SessionAddendumOut,
    SessionOut,
    SessionRecordIn,
)
from plexms.services.schemas.common import Page

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["clinical"])
P = Permission
Read = Annotated[ServiceContext, requires(P.PATIENT_READ)]
Assess = Annotated[ServiceContext, requires(P.ASSESSMENT_WRITE)]
Plan = Annotated[ServiceContext, requires(P.COURSE_PLAN)]
Manage = Annotated[ServiceContext, requires(P.COURSE_MANAGE)]
Cosign = Annotated[ServiceContext, requires(P.COURSE_COSIGN)]
Record = Annotated[ServiceContext, requires(P.SESSION_RECORD)]
Outcome = Annotated[ServiceContext, requires(P.OUTCOME_RECORD)]
HandBack = Annotated[ServiceContext, requires(P.HANDBACK_WRITE)]
Docs = Annotated[ServiceContext, requires(P.DOCUMENT_WRITE)]
Export = Annotated[ServiceContext, requires(P.EXPORT)]
OptId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _tag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


@router.post("/patients/{patient_id}/assessments", response_model=AssessmentOut, status_code=201)
def assess(ctx: Assess, patient_id: PathId, body: AssessmentIn) -> AssessmentOut:
    """Eligibility assessment by the core's rules; inputs, result and rule version stored."""
    return courses.assess_eligibility(ctx, patient_id, body)


@router.get("/patients/{patient_id}/assessments", response_model=list[AssessmentOut])
def list_assessments(ctx: Read, patient_id: PathId) -> list[AssessmentOut]:
    return courses.list_assessments(ctx, patient_id)


@router.post("/patients/{patient_id}/course-preview")
def preview_course(
    ctx: Read, patient_id: PathId, plan: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """The plan (``calc plan`` contract, patient data filled in) without storing it."""
    preview = courses.preview_course(ctx, patient_id, plan)
    return {"inputs": preview.inputs, "result": plan_calc.CALCULATOR.to_json(preview.plan)}


@router.post("/patients/{patient_id}/courses", response_model=CourseOut, status_code=201)
def plan_course(ctx: Plan, patient_id: PathId, body: CoursePlanIn, response: Response) -> CourseOut:
    """Plan a course: prescription and schedule from the core; sessions created."""
    out = courses.plan_course(ctx, patient_id, body)
    _tag(response, out.version)
    return out


@router.get("/courses", response_model=Page[CourseOut])
def list_courses(
    ctx: Read,
    patient_id: OptId = None,
    status: CourseStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CourseOut]:
    return courses.list_courses(
        ctx, patient_id=patient_id, status=status, limit=limit, offset=offset
    )


@router.get("/courses/{course_id}", response_model=CourseOut)
def get_course(ctx: Read, course_id: PathId, response: Response) -> CourseOut:
    out = courses.get_course(ctx, course_id)
    _tag(response, out.version)
    return out


@router.get("/courses/{course_id}/sessions", response_model=list[SessionOut])
def course_sessions(ctx: Read, course_id: PathId) -> list[SessionOut]:
    return courses.list_course_sessions(ctx, course_id)


@router.post("/courses/{course_id}/status", response_model=CourseOut)
def set_course_status(
    ctx: Manage,
    course_id: PathId,
    body: CourseStatusIn,
    response: Response,
    if_match: IfMatch = None,
) -> CourseOut:
    """Start, complete or stop (with a reason) a course. If-Match required."""
    out = courses.set_course_status(ctx, course_id, body, expected_version(if_match))
    _tag(response, out.version)
    return out


@router.post("/courses/{course_id}/cosign", response_model=CourseOut)
def cosign_course(
    ctx: Cosign, course_id: PathId, response: Response, if_match: IfMatch = None
) -> CourseOut:
    """Co-sign a planned course's prescription: a second physician or pharmacist, not the
    prescriber (403), where the centre requires two signatures (else 409). If-Match required."""
    out = cosign.cosign_course(ctx, course_id, expected_version(if_match))
    _tag(response, out.version)
    return out


@router.get("/sessions", response_model=Page[SessionOut])
def list_sessions(
    ctx: Read,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: Literal["planned", "done", "held", "cancelled"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[SessionOut]:
    """Sessions planned in [start, end) (ISO datetimes with offset)."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            from plexms.core.errors import InputError

            raise InputError(name, "must include a time zone offset")
    return sessions.list_sessions(
        ctx, start=start, end=end, status=status, limit=limit, offset=offset
    )


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(ctx: Read, session_id: PathId, response: Response) -> SessionOut:
    out = sessions.get_session(ctx, session_id)
    _tag(response, out.version)
    return out


@router.post("/sessions/{session_id}/precheck", response_model=SessionOut)
def precheck(
    ctx: Record,
    session_id: PathId,
    body: PrecheckIn,
    response: Response,
    if_match: IfMatch = None,
) -> SessionOut:
    """Pre-session go/no-go by the core's rules; stored with the session."""
    out = sessions.record_precheck(ctx, session_id, body, expected_version(if_match))
    _tag(response, out.version)
    return out


@router.put("/sessions/{session_id}/record", response_model=SessionOut)
def record_session(
    ctx: Record,
    session_id: PathId,
    body: SessionRecordIn,
    response: Response,
    if_match: IfMatch = None,
) -> SessionOut:
    """The session sheet: times, volumes, fluids, anticoagulant, calcium, vitals, weights,
    sign-off. Fields not sent keep their stored values; a signed sheet answers 409."""
    out = sessions.record_session(ctx, session_id, body, expected_version(if_match))
    _tag(response, out.version)
    return out


@router.post("/sessions/{session_id}/sign-off", response_model=SessionOut)
def sign_off_session(
    ctx: Record, session_id: PathId, response: Response, if_match: IfMatch = None
) -> SessionOut:
    """Sign the sheet off as saved (no values change); 422 for a session in the future."""
    out = sessions.sign_off_session(ctx, session_id, expected_version(if_match))
    _tag(response, out.version)
    return out


@router.post("/sessions/{session_id}/addenda", response_model=SessionAddendumOut, status_code=201)
def add_session_addendum(
    ctx: Record, session_id: PathId, body: SessionAddendumIn
) -> SessionAddendumOut:
    """Correct a signed sheet: the reason and the new values; each field's old value is kept."""
    return sessions.add_session_addendum(ctx, session_id, body)


@router.post("/patients/{patient_id}/labs", response_model=LabOut, status_code=201)
def add_lab(ctx: Record, patient_id: PathId, body: LabIn) -> LabOut:
    """A lab value in any known unit; stored in the canonical unit."""
    return sessions.add_lab(ctx, patient_id, body)


@router.get("/patients/{patient_id}/labs", response_model=list[LabOut])
def list_labs(ctx: Read, patient_id: PathId) -> list[LabOut]:
    return sessions.list_labs(ctx, patient_id)


@router.post(
    "/patients/{patient_id}/adverse-events", response_model=AdverseEventOut, status_code=201
)
def report_adverse_event(ctx: Record, patient_id: PathId, body: AdverseEventIn) -> AdverseEventOut:
    return sessions.report_adverse_event(ctx, patient_id, body)


@router.get("/adverse-events", response_model=Page[AdverseEventOut])
def list_adverse_events(
    ctx: Read, patient_id: OptId = None, limit: Limit = 100, offset: Offset = 0
) -> Page[AdverseEventOut]:
    return sessions.list_adverse_events(ctx, patient_id=patient_id, limit=limit, offset=offset)


@router.post("/patients/{patient_id}/outcomes", response_model=OutcomeOut, status_code=201)
def record_outcome(ctx: Outcome, patient_id: PathId, body: OutcomeIn) -> OutcomeOut:
    """An outcome visit; the EDSS is computed by the core from the FS scores."""
    return outcomes.record_outcome(ctx, patient_id, body)


@router.get("/patients/{patient_id}/outcomes", response_model=list[OutcomeOut])
def list_outcomes(ctx: Read, patient_id: PathId) -> list[OutcomeOut]:
    return outcomes.list_outcomes(ctx, patient_id)


@router.post("/outcomes/{outcome_id}/measures", response_model=OutcomeOut, status_code=201)
def add_measures(ctx: Outcome, outcome_id: PathId, body: MeasuresIn) -> OutcomeOut:
    """Add measures beyond the EDSS (timed walk, peg test, SDMT, low-contrast letters,
    questionnaire scores) to a recorded visit; each is compared with the baseline visit's."""
    return measures.add_measures(ctx, outcome_id, body)


@router.get("/patients/{patient_id}/measures", response_model=list[MeasureOut])
def list_measures(ctx: Read, patient_id: PathId) -> list[MeasureOut]:
    """Every measure beyond the EDSS with its change from baseline and verdict."""
    return measures.list_measures(ctx, patient_id)


@router.post("/patients/{patient_id}/handbacks", response_model=HandBackOut, status_code=201)
def record_handback(ctx: HandBack, patient_id: PathId, body: HandBackIn) -> HandBackOut:
    return outcomes.record_handback(ctx, patient_id, body)


@router.post(
    "/patients/{patient_id}/documents",
    response_model=DocumentOut,
    status_code=201,
    responses={
        415: {
            "description": "The media type is not one of "
            + ", ".join(documents.ALLOWED_MEDIA_TYPES),
            "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
        }
    },
)
def add_document(ctx: Docs, patient_id: PathId, body: DocumentIn) -> DocumentOut:
    """Keep a letter, report or handout: PDF, PNG, JPEG or UTF-8 plain text, checked by its
    bytes (415 for another type, 422 ``content_base64`` when the bytes are not that type)."""
    return outcomes.add_document(ctx, patient_id, body)


@router.get("/documents/{document_id}/content", response_class=Response)
def document_content(ctx: Export, document_id: PathId) -> Response:
    """The document's bytes (audited as an export), always as an attachment that cannot run
    in plexms's origin (``nosniff``, sandbox CSP; a type outside the allow-list as
    ``application/octet-stream``)."""
    meta, content = outcomes.get_document_content(ctx, document_id)
    name = documents.download_name(meta.id, meta.media_type)
    headers = {**documents.CONTENT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(
        content, media_type=documents.served_media_type(meta.media_type), headers=headers
    )


@router.get("/patients/{patient_id}/record", response_model=PatientRecord)
def get_record(ctx: Read, patient_id: PathId) -> PatientRecord:
    """The whole record: demographics, history, courses, sessions, labs, outcomes."""
    return outcomes.get_record(ctx, patient_id)
