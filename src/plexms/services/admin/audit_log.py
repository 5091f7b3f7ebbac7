"""Reading the audit trail (admins) and verifying its chain."""

from __future__ import annotations

from sqlalchemy import select

from plexms.services import audit
from plexms.services._records import page
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import AuditEventOut
from plexms.services.schemas.common import Page
from plexms.store.models import AuditEvent

__all__ = ["list_events", "verify"]


@use_case(Permission.AUDIT_READ)
def list_events(
    ctx: ServiceContext,
    *,
    patient_id: int | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[AuditEventOut]:
    """Audit rows of the actor's centre, newest first (reading them is audited too)."""
    query = select(AuditEvent)
    if ctx.actor is not None and not ctx.actor.is_system:
        query = query.where(AuditEvent.centre_id == ctx.centre_id)
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    with ctx.db.write() as session:
        rows, total = page(session, query, limit, offset, (AuditEvent.seq.desc(),))
        items = [AuditEventOut.model_validate(r) for r in rows]
        audit.record(
            session,
            ctx,
            "read",
            entity="audit",
            patient_id=patient_id,
            detail={"returned": len(items)},
        )
        return Page[AuditEventOut](items=items, total=total, limit=limit, offset=offset)


@use_case(Permission.AUDIT_READ)
def verify(ctx: ServiceContext) -> audit.AuditReport:
    """Check the whole chain: every hash and link, no gaps, head matches the last row."""
    return audit.verify_chain(ctx)
