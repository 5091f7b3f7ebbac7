"""The registry dashboard read from its precomputed facts (:mod:`plexms.store.registry_facts`):
the same functions, arguments and answers as the counting from the clinical tables in
:mod:`plexms.store.registry_dashboard` (the tests hold the two equal after every kind of
write), but summing day cells instead of joining every visit and session, so the answer
grows with the days and groups in the filter, not with the patients (issue 19: the
dashboard at 1,000,000 patients).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from plexms.core.adverse_events import SEVERITIES
from plexms.store.models import (
    AdverseEvent,
    ExchangeSession,
    RegistryCell,
    RegistryCellEvent,
    RegistryCourse,
)
from plexms.store.models.indexes import PROCEDURE_DONE
from plexms.store.registry_dashboard import (
    BANDS,
    INDICATIONS,
    CoursePage,
    Query,
    RateGroup,
    RegistryFilter,
    course_row,
)
from plexms.store.registry_facts import SEPARATOR

__all__ = [
    "QUERIES",
    "course_page",
    "events_by_type",
    "outcomes_in_time_order",
    "procedures_by_centre",
    "procedures_done",
    "response_by_indication",
    "response_by_onset_band",
    "type_severity",
    "worst_severity_counts",
]


def _where(model: Any, centre_id: int | None, f: RegistryFilter) -> list[Any]:
    """The filter on a facts table (every one has centre, start date, indication, response)."""
    out = []
    if centre_id is not None:
        out.append(model.centre_id == centre_id)
    if f.start_from is not None:
        out.append(model.start_date >= f.start_from)
    if f.start_to is not None:
        out.append(model.start_date <= f.start_to)
    if f.indication is not None:
        out.append(model.indication == f.indication)
    if f.response is not None:
        out.append(model.response == f.response)
    return out


def _rates(
    session: Session, centre_id: int | None, f: RegistryFilter, key: str, order: tuple[str, ...]
) -> tuple[RateGroup, ...]:
    c = RegistryCell
    column = c.__table__.c[key]
    assessed = func.sum(case((c.response != "not_assessed", c.courses), else_=0))
    responders = func.sum(case((c.response == "responder", c.courses), else_=0))
    query = (
        select(column, func.sum(c.courses), assessed, responders)
        .where(*_where(c, centre_id, f))
        .group_by(column)
    )
    found = {
        str(k): RateGroup(str(k), int(n), int(a or 0), int(r or 0))
        for k, n, a, r in session.execute(query)
        if n
    }
    keys = [k for k in order if k in found] + sorted(k for k in found if k not in order)
    return tuple(found[k] for k in keys)


def response_by_indication(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> tuple[RateGroup, ...]:
    """Courses, assessed and responders per indication."""
    return _rates(session, centre_id, f, "indication", INDICATIONS)


def response_by_onset_band(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> tuple[RateGroup, ...]:
    """Courses, assessed and responders per days-from-onset band."""
    return _rates(session, centre_id, f, "band", (*BANDS, "unknown"))


def procedures_done(session: Session, centre_id: int | None, f: RegistryFilter) -> int:
    """Exchange sessions done in the filtered courses."""
    c = RegistryCell
    query = select(func.coalesce(func.sum(c.procedures), 0)).where(*_where(c, centre_id, f))
    return int(session.execute(query).scalar_one())


def _events(
    session: Session, centre_id: int | None, f: RegistryFilter, kind: str
) -> list[tuple[str, int]]:
    e = RegistryCellEvent
    n = func.sum(e.n)
    query = (
        select(e.key, n)
        .where(e.kind == kind, *_where(e, centre_id, f))
        .group_by(e.key)
        .order_by(n.desc(), e.key)
    )
    return [(str(k), int(c)) for k, c in session.execute(query) if c]


def events_by_type(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> list[tuple[str, int]]:
    """Adverse events per type in the filtered courses (most frequent first)."""
    return _events(session, centre_id, f, "type")


def worst_severity_counts(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> dict[str, int]:
    """Procedures (done sessions) counted once at their most severe event, per WAA severity."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for key, n in _events(session, centre_id, f, "worst"):
        counts[key] = n
    return counts


def course_page(
    session: Session,
    centre_id: int | None,
    f: RegistryFilter,
    limit: int = 50,
    offset: int = 0,
) -> CoursePage:
    """One page of the filtered courses, newest first, and how many there are."""
    c, r = RegistryCell, RegistryCourse
    total = session.execute(
        select(func.coalesce(func.sum(c.courses), 0)).where(*_where(c, centre_id, f))
    ).scalar_one()
    query = (
        select(r)
        .where(*_where(r, centre_id, f))
        .order_by(r.start_date.desc(), r.course_id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [course_row(row.course_id, row) for row in session.scalars(query)]
    return CoursePage(items, int(total), limit, offset)


# --- the centre benchmarking (the same answers as plexms.store.registry_benchmark) -------------


def procedures_by_centre(session: Session, f: RegistryFilter) -> list[tuple[int, int, int]]:
    """``(centre_id, procedures, procedures with an adverse event)`` for every centre."""
    c, e = RegistryCell, RegistryCellEvent
    procedures = session.execute(
        select(c.centre_id, func.sum(c.procedures)).where(*_where(c, None, f)).group_by(c.centre_id)
    ).all()
    with_event = dict(
        session.execute(  # each procedure with events once, at its worst
            select(e.centre_id, func.sum(e.n))
            .where(e.kind == "worst", *_where(e, None, f))
            .group_by(e.centre_id)
        ).all()
    )
    return [
        (int(centre), int(n), int(with_event.get(centre) or 0))
        for centre, n in sorted(procedures)
        if n
    ]


def type_severity(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Per type: procedures with at least one event of that type; and per type and WAA
    severity: events (each counted)."""
    sessions = dict(_events(session, centre_id, f, "type_proc"))
    by_type: dict[str, dict[str, int]] = {}
    for key, n in _events(session, centre_id, f, "type_sev"):
        event_type, severity = key.rsplit(SEPARATOR, 1)
        by_type.setdefault(event_type, dict.fromkeys(SEVERITIES, 0))[severity] = n
    order = sorted(sessions, key=lambda t: (-sessions[t], t))
    return {t: sessions[t] for t in order}, {t: by_type[t] for t in order}


def outcomes_in_time_order(
    session: Session, centre_id: int | None, f: RegistryFilter, limit: int
) -> list[tuple[dt.datetime, int]]:
    """The most recent ``limit`` procedures, oldest first: ``(start, 1 if an adverse event)``.
    Read newest first from ``ix_exchange_session_done_time``, each checked against its
    course's facts (the filter) by primary key."""
    s, r, a = ExchangeSession, RegistryCourse, AdverseEvent
    start = func.coalesce(s.actual_start, s.planned_start)
    any_event = exists().where(a.session_id == s.id, a.deleted_at.is_(None))
    query = (
        select(start.label("at"), case((any_event, 1), else_=0), s.id)
        .join(r, r.course_id == s.course_id)
        .where(PROCEDURE_DONE, *_where(r, centre_id, f))
        .order_by(start.desc(), s.id.desc())
        .limit(limit)
    )
    rows = session.execute(query).all()
    return [(at, int(y)) for at, y, _ in reversed(rows)]


QUERIES: dict[str, Query] = {
    "response_by_indication": response_by_indication,
    "response_by_onset_band": response_by_onset_band,
    "procedures_done": procedures_done,
    "events_by_type": events_by_type,
    "worst_severity_counts": worst_severity_counts,
    "course_page": course_page,
}
