"""A patient's whole record read in one go (live rows only), the input of every export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

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

__all__ = ["PatientRecord", "load_record", "patient_ids"]

_T = TypeVar("_T")


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


def _rows(session: Session, model: type[_T], patient_id: int, *order: Any) -> list[_T]:
    stmt = (
        select(model)
        .where(model.patient_id == patient_id)  # type: ignore[attr-defined]
        .where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
        .order_by(*order, model.id)  # type: ignore[attr-defined]
    )
    return list(session.scalars(stmt))


def load_record(session: Session, patient_id: int, centre_id: int) -> PatientRecord:
    """The record of ``patient_id`` in ``centre_id``; :class:`InputError` if there is none."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.centre_id != centre_id or patient.deleted_at is not None:
        raise InputError("patient_id", f"no patient {patient_id} in this centre")
    centre = session.get(Centre, centre_id)
    assert centre is not None  # noqa: S101 - the patient's foreign key guarantees it
    return PatientRecord(
        centre=centre,
        patient=patient,
        measurements=_rows(session, Measurement, patient_id, Measurement.measured_at),
        episodes=_rows(session, Episode, patient_id, Episode.onset_date),
        steroid_courses=_rows(session, SteroidCourse, patient_id, SteroidCourse.start_date),
        dmts=_rows(session, DmtHistory, patient_id, DmtHistory.started_on),
        courses=_rows(session, Course, patient_id, Course.start_date),
        sessions=_rows(
            session,
            ExchangeSession,
            patient_id,
            ExchangeSession.course_id,
            ExchangeSession.sequence,
        ),
        labs=_rows(session, LabResult, patient_id, LabResult.taken_at, LabResult.analyte),
        adverse_events=_rows(session, AdverseEvent, patient_id, AdverseEvent.onset_at),
        outcomes=_rows(session, OutcomeAssessment, patient_id, OutcomeAssessment.assessed_on),
        hand_backs=_rows(session, HandBack, patient_id),
        documents=_rows(session, Document, patient_id),
    )


def patient_ids(session: Session, centre_id: int) -> list[int]:
    """Ids of the centre's live patients, in id order."""
    stmt = (
        select(Patient.id)
        .where(Patient.centre_id == centre_id, Patient.deleted_at.is_(None))
        .order_by(Patient.id)
    )
    return list(session.scalars(stmt))
