"""Service under load (issue 8, item 2): locust against ``plexms serve`` on PostgreSQL.

Setup (not timed): a fresh PostgreSQL database ``plexms_bench_api`` migrated and seeded with
the demo clinic (centre, one user per role, its patients) and synthetic registry patients
(``services.registry_demo``: courses, sessions, adverse events, outcomes) up to 1,000 patients;
one session token per simulated user, opened through ``services.auth.login``. Then
``plexms serve --workers 2`` in a subprocess on 127.0.0.1 (cold: no warm-up request), and
locust headless (``bench/locustfile.py``) with 50 users for ``PLEXMS_BENCH_API_SECONDS``
(default 60): HTML pages, API reads, searches and writes (measurements, labs), each user
waiting 0.5-1.5 s between requests, started 10 a second (all 50 within the first 5 s; the
measured minute starts with the first). The generator (locust's ``FastHttpUser``) runs on the
same 2-core machine.

Figures (names fixed by issue 8):

* ``api.errors`` - failed requests (locust's aggregated failure count); target 0;
* ``api.p95_read_ms`` / ``api.p95_write_ms`` - 95th percentile of every read / write request
  (exact, from each request's time), against the targets 100 / 200 ms;
* ``api.p99_ms`` - locust's aggregated 99th percentile, against the 500 ms target;
* ``api.calc_to_health_ratio`` - requests/s of ``POST /api/calc/edss`` (one scored
  assessment, authenticated) over ``GET /api/health`` on the same server, each measured with a
  closed loop of 16 concurrent connections for ``PLEXMS_BENCH_RATIO_SECONDS`` (default 8 s);
  target >= 0.5.

Then, on the same database (issue 19, item 5), the one server is stopped and three
``plexms serve`` instances are started on it (``--workers`` ``PLEXMS_BENCH_API_INSTANCE_WORKERS``
each, default 1, so that the three use about the CPU of the one with 2 workers; same secret
key; the database is migrated once, before any of them starts), behind ``bench/_proxy.py`` (a
round-robin TCP proxy on loopback: each new connection to the next instance), and the same
locust run is repeated against the proxy:

* ``api.p95_read_ms_3_instances`` - 95th percentile of every read through the proxy;
  baseline: ``api.p95_read_ms`` of the same run (one instance, no proxy).

Nothing is cached between runs: the database is dropped at the end.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench._postgres import admin, database_url
from plexms.services.admin import auth, demo
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.sharing import registry_demo
from plexms.settings import Settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import Patient

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
DB_NAME = "plexms_bench_api"
PATIENTS = 1_000
USERS = 50
SPAWN_RATE = 10  # users starting per second: all 50 clients within the first 5 s
SECONDS = int(os.environ.get("PLEXMS_BENCH_API_SECONDS", "60"))
RATIO_SECONDS = float(os.environ.get("PLEXMS_BENCH_RATIO_SECONDS", "8"))
RATIO_CONCURRENCY = 16
INSTANCES = 3
INSTANCE_WORKERS = int(os.environ.get("PLEXMS_BENCH_API_INSTANCE_WORKERS", "1"))
PASSWORD = "bench-password-not-secret"  # synthetic users of a throw-away database
TARGETS = {"read": 100.0, "write": 200.0, "p99": 500.0, "ratio": 0.5}
COMMAND = "python -m bench api"
EDSS = {
    "fs": {
        "visual": 1,
        "brainstem": 2,
        "pyramidal": 3,
        "cerebellar": 2,
        "sensory": 2,
        "bowel_bladder": 1,
        "cerebral": 1,
    },
    "ambulation_score": 2,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(url: str, data_dir: Path) -> tuple[list[str], tuple[int, int]]:
    """Migrate, seed the demo clinic and the registry patients; one token per locust user."""
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key="bench-secret",
        # cheap hashes: the bench opens 50 sessions before the run (logins are not measured)
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
    )
    upgrade(url)
    ctx = ServiceContext(db=Database(url), actor=SYSTEM, settings=settings)
    try:
        result = demo.seed(ctx, PASSWORD)
        with ctx.db.read() as session:
            seeded = session.execute(select(func.count()).select_from(Patient)).scalar_one()
        registry_demo.load_registry(ctx, PATIENTS - seeded, centre_id=result.centre_id)
        tokens = []
        for i in range(USERS):
            role = ("physician", "nurse")[i % 2]  # both may add labs and measurements
            tokens.append(auth.login(ctx, role, PASSWORD).token)
        with ctx.db.read() as session:
            first, last, count = session.execute(
                select(func.min(Patient.id), func.max(Patient.id), func.count())
            ).one()
        assert count == PATIENTS, count
    finally:
        ctx.db.dispose()
    return tokens, (int(first), int(last))


def _serve(
    url: str, port: int, data_dir: Path, log: Path, workers: int = 2
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PLEXMS_DATABASE_URL": url,
        "PLEXMS_SECRET_KEY": "bench-secret",
        "PLEXMS_DATA_DIR": str(data_dir),
        "PLEXMS_LOG_LEVEL": "WARNING",
    }
    command = [str(VENV_BIN / "plexms"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120  # a cold start on 2 busy cores
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"plexms serve exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc  # accepting connections; no HTTP request sent yet (cold)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("plexms serve did not start in 120 s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _proxy(port: int, backends: list[int]) -> subprocess.Popen[bytes]:
    """``bench/_proxy.py`` on ``port``, round-robin over the ``backends`` ports."""
    targets = [f"127.0.0.1:{b}" for b in backends]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._proxy", str(port), *targets],
        cwd=HERE.parent,
        env=os.environ | {"PYTHONPATH": os.pathsep.join([str(HERE.parent), *sys.path])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reason = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"the proxy exited: {reason}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the proxy did not start in 30 s")


def _three_instances(
    url: str, out: Path, tokens: list[str], ids: tuple[int, int]
) -> dict[str, Any]:
    """The locust run again, through the proxy, against ``INSTANCES`` servers."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ports = [_free_port() for _ in range(INSTANCES)]
        for i, port in enumerate(ports):
            procs.append(_serve(url, port, out, out / f"instance{i}.log", workers=INSTANCE_WORKERS))
        proxy_port = _free_port()
        procs.append(_proxy(proxy_port, ports))
        run_dir = out / "instances"
        run_dir.mkdir()
        return _locust(f"http://127.0.0.1:{proxy_port}", tokens, ids, run_dir)
    finally:
        _stop(procs)


