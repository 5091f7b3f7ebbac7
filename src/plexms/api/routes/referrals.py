"""Referrals: submit, the triage queue, accept or decline."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from plexms.api.deps import IfMatch, Limit, Offset, PathId, etag, expected_version, requires
from plexms.services.clinical import referrals
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.common import Page
from plexms.services.schemas.patient import ReferralIn, ReferralOut, ReferralTriageIn

__all__ = ["router"]

router = APIRouter(prefix="/api/referrals", tags=["referrals"])
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Write = Annotated[ServiceContext, requires(Permission.PATIENT_WRITE)]
Triage = Annotated[ServiceContext, requires(Permission.REFERRAL_TRIAGE)]


@router.get("", response_model=Page[ReferralOut])
def list_referrals(
    ctx: Read,
    status: Literal["pending", "accepted", "declined", "withdrawn"] | None = None,
    patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReferralOut]:
    """Referrals (``status=pending`` is the triage queue), oldest first."""
    return referrals.list_referrals(
        ctx, status=status, patient_id=patient_id, limit=limit, offset=offset
    )


@router.post("", response_model=ReferralOut, status_code=201)
def submit_referral(ctx: Write, body: ReferralIn, response: Response) -> ReferralOut:
    out = referrals.submit_referral(ctx, body)
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/{referral_id}", response_model=ReferralOut)
def get_referral(ctx: Read, referral_id: PathId, response: Response) -> ReferralOut:
    out = referrals.get_referral(ctx, referral_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/{referral_id}/triage", response_model=ReferralOut)
def triage_referral(
    ctx: Triage,
    referral_id: PathId,
    body: ReferralTriageIn,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralOut:
    """Accept (link ``patient_id`` or create ``new_patient``), decline or withdraw."""
    out = referrals.triage_referral(ctx, referral_id, body, expected_version(if_match))
    response.headers["ETag"] = etag(out.version)
    return out
