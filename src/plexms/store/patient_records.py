"""A patient's whole record read in one go (live rows only) as the plain values of
:mod:`plexms.core.record`: the input of the FHIR export and of the reports."""

from __future__ import annotations

import dataclasses
import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from plexms.core import record as rec
from plexms.core.errors import InputError
from plexms.store.models import (
    AdverseEvent,
    Assessment,
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
    OutcomeMeasure,
    Patient,
    SteroidCourse,
)

__all__ = ["live_patient_ids", "load_record", "load_records", "to_record"]


def _converter(kind: type[Any]) -> Callable[[Any], Any]:
    """Row -> ``kind`` (the frozen value with the row's columns), one attrgetter per kind."""
    get = operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))
    return lambda row: kind(*get(row))


_VALUES: dict[type[Any], Callable[[Any], Any]] = {
    model: _converter(kind)
    for model, kind in (
        (AdverseEvent, rec.AdverseEvent),
        (Assessment, rec.Assessment),
        (Centre, rec.Centre),
        (Course, rec.Course),
        (DmtHistory, rec.DmtHistory),
        (Document, rec.Document),
        (Episode, rec.Episode),
        (ExchangeSession, rec.ExchangeSession),
        (HandBack, rec.HandBack),
        (LabResult, rec.LabResult),
        (Measurement, rec.Measurement),
        (OutcomeAssessment, rec.OutcomeAssessment),
        (OutcomeMeasure, rec.OutcomeMeasure),
        (Patient, rec.Patient),
        (SteroidCourse, rec.SteroidCourse),
    )
}


def to_record(row: Any) -> Any:
    """The :mod:`plexms.core.record` value of an ORM row (``Course`` -> ``record.Course``)."""
    return _VALUES[type(row)](row)


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
    ("measures", OutcomeMeasure, (OutcomeMeasure.taken_on,)),
)


def load_records(
    session: Session, patient_ids: Sequence[int], centre_id: int | None = None
) -> list[rec.PatientRecord]:
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
        c.id: to_record(c)
        for c in session.scalars(
            select(Centre).where(Centre.id.in_({p.centre_id for p in patients}))
        )
    }
    grouped: dict[str, dict[int, list[Any]]] = {}
    for name, model, order in _LISTS:
        rows: dict[int, list[Any]] = defaultdict(list)
        convert = _VALUES[model]
        stmt = (
            select(model)
            .where(model.patient_id.in_(ids), model.deleted_at.is_(None))
            .order_by(model.patient_id, *order, model.id)
            .options(lazyload("*"))  # the plain values need no related rows
        )
        for row in session.scalars(stmt):
            rows[row.patient_id].append(convert(row))
        grouped[name] = rows
    # a measure belongs to its visit: none of a deleted visit
    live = {o.id for rows in grouped["outcomes"].values() for o in rows}
    grouped["measures"] = {
        pid: [m for m in rows if m.outcome_id in live] for pid, rows in grouped["measures"].items()
    }
    return [
        rec.PatientRecord(
            centre=centres[p.centre_id],
            patient=to_record(p),
            **{name: tuple(grouped[name].get(p.id, ())) for name, _, _ in _LISTS},
        )
        for p in patients
    ]


def load_record(session: Session, patient_id: int, centre_id: int) -> rec.PatientRecord:
    """The record of ``patient_id`` in ``centre_id``; :class:`InputError` if there is none."""
    records = load_records(session, [patient_id], centre_id)
    if not records:
        raise InputError("patient_id", f"no patient {patient_id} in this centre")
    return records[0]


def live_patient_ids(session: Session, centre_id: int | None) -> list[int]:
    """Ids of the live patients (of ``centre_id`` unless ``None``), in id order."""
    query = select(Patient.id).where(Patient.deleted_at.is_(None)).order_by(Patient.id)
    if centre_id is not None:
        query = query.where(Patient.centre_id == centre_id)
    return list(session.scalars(query))
