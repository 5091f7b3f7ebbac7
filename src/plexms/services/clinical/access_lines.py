"""Vascular access lines (issue 17, item 3): put a line in, take it out, record its care,
problems and infections; a patient's lines with their line-days and infection rate; the access
a pre-session check takes from the record.

Rules (each refusal names its field): no date after today (the centre's calendar);
``removed_on`` not before ``inserted_on``; an event inside the line's time in place; one
central line in place per site at a time; the kind follows the line type. Nurses and
physicians write (``session:record``), every signed-in role reads; each action is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plexms.core.access_lines import (
    INFECTION_EVENTS,
    LINE_TYPE_KIND,
    PROBLEM_EVENTS,
    access_for_precheck,
    line_days,
    line_rate,
)
from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._records import check_version, load, new, scoped
from plexms.services._usecase import use_case
from plexms.services.clinical.patients import load_patient
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict
from plexms.services.permissions import Permission
from plexms.services.schemas.access import (
    AccessLineIn,
    AccessLineOut,
    AccessLineRemoveIn,
    AccessSummary,
    LineEventIn,
    LineEventOut,
)
from plexms.store.models import AccessLine, Centre, LineEvent

__all__ = [
    "access_on",
    "access_summary",
    "add_line",
    "add_line_event",
    "centre_today",
    "remove_line",
]


def centre_today(session: Session, ctx: ServiceContext, centre_id: int) -> dt.date:
    """Today in the centre's calendar (from ``ctx.now``)."""
    zone = session.get_one(Centre, centre_id).time_zone
    return ctx.now.astimezone(ZoneInfo(zone)).date()


def _not_future(name: str, day: dt.date, today: dt.date) -> None:
    if day > today:
        raise InputError(name, f"{day} is in the future", allowed=f"<= {today}")


def _kind(data: AccessLineIn) -> str:
    kind = LINE_TYPE_KIND[data.line_type]
    if data.kind is not None and data.kind != kind:
        raise InputError("kind", f"a {data.line_type} line is {kind}", allowed=kind)
    return kind


def _in_place_on(day: dt.date) -> Any:
    """In place for a session on ``day``: put in by then, not taken out by then (a line removed
    that day still counts a line-day, but a session that day has no use of it)."""
    return (AccessLine.inserted_on <= day) & (
        or_(AccessLine.removed_on.is_(None), AccessLine.removed_on > day)
    )


def _central_at_site(
    session: Session, line: AccessLine, first: dt.date, last: dt.date | None
) -> AccessLine | None:
    """Another central line of the patient at the same site whose time in place overlaps
    ``first`` to ``last`` (``line`` is new: not in the table yet)."""
    query = select(AccessLine).where(
        AccessLine.patient_id == line.patient_id,
        AccessLine.deleted_at.is_(None),
        AccessLine.kind == "central",
        AccessLine.site == line.site,
        or_(AccessLine.removed_on.is_(None), AccessLine.removed_on >= first),
    )
    if last is not None:
        query = query.where(AccessLine.inserted_on <= last)
    return session.execute(query.limit(1)).scalar_one_or_none()


def _out(row: AccessLine, events: list[LineEvent], today: dt.date) -> AccessLineOut:
    out = AccessLineOut.model_validate(row)
    return out.model_copy(
        update={
            "line_days": line_days(row.inserted_on, row.removed_on, as_of=today),
            "events": [LineEventOut.model_validate(e) for e in events],
        }
    )


@use_case(Permission.SESSION_RECORD)
def add_line(ctx: ServiceContext, patient_id: int, data: AccessLineIn) -> AccessLineOut:
    """Record a line put in (or one already out, with its removal date and reason)."""
    kind = _kind(data)
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        today = centre_today(session, ctx, patient.centre_id)
        _not_future("inserted_on", data.inserted_on, today)
        if data.removed_on is not None:
            _not_future("removed_on", data.removed_on, today)
            line_days(data.inserted_on, data.removed_on, as_of=today)  # removed >= inserted
            if not data.removal_reason:
                raise InputError("removal_reason", "give why the line was removed")
        elif data.removal_reason:
            raise InputError("removal_reason", "only for a line that was removed")
        row = new(
            ctx,
            AccessLine,
            centre_id=patient.centre_id,
            patient_id=patient.id,
            kind=kind,
            **data.model_dump(exclude={"kind"}),
        )
        if kind == "central":
            other = _central_at_site(session, row, data.inserted_on, data.removed_on)
            if other is not None:
                raise Conflict(
                    f"central line {other.id} is in place at {data.site} then: remove it first",
                    field="site",
                )
        session.add(row)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="access_line",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"kind": kind, "line_type": row.line_type},
        )
        return _out(row, [], today)


