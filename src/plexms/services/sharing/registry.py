"""Registry dashboard: the centre's courses with filters, response rates by indication and by
days from onset, adverse events per 100 procedures by type and by WAA severity.

The counting reads the read replica when there is one (:mod:`plexms.services._replica`; the
page says which database and how far behind it is).

The dashboard and the course list read the registry's precomputed facts (one row per course
and its day cells, :mod:`plexms.store.registry_facts`, kept in the transaction of every write
that moves them), so a 1,000,000-patient registry answers in well under a second; the export
counts from the clinical tables (:mod:`plexms.store.registry_dashboard`, the same definitions,
which the tests hold equal to the facts). The same SQL runs on SQLite and PostgreSQL.

Definitions:

- *response* of a course: the targeted neurological deficit (TND) grade at its latest graded
  outcome visit after baseline; responder = moderate or marked improvement
  (WEINSHENKER_1999); a course with no graded visit is ``not_assessed`` and is left out of
  the rate's denominator.
- *days from onset*: course start date minus the onset date of the course's episode, in the
  bands 0-7, 8-14, 15-28 and >28 days (early TPE predicts response: KEEGAN_2002,
  LLUFRIU_2009; ``unknown`` when the course has no episode).
- *line infections per 1,000 line-days*: exit-site, tunnel and bloodstream (CLABSI)
  infections of the centre's access lines dated in the window, over the line-days in it (both
  ends of a line's time in place counted; open lines to today), with an exact Poisson 95%
  interval (:mod:`plexms.core.access_lines`, CDC_NHSN_CLABSI, GARWOOD_1936). The window is the
  start-date filter (to today); the indication and response filters do not apply to lines.
- *procedure*: an exchange session with status ``done``; adverse events per 100 procedures by
  type count every event, by WAA severity each procedure once at its worst event
  (:func:`plexms.core.adverse_events.waa_rates`, WAA_2016 / WAA_2025).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from plexms.core.access_lines import line_rate
from plexms.core.adverse_events import WaaRates, waa_rates
from plexms.core.errors import InputError
from plexms.core.vocabulary import LINE_KINDS
from plexms.interop.registry.writer import neutralise
from plexms.services import audit
from plexms.services._replica import ReadSource, read_stale
from plexms.services._usecase import use_case
from plexms.services.clinical.access_lines import centre_today
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.store import registry_dashboard as sql
from plexms.store import registry_facts
from plexms.store.registry_access import line_counts
from plexms.store.registry_dashboard import (
    BANDS,
    INDICATIONS,
    RESPONSES,
    CoursePage,
    CourseRow,
    EventTypeRate,
    RateGroup,
    RegistryFilter,
)
from plexms.store.registry_rollup import (  # the dashboard read from the precomputed facts
    QUERIES,
    course_page,
    events_by_type,
    procedures_done,
    response_by_indication,
    response_by_onset_band,
    worst_severity_counts,
)

__all__ = [
    "BANDS",
    "CSV_COLUMNS",
    "INDICATIONS",
    "QUERIES",
    "RESPONSES",
    "CoursePage",
    "CourseRow",
    "Dashboard",
    "EventTypeRate",
    "LineRateRow",
    "RateGroup",
    "ReadSource",
    "RegistryFilter",
    "RegistryView",
    "dashboard",
    "dashboard_of",
    "export_courses_csv",
    "list_courses",
    "registry_view",
]

_SOURCES = (
    "WEINSHENKER_1999",
    "KEEGAN_2002",
    "LLUFRIU_2009",
    "WAA_2016",
    "WAA_2025",
    "CDC_NHSN_CLABSI",
    "GARWOOD_1936",
)
_MAX_LIMIT = 500
CSV_COLUMNS = (
    "course_id",
    "patient_id",
    "indication",
    "start_date",
    "status",
    "days_from_onset",
    "onset_band",
    "procedures",
    "adverse_events",
    "response_grade",
    "response",
)


@dataclass(frozen=True)
class LineRateRow:
    """Line infections per 1,000 line-days of one line kind (or ``all``)."""

    kind: str
    lines: int
    line_days: int
    infections: int
    per_1000: float | None
    ci95_per_1000: tuple[float, float] | None


@dataclass(frozen=True)
class Dashboard:
    """Everything the registry page shows for one filter."""

    filters: RegistryFilter
    courses: int
    procedures: int
    by_indication: tuple[RateGroup, ...]
    by_onset_band: tuple[RateGroup, ...]
    events_by_type: tuple[EventTypeRate, ...]
    waa: WaaRates | None
    line_rates: tuple[LineRateRow, ...] = ()
    lines_as_of: dt.date | None = None
    sources: tuple[str, ...] = _SOURCES
    #: the database the figures were counted on (replica or primary, and why)
    read_from: ReadSource = field(default_factory=lambda: ReadSource("primary"), compare=False)

    @property
    def overall(self) -> RateGroup:
        groups = self.by_indication
        return RateGroup(
            "all",
            sum(g.courses for g in groups),
            sum(g.assessed for g in groups),
            sum(g.responders for g in groups),
        )


# --- use cases -----------------------------------------------------------------------------


def _centre(ctx: ServiceContext) -> int | None:
    """The actor's centre (the command line's system actor sees every centre)."""
    return None if ctx.actor is None or ctx.actor.is_system else ctx.actor.centre_id


@use_case(Permission.PATIENT_READ)
def dashboard(ctx: ServiceContext, filters: RegistryFilter | None = None) -> Dashboard:
    """Response rates and adverse-event rates of the centre's courses (audited as a search)."""
    f = filters or RegistryFilter()
    centre = _centre(ctx)
    result, source = read_stale(
        ctx, lambda session: _dashboard(session, centre, f, _today(session, ctx))
    )
    result = replace(result, read_from=source)
    audit.record_alone(ctx, "search", entity="registry", detail={"filters": f.to_dict()})
    return result


