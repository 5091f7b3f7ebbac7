"""Administration: users, the centre's settings, the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from plexms.api.deps import IfMatch, Limit, Offset, PathId, etag, expected_version, requires
from plexms.services.admin import audit_log, centres, users
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import (
    AuditEventOut,
    CentreOut,
    CentreUpdate,
    PasswordResetIn,
    UserIn,
    UserOut,
)
from plexms.services.schemas.common import Page

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"])
Users = Annotated[ServiceContext, requires(Permission.USERS_MANAGE)]
Centre = Annotated[ServiceContext, requires(Permission.CENTRE_MANAGE)]
Signed = Annotated[ServiceContext, requires(Permission.AUTHENTICATED)]
Audit = Annotated[ServiceContext, requires(Permission.AUDIT_READ)]


class ActiveIn(BaseModel):
    model_config = {"extra": "forbid"}
    active: bool


class VerifyOut(BaseModel):
    ok: bool
    rows: int
    head_seq: int
    problems: list[dict[str, int | str]]


@router.get("/users", response_model=list[UserOut])
def list_users(ctx: Users) -> list[UserOut]:
    return users.list_users(ctx)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(ctx: Users, body: UserIn) -> UserOut:
    """A new user of your centre (password >= 12 characters)."""
    return users.create_user(ctx, body)


@router.put("/users/{user_id}/active", response_model=UserOut)
def set_active(ctx: Users, user_id: PathId, body: ActiveIn) -> UserOut:
    return users.set_user_active(ctx, user_id, body.active)


@router.post("/users/{user_id}/unlock", response_model=UserOut)
def unlock(ctx: Users, user_id: PathId) -> UserOut:
    return users.unlock_user(ctx, user_id)


@router.put("/users/{user_id}/password", response_model=UserOut)
def set_password(ctx: Users, user_id: PathId, body: PasswordResetIn) -> UserOut:
    """Set a user's password (admin): unlocks the account and ends all its sessions/tokens."""
    return users.set_password(ctx, user_id, body.new_password)


@router.get("/centre", response_model=CentreOut)
def get_centre(ctx: Signed, response: Response) -> CentreOut:
    """Your centre: contact details, hours, units and its decision-rule settings."""
    out = centres.get_centre(ctx)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch("/centre", response_model=CentreOut)
def update_centre(
    ctx: Centre,
    body: CentreUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CentreOut:
    out = centres.update_centre(ctx, body, expected_version(if_match))
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/audit", response_model=Page[AuditEventOut])
def list_audit(
    ctx: Audit,
    patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    action: Annotated[str | None, Query(max_length=24, pattern=r"^[a-z_]+$")] = None,
    actor: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9._-]+$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AuditEventOut]:
    """The audit trail of your centre, newest first."""
    return audit_log.list_events(
        ctx, patient_id=patient_id, action=action, actor=actor, limit=limit, offset=offset
    )


@router.get("/audit/verify", response_model=VerifyOut)
def verify_audit(ctx: Audit) -> VerifyOut:
    """Verify the hash chain of the whole audit trail."""
    report = audit_log.verify(ctx)
    return VerifyOut(
        ok=report.ok,
        rows=report.rows,
        head_seq=report.head_seq,
        problems=[{"seq": p.seq, "problem": p.problem} for p in report.problems],
    )
