"""Registry scale (issue 8, items 3-4): a synthetic registry loaded in bulk, the dashboard's
queries on it from the precomputed facts and counted from the clinical tables, and the
de-identified export.

Figures (names fixed by issue 8):

* ``registry.load_sessions_per_s`` - ``services.registry_demo.load_registry`` into a fresh
  PostgreSQL database (binary COPY of rows encoded column-wise by NumPy/Arrow; keys, indexes
  and foreign keys rebuilt and validated after; the whole transaction, VACUUM ANALYZE excluded
  and reported); baseline: psycopg ``executemany`` of the same session rows, one INSERT per
  row with the indexes in place, on a sample;
* ``registry.dashboard_max_ms_postgres`` / ``registry.dashboard_max_ms_sqlite`` - the slowest of
  the dashboard queries (``services.registry.QUERIES``: read from the precomputed facts,
  ``store/registry_rollup.py``; median of 3 after a warm-up) on the registry; baseline: the
  same answers counted from the clinical tables with the registry indexes
  (``store/registry_dashboard.py``, what the dashboard ran before the facts);
* ``registry.export_s`` - ``services.registry_export.export_registry`` (CSV + Parquet) of the
  whole registry; baseline: PostgreSQL ``COPY (SELECT ...) TO STDOUT`` of the same four tables
  (no pseudonyms, no date shifts: the raw floor), as seconds.

``PLEXMS_BENCH_REGISTRY_N`` sets the number of patients (default 100,000, the issue's scale;
``make bench`` passes ``BENCH_REGISTRY_N``; every figure carries ``n_patients``). At 100,000 the
whole area (both loads, the dashboards from the facts and counted live, the export) takes about
70 s on the 2-core machine. Nothing is cached: each run builds its databases from scratch and
drops them afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import make_url

from bench._postgres import admin, database_url
from plexms.services.admin import centres
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.schemas import CentreIn
from plexms.services.sharing import registry, registry_demo
from plexms.services.sharing.registry_export import export_registry
from plexms.settings import Settings
from plexms.store import bulk_load
from plexms.store import registry_dashboard as live
from plexms.store.database import Database
from plexms.store.migrate import upgrade

N = int(os.environ.get("PLEXMS_BENCH_REGISTRY_N", "100000"))
DB_NAME = "plexms_bench_registry"
TARGET_SESSIONS_PER_S = 100_000
TARGET_MS = 500
SAMPLE = 20_000
COMMAND = "python -m bench registry"


def _context(url: str, data_dir: Path) -> ServiceContext:
    settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench-secret")
    return ServiceContext(db=Database(url), actor=SYSTEM, settings=settings)


def _centre(ctx: ServiceContext) -> int:
    centre = centres.create_centre(
        ctx, CentreIn(code="bench", name="Bench registry", time_zone="UTC", units="si")
    )
    return centre.id


def _timed_queries(
    db: Database, centre_id: int, queries: dict[str, Any] | None = None
) -> dict[str, float]:
    """Median of 3 (after one warm-up) per dashboard query, in ms."""
    out = {}
    with db.read() as session:
        for name, query in (registry.QUERIES if queries is None else queries).items():
            query(session, centre_id, registry.RegistryFilter())
            times = []
            for _ in range(3):
                start = time.perf_counter()
                query(session, centre_id, registry.RegistryFilter())
                times.append((time.perf_counter() - start) * 1000)
            out[name] = statistics.median(times)
    return out


def _counted_live(db: Database, centre_id: int) -> dict[str, float]:
    """The same queries counted from the clinical tables (median of 3 after a warm-up)."""
    return _timed_queries(db, centre_id, live.QUERIES)


def _executemany_baseline(url: str, ctx: ServiceContext, centre_id: int) -> float:
    """Sessions/s of one INSERT per row (psycopg executemany), indexes in place, rolled back."""
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw) as conn:
        first = bulk_load.next_ids(conn.cursor(), registry_demo.TABLES)
        tables = registry_demo.build_chunk(
            np.random.default_rng(1), SAMPLE // 6, first, centre_id, dt.date(2026, 6, 30), ctx.now
        )
        sessions = bulk_load.naive(tables["exchange_session"])
        names = sessions.column_names
        rows = list(zip(*(c.to_pylist() for c in sessions.columns), strict=True))
        cur = conn.cursor()
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        cur.execute("SET LOCAL session_replication_role = replica")  # no FK rows to point at
        marks = ", ".join(["%s"] * len(names))
        start = time.perf_counter()
        cur.executemany(f"INSERT INTO exchange_session ({', '.join(names)}) VALUES ({marks})", rows)
        elapsed = time.perf_counter() - start
        conn.rollback()
    return len(rows) / elapsed


def _copy_to_baseline(url: str) -> float:
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    start = time.perf_counter()
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        for table in ("course", "exchange_session", "adverse_event", "outcome_assessment"):
            sink = io.BytesIO()
            with cur.copy(f"COPY (SELECT * FROM {table}) TO STDOUT (FORMAT csv)") as copy:
                for chunk in copy:
                    sink.write(chunk)
    return time.perf_counter() - start


def _figure(name: str, value: float, unit: str, baseline: str, base: float, ratio: float) -> dict:
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(base, 3),
        "ratio": round(ratio, 3),
        "command": f"{COMMAND}  (PLEXMS_BENCH_REGISTRY_N={N})",
        "n_patients": N,  # the registry size measured
    }


def run() -> list[dict[str, Any]]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        # PostgreSQL: load, dashboard from the facts and counted live, export
        admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
        pg_url = database_url(DB_NAME)
        try:
            upgrade(pg_url)
            ctx = _context(pg_url, Path(tmp))
            centre_id = _centre(ctx)
            load = registry_demo.load_registry(ctx, N, centre_id=centre_id, analyze=False)
            started = time.perf_counter()
            raw = ctx.db.engine.raw_connection()
            try:
                bulk_load.analyze(raw.driver_connection, True, registry_demo.TABLES)
            finally:
                raw.close()
            analyze_s = time.perf_counter() - started
            baseline = _executemany_baseline(pg_url, ctx, centre_id)
            rows = load.rows
            figures.append(
                _figure(
                    "registry.load_sessions_per_s",
                    load.sessions_per_s,
                    "sessions/s",
                    f"psycopg executemany, one INSERT per session row, indexes in place "
                    f"({SAMPLE // 6} patients' sessions); target {TARGET_SESSIONS_PER_S:,}/s; "
                    f"loaded {rows['patient']:,} patients, {rows['course']:,} courses, "
                    f"{rows['exchange_session']:,} sessions, {rows['adverse_event']:,} AEs, "
                    f"{rows['outcome_assessment']:,} outcomes in {load.seconds:.1f} s "
                    f"(+ VACUUM ANALYZE {analyze_s:.1f} s)",
                    baseline,
                    load.sessions_per_s / baseline,
                )
            )
            with_ix = _timed_queries(ctx.db, centre_id)
            without = _counted_live(ctx.db, centre_id)
            worst = max(with_ix, key=with_ix.__getitem__)
            figures.append(
                _figure(
                    "registry.dashboard_max_ms_postgres",
                    with_ix[worst],
                    "ms",
                    f"same answers counted from the clinical tables (slowest: {worst}; "
                    f"target < {TARGET_MS} ms each; with: "
                    + ", ".join(f"{k} {v:.0f}" for k, v in with_ix.items())
                    + ")",
                    max(without.values()),
                    with_ix[worst] / max(without.values()),
                )
            )
            out_dir = Path(tmp) / "export"
            start = time.perf_counter()
            export_registry(ctx, out_dir, batch_size=5000)
            export_s = time.perf_counter() - start
            copy_s = _copy_to_baseline(pg_url)
            figures.append(
                _figure(
                    "registry.export_s",
                    export_s,
                    "s",
                    "PostgreSQL COPY (SELECT *) TO STDOUT of the four raw tables (no "
                    "pseudonyms, no date shift), seconds",
                    copy_s,
                    export_s / copy_s,
                )
            )
            ctx.db.dispose()
        finally:
            admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        # SQLite: load (rate in the baseline text) and the dashboard
        lite_url = f"sqlite:///{Path(tmp) / 'registry.sqlite3'}"
        upgrade(lite_url)
        ctx = _context(lite_url, Path(tmp))
        centre_id = _centre(ctx)
        load = registry_demo.load_registry(ctx, N, centre_id=centre_id)
        with_ix = _timed_queries(ctx.db, centre_id)
        without = _counted_live(ctx.db, centre_id)
        worst = max(with_ix, key=with_ix.__getitem__)
        figures.append(
            _figure(
                "registry.dashboard_max_ms_sqlite",
                with_ix[worst],
                "ms",
                f"same answers counted from the clinical tables (slowest: {worst}; SQLite load "
                f"{load.sessions_per_s:,.0f} sessions/s by executemany; with: "
                + ", ".join(f"{k} {v:.0f}" for k, v in with_ix.items())
                + ")",
                max(without.values()),
                with_ix[worst] / max(without.values()),
            )
        )
        ctx.db.dispose()
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
