"""Exchange sessions (the nurse's sheet): pre-session go/no-go check, recording what was done,
labs and adverse events."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plexms.core.adverse_events import ctcae_grade, waa_severity
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.interop import units
from plexms.services import audit
from plexms.services._compute import compute, rule_version
from plexms.services._records import (
    Saved,
    check_version,
    load,
    match,
    new,
    page_of,
    scoped,
    upsert,
)
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.calc import precheck as precheck_calc
from plexms.services.clinical import access_lines, precheck_labs
from plexms.services.clinical.cosign import require_cosigned
from plexms.services.clinical.patients import load_patient
from plexms.services.clinical.session_sheet import (
    add_session_addendum,
    record_session,
    sign_off_session,
)
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AdverseEventIn,
    AdverseEventOut,
    LabIn,
    LabOut,
    PrecheckIn,
    SessionOut,
)
from plexms.services.schemas.common import Page
from plexms.store.models import (
    AdverseEvent,
    Assessment,
    Centre,
    Course,
    ExchangeSession,
    LabResult,
)

__all__ = [
    "PRECHECK_LAB_MAX_AGE",
    "add_lab",
    "add_session_addendum",
    "get_session",
    "grade_adverse_event",
    "list_adverse_events",
    "list_labs",
    "list_sessions",
    "record_precheck",
    "record_session",
    "report_adverse_event",
    "sign_off_session",
    "upsert_adverse_event",
    "upsert_lab",
]


@use_case(Permission.PATIENT_READ)
def get_session(ctx: ServiceContext, session_id: int) -> SessionOut:
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id)
        audit.record(
            session, ctx, "read", entity="session", entity_id=row.id, patient_id=row.patient_id
        )
        return SessionOut.model_validate(row)


SESSION_ORDER = (ExchangeSession.planned_start, ExchangeSession.id)
EVENT_ORDER = (AdverseEvent.onset_at.desc(), AdverseEvent.id)


def sessions_query(
    ctx: ServiceContext,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: str | None = None,
) -> Select[Any]:
    """The centre's sessions planned in ``[start, end)``, optionally of one status."""
    query = scoped(ctx, ExchangeSession).where(ExchangeSession.deleted_at.is_(None))
    if start is not None:
        query = query.where(ExchangeSession.planned_start >= start)
    if end is not None:
        query = query.where(ExchangeSession.planned_start < end)
    if status is not None:
        query = query.where(ExchangeSession.status == status)
    return query


def events_query(ctx: ServiceContext, *, patient_id: int | None = None) -> Select[Any]:
    """The centre's adverse events (of one patient)."""
    query = scoped(ctx, AdverseEvent).where(AdverseEvent.deleted_at.is_(None))
    if patient_id is not None:
        query = query.where(AdverseEvent.patient_id == patient_id)
    return query