def dashboard_of(ctx: ServiceContext, centre: int | None, f: RegistryFilter) -> Dashboard:
    """The dashboard's numbers for ``centre`` (every centre: ``None``), without an audit row:
    for callers that audit the use themselves (the federated registry's node). Read where
    the dashboards are read (the replica when there is one)."""
    result, _source = read_stale(
        ctx, lambda session: _dashboard(session, centre, f, _today(session, ctx))
    )
    return result


@dataclass(frozen=True)
class RegistryView:
    """The registry page: the dashboard and one page of its courses."""

    dashboard: Dashboard
    courses: CoursePage

    @property
    def read_from(self) -> ReadSource:
        return self.dashboard.read_from


@use_case(Permission.PATIENT_READ)
def registry_view(
    ctx: ServiceContext, filters: RegistryFilter | None = None, *, limit: int = 50, offset: int = 0
) -> RegistryView:
    """The dashboard and one page of the filtered courses, read together, one audit row."""
    _check_page(limit, offset)
    f = filters or RegistryFilter()
    centre = _centre(ctx)

    def read(session: Session) -> RegistryView:
        return RegistryView(
            _dashboard(session, centre, f, _today(session, ctx)),
            course_page(session, centre, f, limit, offset),
        )

    view, source = read_stale(ctx, read)
    view = replace(view, dashboard=replace(view.dashboard, read_from=source))
    audit.record_alone(
        ctx,
        "search",
        entity="registry",
        detail={"filters": f.to_dict(), "offset": offset, "use_case": "registry_view"},
    )
    return view


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= _MAX_LIMIT:
        raise InputError("limit", f"{limit}", allowed=f"1 to {_MAX_LIMIT}")
    if offset < 0:
        raise InputError("offset", f"{offset}", allowed=">= 0")


def _today(session: Session, ctx: ServiceContext) -> dt.date:
    centre = _centre(ctx)
    return ctx.now.date() if centre is None else centre_today(session, ctx, centre)