def _locust(host: str, tokens: list[str], ids: tuple[int, int], out: Path) -> dict[str, Any]:
    prefix = out / "locust"
    samples = out / "samples.json"
    env = os.environ | {
        "PLEXMS_BENCH_TOKENS": ",".join(tokens),
        "PLEXMS_BENCH_PATIENTS": f"{ids[0]}:{ids[1]}",
        "PLEXMS_BENCH_SAMPLES": str(samples),
    }
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(USERS),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{SECONDS}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with (out / "locust_stats.csv").open(newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    failures_csv = (out / "locust_failures.csv").read_text()
    times: dict[str, list[float]] = {"read": [], "write": []}
    for kind, ms in json.loads(samples.read_text()):
        if ms >= 0 and kind in times:
            times[kind].append(ms)
    return {"rows": rows, "times": times, "failures": failures_csv}


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


async def _closed_loop(host: str, method: str, path: str, token: str, body: Any) -> float:
    """Requests/s of ``RATIO_CONCURRENCY`` clients sending back to back (non-2xx fail)."""
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    limits = httpx.Limits(max_connections=RATIO_CONCURRENCY)
    async with httpx.AsyncClient(base_url=host, headers=headers, limits=limits) as client:
        for _ in range(20):  # the same short warm-up for both endpoints
            (await client.request(method, path, json=body)).raise_for_status()
        stop = time.perf_counter() + RATIO_SECONDS

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                (await client.request(method, path, json=body)).raise_for_status()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(RATIO_CONCURRENCY)))
        return done / (time.perf_counter() - start)


