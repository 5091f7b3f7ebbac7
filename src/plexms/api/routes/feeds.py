"""Calendar feeds (``/feeds/{token}.ics``, public by secret URL), the centre's mail settings
and the reminder sender (issue 17, item 6)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from plexms.api.deps import PathId, requires
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.sharing import calendar_feeds, reminders

__all__ = ["router"]

router = APIRouter(tags=["calendar and reminders"])
Public = Annotated[ServiceContext, requires(Permission.PUBLIC)]
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Write = Annotated[ServiceContext, requires(Permission.PATIENT_WRITE)]
Signed = Annotated[ServiceContext, requires(Permission.AUTHENTICATED)]
Manage = Annotated[ServiceContext, requires(Permission.CENTRE_MANAGE)]
_FEED_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": 'inline; filename="appointments.ics"',
}


class FeedOut(BaseModel):
    """A calendar feed; ``url_path`` carries the secret and is shown only when it is made."""

    id: int
    subject: Literal["patient", "nurse"]
    patient_id: int | None
    user_id: int | None
    created_at: Any
    created_by: str
    revoked_at: Any
    last_fetched_at: Any
    fetches: int
    url_path: str | None = None


class NurseFeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class MailSettingsIn(BaseModel):
    """The centre's SMTP settings; ``password_env`` names the environment variable holding
    the password (never the password itself)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    host: str | None = Field(default=None, max_length=200)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] | None = None
    username: str | None = Field(default=None, max_length=200)
    password_env: str | None = Field(default=None, max_length=100)
    sender: str | None = Field(default=None, max_length=200)
    display_name: str | None = Field(default=None, max_length=100)


class MailSettingsOut(BaseModel):
    enabled: bool
    host: str
    port: int
    security: str
    username: str
    password_env: str
    sender: str
    display_name: str
    version: int


class DeliveryOut(BaseModel):
    sent: int
    failed: int
    superseded: int
    waiting: int


def _feed(out: calendar_feeds.FeedOut) -> FeedOut:
    return FeedOut(**dataclasses.asdict(out))


@router.get(
    "/feeds/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def get_feed(ctx: Public, token: Annotated[str, Path(min_length=1, max_length=100)]) -> Response:
    """An iCalendar feed at its secret URL (404 once revoked). No health data."""
    body = calendar_feeds.feed_ics(ctx, token)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=_FEED_HEADERS)


@router.post("/api/patients/{patient_id}/calendar-feeds", response_model=FeedOut, status_code=201)
def create_patient_feed(ctx: Write, patient_id: PathId) -> FeedOut:
    """A new feed of the patient's appointments; ``url_path`` is shown this once."""
    return _feed(calendar_feeds.create_patient_feed(ctx, patient_id))


@router.get("/api/calendar-feeds", response_model=list[FeedOut])
def list_feeds(ctx: Read, patient_id: int | None = None) -> list[FeedOut]:
    """The centre's calendar feeds (a patient's with ``patient_id``); never their secrets."""
    return [_feed(f) for f in calendar_feeds.list_feeds(ctx, patient_id)]


@router.post("/api/calendar-feeds/nurse", response_model=FeedOut, status_code=201)
def create_nurse_feed(ctx: Signed, body: NurseFeedIn) -> FeedOut:
    """A feed of one's own bookings (or a colleague's, for a user manager)."""
    return _feed(calendar_feeds.create_nurse_feed(ctx, body.user_id))


@router.delete("/api/calendar-feeds/{feed_id}", response_model=FeedOut)
def revoke_feed(ctx: Signed, feed_id: PathId) -> FeedOut:
    """Revoke a feed: its URL answers 404 from now on."""
    return _feed(calendar_feeds.revoke_feed(ctx, feed_id))


@router.get("/api/centre/mail", response_model=MailSettingsOut)
def get_mail(ctx: Manage) -> MailSettingsOut:
    return MailSettingsOut(**dataclasses.asdict(reminders.get_mail_settings(ctx)))


@router.put("/api/centre/mail", response_model=MailSettingsOut)
def put_mail(ctx: Manage, body: MailSettingsIn) -> MailSettingsOut:
    """Set the centre's mail settings (the display name must carry no health words)."""
    values = body.model_dump(exclude_none=True)
    return MailSettingsOut(**dataclasses.asdict(reminders.update_mail_settings(ctx, values)))


@router.post("/api/reminders/run", response_model=DeliveryOut)
def run_reminders(ctx: Manage) -> DeliveryOut:
    """Send the centre's due reminders now (a timer runs ``plexms reminders run`` too)."""
    return DeliveryOut(**dataclasses.asdict(reminders.deliver_due(ctx)))
