"""Calendar feeds and reminders in the browser: a patient's feed (make, copy, revoke) with the
reminders sent, and one's own feed of bookings (issue 17, item 6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plexms.services.clinical import patients
from plexms.services.errors import NotFound, PermissionDenied
from plexms.services.permissions import Permission
from plexms.services.sharing import calendar_feeds, reminders
from plexms.web.errors import WebRoute
from plexms.web.session import WebUser, requires, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Writer = Annotated[WebUser, requires(Permission.PATIENT_WRITE)]
Signed = Annotated[WebUser, requires(Permission.AUTHENTICATED)]


def _feed_url(request: Request, path: str | None) -> str | None:
    return str(request.base_url).rstrip("/") + path if path else None


async def _patient_page(
    request: Request, user: WebUser, patient_id: int, status_code: int = 200, **extra: Any
) -> Response:
    ctx = service_context(request, user.actor)

    def load() -> dict[str, Any]:
        return {
            "p": patients.get_patient(ctx, patient_id),
            "feeds": calendar_feeds.list_feeds(ctx, patient_id),
            "outbox": reminders.list_outbox(ctx, patient_id),
        }

    data = await run_in_threadpool(load)
    page = {"nav": "patients", **data, **extra}
    return render(request, "calendar.html", page, status_code=status_code)


@router.get("/patients/{patient_id}/calendar")
async def patient_calendar(request: Request, patient_id: int, user: Reader) -> Response:
    """The patient's calendar feeds and the reminders queued and sent."""
    return await _patient_page(request, user, patient_id)


@router.post("/patients/{patient_id}/calendar")
async def patient_calendar_new(request: Request, patient_id: int, user: Writer) -> Response:
    """Make a new feed; its URL is shown on this page, this once."""
    ctx = service_context(request, user.actor)
    made = await run_in_threadpool(calendar_feeds.create_patient_feed, ctx, patient_id)
    return await _patient_page(
        request, user, patient_id, status_code=201, new_url=_feed_url(request, made.url_path)
    )


@router.post("/patients/{patient_id}/calendar/{feed_id}/revoke")
async def patient_calendar_revoke(
    request: Request, patient_id: int, feed_id: int, user: Writer
) -> Response:
    """Revoke a feed of this patient's: its URL answers 404 from now on."""
    ctx = service_context(request, user.actor)
    feeds = await run_in_threadpool(calendar_feeds.list_feeds, ctx, patient_id)
    if feed_id not in {f.id for f in feeds}:
        raise NotFound(f"no calendar feed {feed_id} for this patient", field="feed_id")
    await run_in_threadpool(calendar_feeds.revoke_feed, ctx, feed_id)
    return await _patient_page(request, user, patient_id, revoked=feed_id)


async def _my_page(
    request: Request, user: WebUser, status_code: int = 200, **extra: Any
) -> Response:
    ctx = service_context(request, user.actor)
    mine: list[calendar_feeds.FeedOut] = []
    if user.actor.user_id is not None:
        feeds = await run_in_threadpool(calendar_feeds.list_feeds, ctx)
        mine = [f for f in feeds if f.user_id == user.actor.user_id]
    page = {"nav": "today", "feeds": mine, **extra}
    return render(request, "my_calendar.html", page, status_code=status_code)


@router.get("/my/calendar")
async def my_calendar(request: Request, user: Signed) -> Response:
    """One's own feed of the unit's bookings, for a phone's calendar."""
    return await _my_page(request, user)


@router.post("/my/calendar")
async def my_calendar_new(request: Request, user: Signed) -> Response:
    ctx = service_context(request, user.actor)
    made = await run_in_threadpool(calendar_feeds.create_nurse_feed, ctx, None)
    return await _my_page(request, user, status_code=201, new_url=_feed_url(request, made.url_path))


@router.post("/my/calendar/{feed_id}/revoke")
async def my_calendar_revoke(request: Request, feed_id: int, user: Signed) -> Response:
    ctx = service_context(request, user.actor)
    try:
        await run_in_threadpool(calendar_feeds.revoke_feed, ctx, feed_id)
    except PermissionDenied:
        raise NotFound(f"no calendar feed {feed_id} of yours", field="feed_id") from None
    return await _my_page(request, user, revoked=feed_id)
