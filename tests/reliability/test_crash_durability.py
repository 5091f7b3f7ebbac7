"""Crash durability: writers killed with SIGKILL at random moments lose no acknowledged write.

``scripts/crash_writer.py`` forks writer children that create patients through the services
and print ``ack`` only after each commit. The test kills each child with SIGKILL, either
during start-up (every 10th, 0-5 ms after the fork) or 5-50 ms after its first acknowledged
write, and starts the next one: 200 kills on SQLite and 30 on PostgreSQL in ``make test``;
1,000 and 200 under ``make fuzz``. Afterwards: every acknowledged write is there with its
audit row, no record exists without its audit row, SQLite's ``integrity_check`` is ``ok`` and
``foreign_key_check`` empty, and the audit chain verifies.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from plexms.store import audit_chain
from plexms.store.models import AuditEvent, Patient
from tests.reliability.support import scale

pytestmark = [pytest.mark.fuzz]

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "scripts" / "crash_writer.py"
KILLS = {"sqlite": scale(200, 1000), "postgres": scale(30, 200)}


class Writer:
    def __init__(self, url: str, centre_id: int, user_id: int) -> None:
        env = {**os.environ, "PLEXMS_LOG_LEVEL": "ERROR"}
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), url, str(centre_id), str(user_id)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.acks: dict[str, int] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("eof")

    def _next(self, timeout: float = 60) -> str:
        line = self.lines.get(timeout=timeout)
        parts = line.split()
        if parts[:1] == ["ack"]:
            self.acks[parts[3]] = int(parts[2])
        return line

    def _command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def kill_one(self, tag: int, rnd: random.Random) -> None:
        self._command(f"go {tag}")
        while not (line := self._next()).startswith(f"child {tag} "):
            pass
        pid = int(line.split()[2])
        # The waits below are not synchronisation: a random moment of the SIGKILL in a real
        # process is what is under test (no clock to inject; the child runs on real time).
        if tag % 10 == 0:
            time.sleep(rnd.uniform(0, 0.005))  # during start-up / the first transaction
        else:
            while not self._next().startswith(f"ack {tag} "):
                pass
            time.sleep(rnd.uniform(0.005, 0.05))
        os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        self._command("quit")
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        while self._next() != "eof":
            pass
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def test_sigkill_loses_no_acknowledged_write(world, backend: str, capsys) -> None:  # type: ignore[no-untyped-def]
    kills = KILLS[backend]
    rnd = random.Random(9)
    started = time.perf_counter()
    writer = Writer(world.db.url, world.centres["a"], world.users[("a", "physician")])
    try:
        for tag in range(kills):
            writer.kill_one(tag, rnd)
    finally:
        writer.close()
    elapsed = time.perf_counter() - started

    with world.db.read() as s:
        stored = dict(
            s.execute(select(Patient.mrn, Patient.id).where(Patient.mrn.like("CR-%"))).all()
        )
        audited = set(
            s.execute(
                select(AuditEvent.patient_id).where(
                    AuditEvent.action == "create", AuditEvent.outcome == "ok"
                )
            ).scalars()
        )
        report = audit_chain.verify(s)
    lost = {mrn: pid for mrn, pid in writer.acks.items() if stored.get(mrn) != pid}
    assert lost == {}, f"{len(lost)} acknowledged writes lost"
    assert set(stored.values()) <= audited, "a record committed without its audit row"
    assert report.ok, report.problems
    if backend == "sqlite":
        with world.db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    with capsys.disabled():
        print(
            f"\n[crash] {backend}: {kills} SIGKILLs in {elapsed:.1f} s, {len(writer.acks)}"
            f" acknowledged writes, {len(stored)} committed, 0 lost"
        )
