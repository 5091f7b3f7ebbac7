"""Patients: list/search, read, create, update, soft delete, admin hard erase; sub-records
(measurements, episodes, steroid courses, MRI studies, DMT history)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._records import (
    Saved,
    apply,
    changes,
    check_version,
    differs,
    load,
    new,
    page_of,
    scoped,
    soft_delete,
    upsert,
)
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, NotFound
from plexms.services.permissions import Permission
from plexms.services.schemas.common import Out, Page
from plexms.services.schemas.patient import (
    DmtIn,
    DmtOut,
    EpisodeIn,
    EpisodeOut,
    EpisodeUpdate,
    MeasurementIn,
    MeasurementOut,
    MriIn,
    MriOut,
    PatientIn,
    PatientOut,
    PatientUpdate,
    SteroidIn,
    SteroidOut,
)
from plexms.store.base import ClinicalMixin
from plexms.store.models import (
    DmtHistory,
    Episode,
    Measurement,
    MriStudy,
    Patient,
    SteroidCourse,
)

__all__ = [
    "add_dmt",
    "add_episode",
    "add_measurement",
    "add_mri",
    "add_steroid_course",
    "create_patient",
    "delete_patient",
    "erase_patient",
    "get_patient",
    "latest_measurement",
    "list_dmts",
    "list_episodes",
    "list_measurements",
    "list_mri",
    "list_patients",
    "list_steroid_courses",
    "load_patient",
    "update_episode",
    "update_patient",
    "upsert_history",
    "upsert_patient",
]

OutT = TypeVar("OutT", bound=Out)


def load_patient(session: Session, ctx: ServiceContext, patient_id: int) -> Patient:
    """The patient in the actor's centre (NotFound / Gone otherwise)."""
    return load(session, ctx, Patient, patient_id)


def _mrn_taken(session: Session, centre_id: int, mrn: str, but: int | None = None) -> bool:
    query = select(Patient.id).where(Patient.centre_id == centre_id, Patient.mrn == mrn)
    if but is not None:
        query = query.where(Patient.id != but)
    return session.execute(query).first() is not None


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y")


def _dates_of(word: str) -> set[dt.date]:
    """Every date ``word`` can be read as (ISO, US month first, day first): 05/06/1984 is both."""
    found = set()
    for fmt in _DATE_FORMATS:
        try:
            found.add(dt.datetime.strptime(word, fmt).date())
        except ValueError:
            continue
    return found


def _matches(word: str) -> Any:
    """One search word: a date of birth, or part of the MRN or of either name."""
    dates = _dates_of(word)
    if dates:
        return Patient.birth_date.in_(sorted(dates))
    like = f"%{word.lower()}%"
    return or_(
        Patient.mrn.ilike(like), Patient.family_name.ilike(like), Patient.given_name.ilike(like)
    )


PATIENT_ORDER = (Patient.family_name, Patient.given_name, Patient.id)


def patients_query(
    ctx: ServiceContext,
    *,
    q: str | None = None,
    stage: str | None = None,
    include_deleted: bool = False,
) -> tuple[Select[Any], list[str]]:
    """The centre's patients matching ``q`` (MRN, names or birth date) and ``stage``, and the
    filters used."""
    query = scoped(ctx, Patient)
    filters = []
    if q and q.strip():
        for word in q.replace(",", " ").split():
            query = query.where(_matches(word))
        filters.append("q")
    if stage:
        query = query.where(Patient.stage == stage)
        filters.append("stage")
    if not include_deleted:
        query = query.where(Patient.deleted_at.is_(None))
    return query, filters


