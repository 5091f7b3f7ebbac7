"""Outcome measures beyond the EDSS at an outcome visit (timed walk, peg test per hand, SDMT,
low-contrast letters per eye, questionnaire scores): recorded with the visit or added to it
later, each compared with the same measure (and side) at the baseline visit by
:func:`plexms.core.measures.classify_measure` under the centre's thresholds; and the check
that an EDSS taken within 30 days of a relapse onset is not a disability baseline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.core.measures import check_measure, classify_measure, threshold
from plexms.core.policy import CentrePolicy
from plexms.core.response import edss_baseline_check
from plexms.core.vocabulary import MEASURES
from plexms.services import audit
from plexms.services._records import load, new
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.clinical.patients import load_patient
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import MeasureIn, MeasureOut, MeasuresIn, OutcomeOut
from plexms.store.models import Centre, Episode, OutcomeAssessment, OutcomeMeasure

__all__ = [
    "MEASURES_RULE_VERSION",
    "add_measures",
    "baseline_check",
    "list_measures",
    "store_measures",
]

# Bumped when the classification of a measure's change changes (stored with each row).
MEASURES_RULE_VERSION = "measures:1"


def baseline_check(session: Session, patient_id: int, taken_on: dt.date) -> dict[str, Any]:
    """Whether an EDSS taken on ``taken_on`` can be a disability baseline (relapse onsets are
    the patient's live episodes' onset dates), as stored with the visit."""
    onsets = session.execute(
        select(Episode.onset_date).where(
            Episode.patient_id == patient_id, Episode.deleted_at.is_(None)
        )
    ).scalars()
    return edss_baseline_check(taken_on, list(onsets)).to_dict()


def _baseline_value(
    session: Session, visit: OutcomeAssessment, measure: str, side: str | None
) -> OutcomeMeasure | None:
    """The same measure and side at the baseline visit: this course's, else the latest
    baseline visit on or before this one."""
    query = (
        select(OutcomeMeasure, OutcomeAssessment.course_id)
        .join(OutcomeAssessment, OutcomeAssessment.id == OutcomeMeasure.outcome_id)
        .where(
            OutcomeMeasure.patient_id == visit.patient_id,
            OutcomeMeasure.measure == measure,
            OutcomeMeasure.deleted_at.is_(None),
            OutcomeAssessment.deleted_at.is_(None),
            OutcomeAssessment.timepoint == "baseline",
            OutcomeAssessment.assessed_on <= visit.assessed_on,
            OutcomeAssessment.id != visit.id,
        )
        .order_by(OutcomeAssessment.assessed_on.desc(), OutcomeMeasure.id.desc())
    )
    query = query.where(
        OutcomeMeasure.side.is_(None) if side is None else OutcomeMeasure.side == side
    )
    rows = list(session.execute(query).all())
    same = [
        m for m, course_id in rows if visit.course_id is not None and course_id == visit.course_id
    ]
    found = same or [m for m, _ in rows]
    return found[0] if found else None


def _result(
    session: Session,
    visit: OutcomeAssessment,
    measure: str,
    side: str | None,
    value: float,
    policy: CentrePolicy,
) -> dict[str, Any]:
    spec = MEASURES[measure]
    limit = threshold(measure, policy.measures)
    about = {
        "unit": spec.unit,
        "direction": spec.direction,
        "threshold": limit.text(spec.unit),
    }
    if visit.timepoint == "baseline":
        return {"result": "baseline", "source": limit.source, **about}
    base = _baseline_value(session, visit, measure, side)
    change = classify_measure(
        measure, None if base is None else base.value, value, side=side, policy=policy.measures
    ).to_dict()
    if base is not None:
        change["baseline_outcome_id"] = base.outcome_id
        change["baseline_on"] = base.taken_on.isoformat()
    return change | about


def store_measures(
    session: Session,
    ctx: ServiceContext,
    visit: OutcomeAssessment,
    items: Sequence[MeasureIn],
    policy: CentrePolicy,
    field: str = "measures",
) -> list[OutcomeMeasure]:
    """Validate and store ``items`` on ``visit`` (one value per measure and side a visit)."""
    seen = {(m.measure, m.side) for m in visit.measures} if visit.id is not None else set()
    rows = []
    for i, item in enumerate(items):
        where = f"{field}[{i}]."
        value = check_measure(item.measure, item.value, item.side, where)
        key = (item.measure, item.side)
        if key in seen:
            raise InputError(
                f"{field}[{i}]",
                f"{MEASURES[item.measure].label} ({item.side or 'no side'}) is already recorded "
                "at this visit",
                allowed="one value per measure and side",
            )
        seen.add(key)
        row = new(
            ctx,
            OutcomeMeasure,
            centre_id=visit.centre_id,
            patient_id=visit.patient_id,
            outcome_id=visit.id,
            measure=item.measure,
            side=item.side,
            value=value,
            unit=MEASURES[item.measure].unit,
            taken_on=visit.assessed_on,
            result=_result(session, visit, item.measure, item.side, value, policy),
            rule_version=MEASURES_RULE_VERSION,
        )
        session.add(row)
        rows.append(row)
    return rows


@use_case(Permission.OUTCOME_RECORD)
def add_measures(ctx: ServiceContext, outcome_id: int, data: MeasuresIn) -> OutcomeOut:
    """Add measures to a recorded outcome visit; the visit with all its measures."""
    with ctx.db.write() as session:
        visit = load(session, ctx, OutcomeAssessment, outcome_id)
        centre = session.get_one(Centre, visit.centre_id)
        rows = store_measures(session, ctx, visit, data.measures, load_policy(centre))
        session.flush()
        session.refresh(visit)
        audit.record(
            session,
            ctx,
            "create",
            entity="outcome_measure",
            entity_id=visit.id,
            patient_id=visit.patient_id,
            detail={"measures": [r.measure for r in rows]},
        )
        return OutcomeOut.model_validate(visit)


@use_case(Permission.PATIENT_READ)
def list_measures(ctx: ServiceContext, patient_id: int) -> list[MeasureOut]:
    """Every live measure of the patient, by date, with its change from baseline."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        rows = session.execute(
            select(OutcomeMeasure)
            .join(OutcomeAssessment, OutcomeAssessment.id == OutcomeMeasure.outcome_id)
            .where(
                OutcomeMeasure.patient_id == patient.id,
                OutcomeMeasure.deleted_at.is_(None),
                OutcomeAssessment.deleted_at.is_(None),
            )
            .order_by(OutcomeMeasure.taken_on, OutcomeMeasure.id)
        ).scalars()
        out = [MeasureOut.model_validate(r) for r in rows]
        audit.record(
            session,
            ctx,
            "read",
            entity="outcome_measure",
            patient_id=patient.id,
            detail={"returned": len(out)},
        )
        return out
