"""The column-wise registry export against a slow, row-by-row reference (the ORM version it
replaced), on both backends, with the awkward cases: deleted rows, courses without a live
episode, sessions of a deleted course, nulls, empty strings, strings needing CSV quotes,
fractional and huge floats, JSON fluids and prescriptions of every shape, microseconds,
times before 1970, ages over 90, several batches and a centre's scope.

The CSV files must be byte for byte what ``csv.writer`` writes of the reference rows, and the
Parquet tables equal to ``Table.from_pydict`` of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from tests.interop.conftest import NOW, add_centre, seed_patient

from plexms.interop.registry import Pseudonymiser
from plexms.interop.registry_columns import TABLES
from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.sharing import registry_export
from plexms.store.database import Database
from plexms.store.models import (
    AdverseEvent,
    Course,
    Episode,
    ExchangeSession,
    OutcomeAssessment,
    OutcomeMeasure,
    Patient,
)

SECRET = b"reference-secret-0123456789abcdef"
_ARROW = {
    "id": pa.string(),
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}

# --- the reference: every row through the ORM, one value at a time ----------------------------


def _live(session: Any, model: Any, ids: list[int], *order: Any) -> list[Any]:
    query = (
        select(model)
        .where(model.patient_id.in_(ids), model.deleted_at.is_(None))
        .order_by(model.patient_id, *order, model.id)
    )
    return list(session.scalars(query))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _lots(lots: Any) -> dict[str, str | None]:
    """Each lot column: the distinct numbers of its kind joined by ';' (reference)."""
    columns = {
        "albumin_lot": ("albumin", "lot"),
        "acd_a_lot": ("acd_a", "lot"),
        "saline_lot": ("saline", "lot"),
        "calcium_lot": ("calcium", "lot"),
        "tubing_set_lot": ("tubing_set", "lot"),
        "machine_serial": ("machine", "serial"),
    }
    out: dict[str, str | None] = {}
    for column, (kind, key) in columns.items():
        values: list[str] = []
        for item in lots if isinstance(lots, list) else []:
            if isinstance(item, dict) and item.get("kind") == kind:
                value = item.get(key)
                if isinstance(value, str) and value and value not in values:
                    values.append(value)
        out[column] = ";".join(values) if values else None
    return out


def _fluids(fluids: Any) -> dict[str, float | None]:
    totals: dict[str, float | None] = {"albumin_ml": None, "saline_ml": None, "plasma_ml": None}
    for item in fluids:
        if not isinstance(item, dict) or _number(item.get("volume_ml")) is None:
            continue
        name = str(item.get("fluid", "")).lower()
        key = next((k for k in totals if name.startswith(k.removesuffix("_ml"))), None)
        if key is not None:
            totals[key] = (totals[key] or 0.0) + float(item["volume_ml"])
    return totals


def _shift(value: Any, days: int) -> Any:
    return None if value is None else value + dt.timedelta(days=days)


def reference_rows(db: Database, centre_id: int | None) -> dict[str, list[dict[str, Any]]]:
    pseudo = Pseudonymiser(SECRET)
    out: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    with db.read() as session:
        query = select(Patient).where(Patient.deleted_at.is_(None)).order_by(Patient.id)
        if centre_id is not None:
            query = query.where(Patient.centre_id == centre_id)
        patients = list(session.scalars(query))
        ids = [p.id for p in patients]
        episodes = {e.id: e for e in _live(session, Episode, ids)}
        courses, sessions, events, visits = (defaultdict(list) for _ in range(4))
        for c in _live(session, Course, ids, Course.start_date):
            courses[c.patient_id].append(c)
        for s in _live(
            session, ExchangeSession, ids, ExchangeSession.course_id, ExchangeSession.sequence
        ):
            sessions[s.patient_id].append(s)
        for e in _live(session, AdverseEvent, ids, AdverseEvent.onset_at):
            events[e.patient_id].append(e)
        for o in _live(session, OutcomeAssessment, ids, OutcomeAssessment.assessed_on):
            visits[o.patient_id].append(o)
        live_visits = {o.id: o for rows in visits.values() for o in rows}
        measures = defaultdict(list)
        for m in _live(session, OutcomeMeasure, ids, OutcomeMeasure.taken_on):
            visit = live_visits.get(m.outcome_id)
            if visit is not None and visit.patient_id == m.patient_id:
                measures[m.patient_id].append((m, visit))
    for patient in patients:
        days = pseudo.shift_days(patient.id)
        ppid = pseudo.pid("patient", patient.id)
        starts = {c.id: c.start_date for c in courses[patient.id]}
        done: dict[int, int] = defaultdict(int)
        for s in sessions[patient.id]:
            done[s.course_id] += s.status == "done"
            start = s.actual_start or s.planned_start
            end = s.actual_end or s.planned_end
            out["sessions"].append(
                {
                    "session_pid": pseudo.pid("session", s.id),
                    "course_pid": pseudo.pid("course", s.course_id),
                    "patient_pid": ppid,
                    "sequence": s.sequence,
                    "status": s.status,
                    "days_from_course_start": (start.date() - starts[s.course_id]).days
                    if s.course_id in starts
                    else None,
                    "start": _shift(start, days),
                    "duration_min": (end - start).total_seconds() / 60,
                    "plasma_removed_ml": s.plasma_removed_ml,
                    "whole_blood_processed_ml": s.whole_blood_processed_ml,
                    **_fluids(s.replacement_fluids or []),
                    "anticoagulant": s.anticoagulant or None,
                    "anticoagulant_ml": s.anticoagulant_ml,
                    "calcium_gluconate_ml": s.calcium_gluconate_ml,
                    "vascular_access": s.vascular_access or None,
                    "go_decision": s.go_decision,
                    **_lots(s.lots),
                }
            )
        for c in courses[patient.id]:
            episode = episodes.get(c.episode_id) if c.episode_id else None
            prescription = c.prescription or {}
            birth, on = patient.birth_date, c.start_date
            age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
            out["courses"].append(
                {
                    "course_pid": pseudo.pid("course", c.id),
                    "patient_pid": ppid,
                    "centre_pid": pseudo.pid("centre", c.centre_id),
                    "sex": patient.sex,
                    "age_at_start_years": min(age, 90),
                    "ms_phenotype": patient.ms_phenotype,
                    "disease_duration_years": c.start_date.year - patient.ms_diagnosis_year
                    if patient.ms_diagnosis_year
                    else None,
                    "presentation": episode.presentation if episode else None,
                    "edss_at_onset": episode.edss_at_onset if episode else None,
                    "steroid_response": episode.steroid_response if episode else None,
                    "days_onset_to_start": (c.start_date - episode.onset_date).days
                    if episode
                    else None,
                    "indication": c.indication,
                    "status": c.status,
                    "stopped_early": c.status == "stopped",
                    "planned_exchanges": c.planned_exchanges,
                    "plasma_volumes_per_exchange": c.plasma_volumes_per_exchange,
                    "replacement_fluid": c.replacement_fluid,
                    "plasma_volume_ml": _number(prescription.get("plasma_volume_ml")),
                    "exchange_volume_ml": _number(prescription.get("exchange_volume_ml")),
                    "start_date": _shift(c.start_date, days),
                    "completed_on": _shift(c.completed_on, days),
                    "sessions_done": done[c.id],
                    "rule_version": c.rule_version,
                }
            )
        for e in events[patient.id]:
            out["adverse_events"].append(
                {
                    "event_pid": pseudo.pid("adverse_event", e.id),
                    "patient_pid": ppid,
                    "course_pid": pseudo.pid("course", e.course_id),
                    "session_pid": pseudo.pid("session", e.session_id),
                    "event_type": e.event_type,
                    "severity": e.severity,
                    "onset": _shift(e.onset_at, days),
                    "procedure_interrupted": e.procedure_interrupted,
                }
            )
        for o in visits[patient.id]:
            course_start = starts.get(o.course_id) if o.course_id else None
            out["outcomes"].append(
                {
                    "outcome_pid": pseudo.pid("outcome", o.id),
                    "patient_pid": ppid,
                    "course_pid": pseudo.pid("course", o.course_id),
                    "timepoint": o.timepoint,
                    "assessed_on": _shift(o.assessed_on, days),
                    "days_from_course_start": (o.assessed_on - course_start).days
                    if course_start
                    else None,
                    "edss": o.edss,
                    "va_right_logmar": o.va_right_logmar,
                    "va_left_logmar": o.va_left_logmar,
                    "targeted_deficit": o.targeted_deficit,
                    "edss_within_30d_of_relapse": None
                    if o.edss is None or not isinstance((o.result or {}).get("edss_baseline"), dict)
                    else o.result["edss_baseline"].get("usable") is False,
                    "rule_version": o.rule_version,
                }
            )
        for m, visit in measures[patient.id]:
            course_start = starts.get(visit.course_id) if visit.course_id else None
            result = m.result or {}
            out["outcome_measures"].append(
                {
                    "measure_pid": pseudo.pid("outcome_measure", m.id),
                    "outcome_pid": pseudo.pid("outcome", m.outcome_id),
                    "patient_pid": ppid,
                    "course_pid": pseudo.pid("course", visit.course_id),
                    "measure": m.measure,
                    "side": m.side,
                    "value": m.value,
                    "unit": m.unit,
                    "taken_on": _shift(m.taken_on, days),
                    "days_from_course_start": (m.taken_on - course_start).days
                    if course_start
                    else None,
                    "change": _number(result.get("change")),
                    "change_percent": _number(result.get("change_percent")),
                    "result": result.get("result")
                    if isinstance(result.get("result"), str)
                    else None,
                    "rule_version": m.rule_version,
                }
            )
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value  # OWASP CSV injection: a formula opens as text (issue 15, item 7)
    return str(value)


def reference_csv(table: str, rows: list[dict[str, Any]]) -> bytes:
    names = [c.name for c in TABLES[table]]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(names)
    writer.writerows([_cell(r[n]) for n in names] for r in rows)
    return buffer.getvalue().encode()


def reference_parquet(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in TABLES[table]])
    return pa.Table.from_pydict({f.name: [r[f.name] for r in rows] for f in schema}, schema=schema)


# --- the awkward registry --------------------------------------------------------------------


def _t(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _awkward(db: Database) -> tuple[int, int]:
    centre = add_centre(db, code="REF")
    other = add_centre(db, code="REF2")
    ids = [seed_patient(db, centre, mrn=f"REF-{i}") for i in range(7)]
    seed_patient(db, other, mrn="OTHER-1")
    with db.write() as s:

        def rows(model: Any, patient_id: int) -> list[Any]:
            query = select(model).where(model.patient_id == patient_id).order_by(model.id)
            return list(s.scalars(query))

        # 0: strings that need quoting, empty strings, nulls, a stopped course
        course = rows(Course, ids[0])[0]
        course.indication, course.rule_version = 'relapse, "severe"', "rules\r\nv2"
        course.status = "stopped"
        first, second, third, *_ = rows(ExchangeSession, ids[0])
        first.vascular_access, first.anticoagulant, first.go_decision = "", "", None
        first.plasma_removed_ml, first.calcium_gluconate_ml = None, None
        second.vascular_access, second.anticoagulant = 'central "left"', "ACD-A,\nheparin"
        second.plasma_removed_ml = 0.1 + 0.2  # 0.30000000000000004
        second.whole_blood_processed_ml = 1e16
        third.plasma_removed_ml, third.whole_blood_processed_ml = -0.0, 123456789.125
        third.anticoagulant_ml = 1e-7
        first.anticoagulant_ml, second.calcium_gluconate_ml = float("nan"), float("-inf")
        third.status = "cancelled"
        third.go_decision = "\t@go,"
        event = rows(AdverseEvent, ids[0])[0]
        event.event_type, event.procedure_interrupted = 'hypo"tension', True
        course.replacement_fluid = '=HYPERLINK("http://x","a")'  # a formula: neutralised
        first_visit, second_visit = rows(OutcomeAssessment, ids[0])
        first_visit.targeted_deficit, second_visit.targeted_deficit = "mark\red", None
        # measures: JSON of odd shapes; one visit's EDSS flagged within 30 days of a relapse
        walk, letters, *_ = rows(OutcomeMeasure, ids[0])
        walk.result = {"result": 3, "change": "1.5", "change_percent": None}
        letters.result = {}
        first_visit.result = {"edss_baseline": {"usable": False, "days_from_relapse": 3}}
        second_visit.result = {"edss_baseline": "junk"}
        # a measure of a deleted visit, and of a visit whose course is another patient's
        gone = rows(OutcomeAssessment, ids[2])[1]
        gone.deleted_at = _t(2025, 9, 2)
        # 1: JSON of every shape, a course without episode, planned-only times, microseconds
        course = rows(Course, ids[1])[0]
        course.episode_id, course.completed_on = None, None
        course.prescription = {"plasma_volume_ml": 2950.5, "exchange_volume_ml": True}
        fluids = [
            [],
            [{"fluid": "Saline", "volume_ml": 500}, {"fluid": "albumin_5", "volume_ml": 1000.5}],
            [
                {"fluid": "plasma_ffp", "volume_ml": 250},
                {"fluid": "albumin", "volume_ml": True},
                "junk",
                {"fluid": None, "volume_ml": 3},
                {"fluid": "ALBUMIN 4%", "volume_ml": -0.0},
                {"volume_ml": 7},
            ],
            {"fluid": "albumin_5", "volume_ml": 100},
            [{"fluid": "albumin_5", "volume_ml": 2950}, {"fluid": "albumin_5", "volume_ml": 0.1}],
        ]
        for sess, value in zip(rows(ExchangeSession, ids[1]), fluids, strict=True):
            sess.replacement_fluids = value
        # lots of every shape (issue 17): repeated, several of a kind, junk, a comma and quote
        lot_values: list[Any] = [
            [{"kind": "albumin", "lot": "A-1"}, {"kind": "albumin", "lot": "A-2"}],
            [{"kind": "albumin", "lot": "A-1"}, {"kind": "albumin", "lot": "A-1"}, "junk"],
            [
                {"kind": "machine", "serial": 'OPT,1"2'},
                {"kind": "tubing_set", "lot": "T", "serial": "S"},
            ],
            {"kind": "acd_a", "lot": "X"},
            [{"kind": "calcium", "lot": ""}, {"kind": "saline", "lot": 7}, {"lot": "L"}],
        ]
        for sess, value in zip(rows(ExchangeSession, ids[1]), lot_values, strict=True):
            sess.lots = value
        first, second, *_ = rows(ExchangeSession, ids[1])
        first.actual_start, first.actual_end = None, None
        second.actual_start = _t(2025, 3, 5, 16, 5, 7, 123456)
        second.actual_end = _t(2025, 3, 5, 17, 40, 37, 7)
        # 2: a deleted course (its sessions stay, without course days), deleted rows
        course = rows(Course, ids[2])[0]
        course.deleted_at, course.deleted_by = NOW, "test"
        for model in (ExchangeSession, AdverseEvent, OutcomeAssessment, Episode):
            row = rows(model, ids[2])[0]
            row.deleted_at, row.deleted_by = NOW, "test"
        # 3: a deleted patient (nothing of it leaves)
        patient = s.get(Patient, ids[3])
        patient.deleted_at, patient.deleted_by = NOW, "test"
        # 4: over 90, no diagnosis year, a deleted episode, a second course
        patient = s.get(Patient, ids[4])
        patient.birth_date, patient.ms_diagnosis_year, patient.sex = (
            dt.date(1920, 3, 4),
            None,
            "male",
        )
        course = rows(Course, ids[4])[0]
        episode = rows(Episode, ids[4])[0]
        episode.deleted_at, episode.deleted_by = NOW, "test"
        course.prescription = {"plasma_volume_ml": "3000", "exchange_volume_ml": 1e20}
        extra = Course(
            patient_id=ids[4],
            centre_id=centre,
            created_at=NOW,
            updated_at=NOW,
            created_by="test",
            episode_id=None,
            indication="other",
            status="planned",
            planned_exchanges=3,
            plasma_volumes_per_exchange=1.25,
            start_date=dt.date(2025, 1, 10),
            inputs={},
            prescription={},
            rule_version="prescription/1",
        )
        s.add(extra)
        s.flush()
        rows(OutcomeAssessment, ids[4])[0].course_id = extra.id
        # 5: before 1970 (negative epoch, with microseconds), born after the course start
        patient = s.get(Patient, ids[5])
        patient.birth_date, patient.ms_diagnosis_year = dt.date(1966, 1, 1), 0
        course = rows(Course, ids[5])[0]
        course.start_date, course.completed_on = dt.date(1965, 5, 5), dt.date(1965, 5, 14)
        for i, sess in enumerate(rows(ExchangeSession, ids[5])):
            begin = _t(1965, 5, 5 + 2 * i, 0, 0, 0) - dt.timedelta(microseconds=500_000 + i)
            sess.planned_start = sess.actual_start = begin
            sess.planned_end = sess.actual_end = begin + dt.timedelta(minutes=90)
        rows(AdverseEvent, ids[5])[0].onset_at = _t(1965, 5, 7, 0, 0, 0) - dt.timedelta(
            microseconds=1
        )
        # 6: the course, sessions and outcomes pointing at another patient's course
        borrowed = rows(Course, ids[0])[0].id
        rows(ExchangeSession, ids[6])[0].course_id = borrowed
        rows(OutcomeAssessment, ids[6])[0].course_id = borrowed
    return centre, other


def _compare(db: Database, out: Path, centre_id: int | None) -> None:
    expected = reference_rows(db, centre_id)
    for table, rows in expected.items():
        assert (out / f"{table}.csv").read_bytes() == reference_csv(table, rows), table
        got = pq.read_table(out / f"{table}.parquet")
        want = reference_parquet(table, rows)
        assert got.schema == want.schema, table
        assert repr(got.to_pylist()) == repr(want.to_pylist()), table


def test_export_equals_the_row_by_row_reference(db: Database, tmp_path: Path) -> None:
    centre, _ = _awkward(db)
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    for batch_size in (1, 2, 1000):
        out = tmp_path / f"all-{batch_size}"
        summary = registry_export.export_registry(ctx, out, secret=SECRET, batch_size=batch_size)
        assert summary["patients"] == 7  # 8 seeded, one deleted
        _compare(db, out, None)
    physician = ServiceContext(db=db, actor=Actor(3, "doc", "physician", centre), now=NOW)
    out = tmp_path / "centre"
    summary = registry_export.export_registry(physician, out, secret=SECRET, batch_size=4)
    assert summary["patients"] == 6
    _compare(db, out, centre)


def test_export_of_an_empty_registry(db: Database, tmp_path: Path) -> None:
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    summary = registry_export.export_registry(ctx, tmp_path / "out", secret=SECRET)
    assert summary["patients"] == 0 and set(summary["rows"].values()) == {0}
    _compare(db, tmp_path / "out", None)