@use_case(Permission.PATIENT_READ)
def list_patients(
    ctx: ServiceContext,
    *,
    q: str | None = None,
    stage: str | None = None,
    include_deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[PatientOut]:
    """Patients of the actor's centre, by name; ``q`` matches MRN, names (case-insensitive,
    every word must match) or a date of birth (2026-12-04, 12/04/2026 or 04/12/2026)."""
    query, filters = patients_query(ctx, q=q, stage=stage, include_deleted=include_deleted)
    with ctx.db.write() as session:
        found = page_of(session, PatientOut, query, limit, offset, PATIENT_ORDER)
        audit.record(
            session,
            ctx,
            "search",
            entity="patient",
            detail={"filters": filters, "returned": len(found.items), "total": found.total},
        )
        return found


@use_case(Permission.PATIENT_READ)
def get_patient(ctx: ServiceContext, patient_id: int) -> PatientOut:
    """One patient's demographics (410 if deleted)."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        audit.record(
            session, ctx, "read", entity="patient", entity_id=patient.id, patient_id=patient.id
        )
        return PatientOut.model_validate(patient)


@use_case(Permission.PATIENT_WRITE)
def create_patient(ctx: ServiceContext, data: PatientIn) -> PatientOut:
    """A new patient record in the actor's centre (MRN unique within the centre)."""
    with ctx.db.write() as session:
        centre_id = ctx.centre_id
        if centre_id is None:
            raise InputError("centre", "the system actor must create patients through a centre")
        if _mrn_taken(session, centre_id, data.mrn):
            raise Conflict("a patient with this MRN exists in this centre", field="mrn")
        patient = new(ctx, Patient, **data.model_dump(), stage="referred")
        session.add(patient)
        session.flush()
        audit.record(
            session, ctx, "create", entity="patient", entity_id=patient.id, patient_id=patient.id
        )
        return PatientOut.model_validate(patient)


@use_case(Permission.PATIENT_WRITE)
def update_patient(
    ctx: ServiceContext, patient_id: int, data: PatientUpdate, expected_version: int
) -> PatientOut:
    """Change demographics; ``expected_version`` must be the current one (else 412)."""
    with ctx.db.write() as session:
        patient = load(session, ctx, Patient, patient_id, for_update=True)
        check_version(patient, expected_version)
        if data.mrn is not None and _mrn_taken(session, patient.centre_id, data.mrn, patient.id):
            raise Conflict("a patient with this MRN exists in this centre", field="mrn")
        changed = apply(ctx, patient, changes(data, ("ms_diagnosis_year",)))
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            detail={"fields": changed},
        )
        return PatientOut.model_validate(patient)


@use_case(Permission.DELETE)
def delete_patient(ctx: ServiceContext, patient_id: int, expected_version: int) -> None:
    """Soft delete: the record is hidden (410) but kept with its history."""
    with ctx.db.write() as session:
        patient = load(session, ctx, Patient, patient_id, for_update=True)
        check_version(patient, expected_version)
        soft_delete(ctx, patient)
        audit.record(
            session, ctx, "delete", entity="patient", entity_id=patient.id, patient_id=patient.id
        )


@use_case(Permission.ERASE)
def erase_patient(ctx: ServiceContext, patient_id: int, reason: str) -> None:
    """Admin only: remove the patient and every dependent row for good; the reason is audited."""
    reason = reason.strip()
    if len(reason) < 5:
        raise InputError("reason", "give the reason for erasing", allowed=">= 5 characters")
    with ctx.db.write() as session:
        patient = load(session, ctx, Patient, patient_id, include_deleted=True)
        session.execute(delete(Patient).where(Patient.id == patient.id))
        audit.record(
            session,
            ctx,
            "erase",
            entity="patient",
            entity_id=patient_id,
            patient_id=patient_id,
            detail={"reason": reason[:500]},
        )


# --- sub-records ---------------------------------------------------------------------------


def _add(
    ctx: ServiceContext,
    patient_id: int,
    model: type[ClinicalMixin],
    out: type[OutT],
    data: BaseModel,
    entity: str,
    **extra: Any,
) -> OutT:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        values = data.model_dump()
        episode_id = values.get("episode_id")
        if episode_id is not None:
            episode = load(session, ctx, Episode, episode_id)
            if episode.patient_id != patient.id:
                raise InputError("episode_id", "belongs to another patient")
        row = new(ctx, model, centre_id=patient.centre_id, patient_id=patient.id, **values, **extra)
        session.add(row)
        session.flush()
        audit.record(session, ctx, "create", entity=entity, entity_id=row.id, patient_id=patient.id)
        return out.model_validate(row)


