"""The benchmarking SQL (issue 18 item 4): procedures and procedures with an adverse event per
centre, per adverse-event type and severity, and one centre's procedures in time order.

A *procedure* is an exchange session done and not deleted (:data:`PROCEDURE_DONE`, the rows
of the partial registry index), in the courses of the registry filter. Everything is counted
by the database; only the time-ordered outcomes of one centre (for the CUSUM) come back as
rows, as two columns, at most ``limit`` of the most recent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from plexms.core.adverse_events import SEVERITIES
from plexms.store.models import AdverseEvent, Centre, ExchangeSession
from plexms.store.models.indexes import PROCEDURE_DONE
from plexms.store.registry_dashboard import SERIAL, RegistryFilter, courses_query, dialect_of, run

__all__ = ["centre_names", "outcomes_in_time_order", "procedures_by_centre", "type_severity"]


def _base(session: Session, centre_id: int | None, f: RegistryFilter) -> Any:
    return courses_query(dialect_of(session), centre_id, f, with_response=False, with_onset=False)


def _events_per_session() -> Any:
    a = AdverseEvent
    return (
        select(a.session_id.label("session_id"), func.count().label("n"))
        .where(a.deleted_at.is_(None), a.session_id.is_not(None))
        .group_by(a.session_id)
        .subquery("events")
    )


def procedures_by_centre(session: Session, f: RegistryFilter) -> list[tuple[int, int, int]]:
    """``(centre_id, procedures, procedures with an adverse event)`` for every centre."""
    s = ExchangeSession
    base = _base(session, None, f)
    events = _events_per_session()
    query = (
        select(
            s.centre_id,
            func.count(),
            func.sum(case((events.c.n.is_not(None), 1), else_=0)),
        )
        .join(base, base.c.id == s.course_id)
        .outerjoin(events, events.c.session_id == s.id)
        .where(PROCEDURE_DONE)
        .group_by(s.centre_id)
        .order_by(s.centre_id)
    )
    return [(int(c), int(n), int(k or 0)) for c, n, k in run(session, query, SERIAL)]


def centre_names(session: Session) -> dict[int, tuple[str, str]]:
    """``{centre_id: (code, name)}``."""
    return {i: (c, n) for i, c, n in session.execute(select(Centre.id, Centre.code, Centre.name))}


def type_severity(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Per type: procedures with at least one event of that type; and per type and WAA
    severity: events (each counted)."""
    a = AdverseEvent
    s = ExchangeSession
    base = _base(session, centre_id, f)
    query = (
        select(a.event_type, a.severity, func.count(), func.count(distinct(a.session_id)))
        .join(s, and_(s.id == a.session_id, PROCEDURE_DONE))
        .join(base, base.c.id == s.course_id)
        .where(a.deleted_at.is_(None))
        .group_by(a.event_type, a.severity)
    )
    by_type: dict[str, dict[str, int]] = {}
    for event_type, severity, n, _ in run(session, query, SERIAL):
        by_type.setdefault(str(event_type), dict.fromkeys(SEVERITIES, 0))[str(severity)] = int(n)
    distinct_query = (
        select(a.event_type, func.count(distinct(a.session_id)))
        .join(s, and_(s.id == a.session_id, PROCEDURE_DONE))
        .join(base, base.c.id == s.course_id)
        .where(a.deleted_at.is_(None))
        .group_by(a.event_type)
    )
    sessions = {str(t): int(n) for t, n in run(session, distinct_query, SERIAL)}
    order = sorted(sessions, key=lambda t: (-sessions[t], t))
    return {t: sessions[t] for t in order}, {t: by_type[t] for t in order}


def outcomes_in_time_order(
    session: Session, centre_id: int | None, f: RegistryFilter, limit: int
) -> list[tuple[dt.datetime, int]]:
    """The most recent ``limit`` procedures, oldest first: ``(start, 1 if an adverse event)``."""
    s = ExchangeSession
    base = _base(session, centre_id, f)
    events = _events_per_session()
    start = func.coalesce(s.actual_start, s.planned_start)
    query = (
        select(start.label("at"), case((events.c.n.is_not(None), 1), else_=0), s.id)
        .join(base, base.c.id == s.course_id)
        .outerjoin(events, events.c.session_id == s.id)
        .where(PROCEDURE_DONE)
        .order_by(start.desc(), s.id.desc())
        .limit(limit)
    )
    rows = run(session, query, SERIAL)
    return [(at, int(y)) for at, y, _ in reversed(rows)]
