"""A PostgreSQL primary and hot standby started from the machine's binaries (``initdb``,
``pg_ctl``, ``pg_basebackup -R``) in a temporary directory on two free local ports, as the
``postgres`` user when run as root (CI does; initdb refuses root): for the replica tests
(``tests/reliability/test_replica.py``) and the 1,000,000-patient dashboard bench, which
reads the standby (``bench/registry_1m.py``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

__all__ = ["Pair", "free_port", "start_pair", "stop_pair"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binaries() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("no PostgreSQL binaries (initdb) on this machine")
    return Path(initdb).parent


@dataclass
class Pair:
    """A primary and its hot standby; ``url``s for plexms, SQL helpers for the test."""

    root: Path
    bin: Path
    as_postgres: list[str]
    primary_port: int
    standby_port: int

    def url(self, port: int, database: str = "plexms") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def standby_url(self) -> str:
        return self.url(self.standby_port)

    def run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, check=False, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}")

    def sql(self, port: int, statement: str, database: str = "plexms") -> Any:
        engine = create_engine(self.url(port, database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()

    def pg_ctl(self, data: str, action: str) -> None:
        extra = ["-m", "fast"] if action == "stop" else ["-l", str(self.root / f"{data}.log")]
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.root / data), "-w", *extra, action)

    def caught_up(self) -> bool:
        flushed = self.sql(self.primary_port, "SELECT pg_current_wal_flush_lsn()::text")
        replayed = self.sql(self.standby_port, "SELECT pg_last_wal_replay_lsn()::text")
        return bool(
            self.sql(self.standby_port, f"SELECT '{replayed}'::pg_lsn >= '{flushed}'::pg_lsn")
        )


def start_pair(extra_conf: str = "") -> Pair:
    """Start the pair (``extra_conf``: more ``postgresql.conf`` lines for both servers)."""
    binaries = _binaries()
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no postgres user") from None
        runuser = shutil.which("runuser")
        as_postgres = [runuser, "-u", "postgres", "--"] if runuser else []
        if not as_postgres:
            raise RuntimeError("running as root and there is no runuser to drop to postgres")
    root = Path(tempfile.mkdtemp(prefix="plexms-replica-"))
    if os.geteuid() == 0:
        os.chown(root, account.pw_uid, account.pw_gid)
    pair = Pair(root, binaries, as_postgres, free_port(), free_port())
    primary, standby = root / "primary", root / "standby"
    pair.run(str(binaries / "initdb"), "-D", str(primary), "-A", "trust", "-U", "postgres", "-N")
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nport = {pair.primary_port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{root}'\nwal_level = replica\nhot_standby = on\n"
            "max_wal_senders = 4\nfsync = off\nhot_standby_feedback = on\n" + extra_conf
        )
    with (primary / "pg_hba.conf").open("a") as hba:
        hba.write("\nhost replication all 127.0.0.1/32 trust\n")
    pair.pg_ctl("primary", "start")
    pair.sql(pair.primary_port, "CREATE DATABASE plexms", database="postgres")
    pair.run(
        str(binaries / "pg_basebackup"),
        *("-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres"),
        *("-D", str(standby), "-R", "-X", "stream", "-N", "-c", "fast"),
    )
    with (standby / "postgresql.conf").open("a") as conf:
        conf.write(f"\nport = {pair.standby_port}\n")
    pair.pg_ctl("standby", "start")
    if not pair.sql(pair.standby_port, "SELECT pg_is_in_recovery()"):
        raise RuntimeError("the standby is not in recovery")
    return pair


def stop_pair(pair: Pair) -> None:
    for data in ("standby", "primary"):
        with contextlib.suppress(Exception):
            pair.run(
                str(pair.bin / "pg_ctl"), "-D", str(pair.root / data), "-m", "immediate", "stop"
            )
    shutil.rmtree(pair.root, ignore_errors=True)
