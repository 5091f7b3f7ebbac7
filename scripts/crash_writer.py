"""A writer to kill: acknowledged writes through the services, for the crash-durability tests.

    python scripts/crash_writer.py DATABASE_URL CENTRE_ID USER_ID

Imports everything once, then for every line ``go TAG`` on stdin forks a child that opens the
database and creates patients (``create_patient``: the record and its audit row in one
transaction) as fast as it can, writing ``ack TAG ID MRN`` to stdout only after each commit.
The parent answers ``child TAG PID`` and reaps dead children; the test kills the children with
SIGKILL at random moments. ``quit`` ends the parent. Synthetic data only.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from plexms.services.clinical import patients
from plexms.services.context import Actor, ServiceContext
from plexms.services.schemas import PatientIn
from plexms.settings import Settings
from plexms.store.database import Database


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # one write(2) under PIPE_BUF: lines never interleave


def _write(db: Database, actor: Actor, settings: Settings, tag: str, n: int) -> None:
    mrn = f"CR-{tag}-{n}"
    ctx = ServiceContext(db=db, actor=actor, settings=settings)
    out = patients.create_patient(
        ctx,
        PatientIn(
            mrn=mrn,
            family_name=f"Crash{tag}",
            given_name=f"N{n}",
            birth_date=dt.date(1980, 1, 1 + n % 28),
            sex="female",
        ),
    )
    _say(f"ack {tag} {out.id} {mrn}")


def _child(db: Database, actor: Actor, settings: Settings, tag: str) -> None:
    n = 0
    while True:
        n += 1
        _write(db, actor, settings, tag, n)


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def main(argv: list[str]) -> int:
    url, centre_id, user_id = argv[0], int(argv[1]), int(argv[2])
    settings = Settings(database_url=url, auto_migrate=False, log_level="ERROR")
    actor = Actor(user_id, "physician-a", "physician", centre_id)
    # Warm up (mappers, schemas, compiled statements) with one acknowledged write, then close
    # every pooled connection: each child opens its own; none is shared across the fork.
    db = Database(url, pool_size=1)
    _write(db, actor, settings, "warm", 1)
    db.dispose()
    for line in sys.stdin:
        command = line.split()
        _reap()
        if not command or command[0] == "quit":
            break
        tag = command[1]
        pid = os.fork()
        if pid == 0:
            try:
                _child(db, actor, settings, tag)
            finally:
                os._exit(1)
        _say(f"child {tag} {pid}")
    _reap()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
