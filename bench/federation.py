"""Federated registry at ten centres (issue 19, item 5): a hub asks ten registry nodes at once.

Setup (not timed): ten nodes, each its own ``plexms serve`` process (one worker) on a free
loopback port with its own SQLite database, migrated and loaded with
``PLEXMS_BENCH_FEDERATION_N`` synthetic registry patients (default 5,000 per node, a
different seed each: ``services.sharing.registry_demo``), each node sharing a key with the
hub. The hub is this process (its own SQLite database for its audit row), configured with the
ten nodes as ``federation_nodes``.

Figure (name fixed by issue 19):

* ``federation.query_10_nodes_ms`` - ``services.sharing.federation.federated_dashboard``: one
  signed query to every node at once (the hub's thread pool), each node checking the
  signature and nonce, computing its dashboard, withholding small cells and auditing the
  query; the hub pooling the rates with Wilson intervals and auditing once. Median of
  ``REPEATS`` after a warm-up (``p95_ms`` carries the 95th percentile; target <= 1,000 ms).
  Baseline: the same signed query sent to the ten nodes one after another (sequential, no
  pooling, no hub audit row), interleaved with the pooled runs so both see the same machine.

The nodes, the hub and the bench share the 2-core machine, so the pooled time is bounded by
the nodes' CPU, not by the network. Nothing is cached: the databases live in a temporary
directory that is removed at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from bench.api import _free_port, _percentile
from plexms.services.admin import centres
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.schemas import CentreIn
from plexms.services.sharing import federation, registry_demo
from plexms.settings import FederationNode, Settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade

__all__ = ["run"]

VENV_BIN = Path(sys.executable).parent
NODES = 10
PER_NODE = int(os.environ.get("PLEXMS_BENCH_FEDERATION_N", "5000"))
REPEATS = int(os.environ.get("PLEXMS_BENCH_FEDERATION_REPEATS", "20"))
TARGET_MS = 1000.0
KEY = "bench-hub-and-node-shared-key"  # synthetic nodes of a throw-away federation
COMMAND = "python -m bench federation"


def _settings(tmp: Path, name: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp / f'{name}.sqlite3'}",
        data_dir=tmp / name,
        secret_key=f"bench-secret-{name}",
        auto_migrate=False,
        federation_node_name=name,
    )


def _seed(tmp: Path, name: str, seed: int) -> str:
    settings = _settings(tmp, name)
    upgrade(settings.database_url)
    ctx = ServiceContext(db=Database(settings.database_url), actor=SYSTEM, settings=settings)
    try:
        centre = centres.create_centre(
            ctx, CentreIn(code=name, name=f"Centre {name}", time_zone="UTC", units="si")
        )
        registry_demo.load_registry(ctx, PER_NODE, centre_id=centre.id, seed=seed)
    finally:
        ctx.db.dispose()
    return settings.database_url


def _start(tmp: Path, name: str, url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PLEXMS_DATABASE_URL": url,
        "PLEXMS_SECRET_KEY": f"bench-secret-{name}",
        "PLEXMS_DATA_DIR": str(tmp / name),
        "PLEXMS_LOG_LEVEL": "WARNING",
        "PLEXMS_AUTO_MIGRATE": "false",
        "PLEXMS_FEDERATION_NODE_NAME": name,
        "PLEXMS_FEDERATION_HUB_KEYS": json.dumps({"hub": KEY}),
    }
    command = [str(VENV_BIN / "plexms"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (tmp / f"{name}.log").open("wb")
    try:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def _wait(procs: list[subprocess.Popen[bytes]], urls: list[str], tmp: Path) -> None:
    deadline = time.monotonic() + 600  # ten cold starts at once on 2 busy cores
    for proc, url in zip(procs, urls, strict=True):
        while True:
            if proc.poll() is not None:
                logs = "\n".join(p.read_text()[-800:] for p in tmp.glob("*.log"))
                raise RuntimeError(f"a node exited: {logs}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not start in 600 s")
            time.sleep(0.2)


def _sequential(ctx: ServiceContext) -> float:
    """ms to send the hub's signed query to every node, one after another."""
    envelope = {
        "hub": "hub",
        "issued_at": ctx.now.isoformat(),
        "query": {"kind": "summary", "filters": {}},
        "version": federation.FEDERATION_VERSION,
    }
    timeout = ctx.settings.federation_timeout_seconds
    start = time.perf_counter()
    for node in ctx.settings.federation_nodes:
        federation._ask(node, {**envelope, "nonce": secrets.token_hex(16)}, timeout)
    return (time.perf_counter() - start) * 1000


def _pooled(ctx: ServiceContext) -> float:
    start = time.perf_counter()
    answer = federation.federated_dashboard(ctx)
    elapsed = (time.perf_counter() - start) * 1000
    if answer.missing:
        raise RuntimeError(f"nodes missing: {[(n.name, n.reason) for n in answer.missing]}")
    return elapsed


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        names = [f"node{i:02d}" for i in range(NODES)]
        started = time.perf_counter()
        urls = {name: _seed(tmp, name, seed=i + 1) for i, name in enumerate(names)}
        seed_s = time.perf_counter() - started
        ports = [_free_port() for _ in names]
        procs: list[subprocess.Popen[bytes]] = []
        hub: ServiceContext | None = None
        try:
            for name, port in zip(names, ports, strict=True):
                procs.append(_start(tmp, name, urls[name], port))
            bases = [f"http://127.0.0.1:{p}" for p in ports]
            _wait(procs, bases, tmp)
            settings = _settings(tmp, "hub").model_copy(
                update={
                    "federation_node_name": "hub",
                    "federation_nodes": [
                        FederationNode(name=n, url=u, key=SecretStr(KEY))
                        for n, u in zip(names, bases, strict=True)
                    ],
                    "federation_timeout_seconds": 30.0,
                }
            )
            upgrade(settings.database_url)
            hub = ServiceContext(
                db=Database(settings.database_url), actor=SYSTEM, settings=settings
            )
            _pooled(hub)  # warm-up: every node's first query, the hub's first audit row
            _sequential(hub)
            pooled, sequential = [], []
            for _ in range(REPEATS):
                pooled.append(_pooled(hub))
                sequential.append(_sequential(hub))
        finally:
            if hub is not None:
                hub.db.dispose()
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=20)
    median = statistics.median(pooled)
    p95 = _percentile(pooled, 95)
    base = statistics.median(sequential)
    return [
        {
            "name": "federation.query_10_nodes_ms",
            "value": round(median, 3),
            "unit": "ms",
            "baseline": (
                f"the same signed query to the {NODES} nodes one after another (median of "
                f"{REPEATS}; p95 {_percentile(sequential, 95):.0f} ms); pooled p95 "
                f"{p95:.0f} ms, target <= {TARGET_MS:.0f} ms; {NODES} plexms serve nodes "
                f"(1 worker, SQLite, {PER_NODE:,} patients each, seeded in {seed_s:.0f} s) "
                "on loopback, hub in the bench process"
            ),
            "baseline_value": round(base, 3),
            "ratio": round(median / base, 3),
            "command": f"{COMMAND}  (PLEXMS_BENCH_FEDERATION_N={PER_NODE})",
            "p95_ms": round(p95, 3),
            "nodes": NODES,
            "n_patients_per_node": PER_NODE,
        }
    ]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