def rows_of(
    session: Session, ctx: ServiceContext, patient_id: int, model: Any, out: type[OutT], order: Any
) -> list[OutT]:
    """The patient's live rows of ``model`` (in ``order``, then id) as ``out``."""
    rows = session.execute(
        scoped(ctx, model)
        .where(model.patient_id == patient_id, model.deleted_at.is_(None))
        .order_by(order, model.id)
    ).scalars()
    return [out.model_validate(r) for r in rows]


def _list(
    ctx: ServiceContext, patient_id: int, model: Any, out: type[OutT], entity: str, order: Any
) -> list[OutT]:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        result = rows_of(session, ctx, patient.id, model, out, order)
        audit.record(
            session,
            ctx,
            "read",
            entity=entity,
            patient_id=patient.id,
            detail={"returned": len(result)},
        )
        return result


@use_case(Permission.PATIENT_WRITE)
def add_measurement(ctx: ServiceContext, patient_id: int, data: MeasurementIn) -> MeasurementOut:
    """Record height, weight and/or haematocrit (canonical units)."""
    if data.height_cm is None and data.weight_kg is None and data.hematocrit is None:
        raise InputError("height_cm", "give at least one of height, weight or haematocrit")
    return _add(ctx, patient_id, Measurement, MeasurementOut, data, "measurement")


@use_case(Permission.PATIENT_READ)
def list_measurements(ctx: ServiceContext, patient_id: int) -> list[MeasurementOut]:
    return _list(
        ctx, patient_id, Measurement, MeasurementOut, "measurement", Measurement.measured_at
    )


def latest_measurement(session: Session, patient_id: int) -> dict[str, float | None]:
    """The most recent height, weight and haematocrit (each from its latest measurement)."""
    rows = session.execute(
        select(Measurement)
        .where(Measurement.patient_id == patient_id, Measurement.deleted_at.is_(None))
        .order_by(Measurement.measured_at.desc(), Measurement.id.desc())
    ).scalars()
    found: dict[str, float | None] = {"height_cm": None, "weight_kg": None, "hematocrit": None}
    for row in rows:
        for name in found:
            if found[name] is None:
                found[name] = getattr(row, name)
    return found


@use_case(Permission.PATIENT_WRITE)
def add_episode(ctx: ServiceContext, patient_id: int, data: EpisodeIn) -> EpisodeOut:
    """Record a relapse or other acute presentation."""
    return _add(ctx, patient_id, Episode, EpisodeOut, data, "episode")


@use_case(Permission.PATIENT_READ)
def list_episodes(ctx: ServiceContext, patient_id: int) -> list[EpisodeOut]:
    return _list(ctx, patient_id, Episode, EpisodeOut, "episode", Episode.onset_date)


@use_case(Permission.PATIENT_WRITE)
def update_episode(
    ctx: ServiceContext, episode_id: int, data: EpisodeUpdate, expected_version: int
) -> EpisodeOut:
    with ctx.db.write() as session:
        episode = load(session, ctx, Episode, episode_id, for_update=True)
        check_version(episode, expected_version)
        changed = apply(ctx, episode, changes(data, ("edss_at_onset", "edss_pre_relapse")))
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="episode",
            entity_id=episode.id,
            patient_id=episode.patient_id,
            detail={"fields": changed},
        )
        return EpisodeOut.model_validate(episode)


@use_case(Permission.PATIENT_WRITE)
def add_steroid_course(ctx: ServiceContext, patient_id: int, data: SteroidIn) -> SteroidOut:
    if data.end_date is not None and data.end_date < data.start_date:
        raise InputError("end_date", "is before start_date")
    return _add(ctx, patient_id, SteroidCourse, SteroidOut, data, "steroid_course")


