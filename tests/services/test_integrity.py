"""Audit atomicity, optimistic concurrency and lost updates (services and API)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from plexms.services.clinical import patients
from plexms.services.errors import StaleVersion
from plexms.services.schemas import PatientUpdate
from plexms.store import audit_chain
from plexms.store.models import AuditEvent, Patient


class Fault(RuntimeError):
    pass


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_fault_after_the_write_rolls_back_record_and_audit(world) -> None:
    before = (_count(world.db, Patient), _count(world.db, AuditEvent))

    def boom(session: Session) -> None:
        # A crash after both the record and its audit row were written, before the commit.
        pid = session.execute(select(Patient.id).where(Patient.mrn == "ATOMIC-1")).scalar()
        if (
            pid is not None
            and session.execute(select(AuditEvent.seq).where(AuditEvent.patient_id == pid)).first()
        ):
            raise Fault("disk gone")

    event.listen(Session, "before_commit", boom)
    try:
        with pytest.raises(Fault):
            world.patient("a", mrn="ATOMIC-1")
    finally:
        event.remove(Session, "before_commit", boom)
    assert (_count(world.db, Patient), _count(world.db, AuditEvent)) == before
    with world.db.read() as s:
        assert audit_chain.verify(s).ok


def test_stale_write_gets_412(world, client) -> None:
    p = world.patient("a")
    doc = world.headers("physician")
    first = client.patch(
        f"/api/patients/{p.id}", headers={**doc, "If-Match": '"v1"'}, json={"phone": "555-0101"}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"v2"'
    stale = client.patch(
        f"/api/patients/{p.id}", headers={**doc, "If-Match": '"v1"'}, json={"phone": "555-0199"}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    missing = client.patch(f"/api/patients/{p.id}", headers=doc, json={"phone": "555-0199"})
    assert missing.status_code == 428
    assert client.get(f"/api/patients/{p.id}", headers=doc).json()["phone"] == "555-0101"
    with pytest.raises(StaleVersion):
        patients.update_patient(world.ctx("physician"), p.id, PatientUpdate(notes="x"), 1)


def test_soft_delete_gone_and_admin_erase(world, client) -> None:
    p = world.patient("a")
    doc, admin = world.headers("physician"), world.headers("admin")
    assert (
        client.delete(f"/api/patients/{p.id}", headers={**doc, "If-Match": '"v1"'}).status_code
        == 204
    )
    assert client.get(f"/api/patients/{p.id}", headers=doc).status_code == 410
    assert (
        client.post(
            f"/api/patients/{p.id}/erase", headers=doc, json={"reason": "duplicate record"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/patients/{p.id}/erase", headers=admin, json={"reason": "x"}).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/patients/{p.id}/erase", headers=admin, json={"reason": "duplicate record"}
        ).status_code
        == 204
    )
    assert client.get(f"/api/patients/{p.id}", headers=doc).status_code == 404
    with world.db.read() as s:
        erased = s.execute(select(AuditEvent).where(AuditEvent.action == "erase")).scalar_one()
        assert erased.detail["reason"] == "duplicate record" and audit_chain.verify(s).ok


@pytest.mark.parametrize("threads,updates", [(6, 8)])
def test_concurrent_updates_lose_nothing(world, client, threads: int, updates: int) -> None:
    p = world.patient("a")
    doc = world.headers("physician")
    statuses: Counter[int] = Counter()
    acknowledged: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for m in range(updates):
            note = f"t{n}-u{m}"
            while True:
                cur = client.get(f"/api/patients/{p.id}", headers=doc)
                r = client.patch(
                    f"/api/patients/{p.id}",
                    headers={**doc, "If-Match": cur.headers["etag"]},
                    json={"notes": note},
                )
                with lock:
                    statuses[r.status_code] += 1
                if r.status_code == 200:
                    with lock:
                        acknowledged.append(note)
                    break
                assert r.status_code == 412, r.text

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert all(code in (200, 412) for code in statuses), statuses
    assert len(acknowledged) == threads * updates
    final = client.get(f"/api/patients/{p.id}", headers=doc).json()
    assert final["version"] == 1 + threads * updates
    with world.db.read() as s:
        updates_audited = s.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.patient_id == p.id, AuditEvent.action == "update")
        ).scalar_one()
        assert updates_audited == threads * updates
        assert audit_chain.verify(s).ok
