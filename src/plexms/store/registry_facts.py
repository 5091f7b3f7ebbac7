"""Keeping the registry's precomputed facts (:mod:`plexms.store.models.registry_facts`) true.

Every write that can change what the dashboard counts goes through a SQLAlchemy session, so
two session events keep the facts in the same transaction as the write:

- ``after_flush``: the courses touched by the flushed rows (a course; an episode's courses; an
  outcome visit's, session's or adverse event's course, before and after a move) are counted
  again with the dashboard's own SQL (:func:`plexms.store.registry_dashboard.courses_query`,
  restricted to those courses), and where a course's facts changed, its row is replaced and
  the difference added to its day cells (``INSERT ... ON CONFLICT DO UPDATE SET n = n + d``,
  atomic under concurrent writers; the course's old facts row is locked first on PostgreSQL,
  so two transactions changing one course apply their differences one after the other);
- ``do_orm_execute``: a bulk ``UPDATE``/``DELETE`` of those tables (or of patients, whose
  courses the database deletes by cascade) counts the courses it matches before and after.

Only the columns the dashboard reads trigger a recount (:data:`TRACKED`): saving a session
sheet's vitals costs nothing here. :func:`rebuild` recounts a centre (or everything) in a few
set-based statements, after a bulk load that bypasses the session (``COPY``) and once after a
migration (:func:`ensure_built`). :func:`differences` compares the facts with a recount from
scratch (``plexms registry check-facts``; the tests' oracle).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    and_,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import get_history

from plexms.core.adverse_events import SEVERITIES
from plexms.store.models import (
    AdverseEvent,
    Course,
    Episode,
    ExchangeSession,
    OutcomeAssessment,
    Patient,
    RegistryCell,
    RegistryCellEvent,
    RegistryCourse,
    RegistryCourseEvent,
)
from plexms.store.models.indexes import PROCEDURE_DONE
from plexms.store.registry_dashboard import RegistryFilter, courses_query

__all__ = [
    "SEPARATOR",
    "TABLES",
    "TRACKED",
    "Fact",
    "differences",
    "ensure_built",
    "facts_of",
    "install",
    "rebuild",
    "refresh",
]

SEPARATOR = "|"  # between an event type and its severity in a ``type_sev`` key
TABLES = ("registry_course", "registry_course_event", "registry_cell", "registry_cell_event")

# the columns whose change can move what the dashboard counts, per table
TRACKED: dict[type, frozenset[str]] = {
    Course: frozenset(
        {"centre_id", "patient_id", "indication", "start_date", "status", "episode_id"}
        | {"deleted_at"}
    ),
    Episode: frozenset({"onset_date", "deleted_at"}),
    OutcomeAssessment: frozenset(
        {"course_id", "assessed_on", "targeted_deficit", "timepoint", "deleted_at"}
    ),
    ExchangeSession: frozenset({"course_id", "status", "deleted_at"}),
    AdverseEvent: frozenset({"course_id", "session_id", "event_type", "severity", "deleted_at"}),
    Patient: frozenset(),  # only a hard delete (its courses go by cascade)
}
_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit
_COURSE_COLUMNS = (
    "centre_id",
    "patient_id",
    "indication",
    "start_date",
    "status",
    "days",
    "band",
    "grade",
    "response",
    "procedures",
)


@dataclass(frozen=True)
class Fact:
    """One course as the dashboard counts it, and its events ``{(kind, key): n}``."""

    course_id: int
    centre_id: int
    patient_id: int
    indication: str
    start_date: Any
    status: str
    days: int | None
    band: str
    grade: str | None
    response: str
    procedures: int
    events: tuple[tuple[str, str, int], ...]

    @property
    def cell(self) -> tuple[Any, ...]:
        return (self.centre_id, self.start_date, self.indication, self.response, self.band)

    @property
    def event_cell(self) -> tuple[Any, ...]:
        return (self.centre_id, self.start_date, self.indication, self.response)

    def row(self) -> dict[str, Any]:
        return {"course_id": self.course_id} | {c: getattr(self, c) for c in _COURSE_COLUMNS}


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


# --- counting courses from the clinical tables -----------------------------------------------


def _severity_rank() -> Any:
    a = AdverseEvent
    return case(*((a.severity == name, i) for i, name in enumerate(SEVERITIES)), else_=0)


def _at_procedures(where: Any) -> Any:
    """Per course: the events at its procedures done by type and WAA severity (kind
    ``type_sev``, key ``type|severity``, each event counted) and its procedures with at least
    one event of a type (kind ``type_proc``), for the centre benchmarking."""
    a = AdverseEvent
    done = select(ExchangeSession.id).where(PROCEDURE_DONE).subquery("done_at")
    at_done = (
        select(a.course_id, a.event_type, a.severity, a.session_id)
        .join(done, done.c.id == a.session_id)
        .where(a.deleted_at.is_(None), where)
        .subquery("at_done")
    )
    pair = at_done.c.event_type + literal(SEPARATOR) + at_done.c.severity
    by_severity = select(
        at_done.c.course_id, literal("type_sev").label("kind"), pair.label("key"), func.count()
    ).group_by(at_done.c.course_id, pair)
    by_procedure = select(
        at_done.c.course_id,
        literal("type_proc").label("kind"),
        at_done.c.event_type.label("key"),
        func.count(func.distinct(at_done.c.session_id)),
    ).group_by(at_done.c.course_id, at_done.c.event_type)
    return by_severity.union_all(by_procedure)


def _worst_per_session(courses: Any) -> Any:
    """Per procedure done (session) of ``courses`` (ids or a subquery of them) with events:
    its course and the rank of its worst event's WAA severity."""
    a = AdverseEvent
    done = select(ExchangeSession.id).where(PROCEDURE_DONE).subquery("done")
    return (
        select(a.course_id.label("course_id"), func.max(_severity_rank()).label("worst"))
        .join(done, done.c.id == a.session_id)
        .where(a.deleted_at.is_(None), a.course_id.in_(courses))
        .group_by(a.course_id, a.session_id)
        .subquery("per_session")
    )


