"""Audit rows for use cases: written in the caller's transaction, or alone for failures.

Never put patient data (names, MRN, free text) into ``detail``: ids and use-case names only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexms.services.context import ServiceContext
from plexms.store import audit_chain
from plexms.store.models import AuditEvent

__all__ = ["AuditReport", "record", "record_alone", "verify_chain"]

AuditReport = audit_chain.AuditReport


def record(
    session: Session,
    ctx: ServiceContext,
    action: str,
    *,
    entity: str = "",
    entity_id: int | None = None,
    patient_id: int | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
    centre_id: int | None = None,
) -> None:
    """Append one audit row inside ``session``'s transaction."""
    audit_chain.append(
        session,
        at=ctx.now,
        actor=actor or ctx.username,
        actor_role=ctx.actor.role if ctx.actor else "",
        centre_id=centre_id if centre_id is not None else ctx.centre_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        outcome=outcome,
        request_id=ctx.request_id[:64],
        detail=detail or {},
    )


def record_alone(ctx: ServiceContext, action: str, **kwargs: Any) -> None:
    """Append one audit row in a transaction of its own (denials, failed logins)."""
    with ctx.db.write() as session:
        record(session, ctx, action, **kwargs)


def verify_chain(ctx: ServiceContext) -> audit_chain.AuditReport:
    """Check the whole audit chain (``plexms audit verify``)."""
    with ctx.db.read() as session:
        return audit_chain.verify(session)


def count(session: Session, **where: Any) -> int:
    """Number of audit rows matching ``where`` (column=value), for tests and reports."""
    query = select(func.count()).select_from(AuditEvent)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return int(session.execute(query).scalar_one())
