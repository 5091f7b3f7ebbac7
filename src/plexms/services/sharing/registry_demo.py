"""``plexms demo --registry N``: a synthetic registry of N patients loaded in bulk.

The rows are drawn by :mod:`plexms.services.sharing.registry_generator` (one seeded generator per
chunk of patients: the same seed gives the same registry) and loaded by the store's bulk
loader (:mod:`plexms.store.bulk_load`: keys and indexes dropped and rebuilt, PostgreSQL binary
COPY, SQLite ``executemany``, the next chunks generated while one loads). :func:`run_demo` is
the command's runner; the front draws its progress from the ``progress`` callback.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import select, text

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.sharing import registry_bookings
from plexms.services.sharing.registry_generator import TABLES, build_chunk
from plexms.settings import Settings
from plexms.store import registry_facts
from plexms.store.bulk_load import analyze as bulk_analyze
from plexms.store.bulk_load import bulk_load
from plexms.store.models import Centre

__all__ = [
    "CHUNK_PATIENTS",
    "MAX_PATIENTS",
    "TABLES",
    "Progress",
    "RegistryLoad",
    "build_chunk",
    "load_registry",
    "run_demo",
]

CHUNK_PATIENTS = 10_000
_FIRST_CHUNK = 2_500  # small, so the database starts copying soon
MAX_PATIENTS = 2_000_000
Progress = Callable[[int, int], None]
"""``(patients loaded, patients in all)``, after each chunk."""


@dataclass(frozen=True)
class RegistryLoad:
    """What was loaded, how long it took and the session rate."""

    backend: str
    rows: dict[str, int]
    seconds: float  # the bulk load (COPY, keys and indexes rebuilt)
    facts_seconds: float = 0.0  # then the registry's facts counted (store.registry_facts)

    @property
    def sessions_per_s(self) -> float:
        return self.rows.get("exchange_session", 0) / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "facts_seconds": round(self.facts_seconds, 3),
            "sessions_per_s": round(self.sessions_per_s),
        }


def _chunk_offsets(patients: int) -> list[int]:
    """Where each chunk of patients starts, then the end (the same for the same size)."""
    return [0, *range(min(_FIRST_CHUNK, patients), patients, CHUNK_PATIENTS), patients]


@use_case(Permission.CENTRE_MANAGE)
def load_registry(
    ctx: ServiceContext,
    patients: int,
    *,
    centre_id: int,
    seed: int = 2026,
    end: dt.date = dt.date(2026, 6, 30),
    progress: Progress | None = None,
    analyze: bool = True,
) -> RegistryLoad:
    """Load ``patients`` synthetic patients (and their courses...) into ``centre_id``."""
    if not 1 <= patients <= MAX_PATIENTS:
        raise InputError("registry", f"{patients} patients", allowed=f"1 to {MAX_PATIENTS}")
    offsets = _chunk_offsets(patients)

    def make(chunk: int, first: dict[str, int]) -> dict[str, pa.Table]:
        rng = np.random.default_rng([seed, chunk])
        n = offsets[chunk + 1] - offsets[chunk]
        return build_chunk(rng, n, first, centre_id, end, ctx.now)

    def loaded(chunk: int, rows: dict[str, int]) -> None:
        if progress is not None:
            progress(offsets[chunk] + rows["patient"], patients)

    started = time.perf_counter()
    counts = bulk_load(
        ctx.db, TABLES, make, len(offsets) - 1, on_chunk=loaded, analyze_after=analyze
    )
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with ctx.db.write() as session:  # COPY bypasses the session: count the centre's facts
        if not analyze and not ctx.db.is_sqlite:  # statistics for the counting's plan
            for table in TABLES:
                session.execute(text(f"ANALYZE {table}"))
        registry_facts.rebuild(session.connection(), centre_id)
    if analyze:
        raw = ctx.db.engine.raw_connection()
        try:
            bulk_analyze(raw.driver_connection, not ctx.db.is_sqlite, registry_facts.TABLES)
        finally:
            raw.close()
    facts_seconds = time.perf_counter() - started
    result = RegistryLoad(
        "sqlite" if ctx.db.is_sqlite else "postgresql", counts, seconds, facts_seconds
    )
    audit.record_alone(
        ctx, "import", entity="registry_demo", detail={"seed": seed, **result.to_dict()}
    )
    return result


def run_demo(
    n: int,
    seed: int = 2026,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``plexms demo --registry N``: migrate, seed the demo clinic when the database is empty,
    then load ``n`` registry patients into the demo centre (``progress`` after each chunk)."""
    from plexms.services.admin import demo
    from plexms.services.ops import system_context
    from plexms.settings import get_settings

    ctx = system_context(settings if settings is not None else get_settings())
    try:
        if not demo.is_seeded(ctx):
            demo.seed(ctx, ctx.settings.demo_password)
        with ctx.db.read() as session:
            codes = dict(session.execute(select(Centre.code, Centre.id).order_by(Centre.id)).all())
        centre_id = codes.get(demo.DEMO_CENTRE.code) or next(iter(codes.values()))
        result = load_registry(ctx, n, centre_id=centre_id, seed=seed, progress=progress)
        # the recent exchanges into the unit's places, machines and nurses (a busy calendar)
        booked = registry_bookings.book_recent(ctx, centre_id)
    finally:
        ctx.db.dispose()
    return {"centre_id": centre_id, "seed": seed, **result.to_dict(), "bookings": booked}