def _figure(name: str, value: float, unit: str, baseline: str, base: float, ratio: float) -> dict:
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(base, 3),
        "ratio": round(ratio, 3),
        "command": f"{COMMAND}  (PLEXMS_BENCH_API_SECONDS={SECONDS})",
    }


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
        url = database_url(DB_NAME)
        server = None
        try:
            tokens, ids = _seed(url, out)
            # setup, not timed: flush the seeding's dirty pages now rather than in a checkpoint
            # that would land in the middle of the measured minute
            admin("CHECKPOINT")
            port = _free_port()
            host = f"http://127.0.0.1:{port}"
            server = _serve(url, port, out, out / "server.log")
            load = _locust(host, tokens, ids, out)
            health = asyncio.run(_closed_loop(host, "GET", "/api/health", tokens[0], None))
            calc = asyncio.run(_closed_loop(host, "POST", "/api/calc/edss", tokens[0], EDSS))
            _stop([server])
            server = None
            admin("CHECKPOINT")  # as before the first run
            three = _three_instances(url, out, tokens, ids)
        finally:
            if server is not None:
                _stop([server])
            admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    total = load["rows"]["Aggregated"]
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    rps = float(total["Requests/s"])
    p99 = float(total["99%"])
    read, write = load["times"]["read"], load["times"]["write"]
    p95_read, p95_write = _percentile(read, 95), _percentile(write, 95)
    mix = (
        f"{USERS} users, {SECONDS} s, {requests:,} requests ({len(read):,} reads, "
        f"{len(write):,} writes), {rps:.0f} req/s, 1,000 patients on PostgreSQL, 2 workers"
    )
    worst = sorted(
        ((float(r["95%"]), n) for n, r in load["rows"].items() if n != "Aggregated"),
        reverse=True,
    )[:3]
    slowest = ", ".join(f"{n} p95 {v:.0f} ms" for v, n in worst)
    three_total = three["rows"]["Aggregated"]
    three_read = three["times"]["read"]
    p95_three = _percentile(three_read, 95)
    three_mix = (
        f"{INSTANCES} instances x {INSTANCE_WORKERS} worker(s) behind bench/_proxy.py "
        f"(round robin per connection), same mix: {int(three_total['Request Count']):,} "
        f"requests ({len(three_read):,} reads), {float(three_total['Requests/s']):.0f} req/s, "
        f"{int(three_total['Failure Count'])} failed, p95 write "
        f"{_percentile(three['times']['write'], 95):.0f} ms, p99 "
        f"{float(three_total['99%']):.0f} ms"
    )
    return [
        _figure(
            "api.errors",
            failures,
            "requests",
            f"target 0 failed requests ({mix})"
            + (f"; failures: {load['failures'][:300]}" if failures else ""),
            0,
            failures / requests if requests else 0.0,
        ),
        _figure(
            "api.p95_read_ms",
            p95_read,
            "ms",
            f"issue 8 target p95 read < {TARGETS['read']:.0f} ms (pages, API reads, searches; "
            f"slowest: {slowest})",
            TARGETS["read"],
            p95_read / TARGETS["read"],
        ),
        _figure(
            "api.p95_write_ms",
            p95_write,
            "ms",
            f"issue 8 target p95 write < {TARGETS['write']:.0f} ms (measurements and labs "
            "through the API, each audited)",
            TARGETS["write"],
            p95_write / TARGETS["write"],
        ),
        _figure(
            "api.p99_ms",
            p99,
            "ms",
            f"issue 8 target p99 < {TARGETS['p99']:.0f} ms, every request ({mix})",
            TARGETS["p99"],
            p99 / TARGETS["p99"],
        ),
        _figure(
            "api.calc_to_health_ratio",
            calc / health,
            "ratio",
            f"GET /api/health requests/s on the same server ({RATIO_CONCURRENCY} connections "
            f"back to back, {RATIO_SECONDS:.0f} s each; POST /api/calc/edss "
            f"{calc:.0f} req/s); target >= {TARGETS['ratio']}",
            health,
            calc / health,
        ),
        _figure(
            "api.p95_read_ms_3_instances",
            p95_three,
            "ms",
            f"api.p95_read_ms of the same run: one instance, 2 workers, no proxy "
            f"({three_mix}; issue 8 target {TARGETS['read']:.0f} ms)",
            p95_read,
            p95_three / p95_read,
        ),
    ]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
