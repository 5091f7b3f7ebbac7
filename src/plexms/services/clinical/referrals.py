"""Referrals: submitted (public form, API, FHIR), listed for triage, accepted or declined.

Accepting links the referral to an existing patient or creates one from ``new_patient``, and
records the referral's presentation as an episode when the onset date is known.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._records import check_version, load, new, page_of, scoped
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, NotFound
from plexms.services.permissions import Permission
from plexms.services.schemas.common import Page
from plexms.services.schemas.patient import ReferralIn, ReferralOut, ReferralTriageIn
from plexms.store.models import Centre, Episode, Patient, Referral

__all__ = [
    "get_referral",
    "list_referrals",
    "submit_public_referral",
    "submit_referral",
    "triage_referral",
]


def _submit(ctx: ServiceContext, centre_id: int, data: ReferralIn, source: str) -> ReferralOut:
    with ctx.db.write() as session:
        if data.patient_id is not None:
            patient = load(session, ctx, Patient, data.patient_id)
            if patient.centre_id != centre_id:  # pragma: no cover - load() scopes already
                raise NotFound(f"no patient {data.patient_id}", field="patient_id")
        elif not (data.patient_family_name and data.patient_given_name):
            raise InputError("patient_family_name", "give the patient's names or patient_id")
        referral = new(
            ctx,
            Referral,
            centre_id=centre_id,
            **data.model_dump(),
            received_at=ctx.now,
            source=source,
            status="pending",
        )
        session.add(referral)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="referral",
            entity_id=referral.id,
            patient_id=referral.patient_id,
            centre_id=centre_id,
            detail={"source": source},
        )
        return ReferralOut.model_validate(referral)


@use_case(Permission.PATIENT_WRITE)
def submit_referral(ctx: ServiceContext, data: ReferralIn) -> ReferralOut:
    """A referral entered by a signed-in user (or imported) into the actor's centre."""
    if ctx.centre_id is None:
        raise InputError("centre", "the system actor must name a centre")
    return _submit(ctx, ctx.centre_id, data, "api")


@use_case(Permission.PUBLIC)
def submit_public_referral(
    ctx: ServiceContext, data: ReferralIn, centre_code: str | None = None
) -> ReferralOut:
    """The public "request an assessment" form: no account; lands in the triage queue.

    Rate limiting and spam resistance are the caller's (web) job; ``patient_id`` is refused
    because an anonymous sender must not be able to attach anything to an existing record.
    """
    if data.patient_id is not None:
        raise InputError("patient_id", "not accepted on the public form")
    with ctx.db.read() as session:
        query = select(Centre.id).order_by(Centre.id).limit(1)
        if centre_code is not None:
            query = select(Centre.id).where(Centre.code == centre_code)
        centre_id = session.execute(query).scalar_one_or_none()
    if centre_id is None:
        raise NotFound("no such centre", field="centre")
    return _submit(ctx, centre_id, data, "web")


REFERRAL_ORDER = (Referral.received_at, Referral.id)


def referrals_query(
    ctx: ServiceContext, *, status: str | None = None, patient_id: int | None = None
) -> Select[Any]:
    """The centre's referrals (of one status, of one patient)."""
    query = scoped(ctx, Referral).where(Referral.deleted_at.is_(None))
    if status is not None:
        query = query.where(Referral.status == status)
    if patient_id is not None:
        query = query.where(Referral.patient_id == patient_id)
    return query