def facts_of(conn: Connection, ids: Sequence[int]) -> dict[int, Fact]:
    """The facts of these courses (the ones deleted or gone are absent), counted by the
    dashboard's own definitions."""
    dialect = conn.dialect.name
    base = courses_query(dialect, None, RegistryFilter(), with_response=True, only=list(ids))
    s, a = ExchangeSession, AdverseEvent
    procedures = dict(
        conn.execute(
            select(s.course_id, func.count())
            .where(PROCEDURE_DONE, s.course_id.in_(ids))
            .group_by(s.course_id)
        ).all()
    )
    events: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for course_id, event_type, n in conn.execute(
        select(a.course_id, a.event_type, func.count())
        .where(a.deleted_at.is_(None), a.course_id.in_(ids))
        .group_by(a.course_id, a.event_type)
    ):
        events[cast(int, course_id)].append(("type", str(event_type), int(n)))
    for course_id, kind, key, n in conn.execute(_at_procedures(a.course_id.in_(ids))):
        events[cast(int, course_id)].append((str(kind), str(key), int(n)))
    per_session = _worst_per_session(ids)
    for course_id, worst, n in conn.execute(
        select(per_session.c.course_id, per_session.c.worst, func.count()).group_by(
            per_session.c.course_id, per_session.c.worst
        )
    ):
        events[course_id].append(("worst", SEVERITIES[int(worst)], int(n)))
    out = {}
    for r in conn.execute(select(base)):
        out[r.id] = Fact(
            course_id=r.id,
            centre_id=r.centre_id,
            patient_id=r.patient_id,
            indication=r.indication,
            start_date=r.start_date,
            status=r.status,
            days=r.days,
            band=r.band,
            grade=r.grade,
            response=r.response,
            procedures=int(procedures.get(r.id, 0)),
            events=tuple(sorted(events.get(r.id, []))),
        )
    return out