@use_case(Permission.PATIENT_READ)
def list_steroid_courses(ctx: ServiceContext, patient_id: int) -> list[SteroidOut]:
    return _list(
        ctx, patient_id, SteroidCourse, SteroidOut, "steroid_course", SteroidCourse.start_date
    )


@use_case(Permission.PATIENT_WRITE)
def add_mri(ctx: ServiceContext, patient_id: int, data: MriIn) -> MriOut:
    return _add(ctx, patient_id, MriStudy, MriOut, data, "mri_study")


@use_case(Permission.PATIENT_READ)
def list_mri(ctx: ServiceContext, patient_id: int) -> list[MriOut]:
    return _list(ctx, patient_id, MriStudy, MriOut, "mri_study", MriStudy.study_date)


@use_case(Permission.PATIENT_WRITE)
def add_dmt(ctx: ServiceContext, patient_id: int, data: DmtIn) -> DmtOut:
    if data.started_on and data.stopped_on and data.stopped_on < data.started_on:
        raise InputError("stopped_on", "is before started_on")
    return _add(ctx, patient_id, DmtHistory, DmtOut, data, "dmt")


@use_case(Permission.PATIENT_READ)
def list_dmts(ctx: ServiceContext, patient_id: int) -> list[DmtOut]:
    return _list(ctx, patient_id, DmtHistory, DmtOut, "dmt", DmtHistory.started_on)


# --- upsert by identifier (a record that comes with its keys: the FHIR import) -------------

#: The patient's history records an upsert may write, by kind: (model, audit entity).
_HISTORY: dict[str, tuple[type[ClinicalMixin], str]] = {
    "measurement": (Measurement, "measurement"),
    "episode": (Episode, "episode"),
    "steroid": (SteroidCourse, "steroid_course"),
    "dmt": (DmtHistory, "dmt"),
}


@use_case(Permission.PATIENT_WRITE)
def upsert_patient(
    ctx: ServiceContext, centre_id: int, fields: dict[str, Any], *, via: str = "fhir_import"
) -> Saved:
    """The centre's live patient with ``fields["mrn"]`` given ``fields`` (created when none
    has that MRN), audited ``create``/``update`` with the fields set, as the direct routes;
    nothing when the record already holds them."""
    if ctx.actor is not None and not ctx.actor.is_system and ctx.actor.centre_id != centre_id:
        raise NotFound(f"no centre {centre_id}", field="centre")
    with ctx.db.write() as session:
        row = session.scalars(
            select(Patient).where(
                Patient.centre_id == centre_id,
                Patient.mrn == fields["mrn"],
                Patient.deleted_at.is_(None),
            )
        ).first()
        if row is None:
            row = new(ctx, Patient, centre_id=centre_id, **fields)
            session.add(row)
            action, changed = "create", sorted(fields)
        else:
            changed = differs(row, fields)
            if not changed:
                return Saved(row.id, False, ())
            apply(ctx, row, {name: fields[name] for name in changed})
            action = "update"
        session.flush()
        audit.record(
            session,
            ctx,
            action,
            entity="patient",
            entity_id=row.id,
            patient_id=row.id,
            centre_id=centre_id,
            detail={"fields": changed, "via": via},
        )
        return Saved(row.id, action == "create", tuple(changed))


@use_case(Permission.PATIENT_WRITE)
def upsert_history(
    ctx: ServiceContext,
    patient_id: int,
    kind: str,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """A measurement, episode, steroid course or DMT of the patient matched by ``key``
    (created, or given the ``values`` it lacks), with the permission and audit of
    :func:`add_measurement`, :func:`add_episode`, ... ."""
    model, entity = _HISTORY[kind]
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        return upsert(
            session, ctx, model, entity=entity, patient=patient, key=key, values=values, via=via
        )
