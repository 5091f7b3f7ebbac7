"""FHIR export throughput: ``python -m tests.interop.bench_fhir_export [N]`` (default 1000).

Seeds N synthetic patients (5 exchanges, labs, an adverse event, outcomes: about 45 FHIR
resources each) into a fresh SQLite file and exports them all three times with
``export_fhir_all``; prints bundles per wall second (best and median) and per CPU second of
this process (steadier on a shared machine).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(n: int = 1000) -> dict[str, float]:
    from tests.interop.conftest import NOW, add_centre, seed_patient

    from plexms.services.context import SYSTEM, ServiceContext
    from plexms.services.sharing import interop
    from plexms.store.database import Database
    from plexms.store.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        db = Database(url)
        centre_id = add_centre(db)
        for i in range(n):
            seed_patient(db, centre_id, mrn=f"BENCH-{i}")
        ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
        wall, cpu = [], []
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            exported = sum(1 for _ in interop.export_fhir_all(ctx))
            wall.append(exported / (time.perf_counter() - start))
            cpu.append(exported / (time.process_time() - start_cpu))
        db.dispose()
    return {
        "patients": n,
        "bundles_per_s_best": max(wall),
        "bundles_per_s_median": statistics.median(wall),
        "bundles_per_cpu_s_best": max(cpu),
    }


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
