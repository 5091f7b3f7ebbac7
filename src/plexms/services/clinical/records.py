"""Corrections to clinical records after the fact: soft delete (the row answers 410 afterwards
and is kept with its history) of courses, sessions, outcome visits and adverse events, and
``If-Match`` updates of adverse events. Every change is versioned and audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from plexms.core.adverse_events import ctcae_grade
from plexms.services import audit
from plexms.services._compute import compute, rule_version
from plexms.services._records import apply, changes, check_version, load, soft_delete
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.calc import response as response_calc
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AdverseEventOut,
    AdverseEventUpdate,
    OutcomeOut,
    OutcomeUpdate,
)
from plexms.store.models import AdverseEvent, Centre, Course, ExchangeSession, OutcomeAssessment

__all__ = [
    "DELETABLE",
    "delete_record",
    "get_adverse_event",
    "get_outcome",
    "update_adverse_event",
    "update_outcome",
]

# API path segment -> (model, audit entity)
DELETABLE: dict[str, tuple[Any, str]] = {
    "courses": (Course, "course"),
    "sessions": (ExchangeSession, "session"),
    "outcomes": (OutcomeAssessment, "outcome"),
    "adverse-events": (AdverseEvent, "adverse_event"),
}


@use_case(Permission.DELETE)
def delete_record(ctx: ServiceContext, kind: str, row_id: int, expected_version: int) -> None:
    """Soft delete one course (with its sessions), session, outcome visit or adverse event
    (410 afterwards)."""
    model, entity = DELETABLE[kind]
    with ctx.db.write() as session:
        row = load(session, ctx, model, row_id, for_update=True)
        check_version(row, expected_version)
        soft_delete(ctx, row)
        if model is Course:  # its sessions go with it (off the board), kept like the course
            for planned in session.execute(
                select(ExchangeSession).where(
                    ExchangeSession.course_id == row.id, ExchangeSession.deleted_at.is_(None)
                )
            ).scalars():
                soft_delete(ctx, planned)
        session.flush()
        audit.record(
            session, ctx, "delete", entity=entity, entity_id=row.id, patient_id=row.patient_id
        )


@use_case(Permission.PATIENT_READ)
def get_outcome(ctx: ServiceContext, outcome_id: int) -> OutcomeOut:
    with ctx.db.write() as session:
        row = load(session, ctx, OutcomeAssessment, outcome_id)
        audit.record(
            session, ctx, "read", entity="outcome", entity_id=row.id, patient_id=row.patient_id
        )
        return OutcomeOut.model_validate(row)


@use_case(Permission.PATIENT_READ)
def get_adverse_event(ctx: ServiceContext, event_id: int) -> AdverseEventOut:
    with ctx.db.write() as session:
        row = load(session, ctx, AdverseEvent, event_id)
        audit.record(
            session,
            ctx,
            "read",
            entity="adverse_event",
            entity_id=row.id,
            patient_id=row.patient_id,
        )
        return AdverseEventOut.model_validate(row)


@use_case(Permission.SESSION_RECORD)
def update_adverse_event(
    ctx: ServiceContext, event_id: int, data: AdverseEventUpdate, expected_version: int
) -> AdverseEventOut:
    """Severity, action, outcome or notes of an adverse event as it evolves (412 when stale);
    the CTCAE-style grade follows the severity."""
    with ctx.db.write() as session:
        row = load(session, ctx, AdverseEvent, event_id, for_update=True)
        check_version(row, expected_version)
        values = changes(data)
        severity = values.get("severity", row.severity)
        threatening = values.get("life_threatening", row.life_threatening)
        values["ctcae_grade"] = ctcae_grade(severity, life_threatening=threatening)
        changed = apply(ctx, row, values)
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="adverse_event",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"fields": changed},
        )
        return AdverseEventOut.model_validate(row)


@use_case(Permission.OUTCOME_RECORD)
def update_outcome(
    ctx: ServiceContext, outcome_id: int, data: OutcomeUpdate, expected_version: int
) -> OutcomeOut:
    """Correct an outcome visit's targeted deficit grade (the stored response is classified
    again from its stored request) or notes (412 when stale). EDSS and acuity: delete the visit
    and record it again."""
    with ctx.db.write() as session:
        row = load(session, ctx, OutcomeAssessment, outcome_id, for_update=True)
        check_version(row, expected_version)
        changed = apply(ctx, row, changes(data, ("targeted_deficit",)))
        request = (row.inputs or {}).get("response")
        if "targeted_deficit" in changed:
            row.inputs = {**(row.inputs or {}), "targeted_deficit": row.targeted_deficit}
        if "targeted_deficit" in changed and isinstance(request, dict):
            request = {k: v for k, v in request.items() if k != "tnd"}
            if row.targeted_deficit is not None:
                request["tnd"] = row.targeted_deficit
            policy = load_policy(session.get_one(Centre, row.centre_id))
            calc = response_calc.CALCULATOR
            response = compute(calc, request, policy, "response", now=ctx.now)
            answer = calc.to_json(response)
            answer["baseline"] = row.result["response"]["baseline"]
            row.inputs = {
                **row.inputs,
                "response": request,
                "targeted_deficit": row.targeted_deficit,
            }
            row.result = {**row.result, "response": answer}
            versions = [v for v in row.rule_version.split(";") if not v.startswith("response:")]
            row.rule_version = ";".join([*versions, rule_version("response", response)])
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="outcome",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"fields": changed},
        )
        return OutcomeOut.model_validate(row)
