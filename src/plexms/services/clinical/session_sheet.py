"""The session sheet: save what was done, sign it off, correct a signed sheet by an addendum.

Nothing typed is lost:

- a save changes only the fields it sends (a partial update never erases);
- a sign-off takes no clinical values: it locks the sheet as saved;
- lots and serials (``lots``) follow the same rules; a scanned GS1 barcode is parsed on save;
- a signed sheet refuses edits (409); it is corrected by an addendum that keeps, for each
  field, the value before and the value after, with who, when and why. The sheet's own
  columns stay as signed; the current value of a field is its last addendum's ``new``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._records import Saved, check_version, load, new, upsert
from plexms.services._usecase import use_case
from plexms.services.clinical import booking, course_state
from plexms.services.clinical.cosign import require_cosigned
from plexms.services.clinical.courses import advance_stage
from plexms.services.clinical.lots import resolve_lots, sync_lot_index
from plexms.services.clinical.patients import load_patient
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    SessionAddendumIn,
    SessionAddendumOut,
    SessionOut,
    SessionRecordIn,
)
from plexms.store.models import Course, ExchangeSession, Patient, SessionAddendum

__all__ = [
    "SHEET_FIELDS",
    "add_session_addendum",
    "current_values",
    "record_session",
    "sign_off_session",
    "upsert_session",
]

#: The clinical fields of a sheet (what a save records and an addendum corrects).
SHEET_FIELDS = (
    "actual_start",
    "actual_end",
    "plasma_removed_ml",
    "whole_blood_processed_ml",
    "replacement_fluids",
    "anticoagulant",
    "anticoagulant_ml",
    "calcium_gluconate_ml",
    "vascular_access",
    "vitals",
    "notes",
    "pre_weight_kg",
    "post_weight_kg",
    "inlet_flow_ml_min",
    "lots",
    "line_lock_solution",
    "line_lock_volume_ml",
    "line_flush_ml",
    "line_dressing",
)
_TIMES = ("actual_start", "actual_end")


def _check_times(start: dt.datetime | None, end: dt.datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InputError("actual_end", "must be after actual_start")


def _check_done(status: str, start: dt.datetime | None, plasma_ml: float | None) -> None:
    if status == "done" and (start is None or plasma_ml is None):
        raise InputError(
            "actual_start" if start is None else "plasma_removed_ml",
            "is required for a session that was done",
        )


def _refuse_signed(row: ExchangeSession) -> None:
    if row.signed_off_at is not None:
        raise Conflict(
            "the session sheet is signed off: correct it with an addendum", field="sign_off"
        )


def _sign(session: Session, ctx: ServiceContext, row: ExchangeSession) -> None:
    """Lock the sheet as it stands; the session must have happened (no future sign-off)."""
    if row.status == "planned":
        raise Conflict("the sheet has no outcome yet: save it before signing off", field="status")
    _check_done(row.status, row.actual_start, row.plasma_removed_ml)
    for name, when in (
        ("actual_start", row.actual_start or row.planned_start),
        ("actual_end", row.actual_end),
    ):
        if when is not None and when > ctx.now:
            raise InputError(
                name,
                f"{when.isoformat(timespec='minutes')} is in the future: a session is signed "
                "off once it has happened",
                allowed=f"<= {ctx.now.isoformat(timespec='minutes')}",
            )
    row.signed_off_at = ctx.now
    row.operator = ctx.username


def _activate_course(session: Session, ctx: ServiceContext, row: ExchangeSession) -> None:
    """The first session done makes the course active."""
    course = session.get_one(Course, row.course_id)
    if row.status == "done" and course.status == "planned":
        course.status = "active"
        course.started_on = (row.actual_start or ctx.now).date()
        course.updated_at = ctx.now
        advance_stage(session.get_one(Patient, row.patient_id), "course_active")


@use_case(Permission.SESSION_RECORD)
def record_session(
    ctx: ServiceContext, session_id: int, data: SessionRecordIn, expected_version: int
) -> SessionOut:
    """Save the sheet: times, volumes, fluids, anticoagulant, calcium, vitals, weights, notes,
    post-run line care (lock solution and volume, flush, dressing).

    Only the fields sent change (``status`` always is); ``sign_off`` then signs the sheet as
    :func:`sign_off_session` does. The first session done makes the course active.
    """
    sent = data.model_fields_set - {"status", "sign_off"}
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id, for_update=True)
        check_version(row, expected_version)
        _refuse_signed(row)
        require_cosigned(session.get_one(Course, row.course_id))
        values: dict[str, Any] = data.model_dump(include=sent, mode="json")
        for name in _TIMES:
            if name in sent:
                values[name] = getattr(data, name)
        if "lots" in values:
            values["lots"] = resolve_lots(values["lots"], reference_year=ctx.now.year)
        start = values.get("actual_start", row.actual_start)
        _check_times(start, values.get("actual_end", row.actual_end))
        _check_done(data.status, start, values.get("plasma_removed_ml", row.plasma_removed_ml))
        for name, value in values.items():
            setattr(row, name, value)
        row.status = data.status
        # A held or cancelled exchange frees its place, machine and nurse; a done one is kept.
        status = "completed" if data.status == "done" else "released"
        booking.release_bookings(session, ctx, [row.id], status=status)
        row.operator = ctx.username
        if data.sign_off:
            _sign(session, ctx, row)
        row.updated_at = ctx.now
        _activate_course(session, ctx, row)
        session.flush()
        if "lots" in values:
            sync_lot_index(session, row, values["lots"])
        course_state.complete_if_signed(session, ctx, row.course_id)
        audit.record(
            session,
            ctx,
            "update",
            entity="session",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"status": data.status, "signed_off": data.sign_off, "fields": sorted(sent)},
        )
        return SessionOut.model_validate(row)


@use_case(Permission.SESSION_RECORD)
def sign_off_session(ctx: ServiceContext, session_id: int, expected_version: int) -> SessionOut:
    """Sign the sheet off as saved: no recorded value changes; afterwards only addenda.

    Refused for a sheet without an outcome (409), already signed (409), or a session whose
    start or end lies in the future (422 naming the field).
    """
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id, for_update=True)
        check_version(row, expected_version)
        _refuse_signed(row)
        require_cosigned(session.get_one(Course, row.course_id))
        _sign(session, ctx, row)
        row.updated_at = ctx.now
        session.flush()
        course_state.complete_if_signed(session, ctx, row.course_id)
        audit.record(
            session,
            ctx,
            "update",
            entity="session",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"signed_off": True, "status": row.status},
        )
        return SessionOut.model_validate(row)


def _json_value(row: ExchangeSession, name: str) -> Any:
    value = getattr(row, name)
    return value.isoformat() if isinstance(value, dt.datetime) else value


def current_values(row: ExchangeSession | SessionOut) -> dict[str, Any]:
    """Each sheet field's current value (JSON form): as signed, then each addendum's ``new``."""
    values = {name: _json_value(row, name) for name in SHEET_FIELDS}  # type: ignore[arg-type]
    for addendum in row.addenda:
        for change in addendum.changes:
            values[change["field"]] = change["new"]
    return values


@use_case(Permission.SESSION_RECORD)
def add_session_addendum(
    ctx: ServiceContext, session_id: int, data: SessionAddendumIn
) -> SessionAddendumOut:
    """Correct a signed sheet: an addendum with the reason and each corrected field's old
    (current) and new value; the signed values themselves are kept."""
    sent = sorted(data.changes.model_fields_set, key=SHEET_FIELDS.index)
    if not sent:
        allowed = ", ".join(SHEET_FIELDS)
        raise InputError("changes", "name at least one field to correct", allowed=allowed)
    new_values = data.changes.model_dump(include=set(sent), mode="json")
    if "lots" in new_values:
        new_values["lots"] = resolve_lots(new_values["lots"], reference_year=ctx.now.year)
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id, for_update=True)
        if row.signed_off_at is None:
            raise Conflict("the sheet is not signed off: save it corrected", field="sign_off")
        old = current_values(row)
        changes = [
            {"field": name, "old": old[name], "new": new_values[name]}
            for name in sent
            if old[name] != new_values[name]
        ]
        if not changes:
            raise InputError("changes", "every value given equals the current one")
        merged = old | {c["field"]: c["new"] for c in changes}
        _check_times(*(_parse(merged[name]) for name in _TIMES))
        addendum = new(
            ctx,
            SessionAddendum,
            centre_id=row.centre_id,
            patient_id=row.patient_id,
            session_id=row.id,
            reason=data.reason,
            changes=changes,
        )
        session.add(addendum)
        session.flush()
        if any(c["field"] == "lots" for c in changes):
            sync_lot_index(session, row, merged["lots"])
        audit.record(
            session,
            ctx,
            "create",
            entity="session_addendum",
            entity_id=addendum.id,
            patient_id=row.patient_id,
            detail={"session_id": row.id, "fields": [c["field"] for c in changes]},
        )
        return SessionAddendumOut.model_validate(addendum)


def _parse(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


@use_case(Permission.SESSION_RECORD)
def upsert_session(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The exchange matched by ``key`` (course and sequence), created or given the ``values``
    it lacks, with :func:`record_session`'s permission and its state rule: a signed-off sheet
    cannot change (409; corrections are addenda)."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)

        def state_rules(row: ExchangeSession) -> None:  # record_session's, in its order
            _refuse_signed(row)
            require_cosigned(session.get_one(Course, row.course_id))

        if values.get("status") not in (None, "planned") and key.get("course_id") is not None:
            course = session.get(Course, key["course_id"])
            if course is not None:  # a session recorded on a course awaiting its co-signature
                require_cosigned(course)
        saved = upsert(
            session,
            ctx,
            ExchangeSession,
            entity="session",
            patient=patient,
            key=key,
            values=values,
            via=via,
            before_change=state_rules,
        )
        if saved.created or "lots" in saved.fields:  # the recall index follows (issue 17)
            row = session.get_one(ExchangeSession, saved.id)
            sync_lot_index(session, row, row.lots or [])
        return saved
