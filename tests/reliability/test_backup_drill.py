"""Backup/restore drill under concurrent writes (``plexms backup`` / ``plexms restore``).

Three writers create patients through the services while the online backup runs (SQLite
backup API; pg_dump). The backup is restored into a second, empty database. Its canonical
export (every table, the audit chain included, rows in key order) must hash equal to the
source's export at the backup point: the source's audit chain up to the restored head, the
patients whose creation is audited up to it, and every other table as it is (the writers
touch only patients and the audit trail). Time of backup and restore reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from plexms.services import ops
from plexms.services.clinical import patients
from plexms.services.schemas import PatientIn
from plexms.store import audit_chain
from plexms.store.base import Base
from plexms.store.database import Database
from plexms.store.models import AuditEvent
from tests.reliability.support import table_rows


def _export(engine, head_seq: int | None = None) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """(sha256 of the canonical export, audit head seq); ``head_seq`` cuts the source there."""
    with engine.connect() as conn:
        head = conn.execute(select(Base.metadata.tables["audit_head"])).one()
        seq = head.seq if head_seq is None else head_seq
        created = {
            row.entity_id
            for row in conn.execute(
                select(AuditEvent.entity_id).where(
                    AuditEvent.seq <= seq,
                    AuditEvent.action == "create",
                    AuditEvent.entity == "patient",
                )
            )
        }
        export: dict[str, Any] = {}
        for table in sorted(Base.metadata.tables):
            rows = table_rows(conn, table)
            header, body = rows[0], rows[1:]
            if table == "audit_event":
                body = [r for r in body if r[header.index("seq")] <= seq]
            elif table == "patient":
                body = [r for r in body if r[header.index("id")] in created]
            elif table == "audit_head":
                chain = {
                    r.seq: r.hash for r in conn.execute(select(AuditEvent.seq, AuditEvent.hash))
                }
                body = [[1, seq, chain.get(seq, "0" * 64)]]
            export[table] = body
    blob = json.dumps(export, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest(), seq


def test_restore_equals_the_source_at_the_backup_point(  # type: ignore[no-untyped-def]
    world, db_url: str, backend: str, tmp_path: Path, capsys
) -> None:
    stop = threading.Event()
    written = [0, 0, 0]
    committed = threading.Condition()  # notified after each write the services committed
    done = [0]

    def writer(n: int) -> None:
        ctx = world.ctx("nurse")
        while not stop.is_set():
            written[n] += 1
            patients.create_patient(
                ctx,
                PatientIn(
                    mrn=f"BK-{n}-{written[n]}",
                    family_name="Backup",
                    given_name=f"W{n}",
                    birth_date=dt.date(1985, 5, 5),
                    sex="male",
                ),
            )
            with committed:
                done[0] += 1
                committed.notify_all()

    def wait_for_writes(count: int) -> int:
        """Block until ``count`` writes are committed (a deadline: a stalled writer fails)."""
        with committed:
            assert committed.wait_for(lambda: done[0] >= count, timeout=60), "writers stalled"
            return done[0]

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    target = tmp_path / "drill.backup"
    try:
        wait_for_writes(3 * len(threads))  # the writers are under way
        backed = ops.backup(world.db.url, str(target))
        with committed:
            at_backup = done[0]
        wait_for_writes(at_backup + len(threads))  # and go on after the backup
    finally:
        stop.set()
        for t in threads:
            t.join()

    if backend == "sqlite":
        restore_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        restore_url = db_url  # the worker's empty PostgreSQL database
    restored = ops.restore(restore_url, str(target))
    engine = create_engine(restore_url)
    try:
        restored_hash, head = _export(engine)
        restored_db = Database(restore_url)
        with restored_db.read() as s:
            assert audit_chain.verify(s).ok
        restored_db.dispose()
    finally:
        engine.dispose()
    source_hash, _ = _export(world.db.engine, head_seq=head)
    with world.db.read() as s:
        total = s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()[0]
    assert 0 < head < total, "the backup was not taken while writes went on"
    assert restored_hash == source_hash
    with capsys.disabled():
        print(
            f"\n[backup] {backend}: backup {backed.seconds * 1000:.0f} ms ({backed.bytes} bytes),"
            f" restore {restored.seconds * 1000:.0f} ms, {sum(written)} writes during the drill,"
            f" backup point at audit row {head} of {total}; export hashes equal"
        )
