"""``plexms demo --registry N``: a synthetic registry of N patients loaded in bulk.

Per patient 1-3 courses (mean 1.5), each with its own episode (onset), 5-7 exchanges (mean 6),
adverse events and outcome visits. Every column is drawn with NumPy from one seeded generator
per chunk of patients, so the same seed gives the same registry. Loading, in one transaction
with the tables' keys and indexes dropped and rebuilt after: PostgreSQL ``COPY ... FROM STDIN
(FORMAT binary)`` of rows encoded column-wise by NumPy/Arrow (psycopg 3 ``cursor.copy``);
SQLite ``executemany``. The next chunks are generated while one loads. Then
``VACUUM``/``ANALYZE`` so the planner knows the new sizes (and PostgreSQL can use index-only
scans).

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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from plexms.core.errors import InputError
from plexms.core.vocabulary import AE_SEVERITIES, PRESENTATIONS, VASCULAR_ACCESS
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission

__all__ = ["CHUNK_PATIENTS", "TABLES", "RegistryLoad", "build_chunk", "load_registry"]

CHUNK_PATIENTS = 10_000
_FIRST_CHUNK = 2_500  # small, so the database starts copying soon
_AHEAD = 2  # chunks generated ahead of the one loading
MAX_PATIENTS = 2_000_000
TABLES = ("patient", "episode", "course", "exchange_session", "adverse_event", "outcome_assessment")
_BY = "registry-demo"
_INDICATIONS = PRESENTATIONS.values
_INDICATION_P = (0.62, 0.20, 0.06, 0.05, 0.07)
_INDICATION_SHIFT = np.array([0.0, 0.04, 0.0, -0.03, -0.05])
_BAND_RESPONSE = np.array([0.76, 0.66, 0.55, 0.46])  # 0-7, 8-14, 15-28, >28 days
_AE_TYPE_SHARE = {  # core.vocabulary.AE_TYPES words, most frequent first
    "hypocalcaemia": 0.35,
    "hypotension": 0.20,
    "vasovagal": 0.10,
    "nausea": 0.10,
    "chills": 0.07,
    "fatigue": 0.06,
    "allergic_reaction": 0.05,
    "catheter_infection": 0.04,
    "bleeding": 0.02,
    "arrhythmia": 0.01,
}
_AE_TYPES = tuple(_AE_TYPE_SHARE)
_AE_TYPE_P = tuple(_AE_TYPE_SHARE.values())
_SEVERITY = AE_SEVERITIES.values[:3]  # no deaths in the synthetic registry
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


def _choose(values: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """``values[codes]`` as an Arrow string column (one C++ take, no Python string per row)."""
    return pa.array(values, pa.string()).take(pa.array(codes))


def _pick(rng: np.random.Generator, values: tuple[str, ...], p: tuple[float, ...], n: int) -> Any:
    return _choose(values, rng.choice(len(values), size=n, p=p))


def _text(*parts: Any) -> pa.Array:
    """Element-wise concatenation of string columns and constants (Arrow, vectorised)."""
    return pc.binary_join_element_wise(*parts, "")


def _digits(values: np.ndarray) -> pa.Array:
    """Whole numbers as decimal strings (``values`` already rounded)."""
    return pa.array(values.astype(np.int64)).cast(pa.string())


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
    """The rows of ``n`` synthetic patients, ids starting at ``first[table]``.

    Column-wise throughout: NumPy draws, Arrow takes and string joins; no Python loop per row.
    """
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
            "mrn": _text("REG-", pc.utf8_lpad(_digits(pid), 8, "0")),
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
    indication = _choose(_INDICATIONS, indication_ix)
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
            "status": _choose(("completed", "stopped"), stopped.astype(np.int8)),
            "stop_reason": _choose(("", "adverse event"), stopped.astype(np.int8)),
            "planned_exchanges": pa.array(exchanges.astype(np.int64)),
            "plasma_volumes_per_exchange": pa.array(pvx),
            "replacement_fluid": pa.repeat(pa.scalar("albumin_5"), m),
            "start_date": _date(start),
            "started_on": _date(start),
            "completed_on": _date(start + 2 * (done_n - 1)),
            "inputs": pa.repeat(pa.scalar("{}"), m),
            "prescription": _text(
                '{"plasma_volume_ml": ',
                _digits(np.rint(pv)),
                ', "exchange_volume_ml": ',
                _digits(np.rint(pv * pvx)),
                "}",
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
    done_arrow = pa.array(done)
    day = start[s_course] + 2 * (seq - 1)
    begin_min = 15 * 60 + rng.integers(0, 24, k) * 15  # 08:00-13:45 Pacific, in UTC
    removed = pv[s_course] * pvx[s_course] * rng.uniform(0.95, 1.02, k)
    sid = np.arange(first["exchange_session"], first["exchange_session"] + k, dtype=np.int64)
    planned_start = _stamp(day, begin_min)
    planned_end = _stamp(day, begin_min + 120)
    nothing = pa.nulls(k, pa.timestamp("us", tz="UTC"))
    fluids = pc.if_else(
        done_arrow,
        _text('[{"fluid": "albumin_5", "volume_ml": ', _digits(np.rint(removed)), "}]"),
        "[]",
    )
    out["exchange_session"] = pa.table(
        {
            **_common(k, first["exchange_session"], centre_id, stamp),
            "patient_id": pa.array(owner[s_course]),
            "course_id": pa.array(cid[s_course]),
            "sequence": pa.array(seq.astype(np.int64)),
            "status": _choose(("cancelled", "done"), done.astype(np.int8)),
            "planned_start": planned_start,
            "planned_end": planned_end,
            "actual_start": pc.if_else(done_arrow, planned_start, nothing),
            "actual_end": pc.if_else(done_arrow, planned_end, nothing),
            "planned_plasma_volume_ml": pa.array(np.round(pv * pvx)[s_course]),
            "plasma_removed_ml": pa.array(np.round(removed), mask=~done),
            "whole_blood_processed_ml": pa.array(np.round(removed * 1.9), mask=~done),
            "replacement_fluids": fluids,
            "anticoagulant": _choose(("", "ACD-A"), done.astype(np.int8)),
            "vascular_access": _pick(rng, VASCULAR_ACCESS.values[:2], (0.7, 0.3), k),
            "vitals": pa.repeat(pa.scalar("[]"), k),
            "go_decision": pc.if_else(done_arrow, "go", pa.scalar(None, pa.string())),
            "signed_off_at": pc.if_else(done_arrow, planned_end, nothing),
            "notes": pa.repeat(pa.scalar(""), k),
        }
    )
    # adverse events: at most one per procedure done
    p_event = np.where(seq == 1, 0.045, 0.035)
    hit = np.flatnonzero(done & (rng.random(k) < p_event))
    e = hit.size
    severity_ix = rng.choice(len(_SEVERITY), size=e, p=_SEVERITY_P)
    out["adverse_event"] = pa.table(
        {
            **_common(e, first["adverse_event"], centre_id, stamp),
            "patient_id": pa.array(owner[s_course[hit]]),
            "course_id": pa.array(cid[s_course[hit]]),
            "session_id": pa.array(sid[hit]),
            "event_type": _pick(rng, _AE_TYPES, _AE_TYPE_P, e),
            "severity": _choose(_SEVERITY, severity_ix),
            "onset_at": _stamp(day[hit], begin_min[hit] + rng.integers(20, 110, e)),
            "procedure_interrupted": pa.array(severity_ix == _SEVERITY.index("severe")),
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
    # grades as indexes into _GRADES (None = no graded TND, the baseline visit)
    good = rng.choice(2, size=m, p=(0.35, 0.65))  # marked, moderate
    poor = 2 + rng.choice(3, size=m, p=(0.5, 0.42, 0.08))  # mild, none, worse
    grade = np.where(responder, good, poor)
    end_visit = rng.random(m) < 0.9
    month = end_visit & (rng.random(m) < 0.3)
    later = np.where(responder | (rng.random(m) < 0.15), good, poor)  # some improve later
    edss_end = np.clip(edss0 - np.where(responder, 1.0, 0.0), 0.0, 9.5)
    ends = np.flatnonzero(end_visit)
    months = np.flatnonzero(month)
    idx = np.concatenate([np.arange(m), ends, months])
    timepoint = np.repeat(np.arange(3, dtype=np.int8), (m, ends.size, months.size))
    assessed_on = np.concatenate(
        [start, (start + 2 * (done_n - 1) + 1)[ends], (start + 30)[months]]
    )
    edss = np.concatenate([edss0, edss_end[ends], edss_end[months]])
    graded = np.concatenate([np.full(m, -1), grade[ends], later[months]])
    total = idx.size
    return pa.table(
        {
            **_common(total, first["outcome_assessment"], centre_id, stamp),
            "patient_id": pa.array(owner[idx]),
            "course_id": pa.array(cid[idx]),
            "timepoint": _choose(("baseline", "end_of_course", "1_month"), timepoint),
            "assessed_on": _date(assessed_on),
            "assessed_by": pa.repeat(pa.scalar(_BY), total),
            "edss": pa.array(edss),
            "targeted_deficit": pa.array(_GOOD + _POOR, pa.string()).take(
                pa.array(graded, mask=graded < 0)
            ),
            "inputs": pa.repeat(pa.scalar("{}"), total),
            "result": pa.repeat(pa.scalar("{}"), total),
            "rule_version": pa.repeat(pa.scalar(_BY), total),
            "notes": pa.repeat(pa.scalar(""), total),
        }
    )


# --- loading ---------------------------------------------------------------------------------
#
# Like pg_restore: inside the one load transaction the six tables' indexes and constraints
# (primary keys, unique constraints, foreign keys, also those of other tables pointing at
# them) are dropped, the rows copied, then the keys and indexes rebuilt (one sort each instead
# of a B-tree insertion per row) and the foreign keys re-added (one validating join each). The
# transaction holds ACCESS EXCLUSIVE locks on those tables meanwhile: a demo/benchmark tool,
# not something to run beside a busy clinic. A failure rolls everything back.
#
# PostgreSQL gets binary COPY (the server parses no text: timestamps, dates and numbers go as
# the 8/4-byte values it stores), the rows of a chunk encoded by NumPy and Arrow in one pass
# per column while the previous chunk is being copied.

_PG_TYPES = (
    "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
)
_PG_CONSTRAINTS = (
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype, "
    "confrelid::regclass::text "
    "FROM pg_constraint WHERE (contype IN ('p', 'u') AND conrelid = ANY(%(t)s::regclass[])) "
    "OR (contype = 'f' AND (conrelid = ANY(%(t)s::regclass[]) "
    "OR confrelid = ANY(%(t)s::regclass[])))"
)
_PG_INDEXES = (
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
    "WHERE indrelid = ANY(%(t)s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
    "WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))"
)
_PG_ROWS = "SELECT oid::regclass::text, reltuples FROM pg_class WHERE oid = ANY(%s::regclass[])"
_PROBE_RATIO = 8  # a referencing table this many times smaller: validate by index probes
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # binary COPY header: no flags, no extension
_TRAILER = b"\xff\xff"
_EPOCH_US = 946_684_800_000_000  # PostgreSQL counts from 2000-01-01 (Unix time of it, in us)
_EPOCH_DAYS = 10_957
_BINARY = {  # PostgreSQL type -> big-endian NumPy type of its binary send format
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "u1",
    "date": ">i4",
    "timestamptz": ">i8",
}
_TEXT = frozenset({"text", "varchar", "json"})  # sent as their UTF-8 text
_NULL_FIELD = pa.scalar(b"\xff\xff\xff\xff", pa.binary())  # field length -1
_NO_BYTES = pa.scalar(b"", pa.binary())


def _pg_types(cursor: Any) -> dict[str, dict[str, str]]:
    return {t: dict(cursor.execute(_PG_TYPES, (t,)).fetchall()) for t in TABLES}


@dataclass(frozen=True)
class _Dropped:
    """What ``_drop_postgres`` removed, as the DDL that puts it back."""

    keys: list[str]  # primary keys and unique constraints
    indexes: list[str]
    foreign: list[tuple[str, str, str]]  # (referencing table, referenced table, DDL)


def _drop_postgres(cursor: Any) -> _Dropped:
    """Drop the keys, indexes and foreign keys of TABLES (and those pointing at them)."""
    tables = {"t": list(TABLES)}
    keys: list[tuple[str, str, str]] = []
    foreign: list[tuple[str, str, str, str]] = []
    constraints = cursor.execute(_PG_CONSTRAINTS, tables).fetchall()
    index_rows = cursor.execute(_PG_INDEXES, tables).fetchall()
    for table, name, definition, kind, referenced in constraints:
        restore = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        if kind == "f":
            foreign.append((table, name, referenced, restore))
        else:
            keys.append((table, name, restore))
    for table, name, *_ in foreign + keys:  # foreign keys first: they need the keys
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in index_rows:
        cursor.execute(f"DROP INDEX {name}")
    return _Dropped(
        keys=[restore for *_, restore in keys],
        indexes=[definition for _, definition in index_rows],
        foreign=[(table, referenced, restore) for table, _, referenced, restore in foreign],
    )


def _restore_postgres(cursor: Any, dropped: _Dropped) -> None:
    """Keys, then indexes (one sort each), then foreign keys (one validating query each).

    A foreign key from a table much smaller than the one it points at (adverse events ->
    900,000 sessions) is validated by probing the referenced key's index: PostgreSQL 15 would
    otherwise hash the whole referenced table for the check (it only hashes the inner side of
    an anti-join), 0.35 s instead of 0.1 s here.
    """
    for statement in dropped.keys + dropped.indexes:
        cursor.execute(statement)
    names = sorted({t for child, parent, _ in dropped.foreign for t in (child, parent)})
    rows = dict(cursor.execute(_PG_ROWS, (names,)).fetchall())  # fresh after the index builds
    for child, parent, statement in dropped.foreign:
        probe = 0 <= rows[child] * _PROBE_RATIO < rows[parent]
        if probe:
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(statement)
        if probe:
            cursor.execute("SET LOCAL enable_hashjoin TO DEFAULT")
            cursor.execute("SET LOCAL enable_mergejoin TO DEFAULT")


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
    """Timestamps without their zone (the load session is in UTC)."""
    columns = [
        c.cast(pa.timestamp("us")) if pa.types.is_timestamp(c.type) else c for c in data.columns
    ]
    return pa.table(columns, names=data.column_names)


def _fixed_values(column: pa.Array, pg_type: str, where: str) -> np.ndarray:
    """A column's values in the units of PostgreSQL's binary format (days and microseconds
    since 2000-01-01), NULLs as 0; made big-endian when written into the records."""
    kind = column.type
    values: np.ndarray
    if pg_type == "timestamptz" and pa.types.is_timestamp(kind) and kind.tz is not None:
        micros = column.cast(pa.timestamp("us", tz=kind.tz)).cast(pa.int64())
        values = micros.fill_null(0).to_numpy() - _EPOCH_US
    elif pg_type == "date" and pa.types.is_date32(kind):
        values = column.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64) - _EPOCH_DAYS
    elif pg_type == "bool" and pa.types.is_boolean(kind):
        values = column.fill_null(False).to_numpy(zero_copy_only=False)
    elif pg_type.startswith("int") and pa.types.is_integer(kind):
        values = column.fill_null(0).to_numpy()
        info = np.iinfo(_BINARY[pg_type])
        if values.size and (values.min() < info.min or values.max() > info.max):
            raise InputError(where, "a value out of the column's range", allowed=pg_type)
    elif pg_type == "float8" and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        values = column.fill_null(0).to_numpy()
    else:
        raise InputError(where, f"{kind} cannot be copied to {pg_type}", allowed="same kind")
    if pg_type == "date" and values.size and np.abs(values).max() > np.iinfo(np.int32).max:
        raise InputError(where, "a date out of range", allowed="PostgreSQL dates")
    return values


Field = tuple[str | None, Any]  # NumPy type of the value (None: empty), the values


def _records(n: int, fields: list[Field], count: int | None = None) -> np.ndarray:
    """``n`` packed records of the binary format as an ``(n, bytes)`` matrix: the field count
    (when given), then per field its byte length and its value. A NumPy structured array: each
    column is one typed (and byte-swapping) assignment, not a loop over rows."""
    layout: list[tuple[str, str]] = [] if count is None else [("count", ">i2")]
    for i, (kind, _) in enumerate(fields):
        layout.append((f"n{i}", ">i4"))
        if kind is not None:
            layout.append((f"v{i}", kind))
    records = np.empty(n, np.dtype(layout))
    if count is not None:
        records["count"] = count
    for i, (kind, values) in enumerate(fields):
        records[f"n{i}"] = 0 if kind is None else np.dtype(kind).itemsize
        if kind is not None:
            records[f"v{i}"] = values
    return records.view(np.uint8).reshape(n, records.dtype.itemsize)


def _as_binary(block: np.ndarray) -> pa.Array:
    """An ``(n, width)`` byte matrix as an Arrow binary column (one value per row)."""
    n, width = block.shape
    buffers = [None, pa.py_buffer(np.ascontiguousarray(block))]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, buffers).cast(pa.binary())


def _binary_copy(table: str, data: pa.Table, types: dict[str, str]) -> tuple[list[str], Any]:
    """The rows of ``data`` in PostgreSQL's binary COPY format (without header and trailer),
    and the column order they are in.

    Per row: the field count, then per field its byte length (-1 for NULL) and its bytes. Every
    column that is never NULL and has one width in this chunk (numbers, dates, timestamps,
    fixed-length or constant text) goes into one NumPy structured array of packed records;
    the others become Arrow binary columns (length prefix + bytes) and one element-wise Arrow
    join appends them to each record. So the columns go fixed ones first.
    """
    n = data.num_rows
    if n == 0:
        return list(data.column_names), b""
    fixed: list[tuple[str, Field]] = []
    varying: list[tuple[str, pa.Array]] = []  # (name, length-prefixed field bytes)
    for name in data.column_names:
        column = data.column(name).combine_chunks()
        where = f"{table}.{name}"
        pg_type = types.get(name)
        kind = column.type
        if pg_type in _BINARY:
            field: Field = (_BINARY[pg_type], _fixed_values(column, pg_type, where))
            if column.null_count == 0:
                fixed.append((name, field))
            else:
                prefixed = _as_binary(_records(n, [field]))
                varying.append((name, pc.if_else(column.is_valid(), prefixed, _NULL_FIELD)))
        elif pg_type in _TEXT and (pa.types.is_string(kind) or kind == pa.null()):
            raw = column.cast(pa.string()).cast(pa.binary())
            offsets = np.frombuffer(raw.buffers()[1], np.int32, n + 1, raw.offset * 4)
            lengths = np.diff(offsets)
            if column.null_count == 0 and lengths.min() == lengths.max():
                size = int(lengths[0])
                body = np.frombuffer(raw.buffers()[2] or b"", np.uint8)[offsets[0] : offsets[-1]]
                fixed.append((name, (f"S{size}", body.view(f"S{size}")) if size else (None, 0)))
            else:
                prefix = _as_binary(_records(n, [(">i4", lengths)])[:, 4:])
                joined = pc.binary_join_element_wise(prefix, raw, _NO_BYTES)  # NULL stays NULL
                varying.append(
                    (name, joined.fill_null(_NULL_FIELD) if column.null_count else joined)
                )
        else:
            raise InputError(where, f"{kind} cannot be copied to {pg_type}", allowed="same kind")
    block = _records(n, [f for _, f in fixed], count=len(fixed) + len(varying))
    names = [name for name, _ in fixed] + [name for name, _ in varying]
    if not varying:
        return names, block.reshape(-1).data
    rows = pc.binary_join_element_wise(_as_binary(block), *(v for _, v in varying), _NO_BYTES)
    offsets = np.frombuffer(rows.buffers()[1], np.int32, n + 1, rows.offset * 4)
    return names, memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]


def _copy_postgres(cursor: Any, table: str, columns: list[str], payload: Any) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(_SIGNATURE)
        copy.write(payload)
        copy.write(_TRAILER)


def _sql_literal(value: Any) -> str:
    """A constant column's value written into the INSERT (no binding per row)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool | int | float):
        return repr(int(value) if isinstance(value, bool) else value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")  # pragma: no cover


def _insert_sqlite(cursor: Any, table: str, data: pa.Table) -> None:
    """``executemany`` of the rows; a column with one value in the whole chunk goes into the
    statement as a literal instead of being bound on every row."""
    names, values, columns = [], [], []
    for name, column in zip(data.column_names, data.columns, strict=True):
        kind = column.type
        if pa.types.is_timestamp(kind):
            # "YYYY-MM-DD HH:MM:SS.ffffff" as SQLAlchemy stores it (a cast: 10x strftime)
            column = column.cast(pa.timestamp("us")).cast(pa.string())
        elif pa.types.is_date(kind):
            column = column.cast(pa.string())
        elif pa.types.is_boolean(kind):
            column = column.cast(pa.int64())
        names.append(name)
        if len(column) > 1 and pc.count_distinct(column, mode="all").as_py() == 1:
            values.append(_sql_literal(column[0].as_py()))
        else:
            values.append("?")
            columns.append(column.to_pylist())
    statement = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})"  # noqa: S608 - fixed names, literals quoted
    cursor.executemany(statement, zip(*columns, strict=True))


