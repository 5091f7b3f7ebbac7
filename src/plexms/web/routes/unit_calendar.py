"""The unit's calendar by treatment place, day and week (issue 17 item 1), and rebooking one
session by choosing a free slot (item 2): the slots come from ``booking.free_slots_for_session``
and a choice is ``booking.book_session``; a 409 shows its alternatives on the page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core.errors import InputError
from plexms.interop.registry.writer import neutralise
from plexms.services.admin import resources
from plexms.services.clinical import booking, sessions, utilisation
from plexms.services.errors import BookingConflict, Conflict
from plexms.services.permissions import Permission
from plexms.services.schemas.resources import BookingIn, RebookIn
from plexms.services.schemas.utilisation import UtilisationOut
from plexms.web.errors import WebRoute
from plexms.web.session import WebUser, local_now, requires, service_context
from plexms.web.templating import render

__all__ = ["CSV_COLUMNS", "PlaceWeek", "place_week", "router", "utilisation_csv"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Booker = Annotated[WebUser, requires(Permission.BOOKING_MANAGE)]
_VIEWS = ("day", "week")


@dataclass
class PlaceWeek:
    """A grid by place: ``columns`` (place names) and ``rows`` (a label moment: the local start
    time for a day, the local midnight of each day for a week; one list of bookings per place)."""

    columns: list[str]
    rows: list[tuple[dt.datetime, list[list[Any]]]] = field(default_factory=list)


def place_week(
    entries: list[Any], places: list[str], zone: Any, *, days: list[dt.date] | None = None
) -> PlaceWeek:
    """``booking.calendar`` entries by place: by local start time (``days`` None) or, for a
    week, one row per day in ``days`` (empty days kept) with each place's bookings that day."""
    columns = list(places)
    for e in entries:
        if e.place_name not in columns:
            columns.append(e.place_name)
    rows: dict[dt.datetime, list[list[Any]]] = {}
    if days is not None:
        for day in days:
            rows[dt.datetime.combine(day, dt.time(), zone)] = [[] for _ in columns]
    for e in sorted(entries, key=lambda e: (e.start_at, e.place_id)):
        start = e.start_at.astimezone(zone)
        key = start if days is None else dt.datetime.combine(start.date(), dt.time(), zone)
        if key in rows or days is None:
            rows.setdefault(key, [[] for _ in columns])[columns.index(e.place_name)].append(e)
    return PlaceWeek(columns, sorted(rows.items(), key=lambda r: r[0]))


def _day_of(text: str, today: dt.date) -> dt.date:
    if not text:
        return today
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("day", "is not a date", allowed="YYYY-MM-DD") from None
    if not 2000 <= day.year <= 2099:
        raise InputError("day", "is outside the bookable years", allowed="2000-2099")
    return day


@router.get("/calendar")
async def calendar_page(
    request: Request, user: Reader, day: str = "", view: str = "day"
) -> Response:
    """The unit's day (by time and place) or week (by day and place), with each booking's
    patient, machine and nurse and a link to the session sheet."""
    ctx = service_context(request, user.actor)
    now = local_now(user)
    zone = now.tzinfo
    chosen = _day_of(day, now.date())
    mode = view if view in _VIEWS else "day"
    first = chosen - dt.timedelta(days=chosen.weekday()) if mode == "week" else chosen
    count = 7 if mode == "week" else 1
    days = [first + dt.timedelta(days=k) for k in range(count)]
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(first + dt.timedelta(days=count), dt.time(), zone)

    def load() -> dict[str, Any]:
        entries = booking.calendar(ctx, start, end)
        places = [p.name for p in resources.list_resources(ctx).places if p.active]
        grid = place_week(entries, places, zone, days=days if mode == "week" else None)
        return {"grid": grid, "entries": entries}

    data = await run_in_threadpool(load)
    step = dt.timedelta(days=count)
    page = {
        "nav": "calendar",
        "now": now,
        "view": mode,
        "day": chosen,
        "days": days,
        "previous": chosen - step,
        "next": chosen + step,
        **data,
    }
    return render(request, "unit_calendar.html", page)