@use_case(Permission.SESSION_RECORD)
def remove_line(
    ctx: ServiceContext, line_id: int, data: AccessLineRemoveIn, expected_version: int | None
) -> AccessLineOut:
    """The line came out: removal date (not before insertion, not in the future) and why."""
    with ctx.db.write() as session:
        row = load(session, ctx, AccessLine, line_id, for_update=True)
        check_version(row, expected_version)
        if row.removed_on is not None:
            raise Conflict(f"line {row.id} was removed on {row.removed_on}", field="removed_on")
        today = centre_today(session, ctx, row.centre_id)
        _not_future("removed_on", data.removed_on, today)
        line_days(row.inserted_on, data.removed_on, as_of=today)  # removed >= inserted
        last_event = session.execute(
            select(LineEvent.event_on)
            .where(LineEvent.line_id == row.id, LineEvent.deleted_at.is_(None))
            .order_by(LineEvent.event_on.desc())
            .limit(1)
        ).scalar_one_or_none()
        if last_event is not None and data.removed_on < last_event:
            raise InputError(
                "removed_on", f"the line has an event on {last_event}", allowed=f">= {last_event}"
            )
        row.removed_on = data.removed_on
        row.removal_reason = data.removal_reason
        if data.notes:
            row.notes = f"{row.notes}\n{data.notes}".strip()
        row.updated_at = ctx.now
        session.flush()
        audit.record(
            session,
            ctx,
            "update",
            entity="access_line",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"removed": True, "reason": row.removal_reason},
        )
        return _out(row, _events(session, [row.id]).get(row.id, []), today)


@use_case(Permission.SESSION_RECORD)
def add_line_event(ctx: ServiceContext, line_id: int, data: LineEventIn) -> LineEventOut:
    """A dressing change, flush, problem or infection of the line, on a day it was in place."""
    with ctx.db.write() as session:
        line = load(session, ctx, AccessLine, line_id)
        today = centre_today(session, ctx, line.centre_id)
        _not_future("event_on", data.event_on, today)
        last = line.removed_on or today
        if not line.inserted_on <= data.event_on <= last:
            raise InputError(
                "event_on",
                f"{data.event_on} is outside the line's time in place",
                allowed=f"{line.inserted_on} to {last}",
            )
        row = new(
            ctx,
            LineEvent,
            centre_id=line.centre_id,
            patient_id=line.patient_id,
            line_id=line.id,
            **data.model_dump(),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="line_event",
            entity_id=row.id,
            patient_id=line.patient_id,
            detail={"line_id": line.id, "event_type": row.event_type},
        )
        return LineEventOut.model_validate(row)


def _events(session: Session, line_ids: list[int]) -> dict[int, list[LineEvent]]:
    found: dict[int, list[LineEvent]] = {}
    if not line_ids:
        return found
    rows = session.execute(
        select(LineEvent)
        .where(LineEvent.line_id.in_(line_ids), LineEvent.deleted_at.is_(None))
        .order_by(LineEvent.event_on, LineEvent.id)
    ).scalars()
    for event in rows:
        found.setdefault(event.line_id, []).append(event)
    return found


def _lines(session: Session, ctx: ServiceContext, patient_id: int) -> list[AccessLine]:
    return list(
        session.execute(
            scoped(ctx, AccessLine)
            .where(AccessLine.patient_id == patient_id, AccessLine.deleted_at.is_(None))
            .order_by(AccessLine.inserted_on.desc(), AccessLine.id.desc())
        ).scalars()
    )


@use_case(Permission.PATIENT_READ)
def access_summary(ctx: ServiceContext, patient_id: int) -> AccessSummary:
    """The patient's lines (newest first) with their events and line-days to today, the
    access the pre-session check takes today, and infections per 1,000 line-days."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        today = centre_today(session, ctx, patient.centre_id)
        rows = _lines(session, ctx, patient.id)
        events = _events(session, [r.id for r in rows])
        lines = [_out(r, events.get(r.id, []), today) for r in rows]
        days = sum(line.line_days for line in lines)
        every = [e for line in lines for e in line.events]
        infections = sum(e.event_type in INFECTION_EVENTS for e in every)
        rate = line_rate(infections, days)
        active = [r.kind for r in rows if r.inserted_on <= today and r.removed_on is None]
        audit.record(
            session,
            ctx,
            "read",
            entity="access_line",
            patient_id=patient.id,
            detail={"returned": len(lines)},
        )
        return AccessSummary(
            patient_id=patient.id,
            as_of=today,
            lines=lines,
            precheck_access=access_for_precheck(active),
            line_days=days,
            infections=infections,
            problems=sum(e.event_type in PROBLEM_EVENTS for e in every),
            per_1000_line_days=rate.per_1000,
            ci95_per_1000=rate.ci95_per_1000,
        )


def access_on(session: Session, patient_id: int, day: dt.date) -> tuple[str | None, list[int]]:
    """The pre-session check's access on ``day`` from the lines in place then, and their ids
    (inside a caller's transaction; the caller has loaded the patient in its centre)."""
    rows = session.execute(
        select(AccessLine.id, AccessLine.kind).where(
            AccessLine.patient_id == patient_id,
            AccessLine.deleted_at.is_(None),
            _in_place_on(day),
        )
    ).all()
    return access_for_precheck(kind for _, kind in rows), [line_id for line_id, _ in rows]
