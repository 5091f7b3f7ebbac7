"""De-identified registry tables (CSV and Parquet) of courses, sessions, adverse events and
outcomes, written in batches of patients so any size of registry streams through.

Pseudonyms are HMAC-SHA256 of ``kind:id`` keyed with the installation's secret; each patient's
dates move by one pseudo-random number of days derived the same way (intervals within a
patient stay exact). Names, MRN, contact details, free text and real ids never leave.
Columns: :mod:`plexms.interop.registry_columns`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.interop.registry_columns import TABLES
from plexms.store.models import (
    AdverseEvent,
    Course,
    Episode,
    ExchangeSession,
    OutcomeAssessment,
    Patient,
)

__all__ = [
    "FORMATS",
    "MAX_SHIFT_DAYS",
    "Batch",
    "Pseudonymiser",
    "RegistryWriter",
    "load_batch",
    "rows_of",
]

FORMATS = ("csv", "parquet")
MAX_SHIFT_DAYS = 183
_AGE_CAP = 90  # ages of 90 and over are one group (HIPAA safe harbour, 45 CFR 164.514(b))
_ARROW = {
    "id": pa.string(),
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}
Row = dict[str, Any]


class Pseudonymiser:
    """Stable pseudonymous ids and per-patient date shifts from one secret key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the registry secret must be at least 16 bytes")
        self._key = secret

    def _digest(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode(), hashlib.sha256).digest()

    def pid(self, kind: str, row_id: int | None) -> str | None:
        """The pseudonym of row ``row_id`` of ``kind`` (16 hex digits), ``None`` for no row."""
        return None if row_id is None else self._digest(f"{kind}:{row_id}").hex()[:16]

    def shift_days(self, patient_id: int) -> int:
        """The patient's date shift: a whole number of days in ±1..MAX_SHIFT_DAYS, never 0."""
        value = int.from_bytes(self._digest(f"shift:{patient_id}")[:8], "big")
        magnitude = 1 + value % MAX_SHIFT_DAYS
        return magnitude if (value >> 32) % 2 else -magnitude


@dataclass
class Batch:
    """The live rows of a group of patients, grouped by patient id."""

    patients: list[Patient]
    episodes: dict[int, Episode] = field(default_factory=dict)
    courses: dict[int, list[Course]] = field(default_factory=lambda: defaultdict(list))
    sessions: dict[int, list[ExchangeSession]] = field(default_factory=lambda: defaultdict(list))
    events: dict[int, list[AdverseEvent]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[int, list[OutcomeAssessment]] = field(default_factory=lambda: defaultdict(list))


def _live(session: Session, model: Any, ids: Sequence[int], *order: Any) -> list[Any]:
    query = (
        select(model)
        .where(model.patient_id.in_(ids), model.deleted_at.is_(None))
        .order_by(model.patient_id, *order, model.id)
    )
    return list(session.scalars(query))


def load_batch(session: Session, patient_ids: Sequence[int]) -> Batch:
    """Everything the registry needs of ``patient_ids`` in five queries."""
    patients = list(
        session.scalars(
            select(Patient)
            .where(Patient.id.in_(patient_ids), Patient.deleted_at.is_(None))
            .order_by(Patient.id)
        )
    )
    batch = Batch(patients)
    ids = [p.id for p in patients]
    for episode in _live(session, Episode, ids):
        batch.episodes[episode.id] = episode
    for course in _live(session, Course, ids, Course.start_date):
        batch.courses[course.patient_id].append(course)
    for row in _live(
        session, ExchangeSession, ids, ExchangeSession.course_id, ExchangeSession.sequence
    ):
        batch.sessions[row.patient_id].append(row)
    for event in _live(session, AdverseEvent, ids, AdverseEvent.onset_at):
        batch.events[event.patient_id].append(event)
    for visit in _live(session, OutcomeAssessment, ids, OutcomeAssessment.assessed_on):
        batch.outcomes[visit.patient_id].append(visit)
    return batch


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fluids(fluids: Iterable[Any]) -> dict[str, float | None]:
    totals: dict[str, float | None] = {"albumin_ml": None, "saline_ml": None, "plasma_ml": None}
    for item in fluids:
        if not isinstance(item, dict) or _number(item.get("volume_ml")) is None:
            continue
        name = str(item.get("fluid", "")).lower()
        key = next((k for k in totals if name.startswith(k.removesuffix("_ml"))), None)
        if key is not None:
            totals[key] = (totals[key] or 0.0) + float(item["volume_ml"])
    return totals


def _age(birth: dt.date, on: dt.date) -> int:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return min(years, _AGE_CAP)


def _shift(value: Any, days: int) -> Any:
    return None if value is None else value + dt.timedelta(days=days)


def rows_of(batch: Batch, pseudo: Pseudonymiser) -> dict[str, list[Row]]:
    """The registry rows of every patient in ``batch``, per table."""
    out: dict[str, list[Row]] = {table: [] for table in TABLES}
    for patient in batch.patients:
        days = pseudo.shift_days(patient.id)
        ppid = pseudo.pid("patient", patient.id)
        starts = {c.id: c.start_date for c in batch.courses[patient.id]}
        done: dict[int, int] = defaultdict(int)
        for s in batch.sessions[patient.id]:
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
                }
            )
        for c in batch.courses[patient.id]:
            episode = batch.episodes.get(c.episode_id) if c.episode_id else None
            prescription = c.prescription or {}
            out["courses"].append(
                {
                    "course_pid": pseudo.pid("course", c.id),
                    "patient_pid": ppid,
                    "centre_pid": pseudo.pid("centre", c.centre_id),
                    "sex": patient.sex,
                    "age_at_start_years": _age(patient.birth_date, c.start_date),
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
        for e in batch.events[patient.id]:
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
        for o in batch.outcomes[patient.id]:
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
                    "rule_version": o.rule_version,
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
    return str(value)


class RegistryWriter:
    """Open one CSV and/or Parquet file per table in ``out_dir``; ``write`` appends rows."""

    def __init__(self, out_dir: Path, formats: Sequence[str]) -> None:
        unknown = set(formats) - set(FORMATS)
        if unknown or not formats:
            raise ValueError(f"formats must be among {FORMATS}")
        out_dir.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []
        self._csv: dict[str, tuple[IO[str], Any]] = {}
        self._parquet: dict[str, tuple[pq.ParquetWriter, pa.Schema]] = {}
        self.counts = dict.fromkeys(TABLES, 0)
        for table, columns in TABLES.items():
            if "csv" in formats:
                path = out_dir / f"{table}.csv"
                handle = path.open("w", newline="", encoding="utf-8")
                writer = csv.writer(handle)
                writer.writerow([c.name for c in columns])
                self._csv[table] = (handle, writer)
                self.paths.append(path)
            if "parquet" in formats:
                path = out_dir / f"{table}.parquet"
                schema = pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in columns])
                self._parquet[table] = (pq.ParquetWriter(path, schema), schema)
                self.paths.append(path)

    def write(self, table: str, rows: list[Row]) -> None:
        """Append ``rows`` (dicts with every column of ``table``)."""
        if not rows:
            return
        names = [c.name for c in TABLES[table]]
        self.counts[table] += len(rows)
        if table in self._csv:
            self._csv[table][1].writerows([_cell(r[n]) for n in names] for r in rows)
        if table in self._parquet:
            writer, schema = self._parquet[table]
            columns = {n: [r[n] for r in rows] for n in names}
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))

    def close(self) -> None:
        for handle, _ in self._csv.values():
            handle.close()
        for writer, _ in self._parquet.values():
            writer.close()

    def __enter__(self) -> RegistryWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