async def _rebook_page(
    request: Request,
    user: WebUser,
    session_id: int,
    day: dt.date | None,
    *,
    conflict: BookingConflict | None = None,
    error: str = "",
    kept: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ctx = service_context(request, user.actor)
    now = local_now(user)

    def load() -> dict[str, Any]:
        row = sessions.get_session(ctx, session_id)
        chosen = day or row.planned_start.astimezone(now.tzinfo).date()
        free = (
            booking.free_slots_for_session(ctx, session_id, chosen)
            if row.status == "planned"
            else None
        )
        return {"s": row, "day": chosen, "free": free}

    data = await run_in_threadpool(load)
    page = {
        "nav": "calendar",
        "now": now,
        "conflict": conflict,
        "error": error,
        "kept": kept or {},
        "chosen_at": _moment(kept or {}),
        **data,
    }
    return render(request, "rebook.html", page, status_code=status)


def _moment(kept: dict[str, str]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(kept.get("start_at", ""))
    except ValueError:
        return None


@router.get("/sessions/{session_id}/rebook")
async def rebook_page(request: Request, session_id: int, user: Booker, day: str = "") -> Response:
    """The free slots for a planned session on ``day`` (default: its day), each a button that
    books it there; a held or cancelled session offers rebooking the rest of its course."""
    chosen = _day_of(day, local_now(user).date()) if day else None
    return await _rebook_page(request, user, session_id, chosen)


@router.post("/sessions/{session_id}/rebook")
async def rebook_choose(request: Request, session_id: int, user: Booker) -> Response:
    """Book the session at the chosen slot (``start_at``, ``place_id``, ``machine_id``,
    ``nurse_user_id``); a slot taken meanwhile is a 409 showing the nearest alternatives."""
    form = await request.form()
    kept = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    ctx = service_context(request, user.actor)
    try:
        body = BookingIn.model_validate(
            {
                k: kept[k]
                for k in ("start_at", "place_id", "machine_id", "nurse_user_id")
                if kept.get(k)
            }
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = str(first["loc"][0]) if first["loc"] else "start_at"
        return await _rebook_page(
            request, user, session_id, None, error=f"{where}: {first['msg']}", kept=kept, status=422
        )
    day = body.start_at.astimezone(local_now(user).tzinfo).date()
    try:
        await run_in_threadpool(booking.book_session, ctx, session_id, body)
    except BookingConflict as exc:
        return await _rebook_page(
            request, user, session_id, day, conflict=exc, kept=kept, status=409
        )
    except InputError as exc:
        return await _rebook_page(
            request,
            user,
            session_id,
            day,
            error=f"{exc.field}: {exc.message}",
            kept=kept,
            status=422,
        )
    return RedirectResponse(f"/calendar?day={day.isoformat()}&booked={session_id}", status_code=303)


@router.post("/sessions/{session_id}/rebook-course")
async def rebook_course(request: Request, session_id: int, user: Booker) -> Response:
    """A held or cancelled session: a replacement exchange and the rest of the course moved,
    keeping the minimum interval (``booking.rebook_session``); then the replacement's slots."""
    ctx = service_context(request, user.actor)
    try:
        out = await run_in_threadpool(booking.rebook_session, ctx, session_id, RebookIn())
    except (BookingConflict, Conflict) as exc:
        conflict = exc if isinstance(exc, BookingConflict) else None
        return await _rebook_page(
            request, user, session_id, None, conflict=conflict, error=exc.detail, status=409
        )
    if out.bookings:
        first = out.bookings[0]
        return RedirectResponse(f"/sessions/{first.exchange_session_id}/rebook", status_code=303)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


# --- utilisation (issue 17 item 7) ---------------------------------------------------------

CSV_COLUMNS = (
    "row",
    "first",
    "last",
    "open_minutes",
    "sessions",
    "place_booked",
    "place_available",
    "place_utilisation",
    "machine_booked",
    "machine_available",
    "machine_utilisation",
    "nurse_booked",
    "nurse_available",
    "nurse_utilisation",
    "changeovers",
    "turnover_minutes",
    "mean_turnover",
    "session_id",
    "planned_minutes",
    "actual_minutes",
    "over_minutes",
)


def _cell(value: Any) -> str:
    """A CSV cell: numbers as written (a minus sign kept), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    return neutralise(str(value))


def utilisation_csv(found: UtilisationOut) -> str:
    """Weeks, then days, then sessions: one row each (``row`` says which)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for kind, periods in (("week", found.weeks), ("day", found.days)):
        for p in periods:
            values = {"row": kind, **p.model_dump()}
            writer.writerow([_cell(values.get(c)) for c in CSV_COLUMNS])
    for r in found.runs:
        values = {"row": "session", "first": r.day, "last": r.day, **r.model_dump()}
        writer.writerow([_cell(values.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def _period_of(request: Request, user: WebUser) -> tuple[dt.date, dt.date]:
    today = local_now(user).date()
    monday = today - dt.timedelta(days=today.weekday())
    start = _day_of(request.query_params.get("start", ""), monday)
    end = _day_of(request.query_params.get("end", ""), start + dt.timedelta(days=6))
    return start, end


@router.get("/utilisation")
async def utilisation_page(request: Request, user: Reader) -> Response:
    """Place, machine and nurse utilisation per week and day, run-time per session against the
    plan and turnover, for ``start``-``end`` (default: this week)."""
    start, end = _period_of(request, user)
    ctx = service_context(request, user.actor)
    found = await run_in_threadpool(utilisation.unit_utilisation, ctx, start, end)
    page = {"nav": "calendar", "now": local_now(user), "u": found}
    return render(request, "utilisation.html", page)


@router.get("/utilisation.csv")
async def utilisation_export(request: Request, user: Reader) -> Response:
    """The same as CSV (session ids, no names); cells that a spreadsheet would run are
    neutralised."""
    start, end = _period_of(request, user)
    ctx = service_context(request, user.actor)
    found = await run_in_threadpool(utilisation.unit_utilisation, ctx, start, end)
    return Response(
        utilisation_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="utilisation-{start.isoformat()}-{end.isoformat()}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )
