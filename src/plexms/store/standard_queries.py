"""The source rows of the standard exports (OMOP CDM, MS Data Alliance core dataset): one
query per table for a range of patient ids, as plain dicts of Python values.

Only what the exports need is read: no names, MRN, contact details, notes or other free text
(the columns chosen here are the first line of de-identification; the interop code then
pseudonymises the ids and shifts the dates). Rows of soft-deleted records, and rows whose
patient is soft-deleted or outside the centre, are left out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plexms.store.models import (
    AdverseEvent,
    DmtHistory,
    Episode,
    ExchangeSession,
    LabResult,
    MriStudy,
    OutcomeAssessment,
    Patient,
    SteroidCourse,
)

__all__ = ["STANDARD_SOURCES", "read_standard_batch"]

# table -> (model, the columns read); "id" and "patient_id" first
STANDARD_SOURCES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "patients": (
        Patient,
        ("id", "centre_id", "sex", "birth_date", "ms_phenotype", "ms_diagnosis_year"),
    ),
    "sessions": (
        ExchangeSession,
        (
            "id",
            "patient_id",
            "course_id",
            "sequence",
            "status",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "plasma_removed_ml",
            "replacement_fluids",
            "calcium_gluconate_ml",
        ),
    ),
    "labs": (
        LabResult,
        ("id", "patient_id", "session_id", "taken_at", "analyte", "value", "unit", "timing"),
    ),
    "outcomes": (
        OutcomeAssessment,
        ("id", "patient_id", "course_id", "timepoint", "assessed_on", "edss", "targeted_deficit"),
    ),
    "adverse_events": (
        AdverseEvent,
        ("id", "patient_id", "session_id", "event_type", "severity", "onset_at"),
    ),
    "episodes": (
        Episode,
        ("id", "patient_id", "onset_date", "presentation", "edss_at_onset", "steroid_response"),
    ),
    "steroids": (
        SteroidCourse,
        (
            "id",
            "patient_id",
            "episode_id",
            "drug",
            "route",
            "dose_mg_per_day",
            "start_date",
            "end_date",
        ),
    ),
    "dmts": (DmtHistory, ("id", "patient_id", "drug", "started_on", "stopped_on")),
    "mri": (
        MriStudy,
        ("id", "patient_id", "study_date", "gd_enhancing_lesions", "new_t2_lesions"),
    ),
}


def _query(
    model: Any, columns: tuple[str, ...], first: int, last: int, centre: int | None
) -> Select[Any]:
    key = model.id if model is Patient else model.patient_id
    query = select(*(getattr(model, c) for c in columns)).where(
        key.between(first, last), model.deleted_at.is_(None)
    )
    if model is not Patient:
        query = query.join(Patient, Patient.id == model.patient_id).where(
            Patient.deleted_at.is_(None)
        )
    if centre is not None:
        query = query.where(Patient.centre_id == centre)
    return query.order_by(key, model.id)


def read_standard_batch(
    session: Session, first: int, last: int, centre_id: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Every live row the standard exports read of the live patients ``first..last`` (ids; of
    ``centre_id`` only unless ``None``), per source table, as plain dicts."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, (model, columns) in STANDARD_SOURCES.items():
        rows = session.execute(_query(model, columns, first, last, centre_id))
        out[table] = [dict(zip(columns, row, strict=True)) for row in rows]
    return out
