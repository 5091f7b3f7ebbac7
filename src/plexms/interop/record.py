"""A patient's whole record read in one go (live rows only), the input of every export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.store.models import (
    AdverseEvent,
    Centre,
    Course,
    DmtHistory,
    Document,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    Measurement,
    OutcomeAssessment,
    Patient,
    SteroidCourse,
)

__all__ = ["PatientRecord", "load_record", "load_records", "patient_ids"]


@dataclass(frozen=True)
class PatientRecord:
    """Every exported row of one patient, each list in a stable order."""

    centre: Centre
    patient: Patient
    measurements: list[Measurement]
    episodes: list[Episode]
    steroid_courses: list[SteroidCourse]
    dmts: list[DmtHistory]
    courses: list[Course]
    sessions: list[ExchangeSession]
    labs: list[LabResult]
    adverse_events: list[AdverseEvent]
    outcomes: list[OutcomeAssessment]
    hand_backs: list[HandBack]
    documents: list[Document]


_LISTS: tuple[tuple[str, Any, tuple[Any, ...]], ...] = (
    ("measurements", Measurement, (Measurement.measured_at,)),
    ("episodes", Episode, (Episode.onset_date,)),
    ("steroid_courses", SteroidCourse, (SteroidCourse.start_date,)),
    ("dmts", DmtHistory, (DmtHistory.started_on,)),
    ("courses", Course, (Course.start_date,)),
    ("sessions", ExchangeSession, (ExchangeSession.course_id, ExchangeSession.sequence)),
    ("labs", LabResult, (LabResult.taken_at, LabResult.analyte)),
    ("adverse_events", AdverseEvent, (AdverseEvent.onset_at,)),
    ("outcomes", OutcomeAssessment, (OutcomeAssessment.assessed_on,)),
    ("hand_backs", HandBack, ()),
    ("documents", Document, ()),
)


def load_records(
    session: Session, patient_ids: Sequence[int], centre_id: int | None = None
) -> list[PatientRecord]:
    """The records of the live ``patient_ids`` (of ``centre_id`` when given), in id order.

    One query per table for the whole group, so exporting many patients costs a dozen
    queries per batch rather than per patient.
    """
    query = select(Patient).where(Patient.id.in_(patient_ids), Patient.deleted_at.is_(None))
    if centre_id is not None:
        query = query.where(Patient.centre_id == centre_id)
    patients = list(session.scalars(query.order_by(Patient.id)))
    if not patients:
        return []
    ids = [p.id for p in patients]
    centres = {
        c.id: c
        for c in session.scalars(
            select(Centre).where(Centre.id.in_({p.centre_id for p in patients}))
        )
    }
    grouped: dict[str, dict[int, list[Any]]] = {}
    for name, model, order in _LISTS:
        rows: dict[int, list[Any]] = defaultdict(list)
        stmt = (
            select(model)
            .where(model.patient_id.in_(ids), model.deleted_at.is_(None))
            .order_by(model.patient_id, *order, model.id)
        )
        for row in session.scalars(stmt):
            rows[row.patient_id].append(row)
        grouped[name] = rows
    return [
        PatientRecord(
            centre=centres[p.centre_id],
            patient=p,
            **{name: grouped[name].get(p.id, []) for name, _, _ in _LISTS},
        )
        for p in patients
    ]


def load_record(session: Session, patient_id: int, centre_id: int) -> PatientRecord:
    """The record of ``patient_id`` in ``centre_id``; :class:`InputError` if there is none."""
    records = load_records(session, [patient_id], centre_id)
    if not records:
        raise InputError("patient_id", f"no patient {patient_id} in this centre")
    return records[0]


def patient_ids(session: Session, centre_id: int) -> list[int]:
    """Ids of the centre's live patients, in id order."""
    stmt = (
        select(Patient.id)
        .where(Patient.centre_id == centre_id, Patient.deleted_at.is_(None))
        .order_by(Patient.id)
    )
    return list(session.scalars(stmt))
