from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.interop.conftest import NOW, add_centre, seed_patient

from plexms.services import audit
from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.errors import NotFound, PermissionDenied
from plexms.services.sharing import interop
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import AuditEvent


@pytest.fixture
def migrated(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'svc.sqlite'}"
    upgrade(url)
    db = Database(url)
    centre_id = add_centre(db)
    patient_id = seed_patient(db, centre_id)
    yield db, centre_id, patient_id
    db.dispose()


def test_export_and_reimport_are_audited(migrated) -> None:
    db, centre_id, patient_id = migrated
    nurse = ServiceContext(db=db, actor=Actor(7, "nurse", "nurse", centre_id), now=NOW)
    bundle = interop.export_fhir(nurse, patient_id)
    assert bundle["resourceType"] == "Bundle"
    summary = interop.import_fhir(nurse, json.dumps(bundle))
    assert summary["patient_id"] == patient_id and not summary["created"]
    with db.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [(e.action, e.outcome) for e in events] == [("export", "ok"), ("import", "ok")]
        assert all(e.patient_id == patient_id for e in events)
        assert "MRN" not in json.dumps([e.detail for e in events])


def test_rejected_import_is_audited_and_raises(migrated) -> None:
    db, _, _ = migrated
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    with pytest.raises(interop.BundleRejected):
        interop.import_fhir(
            ctx, '{"resourceType": "Bundle", "type": "document"}', centre_code="SEED"
        )
    with db.read() as s:
        event = s.scalars(select(AuditEvent)).one()
        assert (event.action, event.outcome) == ("import", "rejected")
    with pytest.raises(NotFound):
        interop.import_fhir(ctx, "{}", centre_code="NOPE")


def test_viewer_may_not_export_and_other_centres_are_hidden(migrated) -> None:
    db, centre_id, patient_id = migrated
    viewer = ServiceContext(db=db, actor=Actor(8, "viewer", "viewer", centre_id), now=NOW)
    with pytest.raises(PermissionDenied):
        interop.export_fhir(viewer, patient_id)
    other = add_centre(db, code="OTHER")
    stranger = ServiceContext(db=db, actor=Actor(9, "phys", "physician", other), now=NOW)
    with pytest.raises(NotFound):
        interop.export_fhir(stranger, patient_id)
    assert list(interop.export_fhir_all(stranger)) == []
    everyone = list(interop.export_fhir_all(ServiceContext(db=db, actor=SYSTEM, now=NOW)))
    assert [pid for pid, _ in everyone] == [patient_id]


def test_bulk_export_equals_single_exports_and_audits_each_patient(migrated_url: str) -> None:
    """Both backends: batches of the bulk export give the per-patient bundles, one audit row
    per patient (its id, its resource count), a chain that verifies, the GC left as it was."""
    db = Database(migrated_url)
    try:
        centre_id = add_centre(db)
        ids = [seed_patient(db, centre_id, mrn=f"BULK-{i}") for i in range(5)]
        ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
        for kind in ("collection", "transaction"):
            exported = []
            for patient_id, bundle in interop.export_fhir_all(ctx, bundle_type=kind, batch_size=2):
                assert gc.isenabled()  # the consumer runs with the collector on
                exported.append((patient_id, bundle))
            assert [pid for pid, _ in exported] == ids
            with db.read() as s:
                events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
            assert [(e.action, e.entity, e.entity_id, e.patient_id) for e in events[-5:]] == [
                ("export", "patient", pid, pid) for pid in ids
            ]
            assert [e.detail for e in events[-5:]] == [
                {"format": "fhir", "bundle_type": kind, "resources": len(b["entry"])}
                for _, b in exported
            ]
            for patient_id, bundle in exported:
                assert bundle == interop.export_fhir(ctx, patient_id, bundle_type=kind)
        assert audit.verify_chain(ctx).ok
        gc.disable()
        try:
            assert len(list(interop.export_fhir_all(ctx))) == 5
            assert not gc.isenabled()  # a paused collector stays paused
        finally:
            gc.enable()
    finally:
        db.dispose()