def _line_rates(
    session: Session, centre: int | None, f: RegistryFilter, today: dt.date
) -> tuple[LineRateRow, ...]:
    """Central, peripheral and all lines: infections per 1,000 line-days in the window."""
    last = min(f.start_to, today) if f.start_to is not None else today
    counts = line_counts(session, centre, f.start_from, last)
    rows = []
    for kind in (*reversed(LINE_KINDS.values), "all"):  # central first
        found = (
            list(counts.values())
            if kind == "all"
            else [c for c in counts.values() if c.kind == kind]
        )
        lines = sum(c.lines for c in found)
        days = sum(c.line_days for c in found)
        infections = sum(c.infections for c in found)
        rate = line_rate(infections, days)
        rows.append(LineRateRow(kind, lines, days, infections, rate.per_1000, rate.ci95_per_1000))
    return tuple(rows)


def _dashboard(
    session: Session, centre: int | None, f: RegistryFilter, today: dt.date
) -> Dashboard:
    by_indication = response_by_indication(session, centre, f)
    by_band = response_by_onset_band(session, centre, f)
    procedures = procedures_done(session, centre, f)
    types = events_by_type(session, centre, f)
    worst = worst_severity_counts(session, centre, f) if procedures else {}
    per_type = tuple(
        EventTypeRate(t, n, round(100.0 * n / procedures, 2) if procedures else 0.0)
        for t, n in types
    )
    return Dashboard(
        filters=f,
        courses=sum(g.courses for g in by_indication),
        procedures=procedures,
        by_indication=by_indication,
        by_onset_band=by_band,
        events_by_type=per_type,
        waa=waa_rates(procedures, worst) if procedures else None,
        line_rates=_line_rates(session, centre, f, today),
        lines_as_of=today,
    )


@use_case(Permission.CENTRE_MANAGE)
def check_facts(ctx: ServiceContext, *, rebuild: bool = False) -> dict[str, int]:
    """``plexms registry check-facts``: the dashboard's precomputed facts of every centre
    against a recount from the clinical tables (``courses`` and ``cells`` that differ; 0 and 0
    when they are true), after counting them again from scratch with ``rebuild``. Audited."""
    with ctx.db.write() as session:
        conn = session.connection()
        counted = registry_facts.rebuild(conn) if rebuild else None
        found = registry_facts.differences(conn)
        detail: dict[str, int] = dict(found)
        if counted is not None:
            detail["rebuilt_courses"] = counted
        audit.record(session, ctx, "check", entity="registry_facts", detail=detail)
    return detail


@use_case(Permission.PATIENT_READ)
def list_courses(
    ctx: ServiceContext, filters: RegistryFilter | None = None, *, limit: int = 50, offset: int = 0
) -> CoursePage:
    """One page of the centre's courses with their onset band and response (audited)."""
    _check_page(limit, offset)
    f = filters or RegistryFilter()
    centre = _centre(ctx)
    page, _ = read_stale(ctx, lambda session: course_page(session, centre, f, limit, offset))
    audit.record_alone(
        ctx, "search", entity="registry_course", detail={"filters": f.to_dict(), "offset": offset}
    )
    return page


@use_case(Permission.EXPORT)
def export_courses_csv(ctx: ServiceContext, filters: RegistryFilter | None = None) -> str:
    """The filtered courses as CSV (course and patient ids, no names), audited as an export."""
    f = filters or RegistryFilter()
    centre = _centre(ctx)

    def read(session: Session) -> tuple[str, int]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        rows = 0
        for row in sql.export_rows(session, centre, f):
            # text a spreadsheet would run as a formula opens as text (OWASP CSV injection)
            writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
            rows += 1
        return out.getvalue(), rows

    (body, rows), _ = read_stale(ctx, read)
    audit.record_alone(
        ctx,
        "export",
        entity="registry",
        detail={"format": "csv", "rows": rows, "filters": f.to_dict()},
    )
    return body
