"""FHIR use cases: export a patient's record, import a bundle (each audited, no patient data
in the audit detail)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from plexms.interop.fhir_export import patient_bundle
from plexms.interop.fhir_import import BundleRejected, import_bundle
from plexms.interop.record import load_record
from plexms.services import audit
from plexms.services._records import load
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.store.models import Centre, Patient

__all__ = ["BundleRejected", "export_fhir", "export_fhir_all", "import_fhir", "resolve_centre"]


@use_case(Permission.EXPORT)
def export_fhir(
    ctx: ServiceContext, patient_id: int, *, bundle_type: str = "collection"
) -> dict[str, Any]:
    """The FHIR R4 Bundle of one patient of the actor's centre (audited as an export)."""
    with ctx.db.write() as session:
        patient = load(session, ctx, Patient, patient_id)
        bundle = patient_bundle(
            load_record(session, patient.id, patient.centre_id),
            bundle_type=bundle_type,
            now=ctx.now,
        )
        audit.record(
            session,
            ctx,
            "export",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            centre_id=patient.centre_id,
            detail={
                "format": "fhir",
                "bundle_type": bundle_type,
                "resources": len(bundle["entry"]),
            },
        )
    return bundle


@use_case(Permission.EXPORT)
def export_fhir_all(
    ctx: ServiceContext, *, bundle_type: str = "collection"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(patient id, bundle)`` for every live patient the actor may see, one transaction each."""
    with ctx.db.read() as session:
        query = select(Patient.id).where(Patient.deleted_at.is_(None)).order_by(Patient.id)
        if ctx.actor is not None and not ctx.actor.is_system:
            query = query.where(Patient.centre_id == ctx.actor.centre_id)
        ids = list(session.scalars(query))
    for patient_id in ids:
        yield patient_id, export_fhir(ctx, patient_id, bundle_type=bundle_type)


def resolve_centre(ctx: ServiceContext, centre_code: str | None) -> int:
    """The centre an import goes into: the actor's own, or (command line) the one named."""
    if ctx.actor is not None and not ctx.actor.is_system:
        assert ctx.actor.centre_id is not None  # noqa: S101 - every user has a centre
        return ctx.actor.centre_id
    with ctx.db.read() as session:
        centres = list(session.execute(select(Centre.code, Centre.id).order_by(Centre.id)).all())
    if centre_code is not None:
        for code, centre_id in centres:
            if code == centre_code:
                return centre_id
        raise NotFound(f"no centre {centre_code!r}")
    if len(centres) != 1:
        raise NotFound("name the centre to import into (--centre CODE)")
    return centres[0][1]


@use_case(Permission.PATIENT_WRITE)
def import_fhir(
    ctx: ServiceContext, data: bytes | str | dict[str, Any], *, centre_code: str | None = None
) -> dict[str, Any]:
    """Import a FHIR Bundle all or nothing; :class:`BundleRejected` (422) lists every problem."""
    centre_id = resolve_centre(ctx, centre_code)
    try:
        with ctx.db.write() as session:
            summary = import_bundle(
                session, data, centre_id=centre_id, actor=ctx.username, now=ctx.now
            )
            audit.record(
                session,
                ctx,
                "import",
                entity="patient",
                entity_id=summary.patient_id,
                patient_id=summary.patient_id,
                centre_id=centre_id,
                detail={"format": "fhir", "created": summary.created, "updated": summary.updated},
            )
    except BundleRejected as exc:
        audit.record_alone(
            ctx,
            "import",
            centre_id=centre_id,
            outcome="rejected",
            detail={"format": "fhir", "problems": len(exc.problems)},
        )
        raise
    return summary.to_dict()
