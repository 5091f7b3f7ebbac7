"""The synthetic registry of ``plexms demo --registry N``: its rows drawn column-wise.

Per patient 1-3 courses (mean 1.5), each with its own episode (onset), 5-7 exchanges (mean 6),
adverse events and outcome visits. Every column is drawn with NumPy from one seeded generator
per chunk of patients, so the same seed gives the same registry. The rows go to the store's
bulk loader (:mod:`plexms.store.bulk_load`) through :mod:`plexms.services.sharing.registry_demo`.

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
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from plexms.core.vocabulary import AE_SEVERITIES, PRESENTATIONS, VASCULAR_ACCESS

__all__ = ["TABLES", "build_chunk"]

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
