"""Clinician override of, or agreement with, an eligibility recommendation (plexms advises;
the clinician decides).

The override (original advice, final decision, reason in words, clinician) is kept inside the
assessment's result next to the untouched rule output, checked by
:func:`plexms.core.rules.apply_override`, versioned (a stale edit is a 412) and audited.
Agreement is recorded the same way (``result["agreement"]``: the advice agreed with,
clinician, time), so "the physician agreed" is on the record, not inferred from silence.
"""

from __future__ import annotations

from typing import Any

from plexms.core.errors import InputError
from plexms.core.rules import apply_override
from plexms.services import audit
from plexms.services._records import check_version, load
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import AssessmentOut
from plexms.store.models import Assessment

__all__ = ["DECISIONS", "agree_assessment", "get_assessment", "override_assessment"]

DECISIONS = ("indicated", "consider", "not_indicated", "defer")


@use_case(Permission.PATIENT_READ)
def get_assessment(ctx: ServiceContext, assessment_id: int) -> AssessmentOut:
    """One stored assessment (inputs, result, rule version, any override)."""
    with ctx.db.write() as session:
        row = load(session, ctx, Assessment, assessment_id)
        audit.record(
            session, ctx, "read", entity="assessment", entity_id=row.id, patient_id=row.patient_id
        )
        return AssessmentOut.model_validate(row)


@use_case(Permission.ASSESSMENT_WRITE)
def override_assessment(
    ctx: ServiceContext, assessment_id: int, final: str, reason: str, expected_version: int
) -> AssessmentOut:
    """Record the clinician's decision instead of the advice; the advice stays in the result."""
    with ctx.db.write() as session:
        row = load(session, ctx, Assessment, assessment_id, for_update=True)
        check_version(row, expected_version)
        original = str(row.result.get("recommendation", ""))
        override = apply_override(
            original, final, reason=reason, clinician=ctx.username, allowed=DECISIONS
        )
        result: dict[str, Any] = dict(row.result)
        result["override"] = {**override.to_dict(), "at": ctx.now.isoformat()}
        result.pop("agreement", None)
        row.result = result
        row.recommendation = final
        row.updated_at = ctx.now
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="assessment",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"override": final},
        )
        return AssessmentOut.model_validate(row)


@use_case(Permission.ASSESSMENT_WRITE)
def agree_assessment(
    ctx: ServiceContext, assessment_id: int, expected_version: int
) -> AssessmentOut:
    """Record that the clinician agrees with the advice (any earlier override is withdrawn and
    the advice becomes the decision again). Only a recommendation can be agreed with: an
    ``incomplete`` assessment names what is missing instead."""
    with ctx.db.write() as session:
        row = load(session, ctx, Assessment, assessment_id, for_update=True)
        check_version(row, expected_version)
        advice = str(row.result.get("recommendation", ""))
        if advice not in DECISIONS:
            raise InputError("recommendation", f"{advice!r} is not advice to agree with")
        result: dict[str, Any] = dict(row.result)
        withdrawn = result.pop("override", None)
        result["agreement"] = {
            "advice": advice,
            "clinician": ctx.username,
            "at": ctx.now.isoformat(),
        }
        row.result = result
        row.recommendation = advice
        row.updated_at = ctx.now
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="assessment",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"agreement": advice, "override_withdrawn": withdrawn is not None},
        )
        return AssessmentOut.model_validate(row)