def _next_ids(cursor: Any) -> dict[str, int]:
    ids = {}
    for table in TABLES:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed names
        ids[table] = int(cursor.fetchone()[0]) + 1
    return ids


Prepared = tuple[dict[str, int], dict[str, Any]]


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
    db = ctx.db
    postgres = not db.is_sqlite
    counts = dict.fromkeys(TABLES, 0)
    started = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        cursor = driver.cursor()
        if postgres:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            types = _pg_types(cursor)
            dropped = _drop_postgres(cursor)
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")  # rows are consistent by construction
            cursor.execute("BEGIN IMMEDIATE")
            indexes = _drop_sqlite(cursor)
        first = _next_ids(cursor)
        offsets = _chunk_offsets(patients)

        def prepare(chunk: int) -> Prepared:
            """Generate (and for PostgreSQL encode) one chunk; runs beside the loading."""
            n = offsets[chunk + 1] - offsets[chunk]
            rng = np.random.default_rng([seed, chunk])
            tables = build_chunk(rng, n, dict(first), centre_id, end, ctx.now)
            rows = {t: tables[t].num_rows for t in TABLES}
            for table in TABLES:
                first[table] += rows[table]
            if postgres:
                return rows, {t: _binary_copy(t, tables[t], types[t]) for t in TABLES}
            return rows, tables

        # NumPy and Arrow release the GIL: the next chunks are made while this one loads
        with ThreadPoolExecutor(max_workers=1) as pool:
            chunks = len(offsets) - 1
            pending = [pool.submit(prepare, c) for c in range(min(_AHEAD, chunks))]
            for chunk, offset in enumerate(offsets[:-1]):
                rows, payloads = pending.pop(0).result()
                if chunk + _AHEAD < chunks:
                    pending.append(pool.submit(prepare, chunk + _AHEAD))
                for table in TABLES:
                    if postgres:
                        _copy_postgres(cursor, table, *payloads[table])
                    else:
                        _insert_sqlite(cursor, table, payloads[table])
                    counts[table] += rows[table]
                del payloads
                if progress is not None:
                    progress(offset + rows["patient"], patients)
        if postgres:
            _restore_postgres(cursor, dropped)
            for table in TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
            driver.commit()
        else:
            for statement in indexes:
                cursor.execute(statement)
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
