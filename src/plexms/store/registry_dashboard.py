"""The registry dashboard's SQL: response rates by indication and by days from onset, adverse
events per 100 procedures, and the filtered course list (definitions in
:mod:`plexms.services.sharing.registry`).

Everything is counted by the database (GROUP BY, window functions), never by looping over rows
in Python, so a 150,000-course registry answers in milliseconds with the covering indexes of
:mod:`plexms.store.models.indexes`. The same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, func, select, text, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from plexms.core.adverse_events import SEVERITIES
from plexms.core.errors import InputError
from plexms.core.vocabulary import TND_GRADES
from plexms.store.models import AdverseEvent, Course, Episode, ExchangeSession, OutcomeAssessment
from plexms.store.models.indexes import GRADED_VISIT, PROCEDURE_DONE
from plexms.store.models.patient import PRESENTATIONS

__all__ = [
    "BANDS",
    "INDICATIONS",
    "QUERIES",
    "RESPONSES",
    "SERIAL",
    "CoursePage",
    "CourseRow",
    "EventTypeRate",
    "Query",
    "RateGroup",
    "RegistryFilter",
    "course_page",
    "course_row",
    "courses_query",
    "dialect_of",
    "events_by_type",
    "export_rows",
    "procedures_done",
    "response_by_indication",
    "response_by_onset_band",
    "run",
    "worst_severity_counts",
]

INDICATIONS = PRESENTATIONS  # a course's indication uses the episode vocabulary
BANDS = ("0-7", "8-14", "15-28", ">28")
RESPONSES = ("responder", "non_responder", "not_assessed")
_RESPONDER_GRADES = ("marked", "moderate")  # WEINSHENKER_1999: moderate or better
_GRADES = tuple(reversed(TND_GRADES.values))  # TND, worst to best
_KEY = 8


@dataclass(frozen=True)
class RegistryFilter:
    """Which courses: indication, start date range (inclusive), response class."""

    indication: str | None = None
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    response: str | None = None

    def __post_init__(self) -> None:
        if self.indication is not None and self.indication not in INDICATIONS:
            raise InputError(
                "indication", f"{self.indication!r} is unknown", allowed=", ".join(INDICATIONS)
            )
        if self.response is not None and self.response not in RESPONSES:
            raise InputError(
                "response", f"{self.response!r} is unknown", allowed=", ".join(RESPONSES)
            )
        if self.start_from and self.start_to and self.start_from > self.start_to:
            raise InputError("start_to", "is before start_from", allowed=">= start_from")

    def to_dict(self) -> dict[str, str | None]:
        """JSON form (dates as ISO strings)."""
        return {
            "indication": self.indication,
            "start_from": self.start_from.isoformat() if self.start_from else None,
            "start_to": self.start_to.isoformat() if self.start_to else None,
            "response": self.response,
        }


@dataclass(frozen=True)
class RateGroup:
    """Courses of one group; the response rate among those assessed (``None`` when none)."""

    key: str
    courses: int
    assessed: int
    responders: int

    @property
    def rate_percent(self) -> float | None:
        return None if not self.assessed else round(100.0 * self.responders / self.assessed, 1)


@dataclass(frozen=True)
class EventTypeRate:
    """Adverse events of one type per 100 procedures."""

    event_type: str
    events: int
    per_100: float


@dataclass(frozen=True)
class CourseRow:
    """One course of the registry list (ids only: no names)."""

    course_id: int
    patient_id: int
    indication: str
    start_date: dt.date
    status: str
    days_from_onset: int | None
    onset_band: str
    response_grade: str | None
    response: str


@dataclass(frozen=True)
class CoursePage:
    items: list[CourseRow]
    total: int
    limit: int
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)


# --- SQL -----------------------------------------------------------------------------------


def _days_from_onset(dialect: str) -> Any:
    if dialect == "sqlite":
        return cast(func.julianday(Course.start_date) - func.julianday(Episode.onset_date), Integer)
    return type_coerce(Course.start_date - Episode.onset_date, Integer)


def _epoch_days(dialect: str, column: Any) -> Any:
    """Whole days since 2000-01-01 (an integer on both backends)."""
    if dialect == "sqlite":
        return cast(func.julianday(column) - 2451544.5, Integer)
    return type_coerce(column - dt.date(2000, 1, 1), Integer)


def _latest_grade(dialect: str, only: list[int] | None = None) -> Subquery:
    """Per course, ``key`` = days of its latest graded visit after baseline * 8 + the grade's
    rank (worse 0 ... marked 4), so ``key % 8`` is the grade at the latest visit (the best one
    when two fall on the same day). One GROUP BY over the partial covering index of graded
    visits (``ix_outcome_assessment_registry``), read in course order: no sort, no window.
    ``only``: just these courses (a page of the list), not the whole registry.
    """
    o = OutcomeAssessment
    rank = case(*((o.targeted_deficit == g, i) for i, g in enumerate(_GRADES)), else_=0)
    key = func.max(_epoch_days(dialect, o.assessed_on) * _KEY + rank)
    query = select(o.course_id.label("course_id"), key.label("key")).where(
        o.course_id.is_not(None), GRADED_VISIT
    )
    if only is not None:
        query = query.where(o.course_id.in_(only))
    return query.group_by(o.course_id).subquery("latest")


def courses_query(
    dialect: str,
    centre_id: int | None,
    f: RegistryFilter,
    *,
    with_response: bool,
    with_onset: bool = True,
    only: list[int] | None = None,
) -> Subquery:
    """The filtered courses: id, patient, indication, start, status, and with ``with_onset``
    days/band from onset (a join with the episodes), with ``with_response`` the response."""
    columns: list[Any] = [
        Course.id.label("id"),
        Course.centre_id.label("centre_id"),
        Course.patient_id.label("patient_id"),
        Course.indication.label("indication"),
        Course.start_date.label("start_date"),
        Course.status.label("status"),
    ]
    source: Any = Course.__table__
    if with_onset:
        days = _days_from_onset(dialect)
        band = case(
            (Episode.onset_date.is_(None), "unknown"),
            (days <= 7, BANDS[0]),
            (days <= 14, BANDS[1]),
            (days <= 28, BANDS[2]),
            else_=BANDS[3],
        )
        columns += [
            case((Episode.onset_date.is_(None), None), else_=days).label("days"),
            band.label("band"),
        ]
        source = source.outerjoin(
            Episode, and_(Episode.id == Course.episode_id, Episode.deleted_at.is_(None))
        )
    response = None
    if with_response or f.response is not None:
        latest = _latest_grade(dialect, only)
        grade_rank = latest.c.key % _KEY
        response = case(
            (latest.c.key.is_(None), "not_assessed"),
            (grade_rank >= _GRADES.index(_RESPONDER_GRADES[-1]), "responder"),
            else_="non_responder",
        )
        grade = case(*((grade_rank == i, g) for i, g in enumerate(_GRADES)), else_=None)
        columns += [grade.label("grade"), response.label("response")]
        source = source.outerjoin(latest, latest.c.course_id == Course.id)
    query = select(*columns).select_from(source).where(Course.deleted_at.is_(None))
    if only is not None:
        query = query.where(Course.id.in_(only))
    if centre_id is not None:
        query = query.where(Course.centre_id == centre_id)
    if f.indication is not None:
        query = query.where(Course.indication == f.indication)
    if f.start_from is not None:
        query = query.where(Course.start_date >= f.start_from)
    if f.start_to is not None:
        query = query.where(Course.start_date <= f.start_to)
    if f.response is not None and response is not None:
        query = query.where(response == f.response)
    return query.subquery("courses")


def _rates_query(base: Subquery, key: str) -> Select[Any]:
    assessed = func.sum(case((base.c.response != "not_assessed", 1), else_=0))
    responders = func.sum(case((base.c.response == "responder", 1), else_=0))
    column = base.c[key]
    return select(column, func.count(), assessed, responders).group_by(column).order_by(column)


def _groups(session: Session, query: Select[Any], order: tuple[str, ...]) -> tuple[RateGroup, ...]:
    found = {
        str(k): RateGroup(str(k), int(n), int(a or 0), int(r or 0))
        for k, n, a, r in run(session, query, _SERIAL_MERGE)
    }
    keys = [k for k in order if k in found] + sorted(k for k in found if k not in order)
    return tuple(found[k] for k in keys)


Query = Callable[[Session, int | None, RegistryFilter], Any]


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


# Planner settings for the queries that need every course's response (the per-course aggregate
# of graded visits, the inner side of its join), PostgreSQL only, for that one statement:
# - no parallel workers: each worker rebuilt that whole aggregate for itself, three times the
#   work on the 2-core server (response by indication, 100,000-patient registry: 227 ms with
#   the workers, 156 ms without);
# - for the two response-rate queries, merge joins: the courses (``ix_course_registry``, in id
#   order) and the aggregate (read in course order from the graded-visit index) arrive sorted
#   by course id, but PostgreSQL, estimating half the courses that have a graded visit from its
#   sample, prefers to hash them (onset band 300 -> 232 ms, indication 187 -> 132 ms); with the
#   sorts that remain (by episode, by band: 3 MB each) in memory, not on disk (232 -> 211 ms).
SERIAL = {"max_parallel_workers_per_gather": "0"}
_SERIAL_MERGE = {**SERIAL, "enable_hashjoin": "off", "work_mem": "32MB"}


def run(session: Session, query: Any, settings: dict[str, str] | None = None) -> list[Any]:
    """The rows of a dashboard query, planned with ``settings`` on PostgreSQL (then restored)."""
    if not settings or dialect_of(session) != "postgresql":
        return list(session.execute(query))
    names = list(settings)
    current = ", ".join(f"current_setting(:n{i})" for i in range(len(names)))
    bound = {f"n{i}": name for i, name in enumerate(names)}
    before = session.execute(text(f"SELECT {current}"), bound).one()
    _set(session, dict(zip(names, settings.values(), strict=True)))
    try:
        return list(session.execute(query))
    finally:
        _set(session, dict(zip(names, before, strict=True)))


def _set(session: Session, settings: dict[str, str]) -> None:
    calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
    bound: dict[str, str] = {}
    for i, (name, value) in enumerate(settings.items()):
        bound |= {f"n{i}": name, f"v{i}": value}
    session.execute(text(f"SELECT {calls}"), bound)


def response_by_indication(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> tuple[RateGroup, ...]:
    """Courses, assessed and responders per indication."""
    base = courses_query(dialect_of(session), centre_id, f, with_response=True, with_onset=False)
    return _groups(session, _rates_query(base, "indication"), INDICATIONS)


def response_by_onset_band(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> tuple[RateGroup, ...]:
    """Courses, assessed and responders per days-from-onset band."""
    base = courses_query(dialect_of(session), centre_id, f, with_response=True)
    return _groups(session, _rates_query(base, "band"), (*BANDS, "unknown"))


def _done_sessions() -> Subquery:
    """Procedures: sessions done and not deleted (the partial ``ix_exchange_session_registry``
    holds exactly these, so this reads the index, not the wide session rows)."""
    s = ExchangeSession
    return (
        select(s.id.label("id"), s.course_id.label("course_id"))
        .where(PROCEDURE_DONE)
        .subquery("done")
    )


def procedures_done(session: Session, centre_id: int | None, f: RegistryFilter) -> int:
    """Exchange sessions done in the filtered courses."""
    base = courses_query(dialect_of(session), centre_id, f, with_response=False, with_onset=False)
    done = _done_sessions()
    query = select(func.count()).select_from(done).join(base, base.c.id == done.c.course_id)
    return int(run(session, query, SERIAL if f.response is not None else None)[0][0])


def events_by_type(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> list[tuple[str, int]]:
    """Adverse events per type in the filtered courses (most frequent first)."""
    base = courses_query(dialect_of(session), centre_id, f, with_response=False, with_onset=False)
    a = AdverseEvent
    n = func.count()
    query = (
        select(a.event_type, n)
        .join(base, base.c.id == a.course_id)
        .where(a.deleted_at.is_(None))
        .group_by(a.event_type)
        .order_by(n.desc(), a.event_type)
    )
    return [
        (str(t), int(c)) for t, c in run(session, query, SERIAL if f.response is not None else None)
    ]


def worst_severity_counts(
    session: Session, centre_id: int | None, f: RegistryFilter
) -> dict[str, int]:
    """Procedures (done sessions) counted once at their most severe event, per WAA severity."""
    base = courses_query(dialect_of(session), centre_id, f, with_response=False, with_onset=False)
    a = AdverseEvent
    done = _done_sessions()
    rank = case(*((a.severity == name, i) for i, name in enumerate(SEVERITIES)), else_=0)
    worst = (
        select(a.session_id.label("session_id"), func.max(rank).label("worst"))
        .join(base, base.c.id == a.course_id)
        .join(done, done.c.id == a.session_id)
        .where(a.deleted_at.is_(None))
        .group_by(a.session_id)
        .subquery("worst")
    )
    query = select(worst.c.worst, func.count()).group_by(worst.c.worst)
    counts = dict.fromkeys(SEVERITIES, 0)
    for rank_value, count in run(session, query, SERIAL if f.response is not None else None):
        counts[SEVERITIES[int(rank_value)]] = int(count)
    return counts


def course_row(course_id: int, r: Any) -> CourseRow:
    """A list row from a row with the course's columns (these queries' or the facts')."""
    return CourseRow(
        course_id=course_id,
        patient_id=r.patient_id,
        indication=r.indication,
        start_date=r.start_date,
        status=r.status,
        days_from_onset=r.days,
        onset_band=r.band,
        response_grade=r.grade,
        response=r.response,
    )