def _stored(conn: Connection, ids: Sequence[int], *, lock: bool) -> dict[int, Fact]:
    rc, re_ = RegistryCourse, RegistryCourseEvent
    query = select(rc).where(rc.course_id.in_(ids)).order_by(rc.course_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    rows = conn.execute(query).all()
    events: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for course_id, kind, key, n in conn.execute(
        select(re_.course_id, re_.kind, re_.key, re_.n).where(re_.course_id.in_(ids))
    ):
        events[course_id].append((kind, key, int(n)))
    return {
        r.course_id: Fact(
            course_id=r.course_id,
            **{c: getattr(r, c) for c in _COURSE_COLUMNS},
            events=tuple(sorted(events.get(r.course_id, []))),
        )
        for r in rows
    }


# --- applying the differences ------------------------------------------------------------------


def refresh(conn: Connection, course_ids: Iterable[int]) -> int:
    """Count these courses again and apply what changed to their facts and cells; returns how
    many courses' facts changed."""
    changed = 0
    for ids in _chunks(course_ids):
        new = facts_of(conn, ids)
        old = _stored(conn, ids, lock=False)
        moved = [i for i in ids if new.get(i) != old.get(i)]
        if not moved:
            continue
        if conn.dialect.name == "postgresql":  # lock, then count again what is now committed
            old = _stored(conn, moved, lock=True)
            new = facts_of(conn, moved)
            moved = [i for i in moved if new.get(i) != old.get(i)]
        changed += _apply(conn, moved, old, new)
    return changed


def _apply(conn: Connection, ids: list[int], old: dict[int, Fact], new: dict[int, Fact]) -> int:
    if not ids:
        return 0
    cells: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    event_cells: dict[tuple[Any, ...], int] = defaultdict(int)
    for sign, facts in ((-1, old), (1, new)):
        for i in ids:
            fact = facts.get(i)
            if fact is None:
                continue
            cells[fact.cell][0] += sign
            cells[fact.cell][1] += sign * fact.procedures
            for kind, key, n in fact.events:
                event_cells[(*fact.event_cell, kind, key)] += sign * n
    rc, re_ = RegistryCourse, RegistryCourseEvent
    conn.execute(delete(re_).where(re_.course_id.in_(ids)))
    conn.execute(delete(rc).where(rc.course_id.in_(ids)))
    rows = [new[i].row() for i in ids if i in new]
    if rows:
        conn.execute(insert(rc), rows)
    event_rows = [
        {"course_id": i, "kind": kind, "key": key, "n": n}
        for i in ids
        if i in new
        for kind, key, n in new[i].events
    ]
    if event_rows:
        conn.execute(insert(re_), event_rows)
    cell_keys = ("centre_id", "start_date", "indication", "response", "band")
    _add(
        conn,
        cast(Table, RegistryCell.__table__),
        cell_keys,
        [
            dict(zip(cell_keys, key, strict=True)) | {"courses": d[0], "procedures": d[1]}
            for key, d in sorted(cells.items(), key=_order)
            if d != [0, 0]
        ],
        ("courses", "procedures"),
    )
    event_keys = ("centre_id", "start_date", "indication", "response", "kind", "key")
    _add(
        conn,
        cast(Table, RegistryCellEvent.__table__),
        event_keys,
        [
            dict(zip(event_keys, key, strict=True)) | {"n": d}
            for key, d in sorted(event_cells.items(), key=_order)
            if d
        ],
        ("n",),
    )
    return len(ids)


def _order(item: tuple[tuple[Any, ...], Any]) -> tuple[str, ...]:
    """Cells in one order in every transaction (no deadlock between two writers)."""
    return tuple(str(k) for k in item[0])


def _add(
    conn: Connection,
    table: Table,
    keys: tuple[str, ...],
    rows: list[dict[str, Any]],
    counts: tuple[str, ...],
) -> None:
    """Add ``rows``' counts to the cells (creating them), then drop the cells left at zero."""
    if not rows:
        return
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
    for row in rows:
        statement = insert(table).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: table.c[c] + statement.excluded[c] for c in counts},
        )
        conn.execute(statement)
    first = counts[0]
    for row in rows:
        if row[first] >= 0:  # only a cell counted down can have reached zero
            continue
        conn.execute(
            delete(table).where(and_(*(table.c[k] == row[k] for k in keys)), table.c[first] == 0)
        )


# --- the session events ----------------------------------------------------------------------


def _changed(obj: Any, names: frozenset[str]) -> bool:
    return any(get_history(obj, name).has_changes() for name in names)


def _before(obj: Any, name: str) -> Any:
    """An attribute's value before this flush (a row that existed before)."""
    history = get_history(obj, name)
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else getattr(obj, name)


def _done(status: Any, deleted_at: Any) -> bool:
    return status == "done" and deleted_at is None  # PROCEDURE_DONE


