"""Signed-in clinic pages: the Today board, the patient list and the patient page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plexms.services.admin import resources
from plexms.services.clinical import access_lines, booking, patients, sessions
from plexms.services.clinical import board as clinic_board
from plexms.services.permissions import Permission
from plexms.web import access_view, labs_view
from plexms.web.errors import WebRoute
from plexms.web.session import WebUser, local_now, requires, service_context
from plexms.web.templating import display_for, is_htmx, render

__all__ = ["DayGrid", "day_grid", "render_patient", "router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]


@router.get("/today")
async def today(request: Request, user: Reader) -> Response:
    """Referrals awaiting triage and patients by stage of their course."""
    ctx = service_context(request, user.actor)
    now = local_now(user)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_end = midnight + dt.timedelta(days=7 - midnight.weekday())

    def load() -> dict[str, object]:
        board = clinic_board.today_board(
            ctx, week=(midnight, week_end), recent_from=midnight - dt.timedelta(days=7)
        )
        tomorrow = midnight + dt.timedelta(days=1)
        week = board.week.items
        today_items = [s for s in week if s.planned_start < tomorrow]
        return {
            "who": board.patients,
            "grid": day_grid(
                today_items,
                booking.calendar(ctx, midnight, tomorrow),
                [p.name for p in resources.list_resources(ctx).places if p.active],
                now.tzinfo,
            ),
            "sessions_today": today_items,
            "sessions_week": [s for s in week if s.planned_start >= tomorrow],
            "held": [
                s for s in board.recent.items if s.status == "held" or s.go_decision == "hold"
            ],
            "recent_events": [
                e for e in board.events.items if e.onset_at >= midnight - dt.timedelta(days=7)
            ],
            "pending": board.pending,
            "active": board.active,
            "planned": board.planned,
            "completed": board.completed,
            "shortages": board.shortages,
        }

    data = await run_in_threadpool(load)
    return render(request, "today.html", {"nav": "today", "now": now, **data})


@router.get("/patients")
async def patient_list(request: Request, user: Reader, q: str = "") -> Response:
    """The centre's patients; ``q`` searches by name, MRN or date of birth."""
    ctx = service_context(request, user.actor)
    query = q.replace("\x00", "").strip()[:100]
    found = await run_in_threadpool(lambda: patients.list_patients(ctx, q=query or None, limit=100))
    page = {"nav": "patients", "patients": found, "q": query}
    if is_htmx(request):
        return render(request, "patients.html", page, block="results")
    return render(request, "patients.html", page)


@router.get("/patients/{patient_id}")
async def patient_page(request: Request, patient_id: int, user: Reader) -> Response:
    """Demographics, referrals and MS history of one patient, with a timeline and the
    vascular access lines."""
    return await render_patient(request, user, patient_id)


async def render_patient(
    request: Request,
    user: WebUser,
    patient_id: int,
    *,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The patient page; ``form`` (``section``, ``values``, ``errors``, ``conflict``) shows a
    refused access form again with what was typed and the messages beside the fields."""
    ctx = service_context(request, user.actor)

    def load() -> dict[str, Any]:
        page = clinic_board.patient_page(ctx, patient_id)
        return {
            "p": page.patient,
            "episodes": page.episodes,
            "referrals": page.referrals.items,
            "courses": page.courses.items,
            "assessments": page.assessments,
            "access": access_lines.access_summary(ctx, patient_id),
        }

    data = await run_in_threadpool(load)
    events = [
        (r.received_at.date(), f"Referral received ({_words(r.presentation)}), {r.status}")
        for r in data["referrals"]
    ] + [(e.onset_date, f"Onset: {_words(e.presentation)}") for e in data["episodes"]]
    timeline = sorted(events, key=lambda item: item[0])
    page = {
        "nav": "patients",
        "timeline": timeline,
        "access_options": access_view.OPTIONS,
        "form": form or {"section": "", "values": {}, "errors": {}, "conflict": ""},
        **data,
    }
    return render(request, "patient.html", page, status_code=status)


@router.get("/patients/{patient_id}/labs")
async def patient_labs(request: Request, patient_id: int, user: Reader) -> Response:
    """The patient's lab results and measurements over time, in the centre's units."""
    ctx = service_context(request, user.actor)

    def load() -> dict[str, Any]:
        return {
            "p": patients.get_patient(ctx, patient_id),
            "labs": sessions.list_labs(ctx, patient_id),
            "measurements": patients.list_measurements(ctx, patient_id),
        }

    data = await run_in_threadpool(load)
    display = display_for(user.centre)
    page = {
        "nav": "patients",
        "p": data["p"],
        "trends": labs_view.lab_trends(data["labs"], display),
        "body": labs_view.measurement_trends(data["measurements"], display),
    }
    return render(request, "labs.html", page)


@dataclass(frozen=True)
class DayGrid:
    """The day by place: ``columns`` (the places, then "Unassigned" when a session has no
    booking) and ``rows`` (local start time, one list of cells per column)."""

    columns: list[str]
    rows: list[tuple[dt.datetime, list[list[dict[str, Any]]]]]

    def __bool__(self) -> bool:
        return bool(self.rows)


UNASSIGNED = "Unassigned"


def day_grid(sessions: list[Any], entries: list[Any], places: list[str], zone: Any) -> DayGrid:
    """The day's sessions by local start time and treatment place. A session with a live
    booking sits in its place's column with machine and nurse; one without, in "Unassigned"
    (a column only when some session needs it). ``entries``: ``booking.calendar`` rows."""
    by_session = {e.exchange_session_id: e for e in entries}
    columns = list(places)
    for e in entries:  # an inactive place still shows what it holds
        if e.place_name not in columns:
            columns.append(e.place_name)
    cells: list[tuple[dt.datetime, str, int, dict[str, Any]]] = []
    for s in sessions:
        entry = by_session.get(s.id)
        start = (entry.start_at if entry else s.planned_start).astimezone(zone)
        cell = {
            "session_id": s.id,
            "patient_id": s.patient_id,
            "sequence": s.sequence,
            "status": s.status,
            "patient_name": entry.patient_name if entry else "",
            "mrn": entry.mrn if entry else "",
            "machine": entry.machine_name if entry else "",
            "nurse": entry.nurse_name if entry else "",
        }
        cells.append((start, entry.place_name if entry else UNASSIGNED, s.id, cell))
    if any(place == UNASSIGNED for _, place, _, _ in cells):
        columns.append(UNASSIGNED)
    rows: dict[dt.datetime, list[list[dict[str, Any]]]] = {}
    for start, place, _, cell in sorted(cells, key=lambda c: (c[0], c[2])):
        row = rows.setdefault(start, [[] for _ in columns])
        row[columns.index(place)].append(cell)
    return DayGrid(columns, list(rows.items()))


def _words(code: str) -> str:
    return code.replace("_", " ")