@use_case(Permission.PATIENT_READ)
def list_referrals(
    ctx: ServiceContext,
    *,
    status: str | None = None,
    patient_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[ReferralOut]:
    """Referrals of the centre, oldest pending first (the triage queue with status=pending)."""
    query = referrals_query(ctx, status=status, patient_id=patient_id)
    with ctx.db.write() as session:
        found = page_of(session, ReferralOut, query, limit, offset, REFERRAL_ORDER)
        audit.record(
            session,
            ctx,
            "search",
            entity="referral",
            patient_id=patient_id,
            detail={"returned": len(found.items), "total": found.total},
        )
        return found


@use_case(Permission.PATIENT_READ)
def get_referral(ctx: ServiceContext, referral_id: int) -> ReferralOut:
    with ctx.db.write() as session:
        referral = load(session, ctx, Referral, referral_id)
        audit.record(
            session,
            ctx,
            "read",
            entity="referral",
            entity_id=referral.id,
            patient_id=referral.patient_id,
        )
        return ReferralOut.model_validate(referral)


@use_case(Permission.REFERRAL_TRIAGE)
def triage_referral(
    ctx: ServiceContext, referral_id: int, data: ReferralTriageIn, expected_version: int
) -> ReferralOut:
    """Accept (linking or creating the patient), decline or withdraw a pending referral."""
    with ctx.db.write() as session:
        referral = load(session, ctx, Referral, referral_id, for_update=True)
        check_version(referral, expected_version)
        if referral.status != "pending":
            raise Conflict(f"the referral is already {referral.status}", field="status")
        if data.status == "declined":
            if len(data.triage_note.strip()) < 3:
                raise InputError(
                    "triage_note", "say why the referral is declined", allowed=">= 3 characters"
                )
            referral.reply_draft = _reply(referral, data.triage_note.strip())
        if data.status == "accepted":
            patient = _patient_for(session, ctx, referral, data)
            referral.patient_id = patient.id
            if not patient.referring_neurologist and referral.referrer_name:
                patient.referring_neurologist = ", ".join(
                    p for p in (referral.referrer_name, referral.referrer_organisation) if p
                )[:200]
            if referral.onset_date is not None:
                session.add(
                    new(
                        ctx,
                        Episode,
                        centre_id=patient.centre_id,
                        patient_id=patient.id,
                        onset_date=referral.onset_date,
                        presentation=referral.presentation,
                        description=referral.reason[:2000],
                    )
                )
        referral.status = data.status
        referral.triage_note = data.triage_note
        referral.triaged_at = ctx.now
        referral.triaged_by = ctx.username
        referral.updated_at = ctx.now
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="referral",
            entity_id=referral.id,
            patient_id=referral.patient_id,
            detail={"status": data.status},
        )
        return ReferralOut.model_validate(referral)


def _reply(referral: Referral, reason: str) -> str:
    """The reply to the referrer a declined referral drafts (the coordinator sends it)."""
    who = referral.referrer_name or "colleague"
    patient = " ".join(p for p in (referral.patient_given_name, referral.patient_family_name) if p)
    born = f", born {referral.patient_birth_date:%Y-%m-%d}" if referral.patient_birth_date else ""
    return (
        f"Dear {who},\n\nThank you for referring {patient or 'your patient'}{born} "
        f"(received {referral.received_at:%Y-%m-%d}) for therapeutic plasma exchange. "
        f"We are not able to offer an assessment: {reason}\n\n"
        "Please contact us if the situation changes or to discuss other options.\n"
    )


def _patient_for(
    session: Session, ctx: ServiceContext, referral: Referral, data: ReferralTriageIn
) -> Patient:
    if referral.patient_id is not None:
        return load(session, ctx, Patient, referral.patient_id)
    if data.patient_id is not None:
        return load(session, ctx, Patient, data.patient_id)
    if data.new_patient is None:
        raise InputError("new_patient", "accepting needs patient_id or new_patient")
    taken = session.execute(
        select(Patient.id).where(
            Patient.centre_id == referral.centre_id, Patient.mrn == data.new_patient.mrn
        )
    ).first()
    if taken:
        raise Conflict("a patient with this MRN exists in this centre", field="new_patient.mrn")
    patient = new(
        ctx,
        Patient,
        centre_id=referral.centre_id,
        **data.new_patient.model_dump(),
        stage="referred",
    )
    session.add(patient)
    session.flush()
    audit.record(
        session,
        ctx,
        "create",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        detail={"from_referral": referral.id},
    )
    return patient