def _graded(deleted_at: Any, timepoint: Any, deficit: Any, course_id: Any) -> bool:
    """GRADED_VISIT, of a course."""
    return (
        deleted_at is None
        and timepoint != "baseline"
        and deficit is not None
        and course_id is not None
    )


_VISIT = ("deleted_at", "timepoint", "targeted_deficit", "course_id")


def _counted(obj: Any, *, new: bool, gone: bool) -> bool:
    """Whether this row counts (or counted) for the dashboard: a session done before or after
    the flush (or moved while done), a graded visit before or after; every other tracked row.
    A session planned, held or saved without being done, or an ungraded visit, moves nothing
    (saving a sheet's vitals or booking a session costs no recount)."""
    if isinstance(obj, ExchangeSession):
        after = not gone and _done(obj.status, obj.deleted_at)
        before = not new and _done(_before(obj, "status"), _before(obj, "deleted_at"))
        return before or after  # a move of a session done is counted on both sides
    if isinstance(obj, OutcomeAssessment):
        after = not gone and _graded(*(getattr(obj, n) for n in _VISIT))
        before = not new and _graded(*(_before(obj, n) for n in _VISIT))
        return before or after
    return True


def _touched(session: Session) -> tuple[set[int], set[int], set[int], set[int]]:
    """Course ids touched directly, and the episodes, sessions and patients whose courses
    are to be looked up."""
    courses: set[int] = set()
    episodes: set[int] = set()
    sessions: set[int] = set()
    patients: set[int] = set()
    for objs, is_new in ((session.new, True), (session.dirty, False), (session.deleted, True)):
        for obj in objs:
            names = TRACKED.get(type(obj))
            if names is None or not (is_new or _changed(obj, names)):
                continue
            if not _counted(obj, new=obj in session.new, gone=obj in session.deleted):
                continue
            if isinstance(obj, Course):
                courses.add(obj.id)
            elif isinstance(obj, Episode):
                episodes.add(obj.id)
            elif isinstance(obj, Patient):
                if obj in session.deleted:
                    patients.add(obj.id)
            else:
                for value in get_history(obj, "course_id").sum():
                    if value is not None:
                        courses.add(int(value))
                if isinstance(obj, ExchangeSession):
                    sessions.add(obj.id)
                elif isinstance(obj, AdverseEvent):  # its session's worst event may move
                    for value in get_history(obj, "session_id").sum():
                        if value is not None:
                            sessions.add(int(value))
    return courses, episodes, sessions, patients


def _courses_of(
    conn: Connection, episodes: set[int], sessions: set[int], patients: set[int]
) -> set[int]:
    found: set[int] = set()
    for ids in _chunks(episodes):
        found |= set(conn.scalars(select(Course.id).where(Course.episode_id.in_(ids))))
    for ids in _chunks(sessions):  # events counted at a session of another course
        found |= {
            c
            for c in conn.scalars(
                select(AdverseEvent.course_id).where(AdverseEvent.session_id.in_(ids))
            )
            if c is not None
        }
    for ids in _chunks(patients):
        found |= set(conn.scalars(select(Course.id).where(Course.patient_id.in_(ids))))
        found |= set(
            conn.scalars(select(RegistryCourse.course_id).where(RegistryCourse.patient_id.in_(ids)))
        )
    return found


# session.info key: the courses of patients about to be hard-deleted (gone after the flush)
_PENDING = "plexms_registry_facts_pending"


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    gone = [o.id for o in session.deleted if isinstance(o, Patient) and o.id is not None]
    if gone:
        conn = session.connection()
        pending = session.info.setdefault(_PENDING, set())
        pending |= _courses_of(conn, set(), set(), set(gone))


def _after_flush(session: Session, _context: Any) -> None:
    courses, episodes, sessions, patients = _touched(session)
    pending = session.info.pop(_PENDING, set())
    if not (courses or episodes or sessions or patients or pending):
        return
    conn = session.connection()
    refresh(conn, courses | pending | _courses_of(conn, episodes, sessions, patients))


