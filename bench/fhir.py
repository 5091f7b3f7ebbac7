"""Interop throughput (issue 8, item 4): FHIR export of 1,000 patients.

Setup (not timed): a fresh PostgreSQL database ``plexms_bench_fhir`` migrated and seeded with
the demo clinic and synthetic registry patients (``services.registry_demo``: courses,
sessions, adverse events, outcomes) up to 1,000 patients.

Figure (name fixed by issue 8):

* ``fhir.export_bundles_per_s`` - ``services.interop.export_fhir_all`` as the system actor: a
  FHIR R4 collection Bundle per patient (built in batches, an audit row per patient), every
  bundle consumed; baseline: the issue's 200 bundles/s target. The baseline text also gives
  the rate of ``json.dumps`` of the same bundles (what writing them out adds) and of the
  per-patient ``export_fhir`` on a sample (one read and one audit transaction per patient).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench._postgres import admin, database_url
from plexms.services.admin import demo
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.sharing import interop, registry_demo
from plexms.settings import Settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import Patient

DB_NAME = "plexms_bench_fhir"
PATIENTS = 1_000
SAMPLE = 50
TARGET = 200.0
COMMAND = "python -m bench fhir"


def _seed(ctx: ServiceContext) -> list[int]:
    result = demo.seed(ctx, "bench-password-not-secret")
    with ctx.db.read() as session:
        seeded = session.execute(select(func.count()).select_from(Patient)).scalar_one()
    registry_demo.load_registry(ctx, PATIENTS - seeded, centre_id=result.centre_id)
    with ctx.db.read() as session:
        return list(session.scalars(select(Patient.id).order_by(Patient.id)))


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
        url = database_url(DB_NAME)
        try:
            upgrade(url)
            settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="bench-secret")
            ctx = ServiceContext(db=Database(url), actor=SYSTEM, settings=settings)
            ids = _seed(ctx)
            start = time.perf_counter()
            bundles = [bundle for _pid, bundle in interop.export_fhir_all(ctx)]
            export_s = time.perf_counter() - start
            start = time.perf_counter()
            size = sum(len(json.dumps(b, separators=(",", ":"))) for b in bundles)
            dumps_s = time.perf_counter() - start
            start = time.perf_counter()
            for pid in ids[:: len(ids) // SAMPLE][:SAMPLE]:
                interop.export_fhir(ctx, pid)
            single_s = time.perf_counter() - start
            ctx.db.dispose()
        finally:
            admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    assert len(bundles) == len(ids) == PATIENTS, (len(bundles), len(ids))
    rate = len(bundles) / export_s
    return [
        {
            "name": "fhir.export_bundles_per_s",
            "value": round(rate, 1),
            "unit": "bundles/s",
            "baseline": (
                f"issue 8 target {TARGET:.0f} bundles/s ({PATIENTS:,} patients on PostgreSQL "
                f"in {export_s:.1f} s; json.dumps of the same bundles "
                f"{len(bundles) / dumps_s:,.0f}/s, {size / 1e6:.1f} MB; per-patient "
                f"export_fhir {SAMPLE / single_s:,.0f}/s on {SAMPLE})"
            ),
            "baseline_value": TARGET,
            "ratio": round(rate / TARGET, 3),
            "command": COMMAND,
        }
    ]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