@use_case(Permission.PATIENT_READ)
def list_sessions(
    ctx: ServiceContext,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[SessionOut]:
    """Sessions of the centre planned in ``[start, end)`` (the today/this-week board)."""
    query = sessions_query(ctx, start=start, end=end, status=status)
    with ctx.db.write() as session:
        found = page_of(session, SessionOut, query, limit, offset, SESSION_ORDER)
        audit.record(
            session,
            ctx,
            "search",
            entity="session",
            detail={"returned": len(found.items), "total": found.total},
        )
        return found


# Stored lab (canonical unit) -> calc precheck lab field and the unit it wants.
_PRECHECK_LABS = {
    "fibrinogen": ("fibrinogen_g_l", "g/L"),
    "ionized_calcium": ("ionized_calcium_mmol_l", "mmol/L"),
    "calcium": ("total_calcium_mmol_l", "mmol/L"),
    "hemoglobin": ("hemoglobin_g_dl", "g/dL"),
    "platelets": ("platelets_10e9_l", "10*9/L"),
    "potassium": ("potassium_mmol_l", "mmol/L"),
}
# Labs older than this are not "the latest values" for a pre-session check (LOCAL_POLICY: an
# every-other-day course has labs drawn at least every second exchange).
PRECHECK_LAB_MAX_AGE = dt.timedelta(hours=72)
# Analytes interop.units does not convert: accepted in their canonical unit only.
_MMOL_ONLY = ("potassium", "magnesium")


def _record_labs(
    session: Session, patient_id: int, at: dt.datetime, not_before: dt.datetime | None = None
) -> tuple[dict[str, float], dict[str, Any], dict[str, Any]]:
    """The latest of each precheck lab taken within PRECHECK_LAB_MAX_AGE before ``at``; one
    drawn before ``not_before`` (the end of the last completed exchange) is never current: it
    is returned as stale instead (issue 14 item 7)."""
    rows = session.execute(
        select(LabResult)
        .where(
            LabResult.patient_id == patient_id,
            LabResult.analyte.in_(_PRECHECK_LABS),
            LabResult.taken_at <= at,
            LabResult.taken_at >= at - PRECHECK_LAB_MAX_AGE,
            LabResult.deleted_at.is_(None),
        )
        .order_by(LabResult.taken_at.desc(), LabResult.id.desc())
    ).scalars()
    labs: dict[str, float] = {}
    used: dict[str, Any] = {}
    stale: dict[str, Any] = {}
    for lab in rows:
        key, unit = _PRECHECK_LABS[lab.analyte]
        if key in labs or key in stale:
            continue
        value = lab.value
        if lab.analyte not in _MMOL_ONLY and unit != lab.unit:
            value = units.convert(value, lab.unit, unit, lab.analyte)
        found = {"lab_id": lab.id, "taken_at": lab.taken_at.isoformat()}
        if not_before is not None and lab.taken_at < not_before:
            stale[key] = {**found, "value": round(value, 4), "taken": lab.taken_at}
            continue
        labs[key] = round(value, 4)
        used[key] = found
    return labs, used, stale


def _last_exchange_hours(
    session: Session, row: ExchangeSession, at: dt.datetime
) -> tuple[float | None, dict[str, Any] | None]:
    """Hours from the end of the patient's last completed exchange to ``at`` (None: first)."""
    last = session.execute(
        select(ExchangeSession)
        .where(
            ExchangeSession.patient_id == row.patient_id,
            ExchangeSession.status == "done",
            ExchangeSession.id != row.id,
            ExchangeSession.actual_start.is_not(None),
            ExchangeSession.actual_start <= at,
            ExchangeSession.deleted_at.is_(None),
        )
        .order_by(ExchangeSession.actual_start.desc(), ExchangeSession.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is None:
        return None, None
    ended = last.actual_end or last.actual_start
    assert ended is not None  # noqa: S101 - filtered above
    hours = max(round((at - ended).total_seconds() / 3600, 1), 0.0)
    return hours, {"session_id": last.id, "ended_at": ended.isoformat()}


def _on_ace_inhibitor(session: Session, patient_id: int) -> int | None:
    """The latest assessment saying the patient takes an ACE inhibitor (its id), else None."""
    latest = session.execute(
        select(Assessment)
        .where(Assessment.patient_id == patient_id, Assessment.deleted_at.is_(None))
        .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    conditions = (latest.inputs or {}).get("conditions") or {} if latest is not None else {}
    return latest.id if latest is not None and conditions.get("ace_inhibitor") is True else None


def _stale_labs(
    session: Session,
    row: ExchangeSession,
    policy: CentrePolicy,
    request: dict[str, Any],
    source: dict[str, Any],
    stale: dict[str, Any],
    given_labs: dict[str, Any],
    ended: dt.datetime | None,
    at: dt.datetime,
) -> None:
    """List labs drawn before the last exchange as stale; a stale fibrinogen becomes the
    model's prediction (labelled) where the centre allows it."""
    stale = {k: v for k, v in stale.items() if k not in given_labs}
    if not stale:
        return
    request["stale_labs"] = [
        {
            "name": key,
            "value": found["value"],
            "taken_at": found["taken_at"],
            "last_exchange_ended_at": ended.isoformat() if ended else None,
        }
        for key, found in stale.items()
    ]
    source["stale_labs"] = {
        k: {"lab_id": v["lab_id"], "taken_at": v["taken_at"]} for k, v in stale.items()
    }
    found = stale.get("fibrinogen_g_l")
    if found is None or not policy.precheck.predicted_labs_allowed:
        return
    predicted = precheck_labs.predict_stale_fibrinogen(
        session, row, found["value"], found["taken"], at
    )
    if predicted is not None:
        request["labs"] = {**request["labs"], "fibrinogen_g_l": predicted[0]}
        request["predicted_labs"] = ["fibrinogen_g_l"]
        source["labs"]["fibrinogen_g_l"] = predicted[1]


def _precheck_request(
    session: Session,
    ctx: ServiceContext,
    row: ExchangeSession,
    given: dict[str, Any],
    policy: CentrePolicy,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The calc precheck request: the record's latest labs and the hours since the last
    exchange, with whatever the request gives overriding; and where each filled value came
    from."""
    at = max(ctx.now, row.planned_start)  # the check is for this session's start
    request = dict(given)
    source: dict[str, Any] = {"lab_max_age_hours": PRECHECK_LAB_MAX_AGE.total_seconds() / 3600}
    hours, last = _last_exchange_hours(session, row, at)
    ended = dt.datetime.fromisoformat(last["ended_at"]) if last is not None else None
    given_labs = given.get("labs", {})
    if isinstance(given_labs, dict):  # anything else: the calculator names the error
        record_labs, used, stale = _record_labs(session, row.patient_id, at, ended)
        request["labs"] = record_labs | given_labs
        source["labs"] = {k: v for k, v in used.items() if k not in given_labs}
        _stale_labs(session, row, policy, request, source, stale, given_labs, ended, at)
    if "hours_since_last_exchange" not in given:
        request["hours_since_last_exchange"] = hours
        source["last_exchange"] = last
        if ended is not None and "days_since_last_exchange" not in given:
            request["days_since_last_exchange"] = precheck_labs.calendar_days_between(
                ended, at, policy.hours.time_zone
            )
    if given.get("access") is None:  # not stated: the line in place that day, if any
        zone = ZoneInfo(policy.hours.time_zone)
        access, lines = access_lines.access_on(session, row.patient_id, at.astimezone(zone).date())
        if access is not None:
            request["access"] = access
            source["access"] = {"lines": lines}
    if "plasma_in_replacement" not in given:
        request["plasma_in_replacement"] = precheck_labs.plasma_in_replacement(session, row)
    if "hours_since_ace_inhibitor" not in given:
        assessment = _on_ace_inhibitor(session, row.patient_id)
        if assessment is not None:
            raise InputError(
                "request.hours_since_ace_inhibitor",
                f"assessment {assessment} records an ACE inhibitor: give the hours since the "
                "last dose (null if stopped)",
                allowed=">= 0, or null",
            )
    return request, source


@use_case(Permission.SESSION_RECORD)
def record_precheck(
    ctx: ServiceContext, session_id: int, data: PrecheckIn, expected_version: int
) -> SessionOut:
    """Run the pre-session go/no-go rules (core, via the calculator) and store the decision.

    The request is completed from the record: the latest labs (canonical units, at most
    PRECHECK_LAB_MAX_AGE old, and drawn after the last completed exchange: an older one is
    stale, or the model's prediction where the centre allows), the hours and calendar days
    since the patient's last completed exchange, whether plasma is prescribed, the access
    from the lines in place that day (central when a central line is; none: the nurse is
    asked); values the request gives win. An ACE inhibitor recorded at the assessment needs
    its timing given.
    The inputs (the full calc request) and the result (with ``from_record``) are stored.
    """
    with ctx.db.write() as session:
        row = load(session, ctx, ExchangeSession, session_id, for_update=True)
        check_version(row, expected_version)
        if row.status != "planned":
            raise Conflict(f"the session is already {row.status}", field="status")
        require_cosigned(session.get_one(Course, row.course_id))
        centre = session.get_one(Centre, row.centre_id)
        policy = load_policy(centre)
        request, source = _precheck_request(session, ctx, row, data.request, policy)
        calc = precheck_calc.CALCULATOR
        checked = compute(calc, request, policy, "request", now=ctx.now)
        row.precheck_inputs = request
        row.precheck_result = {**calc.to_json(checked), "from_record": source}
        row.precheck_rule_version = rule_version("precheck", checked)
        row.go_decision = checked.decision[:24] or None
        row.updated_at = ctx.now
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="session",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"precheck": row.go_decision},
        )
        return SessionOut.model_validate(row)


@use_case(Permission.SESSION_RECORD)
def add_lab(ctx: ServiceContext, patient_id: int, data: LabIn) -> LabOut:
    """Store a lab value converted to its canonical unit (conversion: interop.units)."""
    if data.analyte in _MMOL_ONLY:
        if data.unit != "mmol/L":
            raise InputError("unit", f"{data.analyte} is stored in mmol/L", allowed="mmol/L")
        value, unit = data.value, "mmol/L"
    else:
        value = units.to_canonical(data.value, data.unit, data.analyte)
        unit = units.canonical_unit(data.analyte)
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        if data.session_id is not None:
            if load(session, ctx, ExchangeSession, data.session_id).patient_id != patient.id:
                raise InputError("session_id", "belongs to another patient")
        row = new(
            ctx,
            LabResult,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            session_id=data.session_id,
            taken_at=data.taken_at,
            analyte=data.analyte,
            value=value,
            unit=unit,
            timing=data.timing,
        )
        session.add(row)
        session.flush()
        audit.record(session, ctx, "create", entity="lab", entity_id=row.id, patient_id=patient.id)
        return LabOut.model_validate(row)


@use_case(Permission.PATIENT_READ)
def list_labs(ctx: ServiceContext, patient_id: int) -> list[LabOut]:
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        rows = session.execute(
            select(LabResult)
            .where(LabResult.patient_id == patient.id, LabResult.deleted_at.is_(None))
            .order_by(LabResult.taken_at, LabResult.id)
        ).scalars()
        out = [LabOut.model_validate(r) for r in rows]
        audit.record(
            session, ctx, "read", entity="lab", patient_id=patient.id, detail={"returned": len(out)}
        )
        return out


# What happened, beyond the stored procedure_interrupted: gives the severity, not stored.
_AE_FACTS = ("procedure_stopped", "needed_medication", "died")


def grade_adverse_event(data: AdverseEventIn) -> tuple[str, int]:
    """The WAA severity (WAA_2016) and CTCAE-style grade (CTCAE_V5) of an adverse event.

    The severity follows from what happened (medication, interruption or stop, death); a
    ``severity`` sent with none of those facts is taken as recorded (the contract before the
    facts existed), one that contradicts them is refused naming ``severity``.
    """
    computed = waa_severity(
        needed_medication=data.needed_medication,
        interrupted=data.procedure_interrupted,
        stopped=data.procedure_stopped,
        died=data.died,
    )
    facts = any(getattr(data, name) for name in ("procedure_interrupted", *_AE_FACTS))
    severity = data.severity or computed
    if facts and severity != computed:
        raise InputError(
            "severity",
            f"{severity!r} does not match what happened (that is {computed!r})",
            allowed=computed,
        )
    return severity, ctcae_grade(severity, life_threatening=data.life_threatening)


@use_case(Permission.SESSION_RECORD)
def report_adverse_event(
    ctx: ServiceContext, patient_id: int, data: AdverseEventIn
) -> AdverseEventOut:
    """Record an adverse event, linked to its session and course, with the WAA severity and
    CTCAE-style grade computed from what happened (:func:`grade_adverse_event`)."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        course_id = data.course_id
        if data.session_id is not None:
            ex = load(session, ctx, ExchangeSession, data.session_id)
            if ex.patient_id != patient.id:
                raise InputError("session_id", "belongs to another patient")
            course_id = course_id or ex.course_id
        if course_id is not None and load(session, ctx, Course, course_id).patient_id != patient.id:
            raise InputError("course_id", "belongs to another patient")
        severity, grade = grade_adverse_event(data)
        row = new(
            ctx,
            AdverseEvent,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            **data.model_dump(
                exclude={"course_id", "severity", "procedure_interrupted", *_AE_FACTS}
            ),
            procedure_interrupted=data.procedure_interrupted or data.procedure_stopped,
            severity=severity,
            ctcae_grade=grade,
            course_id=course_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="adverse_event",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"severity": severity, "ctcae_grade": grade},
        )
        return AdverseEventOut.model_validate(row)


@use_case(Permission.PATIENT_READ)
def list_adverse_events(
    ctx: ServiceContext, *, patient_id: int | None = None, limit: int = 100, offset: int = 0
) -> Page[AdverseEventOut]:
    query = events_query(ctx, patient_id=patient_id)
    with ctx.db.write() as session:
        found = page_of(session, AdverseEventOut, query, limit, offset, EVENT_ORDER)
        audit.record(
            session,
            ctx,
            "search",
            entity="adverse_event",
            patient_id=patient_id,
            detail={"returned": len(found.items)},
        )
        return found


@use_case(Permission.SESSION_RECORD)
def upsert_lab(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The lab value matched by ``key`` (analyte and time, canonical unit), created or given
    the ``values`` it lacks, with :func:`add_lab`'s permission and audit."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        return upsert(
            session, ctx, LabResult, entity="lab", patient=patient, key=key, values=values, via=via
        )


@use_case(Permission.SESSION_RECORD)
def upsert_adverse_event(
    ctx: ServiceContext,
    patient_id: int,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    via: str = "fhir_import",
) -> Saved:
    """The adverse event matched by ``key`` (type and onset), created or given the ``values``
    it lacks, with :func:`report_adverse_event`'s permission and audit; the CTCAE-style grade
    follows the severity as it does there."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        found = match(session, AdverseEvent, patient.id, key)
        if "severity" in values:
            threatening = values.get("life_threatening", found.life_threatening if found else False)
            grade = ctcae_grade(values["severity"], life_threatening=bool(threatening))
            values = {**values, "ctcae_grade": grade}
        return upsert(
            session,
            ctx,
            AdverseEvent,
            entity="adverse_event",
            patient=patient,
            key=key,
            values=values,
            via=via,
        )
