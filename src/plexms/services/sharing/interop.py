"""FHIR use cases: export a patient's record, import a bundle (each audited, no patient data
in the audit detail)."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.interop.fhir_export import patient_bundle
from plexms.interop.fhir_import import BundleRejected, plan_import
from plexms.services import audit
from plexms.services._records import load
from plexms.services._replica import read_stale
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound, PermissionDenied
from plexms.services.permissions import Permission
from plexms.services.sharing._fhir_guard import check_plan
from plexms.services.sharing._fhir_write import ImportDenied, write_plan
from plexms.store.models import Centre, Patient
from plexms.store.patient_records import live_patient_ids, load_record, load_records

__all__ = ["BundleRejected", "export_fhir", "export_fhir_all", "import_fhir", "resolve_centre"]


@use_case(Permission.EXPORT)
def export_fhir(
    ctx: ServiceContext, patient_id: int, *, bundle_type: str = "collection"
) -> dict[str, Any]:
    """The FHIR R4 Bundle of one patient of the actor's centre (audited as an export)."""
    with ctx.db.read() as session:  # build outside the write lock, then audit
        patient = load(session, ctx, Patient, patient_id)
        centre_id = patient.centre_id
        bundle = patient_bundle(
            load_record(session, patient_id, centre_id), bundle_type=bundle_type, now=ctx.now
        )
    with ctx.db.write() as session:
        _audit_export(session, ctx, patient_id, centre_id, bundle, bundle_type)
    return bundle


@use_case(Permission.EXPORT)
def export_fhir_all(
    ctx: ServiceContext, *, bundle_type: str = "collection", batch_size: int = 200
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(patient id, bundle)`` for every live patient the actor may see.

    Patients go in batches: one read (a dozen queries; on the read replica when there is
    one) builds the batch's bundles, one write appends an export audit row per patient, then
    the bundles are yielded.
    """
    if bundle_type not in ("collection", "transaction"):
        raise InputError("bundle_type", repr(bundle_type), allowed="collection, transaction")
    centre_id = None if ctx.actor is None or ctx.actor.is_system else ctx.actor.centre_id
    ids, _ = read_stale(ctx, lambda session: live_patient_ids(session, centre_id))
    for first in range(0, len(ids), batch_size):
        bundles = _build_batch(ctx, ids[first : first + batch_size], centre_id, bundle_type)
        with ctx.db.write() as session:
            for patient_id, patient_centre, bundle in bundles:
                _audit_export(session, ctx, patient_id, patient_centre, bundle, bundle_type)
        for patient_id, _, bundle in bundles:
            yield patient_id, bundle


def _build_batch(
    ctx: ServiceContext, ids: list[int], centre_id: int | None, bundle_type: str
) -> list[tuple[int, int, dict[str, Any]]]:
    """``(patient id, centre id, bundle)`` of the live ``ids``, read in one transaction (on
    the read replica when there is one).

    The cyclic garbage collector is paused meanwhile (and put back as it was): the rows and
    bundles are some 1,000 containers per patient and hold no reference cycles, yet the
    collections their allocation triggered took over half of the build (1,000 registry
    patients: 1.2 s with the collector on, 0.55 s paused; nothing left for it to find after).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        built, _ = read_stale(
            ctx,
            lambda session: [
                (
                    record.patient.id,
                    record.centre.id,
                    patient_bundle(record, bundle_type=bundle_type, now=ctx.now),
                )
                for record in load_records(session, ids, centre_id)
            ],
        )
        return built
    finally:
        if was_enabled:
            gc.enable()


def _audit_export(
    session: Session,
    ctx: ServiceContext,
    patient_id: int,
    centre_id: int,
    bundle: dict[str, Any],
    bundle_type: str,
) -> None:
    audit.record(
        session,
        ctx,
        "export",
        entity="patient",
        entity_id=patient_id,
        patient_id=patient_id,
        centre_id=centre_id,
        detail={"format": "fhir", "bundle_type": bundle_type, "resources": len(bundle["entry"])},
    )


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
    """Import a FHIR Bundle all or nothing; :class:`BundleRejected` (422) lists every problem.

    A front like the API: the text limits and vocabularies of the routes' schemas are checked
    first (422, every problem at once); then each record goes through the clinical use case
    that writes it (``upsert_*`` beside the direct routes' use cases), in one transaction, so
    it needs that record's permission (403, audited ``denied``), keeps its state rules (a
    signed-off session cannot change: 409) and the document allow-list (415/422), and gets
    its audit row (``create``/``update`` naming the fields). A record already as imported
    calls nothing: an unchanged export imported back is a no-op. One ``import`` row sums up.
    """
    centre_id = resolve_centre(ctx, centre_code)
    try:
        plan = plan_import(data, actor=ctx.username)
        check_plan(plan)
        with ctx.db.transaction() as db:
            summary = write_plan(dataclasses.replace(ctx, db=db), plan, centre_id=centre_id)
            with db.write() as session:
                audit.record(
                    session,
                    ctx,
                    "import",
                    entity="patient",
                    entity_id=summary.patient_id,
                    patient_id=summary.patient_id,
                    centre_id=centre_id,
                    detail={
                        "format": "fhir",
                        "created": summary.created,
                        "updated": summary.updated,
                    },
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
    except ImportDenied as exc:
        audit.record_alone(
            ctx,
            "denied",
            centre_id=centre_id,
            outcome="denied",
            detail={
                "use_case": "import_fhir",
                "record": exc.kind,
                "record_use_case": exc.use_case,
                "permission": str(exc.permission),
            },
        )
        raise PermissionDenied(
            f"your role may not write {exc.kind.replace('_', ' ')} records, by import or otherwise"
        ) from None
    return summary.to_dict()