def course_page(
    session: Session,
    centre_id: int | None,
    f: RegistryFilter,
    limit: int = 50,
    offset: int = 0,
) -> CoursePage:
    """One page of the filtered courses, newest first, and how many there are."""
    dialect = dialect_of(session)
    if f.response is None:  # the onset and response of only this page's courses (cheap)
        counted = courses_query(dialect, centre_id, f, with_response=False, with_onset=False)
        total = int(session.execute(select(func.count()).select_from(counted)).scalar_one())
        ids = select(counted.c.id).order_by(counted.c.start_date.desc(), counted.c.id.desc())
        page_ids = list(session.scalars(ids.limit(limit).offset(offset)))
        base = courses_query(dialect, centre_id, f, with_response=True, only=page_ids)
    else:
        base = courses_query(dialect, centre_id, f, with_response=True)
        count = select(func.count()).select_from(base)
        total = int(run(session, count, SERIAL)[0][0])
    query = (
        select(base)
        .order_by(base.c.start_date.desc(), base.c.id.desc())
        .limit(limit)
        .offset(offset if f.response is not None else 0)
    )
    items = [
        course_row(r.id, r) for r in run(session, query, SERIAL if f.response is not None else None)
    ]
    return CoursePage(items, total, limit, offset)


def export_rows(session: Session, centre_id: int | None, f: RegistryFilter) -> list[Any]:
    """The export's rows (:data:`plexms.services.sharing.registry.CSV_COLUMNS`), oldest first."""
    base = courses_query(dialect_of(session), centre_id, f, with_response=True)
    s, a = ExchangeSession, AdverseEvent
    done = (
        select(s.course_id.label("course_id"), func.count().label("n"))
        .where(PROCEDURE_DONE)
        .group_by(s.course_id)
        .subquery("done")
    )
    events = (
        select(a.course_id.label("course_id"), func.count().label("n"))
        .where(a.deleted_at.is_(None), a.course_id.is_not(None))
        .group_by(a.course_id)
        .subquery("events")
    )
    query = (
        select(
            base.c.id,
            base.c.patient_id,
            base.c.indication,
            base.c.start_date,
            base.c.status,
            base.c.days,
            base.c.band,
            func.coalesce(done.c.n, 0),
            func.coalesce(events.c.n, 0),
            base.c.grade,
            base.c.response,
        )
        .select_from(base)
        .outerjoin(done, done.c.course_id == base.c.id)
        .outerjoin(events, events.c.course_id == base.c.id)
        .order_by(base.c.start_date, base.c.id)
    )
    return run(session, query, SERIAL)


QUERIES: dict[str, Query] = {
    "response_by_indication": response_by_indication,
    "response_by_onset_band": response_by_onset_band,
    "procedures_done": procedures_done,
    "events_by_type": events_by_type,
    "worst_severity_counts": worst_severity_counts,
    "course_page": course_page,
}
