"""Corrections of clinical records: soft delete (410 afterwards, history kept) of courses,
sessions, outcome visits and adverse events; reading one outcome or adverse event with its
ETag; updating an outcome visit or an adverse event with If-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from plexms.api.deps import IfMatch, PathId, etag, expected_version, requires
from plexms.services.clinical import records
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AdverseEventOut,
    AdverseEventUpdate,
    OutcomeOut,
    OutcomeUpdate,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["clinical"])
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Record = Annotated[ServiceContext, requires(Permission.SESSION_RECORD)]
Delete = Annotated[ServiceContext, requires(Permission.DELETE)]
Outcome = Annotated[ServiceContext, requires(Permission.OUTCOME_RECORD)]


def _delete(ctx: ServiceContext, kind: str, row_id: int, if_match: str | None) -> Response:
    records.delete_record(ctx, kind, row_id, expected_version(if_match))
    return Response(status_code=204)


@router.delete("/courses/{course_id}", status_code=204)
def delete_course(ctx: Delete, course_id: PathId, if_match: IfMatch = None) -> Response:
    """Soft delete a course entered in error (410 afterwards; history kept). To end a course
    that happened, POST its status (completed, or stopped with a reason)."""
    return _delete(ctx, "courses", course_id, if_match)


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(ctx: Delete, session_id: PathId, if_match: IfMatch = None) -> Response:
    """Soft delete a session (410 afterwards; history kept)."""
    return _delete(ctx, "sessions", session_id, if_match)


@router.get("/outcomes/{outcome_id}", response_model=OutcomeOut)
def get_outcome(ctx: Read, outcome_id: PathId, response: Response) -> OutcomeOut:
    out = records.get_outcome(ctx, outcome_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/outcomes/{outcome_id}", response_model=OutcomeOut)
def update_outcome(
    ctx: Outcome,
    outcome_id: PathId,
    body: OutcomeUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> OutcomeOut:
    """Correct the targeted deficit grade (response re-classified) or notes. If-Match required."""
    out = records.update_outcome(ctx, outcome_id, body, expected_version(if_match))
    response.headers["ETag"] = etag(out.version)
    return out


@router.delete("/outcomes/{outcome_id}", status_code=204)
def delete_outcome(ctx: Delete, outcome_id: PathId, if_match: IfMatch = None) -> Response:
    """Soft delete an outcome visit (410 afterwards; history kept); record it again to correct."""
    return _delete(ctx, "outcomes", outcome_id, if_match)


@router.get("/adverse-events/{event_id}", response_model=AdverseEventOut)
def get_adverse_event(ctx: Read, event_id: PathId, response: Response) -> AdverseEventOut:
    out = records.get_adverse_event(ctx, event_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/adverse-events/{event_id}", response_model=AdverseEventOut)
def update_adverse_event(
    ctx: Record,
    event_id: PathId,
    body: AdverseEventUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> AdverseEventOut:
    """Severity, action, outcome or notes as the event evolves. If-Match required."""
    out = records.update_adverse_event(ctx, event_id, body, expected_version(if_match))
    response.headers["ETag"] = etag(out.version)
    return out


@router.delete("/adverse-events/{event_id}", status_code=204)
def delete_adverse_event(ctx: Delete, event_id: PathId, if_match: IfMatch = None) -> Response:
    """Soft delete an adverse event entered in error (410 afterwards; history kept)."""
    return _delete(ctx, "adverse-events", event_id, if_match)
