"""Vascular access lines (issue 17, item 3): a patient's lines with line-days and infection
rate, put a line in, take it out, record its care, problems and infections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from plexms.api.deps import IfMatch, PathId, etag, expected_version, requires
from plexms.services.clinical import access_lines
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.access import (
    AccessLineIn,
    AccessLineOut,
    AccessLineRemoveIn,
    AccessSummary,
    LineEventIn,
    LineEventOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["access lines"])
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Write = Annotated[ServiceContext, requires(Permission.SESSION_RECORD)]


@router.get("/patients/{patient_id}/access-lines", response_model=AccessSummary)
def list_access_lines(ctx: Read, patient_id: PathId) -> AccessSummary:
    """The patient's lines (newest first) with events and line-days, the access the
    pre-session check takes today, and line infections per 1,000 line-days."""
    return access_lines.access_summary(ctx, patient_id)


@router.post("/patients/{patient_id}/access-lines", response_model=AccessLineOut, status_code=201)
def add_access_line(
    ctx: Write, patient_id: PathId, body: AccessLineIn, response: Response
) -> AccessLineOut:
    """Record a line put in (409 when a central line is already in place at that site)."""
    out = access_lines.add_line(ctx, patient_id, body)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/access-lines/{line_id}/removal", response_model=AccessLineOut)
def remove_access_line(
    ctx: Write,
    line_id: PathId,
    body: AccessLineRemoveIn,
    response: Response,
    if_match: IfMatch = None,
) -> AccessLineOut:
    """The line came out: date and reason (If-Match optional: 412 when stale)."""
    version = _version(if_match)
    out = access_lines.remove_line(ctx, line_id, body, version)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/access-lines/{line_id}/events", response_model=LineEventOut, status_code=201)
def add_line_event(ctx: Write, line_id: PathId, body: LineEventIn) -> LineEventOut:
    """A dressing change, flush, line problem or infection on a day the line was in place."""
    return access_lines.add_line_event(ctx, line_id, body)


def _version(if_match: str | None) -> int | None:
    return None if if_match is None else expected_version(if_match)