_BULK_SOURCES: dict[str, Any] = {
    "course": lambda where: select(Course.id).where(where),
    "patient": lambda where: select(Course.id).where(
        Course.patient_id.in_(select(Patient.id).where(where))
    ),
    "episode": lambda where: select(Course.id).where(
        Course.episode_id.in_(select(Episode.id).where(where))
    ),
    "outcome_assessment": lambda where: select(OutcomeAssessment.course_id).where(where),
    "exchange_session": lambda where: select(ExchangeSession.course_id).where(where),
    "adverse_event": lambda where: select(AdverseEvent.course_id).where(where),
}


def _do_orm_execute(state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    source = _BULK_SOURCES.get(getattr(table, "name", ""))
    if source is None:
        return None
    where = state.statement.whereclause  # type: ignore[attr-defined]
    where = literal(True) if where is None else where
    conn = state.session.connection()
    before = {c for c in conn.scalars(source(where)) if c is not None}
    if table is not None and table.name == "patient":  # their courses are about to go
        before |= set(
            conn.scalars(
                select(RegistryCourse.course_id).where(
                    RegistryCourse.patient_id.in_(select(Patient.id).where(where))
                )
            )
        )
    result = state.invoke_statement()
    after = {c for c in conn.scalars(source(where)) if c is not None} if state.is_update else set()
    refresh(conn, before | after)
    return result


def install() -> None:
    """Listen on every session (idempotent; :mod:`plexms.store.database` calls it)."""
    for name, fn in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


# --- from scratch ------------------------------------------------------------------------------


def rebuild(conn: Connection, centre_id: int | None = None) -> int:
    """Count the courses of ``centre_id`` (every centre: ``None``) from scratch, in set-based
    statements; returns the number of courses counted."""
    rc, re_, cell, ce = RegistryCourse, RegistryCourseEvent, RegistryCell, RegistryCellEvent
    mine = (lambda column: column == centre_id) if centre_id is not None else None
    if mine is None:
        for model in (ce, cell, re_, rc):
            conn.execute(delete(model))
    else:
        conn.execute(delete(ce).where(mine(ce.centre_id)))
        conn.execute(delete(cell).where(mine(cell.centre_id)))
        conn.execute(
            delete(re_).where(re_.course_id.in_(select(rc.course_id).where(mine(rc.centre_id))))
        )
        conn.execute(delete(rc).where(mine(rc.centre_id)))
    base = courses_query(conn.dialect.name, centre_id, RegistryFilter(), with_response=True)
    s, a = ExchangeSession, AdverseEvent
    done_per_course = (
        select(s.course_id.label("course_id"), func.count().label("n"))
        .where(PROCEDURE_DONE)
        .group_by(s.course_id)
        .subquery("done")
    )
    conn.execute(
        insert(rc).from_select(
            ["course_id", *_COURSE_COLUMNS],
            select(
                base.c.id,
                base.c.centre_id,
                base.c.patient_id,
                base.c.indication,
                base.c.start_date,
                base.c.status,
                base.c.days,
                base.c.band,
                base.c.grade,
                base.c.response,
                func.coalesce(done_per_course.c.n, 0),
            )
            .select_from(base)
            .outerjoin(done_per_course, done_per_course.c.course_id == base.c.id),
        )
    )
    scope = select(rc.course_id)
    if centre_id is not None:
        scope = scope.where(rc.centre_id == centre_id)
    conn.execute(
        insert(re_).from_select(
            ["course_id", "kind", "key", "n"],
            select(a.course_id, literal("type"), a.event_type, func.count())
            .where(a.deleted_at.is_(None), a.course_id.in_(scope))
            .group_by(a.course_id, a.event_type),
        )
    )
    conn.execute(
        insert(re_).from_select(
            ["course_id", "kind", "key", "n"], _at_procedures(a.course_id.in_(scope))
        )
    )
    per_session = _worst_per_session(scope)
    word = case(*((per_session.c.worst == i, w) for i, w in enumerate(SEVERITIES)))
    conn.execute(
        insert(re_).from_select(
            ["course_id", "kind", "key", "n"],
            select(per_session.c.course_id, literal("worst"), word, func.count()).group_by(
                per_session.c.course_id, per_session.c.worst
            ),
        )
    )
    where = [] if centre_id is None else [rc.centre_id == centre_id]
    cell_keys = (rc.centre_id, rc.start_date, rc.indication, rc.response, rc.band)
    conn.execute(
        insert(cell).from_select(
            ["centre_id", "start_date", "indication", "response", "band", "courses", "procedures"],
            select(*cell_keys, func.count(), func.sum(rc.procedures))
            .where(*where)
            .group_by(*cell_keys),
        )
    )
    event_keys = (rc.centre_id, rc.start_date, rc.indication, rc.response, re_.kind, re_.key)
    conn.execute(
        insert(ce).from_select(
            ["centre_id", "start_date", "indication", "response", "kind", "key", "n"],
            select(*event_keys, func.sum(re_.n))
            .join(rc, rc.course_id == re_.course_id)
            .where(*where)
            .group_by(*event_keys),
        )
    )
    count = select(func.count()).select_from(rc).where(*where)
    return int(conn.execute(count).scalar_one())


def ensure_built(conn: Connection) -> bool:
    """Build the facts when courses exist but no facts do (a database migrated to the facts,
    or restored without them); True when it built them."""
    if conn.execute(select(RegistryCourse.course_id).limit(1)).first() is not None:
        return False
    live = select(Course.id).where(Course.deleted_at.is_(None)).limit(1)
    if conn.execute(live).first() is None:
        return False
    rebuild(conn)
    return True


def differences(conn: Connection, centre_id: int | None = None) -> dict[str, int]:
    """How far the stored facts are from a recount from scratch: courses whose facts differ
    (or are missing or extra), and cells that differ (0 and 0: the facts are true)."""
    rc = RegistryCourse
    live_ids = set(
        conn.scalars(
            select(Course.id).where(
                Course.deleted_at.is_(None),
                *(() if centre_id is None else (Course.centre_id == centre_id,)),
            )
        )
    )
    stored_ids = set(
        conn.scalars(
            select(rc.course_id).where(*(() if centre_id is None else (rc.centre_id == centre_id,)))
        )
    )
    courses = len(live_ids ^ stored_ids)
    for chunk in _chunks(live_ids & stored_ids):
        new, old = facts_of(conn, chunk), _stored(conn, chunk, lock=False)
        courses += sum(1 for i in chunk if new.get(i) != old.get(i))
    cells = _cell_differences(conn, centre_id)
    return {"courses": courses, "cells": cells}


def _cell_differences(conn: Connection, centre_id: int | None) -> int:
    """Cells whose stored counts differ from the sums of the stored course facts."""
    rc, re_, cell, ce = RegistryCourse, RegistryCourseEvent, RegistryCell, RegistryCellEvent
    where = [] if centre_id is None else [rc.centre_id == centre_id]
    keys = (rc.centre_id, rc.start_date, rc.indication, rc.response, rc.band)
    summed: dict[tuple[Any, ...], tuple[int, int]] = {
        tuple(r[:5]): (int(r[5]), int(r[6]))
        for r in conn.execute(
            select(*keys, func.count(), func.sum(rc.procedures)).where(*where).group_by(*keys)
        )
    }
    cell_where = [] if centre_id is None else [cell.centre_id == centre_id]
    stored: dict[tuple[Any, ...], tuple[int, int]] = {
        (r.centre_id, r.start_date, r.indication, r.response, r.band): (r.courses, r.procedures)
        for r in conn.execute(select(cell).where(*cell_where))
    }
    diff = len([k for k in summed.keys() | stored.keys() if summed.get(k) != stored.get(k)])
    event_keys = (rc.centre_id, rc.start_date, rc.indication, rc.response, re_.kind, re_.key)
    summed_events: dict[tuple[Any, ...], int] = {
        tuple(r[:6]): int(r[6])
        for r in conn.execute(
            select(*event_keys, func.sum(re_.n))
            .join(rc, rc.course_id == re_.course_id)
            .where(*where)
            .group_by(*event_keys)
        )
    }
    ce_where = [] if centre_id is None else [ce.centre_id == centre_id]
    stored_events: dict[tuple[Any, ...], int] = {
        (r.centre_id, r.start_date, r.indication, r.response, r.kind, r.key): r.n
        for r in conn.execute(select(ce).where(*ce_where))
    }
    diff += len(
        [
            k
            for k in summed_events.keys() | stored_events.keys()
            if summed_events.get(k) != stored_events.get(k)
        ]
    )
    return diff
