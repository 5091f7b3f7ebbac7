"""``plexms demo --registry N``: a synthetic registry of N patients loaded in bulk.

Per patient 1-3 courses (mean 1.5), each with its own episode (onset), 5-7 exchanges (mean 6),
adverse events and outcome visits. Every column is drawn with NumPy from one seeded generator
per chunk of patients, so the same seed gives the same registry. Loading: PostgreSQL ``COPY ...
FROM STDIN (FORMAT csv)`` fed by Arrow's C++ CSV writer (psycopg 3 ``cursor.copy``); SQLite
``executemany`` in one large transaction per chunk. Then ``VACUUM``/``ANALYZE`` so the planner
knows the new sizes (and PostgreSQL can use index-only scans).

Distributions (all synthetic, chosen to look like the literature, not to reproduce it):

- indication: relapse 62%, optic neuritis 20%, CIS 6%, tumefactive 5%, other 7%;
- days from onset to the first exchange: gamma (shape 2.2, scale 7 days; median ~13);
- response (TND moderate or marked at the end-of-course visit, WEINSHENKER_1999): 76%, 66%, 55%
  and 46% in the 0-7, 8-14, 15-28 and >28-day bands (early treatment predicts response:
  KEEGAN_2002, LLUFRIU_2009; cohorts report 44-81%, MARRODAN_2025), 10% of courses without a
  graded visit, 30% with a later 1-month visit;
- adverse events: 4.5% of first and 3.5% of later procedures (about 3.7 per 100 overall,
  WAA_2016 / WAA_2025: mild 1.6, moderate 2.0, severe 0.2 per 100), severity mild 42%,
  moderate 53%, severe 5%; citrate reactions and hypotension most common.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission

__all__ = ["CHUNK_PATIENTS", "TABLES", "RegistryLoad", "build_chunk", "load_registry"]

CHUNK_PATIENTS = 20_000
MAX_PATIENTS = 2_000_000
TABLES = ("patient", "episode", "course", "exchange_session", "adverse_event", "outcome_assessment")
_BY = "registry-demo"
_INDICATIONS = ("relapse", "optic_neuritis", "cis", "tumefactive", "other")
_INDICATION_P = (0.62, 0.20, 0.06, 0.05, 0.07)
_INDICATION_SHIFT = np.array([0.0, 0.04, 0.0, -0.03, -0.05])
_BAND_RESPONSE = np.array([0.76, 0.66, 0.55, 0.46])  # 0-7, 8-14, 15-28, >28 days
_AE_TYPES = (
    "hypocalcaemia",
    "hypotension",
    "vasovagal",
    "nausea",
    "chills",
    "fatigue",
    "allergic_reaction",
    "catheter_infection",
    "bleeding",
    "arrhythmia",
)
_AE_TYPE_P = (0.35, 0.20, 0.10, 0.10, 0.07, 0.06, 0.05, 0.04, 0.02, 0.01)
_SEVERITY = ("mild", "moderate", "severe")
_SEVERITY_P = (0.42, 0.53, 0.05)
_GOOD = ("marked", "moderate")
_POOR = ("mild", "none", "worse")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RegistryLoad:
    """What was loaded, how long it took and the session rate."""

    backend: str
    rows: dict[str, int]
    seconds: float

    @property
    def sessions_per_s(self) -> float:
        return self.rows.get("exchange_session", 0) / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "sessions_per_s": round(self.sessions_per_s),
        }


def _pick(rng: np.random.Generator, values: tuple[str, ...], p: tuple[float, ...], n: int) -> Any:
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def _stamp(days: np.ndarray, minutes: np.ndarray) -> pa.Array:
    us = days.astype("datetime64[D]").astype("datetime64[us]") + (minutes * 60_000_000).astype(
        "timedelta64[us]"
    )
    return pa.array(us).cast(pa.timestamp("us", tz="UTC"))


def _date(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"))


def _common(n: int, first_id: int, centre_id: int, now: pa.Scalar) -> dict[str, Any]:
    return {
        "id": pa.array(np.arange(first_id, first_id + n, dtype=np.int64)),
        "centre_id": pa.array(np.full(n, centre_id, dtype=np.int64)),
        "created_at": pa.repeat(now, n),
        "updated_at": pa.repeat(now, n),
        "created_by": pa.repeat(pa.scalar(_BY), n),
        "version": pa.array(np.ones(n, dtype=np.int64)),
    }


def build_chunk(
    rng: np.random.Generator,
    n: int,
    first: dict[str, int],
    centre_id: int,
    end: dt.date,
    now: dt.datetime,
) -> dict[str, pa.Table]:
    """The rows of ``n`` synthetic patients, ids starting at ``first[table]``."""
    stamp = pa.scalar(now, type=pa.timestamp("us", tz="UTC"))
    end_day = np.datetime64(end, "D").astype(np.int64)
    out: dict[str, pa.Table] = {}
    # patients
    pid = np.arange(first["patient"], first["patient"] + n, dtype=np.int64)
    age = np.clip(rng.normal(40, 10, n), 18, 75)
    n_courses = rng.choice(3, size=n, p=(0.6, 0.3, 0.1)) + 1
    first_start = end_day - rng.integers(1430, 3650, n)  # later courses (<= 1400 d) fit
    out["patient"] = pa.table(
        {
            **_common(n, first["patient"], centre_id, stamp),
            "mrn": pa.array([f"REG-{i:08d}" for i in pid.tolist()]),
            "family_name": pa.repeat(pa.scalar("Registry"), n),
            "given_name": pa.repeat(pa.scalar("Synthetic"), n),
            "birth_date": _date(first_start - (age * 365.25).astype(np.int64)),
            "sex": _pick(rng, ("female", "male"), (0.72, 0.28), n),
            "phone": pa.repeat(pa.scalar(""), n),
            "email": pa.repeat(pa.scalar(""), n),
            "ms_phenotype": _pick(
                rng, ("RRMS", "SPMS", "PPMS", "CIS"), (0.85, 0.08, 0.04, 0.03), n
            ),
            "ms_diagnosis_year": pa.array(
                (1970 + (first_start - rng.integers(0, 20 * 365, n)) // 365.25).astype(np.int64)
            ),
            "referring_neurologist": pa.repeat(pa.scalar(""), n),
            "notes": pa.repeat(pa.scalar(""), n),
            "stage": pa.repeat(pa.scalar("course_completed"), n),
        }
    )
    # courses, one episode each
    m = int(n_courses.sum())
    owner = np.repeat(pid, n_courses)
    nth = np.arange(m) - np.repeat(np.cumsum(n_courses) - n_courses, n_courses)
    start = np.repeat(first_start, n_courses) + nth * rng.integers(120, 700, m)
    onset_days = np.minimum(np.rint(rng.gamma(2.2, 7.0, m)).astype(np.int64), 120)
    indication_ix = rng.choice(len(_INDICATIONS), size=m, p=_INDICATION_P)
    indication = np.asarray(_INDICATIONS, dtype=object)[indication_ix]
    eid = np.arange(first["episode"], first["episode"] + m, dtype=np.int64)
    edss0 = rng.integers(6, 15, m) / 2.0  # 3.0-7.0
    out["episode"] = pa.table(
        {
            **_common(m, first["episode"], centre_id, stamp),
            "patient_id": pa.array(owner),
            "onset_date": _date(start - onset_days),
            "presentation": indication,
            "description": pa.repeat(pa.scalar(""), m),
            "edss_at_onset": pa.array(edss0),
            "steroid_response": pa.repeat(pa.scalar("none"), m),
        }
    )
    exchanges = rng.choice(3, size=m, p=(0.35, 0.30, 0.35)) + 5
    stopped = rng.random(m) < 0.05
    done_n = np.where(stopped, rng.integers(1, 4, m), exchanges)
    pvx = np.asarray((1.0, 1.25, 1.5))[rng.choice(3, size=m, p=(0.4, 0.3, 0.3))]
    pv = rng.uniform(2200.0, 4000.0, m)
    cid = np.arange(first["course"], first["course"] + m, dtype=np.int64)
    out["course"] = pa.table(
        {
            **_common(m, first["course"], centre_id, stamp),
            "patient_id": pa.array(owner),
            "episode_id": pa.array(eid),
            "indication": indication,
            "status": np.where(stopped, "stopped", "completed").astype(object),
            "stop_reason": np.where(stopped, "adverse event", "").astype(object),
            "planned_exchanges": pa.array(exchanges.astype(np.int64)),
            "plasma_volumes_per_exchange": pa.array(pvx),
            "replacement_fluid": pa.repeat(pa.scalar("albumin_5"), m),
            "start_date": _date(start),
            "started_on": _date(start),
            "completed_on": _date(start + 2 * (done_n - 1)),
            "inputs": pa.repeat(pa.scalar("{}"), m),
            "prescription": pa.array(
                [
                    f'{{"plasma_volume_ml": {a:.0f}, "exchange_volume_ml": {b:.0f}}}'
                    for a, b in zip(pv.tolist(), (pv * pvx).tolist(), strict=True)
                ]
            ),
            "rule_version": pa.repeat(pa.scalar(_BY), m),
            "notes": pa.repeat(pa.scalar(""), m),
        }
    )
    # sessions
    k = int(exchanges.sum())
    s_course = np.repeat(np.arange(m), exchanges)
    seq = np.arange(k) - np.repeat(np.cumsum(exchanges) - exchanges, exchanges) + 1
    done = seq <= done_n[s_course]
    day = start[s_course] + 2 * (seq - 1)
    begin_min = 15 * 60 + rng.integers(0, 24, k) * 15  # 08:00-13:45 Pacific, in UTC
    removed = pv[s_course] * pvx[s_course] * rng.uniform(0.95, 1.02, k)
    sid = np.arange(first["exchange_session"], first["exchange_session"] + k, dtype=np.int64)
    planned_start = _stamp(day, begin_min)
    planned_end = _stamp(day, begin_min + 120)
    nothing = pa.nulls(k, pa.timestamp("us", tz="UTC"))
    fluids = [
        f'[{{"fluid": "albumin_5", "volume_ml": {v:.0f}}}]' if d else "[]"
        for v, d in zip(removed.tolist(), done.tolist(), strict=True)
    ]
    out["exchange_session"] = pa.table(
        {
            **_common(k, first["exchange_session"], centre_id, stamp),
            "patient_id": pa.array(owner[s_course]),
            "course_id": pa.array(cid[s_course]),
            "sequence": pa.array(seq.astype(np.int64)),
            "status": np.where(done, "done", "cancelled").astype(object),
            "planned_start": planned_start,
            "planned_end": planned_end,
            "actual_start": pc.if_else(pa.array(done), planned_start, nothing),
            "actual_end": pc.if_else(pa.array(done), planned_end, nothing),
            "planned_plasma_volume_ml": pa.array(np.round(pv * pvx)[s_course]),
            "plasma_removed_ml": pa.array(np.round(removed), mask=~done),
            "whole_blood_processed_ml": pa.array(np.round(removed * 1.9), mask=~done),
            "replacement_fluids": pa.array(fluids),
            "anticoagulant": np.where(done, "ACD-A", "").astype(object),
            "vascular_access": _pick(rng, ("peripheral", "central"), (0.7, 0.3), k),
            "vitals": pa.repeat(pa.scalar("[]"), k),
            "go_decision": pa.array(np.where(done, "go", np.array(None, dtype=object))),
            "signed_off_at": pc.if_else(pa.array(done), planned_end, nothing),
            "notes": pa.repeat(pa.scalar(""), k),
        }
    )
    # adverse events: at most one per procedure done
    p_event = np.where(seq == 1, 0.045, 0.035)
    hit = np.flatnonzero(done & (rng.random(k) < p_event))
    e = hit.size
    severity = _pick(rng, _SEVERITY, _SEVERITY_P, e)
    out["adverse_event"] = pa.table(
        {
            **_common(e, first["adverse_event"], centre_id, stamp),
            "patient_id": pa.array(owner[s_course[hit]]),
            "course_id": pa.array(cid[s_course[hit]]),
            "session_id": pa.array(sid[hit]),
            "event_type": _pick(rng, _AE_TYPES, _AE_TYPE_P, e),
            "severity": severity,
            "onset_at": _stamp(day[hit], begin_min[hit] + rng.integers(20, 110, e)),
            "procedure_interrupted": pa.array(severity == "severe"),
            "action": pa.repeat(pa.scalar(""), e),
            "outcome": pa.repeat(pa.scalar("resolved"), e),
            "notes": pa.repeat(pa.scalar(""), e),
        }
    )
    out["outcome_assessment"] = _outcomes(
        rng, first, centre_id, stamp, owner, cid, start, done_n, onset_days, indication_ix, edss0
    )
    return out


def _outcomes(
    rng: np.random.Generator,
    first: dict[str, int],
    centre_id: int,
    stamp: pa.Scalar,
    owner: np.ndarray,
    cid: np.ndarray,
    start: np.ndarray,
    done_n: np.ndarray,
    onset_days: np.ndarray,
    indication_ix: np.ndarray,
    edss0: np.ndarray,
) -> pa.Table:
    """Baseline visit per course, end of course (90%) and one month (30% of those)."""
    m = cid.size
    band = np.searchsorted(np.array([7, 14, 28]), onset_days, side="left")
    p = np.clip(_BAND_RESPONSE[band] + _INDICATION_SHIFT[indication_ix], 0.0, 1.0)
    responder = rng.random(m) < p
    good = np.asarray(_GOOD, dtype=object)[rng.choice(2, size=m, p=(0.35, 0.65))]
    poor = np.asarray(_POOR, dtype=object)[rng.choice(3, size=m, p=(0.5, 0.42, 0.08))]
    grade = np.where(responder, good, poor)
    end_visit = rng.random(m) < 0.9
    month = end_visit & (rng.random(m) < 0.3)
    later = np.where(responder | (rng.random(m) < 0.15), good, poor)  # some improve later
    edss_end = np.clip(edss0 - np.where(responder, 1.0, 0.0), 0.0, 9.5)
    parts = [
        (np.arange(m), "baseline", start, None, edss0),
        (np.flatnonzero(end_visit), "end_of_course", start + 2 * (done_n - 1) + 1, grade, edss_end),
        (np.flatnonzero(month), "1_month", start + 30, later, edss_end),
    ]
    rows = []
    for ix, timepoint, when, grades, edss in parts:
        idx = ix
        rows.append(
            {
                "patient_id": owner[idx],
                "course_id": cid[idx],
                "timepoint": np.full(idx.size, timepoint, dtype=object),
                "assessed_on": when[idx],
                "edss": edss[idx],
                "targeted_deficit": (
                    np.full(idx.size, None, dtype=object) if grades is None else grades[idx]
                ),
            }
        )
    merged = {key: np.concatenate([r[key] for r in rows]) for key in rows[0]}
    total = merged["course_id"].size
    return pa.table(
        {
            **_common(total, first["outcome_assessment"], centre_id, stamp),
            "patient_id": pa.array(merged["patient_id"]),
            "course_id": pa.array(merged["course_id"]),
            "timepoint": merged["timepoint"],
            "assessed_on": _date(merged["assessed_on"]),
            "assessed_by": pa.repeat(pa.scalar(_BY), total),
            "edss": pa.array(merged["edss"]),
            "targeted_deficit": pa.array(merged["targeted_deficit"], type=pa.string()),
            "inputs": pa.repeat(pa.scalar("{}"), total),
            "result": pa.repeat(pa.scalar("{}"), total),
            "rule_version": pa.repeat(pa.scalar(_BY), total),
            "notes": pa.repeat(pa.scalar(""), total),
        }
    )


# --- loading ---------------------------------------------------------------------------------
#
# Like pg_restore: inside the one load transaction the six tables' secondary indexes and
# foreign keys are dropped, the rows copied, then the indexes rebuilt (one sort each instead of
# a B-tree insertion per row) and the foreign keys re-added (one validating join each). The
# transaction holds ACCESS EXCLUSIVE locks on those tables meanwhile: a demo/benchmark tool,
# not something to run beside a busy clinic. A failure rolls everything back.

_PG_FKS = (
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = %s::regclass AND contype = 'f'"
)
_PG_INDEXES = (
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
    "WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT indisunique"
)


def _drop_postgres(cursor: Any) -> list[str]:
    """Drop the secondary indexes and foreign keys of TABLES; the DDL that restores them."""
    restore = []
    for table in TABLES:
        for name, definition in cursor.execute(_PG_FKS, (table,)).fetchall():
            restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, definition in cursor.execute(_PG_INDEXES, (table,)).fetchall():
            restore.insert(0, definition)  # indexes first: the FK checks use them
            cursor.execute(f"DROP INDEX {name}")
    return restore


def _drop_sqlite(cursor: Any) -> list[str]:
    names = ", ".join(f"'{t}'" for t in TABLES)
    found = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
        f"AND tbl_name IN ({names})"
    ).fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _naive(data: pa.Table) -> pa.Table:
    """Timestamps without their zone (the load session is in UTC): much faster CSV."""
    columns = [
        c.cast(pa.timestamp("us")) if pa.types.is_timestamp(c.type) else c for c in data.columns
    ]
    return pa.table(columns, names=data.column_names)


def _csv(data: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(
        _naive(data), buffer, pacsv.WriteOptions(include_header=False, batch_size=65536)
    )
    return buffer.getvalue()


def _copy_postgres(cursor: Any, table: str, data: pa.Table, payload: bytes) -> None:
    columns = ", ".join(data.column_names)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(payload)


def _sqlite_rows(data: pa.Table) -> Any:
    columns = []
    for column in data.columns:
        kind = column.type
        if pa.types.is_timestamp(kind):
            # "YYYY-MM-DD HH:MM:SS.ffffff" as SQLAlchemy stores it (a cast: 10x strftime)
            column = column.cast(pa.timestamp("us")).cast(pa.string())
        elif pa.types.is_date(kind):
            column = column.cast(pa.string())
        elif pa.types.is_boolean(kind):
            column = column.cast(pa.int64())
        columns.append(column.to_pylist())
    return zip(*columns, strict=True)


def _insert_sqlite(cursor: Any, table: str, data: pa.Table) -> None:
    names = ", ".join(data.column_names)
    marks = ", ".join("?" * data.num_columns)
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", _sqlite_rows(data))  # noqa: S608 - fixed names


def _next_ids(cursor: Any) -> dict[str, int]:
    ids = {}
    for table in TABLES:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed names
        ids[table] = int(cursor.fetchone()[0]) + 1
    return ids


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
    db = ctx.db
    postgres = not db.is_sqlite
    counts = dict.fromkeys(TABLES, 0)
    started = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        cursor = driver.cursor()
        if postgres:
            cursor.execute("SET LOCAL TimeZone = 'UTC'")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            restore = _drop_postgres(cursor)
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")  # rows are consistent by construction
            cursor.execute("BEGIN IMMEDIATE")
            restore = _drop_sqlite(cursor)
        first = _next_ids(cursor)
        offsets = list(range(0, patients, CHUNK_PATIENTS))

        def prepare(chunk: int) -> tuple[dict[str, pa.Table], dict[str, bytes]]:
            n = min(CHUNK_PATIENTS, patients - offsets[chunk])
            rng = np.random.default_rng([seed, chunk])
            tables = build_chunk(rng, n, dict(first), centre_id, end, ctx.now)
            for table in TABLES:
                first[table] += tables[table].num_rows
            payloads = {t: _csv(tables[t]) for t in TABLES} if postgres else {}
            return tables, payloads

        # the next chunk is generated (NumPy, Arrow: GIL released) while this one loads
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(prepare, 0)
            for chunk, offset in enumerate(offsets):
                tables, payloads = pending.result()
                if chunk + 1 < len(offsets):
                    pending = pool.submit(prepare, chunk + 1)
                for table in TABLES:
                    data = tables[table]
                    if postgres:
                        _copy_postgres(cursor, table, data, payloads[table])
                    else:
                        _insert_sqlite(cursor, table, data)
                    counts[table] += data.num_rows
                if progress is not None:
                    progress(offset + tables["patient"].num_rows, patients)
        for statement in restore:
            cursor.execute(statement)
        if postgres:
            for table in TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
        if postgres:
            driver.commit()
        else:
            cursor.execute("COMMIT")
        if analyze:
            _analyze(driver, postgres)
    except BaseException:
        if postgres:
            driver.rollback()
        elif driver.in_transaction:
            cursor.execute("ROLLBACK")
        raise
    finally:
        if not postgres:
            cursor.execute("PRAGMA foreign_keys = ON")
        raw.close()
    seconds = time.perf_counter() - started
    result = RegistryLoad("postgresql" if postgres else "sqlite", counts, seconds)
    audit.record_alone(
        ctx, "import", entity="registry_demo", detail={"seed": seed, **result.to_dict()}
    )
    return result


def _analyze(driver: Any, postgres: bool) -> None:
    """Fresh statistics (and on PostgreSQL the visibility map for index-only scans)."""
    if postgres:
        driver.autocommit = True
        try:
            for table in TABLES:
                driver.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            driver.autocommit = False
    else:
        driver.execute("ANALYZE")


def run_demo(n: int, seed: int = 2026) -> dict[str, Any]:
    """``plexms demo --registry N``: migrate, seed the demo clinic when the database is empty,
    then load ``n`` registry patients into the demo centre with a progress bar (on stderr)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from plexms.services import demo
    from plexms.services.context import SYSTEM
    from plexms.settings import get_settings
    from plexms.store.database import Database
    from plexms.store.migrate import upgrade
    from plexms.store.models import Centre

    settings = get_settings()
    upgrade(settings.database_url)
    ctx = ServiceContext(db=Database(settings.database_url), actor=SYSTEM, settings=settings)
    try:
        if not demo.is_seeded(ctx):
            demo.seed(ctx, settings.demo_password)
        with ctx.db.read() as session:
            centre = session.query(Centre).filter(Centre.code == demo.DEMO_CENTRE.code).first()
            centre_id = centre.id if centre is not None else session.query(Centre).first().id  # type: ignore[union-attr]
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("registry patients", total=n)
            result = load_registry(
                ctx,
                n,
                centre_id=centre_id,
                seed=seed,
                progress=lambda done, _total: bar.update(task, completed=done),
            )
    finally:
        ctx.db.dispose()
    return {"centre_id": centre_id, "seed": seed, **result.to_dict()}
