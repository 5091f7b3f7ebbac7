"""Calendar feeds at secret, revocable URLs (issue 17, item 6): ``/feeds/{token}.ics``.

A patient's feed lists their appointments; a nurse's feed lists the sessions the unit has
booked with them (or, at a centre that does not book nurses, the unit's appointments). A feed
carries no health data: the events say "Appointment" with the clinic's mail display name,
never the patient's name, a diagnosis or a treatment, because a calendar is synchronised to
phones, watches and shared family calendars. The token is shown once; only its SHA-256 is
stored; revoking a feed makes its URL answer 404 at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.interop.calendar_feed import CalendarDraft, CalendarEvent, ics_bytes
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.clinical.patients import load_patient
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound, PermissionDenied
from plexms.services.permissions import Permission, allowed
from plexms.services.sharing.reminders import neutral_address
from plexms.store.models import (
    Booking,
    CalendarFeed,
    Centre,
    CentreMail,
    ExchangeSession,
    NurseProfile,
    User,
)

__all__ = [
    "FEED_PATH",
    "FeedOut",
    "create_nurse_feed",
    "create_patient_feed",
    "feed_ics",
    "list_feeds",
    "revoke_feed",
]

FEED_PATH = "/feeds/{token}.ics"
_PAST = dt.timedelta(days=60)  # how far back a feed reaches (enough for "when was I there")
_SHOWN = ("planned", "done", "held", "cancelled")


@dataclass(frozen=True)
class FeedOut:
    """A feed as staff see it; ``url_path`` (with the secret) only when it was just made."""

    id: int
    subject: str
    patient_id: int | None
    user_id: int | None
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None
    last_fetched_at: dt.datetime | None
    fetches: int
    url_path: str | None = None


def _out(row: CalendarFeed, token: str | None = None) -> FeedOut:
    return FeedOut(
        row.id,
        row.subject,
        row.patient_id,
        row.user_id,
        row.created_at,
        row.created_by,
        row.revoked_at,
        row.last_fetched_at,
        row.fetches,
        FEED_PATH.format(token=token) if token else None,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_feed(
    session: Session, ctx: ServiceContext, centre_id: int, **who: int | str | None
) -> tuple[CalendarFeed, str]:
    token = secrets.token_urlsafe(32)
    row = CalendarFeed(
        centre_id=centre_id,
        token_hash=_digest(token),
        created_at=ctx.now,
        created_by=ctx.username,
        fetches=0,
        **who,
    )
    session.add(row)
    session.flush()
    return row, token


@use_case(Permission.PATIENT_WRITE)
def create_patient_feed(ctx: ServiceContext, patient_id: int) -> FeedOut:
    """A new feed of the patient's appointments; its URL is in the answer, once."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        row, token = _new_feed(
            session, ctx, patient.centre_id, subject="patient", patient_id=patient.id
        )
        audit.record(
            session,
            ctx,
            "create",
            entity="calendar_feed",
            entity_id=row.id,
            patient_id=patient.id,
        )
        return _out(row, token)


@use_case(Permission.AUTHENTICATED)
def create_nurse_feed(ctx: ServiceContext, user_id: int | None = None) -> FeedOut:
    """A new feed of a nurse's bookings: one's own, or (managing users) a colleague's."""
    if ctx.actor is None:  # pragma: no cover - AUTHENTICATED guarantees an actor
        raise PermissionDenied("sign in first")
    target = ctx.actor.user_id if user_id is None else user_id
    if target != ctx.actor.user_id and not allowed(ctx.actor.role, Permission.USERS_MANAGE):
        raise PermissionDenied("only a user manager makes a feed for someone else")
    with ctx.db.write() as session:
        user = session.get(User, target) if target is not None else None
        if user is None or (not ctx.actor.is_system and user.centre_id != ctx.actor.centre_id):
            raise NotFound(f"no user {target}", field="user_id")
        row, token = _new_feed(session, ctx, user.centre_id, subject="nurse", user_id=user.id)
        audit.record(
            session,
            ctx,
            "create",
            entity="calendar_feed",
            entity_id=row.id,
            centre_id=user.centre_id,
            detail={"user_id": user.id},
        )
        return _out(row, token)


@use_case(Permission.PATIENT_READ)
def list_feeds(ctx: ServiceContext, patient_id: int | None = None) -> list[FeedOut]:
    """The centre's feeds (a patient's when ``patient_id``), newest first; no secrets."""
    with ctx.db.read() as session:
        query = select(CalendarFeed).order_by(CalendarFeed.id.desc())
        if ctx.actor is not None and not ctx.actor.is_system:
            query = query.where(CalendarFeed.centre_id == ctx.actor.centre_id)
        if patient_id is not None:
            load_patient(session, ctx, patient_id)
            query = query.where(CalendarFeed.patient_id == patient_id)
        return [_out(r) for r in session.execute(query).scalars()]


@use_case(Permission.AUTHENTICATED)
def revoke_feed(ctx: ServiceContext, feed_id: int) -> FeedOut:
    """Revoke a feed: its URL answers 404 from now on. A patient's feed needs
    ``patient:write``; a nurse's, its owner or a user manager."""
    if ctx.actor is None:  # pragma: no cover - AUTHENTICATED guarantees an actor
        raise PermissionDenied("sign in first")
    with ctx.db.write() as session:
        row = session.get(CalendarFeed, feed_id)
        if row is None or (not ctx.actor.is_system and row.centre_id != ctx.actor.centre_id):
            raise NotFound(f"no calendar feed {feed_id}", field="feed_id")
        own = row.user_id is not None and row.user_id == ctx.actor.user_id
        needed = Permission.PATIENT_WRITE if row.subject == "patient" else Permission.USERS_MANAGE
        if not own and not allowed(ctx.actor.role, needed):
            raise PermissionDenied("your role may not revoke this feed")
        if row.revoked_at is None:
            row.revoked_at = ctx.now
            row.revoked_by = ctx.username
            audit.record(
                session,
                ctx,
                "revoke",
                entity="calendar_feed",
                entity_id=row.id,
                patient_id=row.patient_id,
            )
        return _out(row)


def _events(
    session: Session, ctx: ServiceContext, feed: CalendarFeed, name: str
) -> list[CalendarEvent]:
    query = (
        select(ExchangeSession)
        .where(
            ExchangeSession.centre_id == feed.centre_id,
            ExchangeSession.deleted_at.is_(None),
            ExchangeSession.status.in_(_SHOWN),
            ExchangeSession.planned_start >= ctx.now - _PAST,
        )
        .order_by(ExchangeSession.planned_start, ExchangeSession.id)
    )
    if feed.subject == "patient":
        query = query.where(ExchangeSession.patient_id == feed.patient_id)
    elif session.execute(
        select(NurseProfile.id).where(NurseProfile.centre_id == feed.centre_id).limit(1)
    ).first():
        # a unit that books its nurses: this nurse's own bookings (live or done)
        query = query.where(
            ExchangeSession.id.in_(
                select(Booking.exchange_session_id).where(
                    Booking.nurse_user_id == feed.user_id,
                    Booking.status.in_(("booked", "completed")),
                )
            )
        )
    events = []
    for s in session.execute(query).scalars():
        uid = hmac.new(
            ctx.settings.secret_key.encode() or b"plexms", f"session:{s.id}".encode(), "sha256"
        ).hexdigest()[:32]
        events.append(
            CalendarEvent(
                uid=f"{uid}@calendar",
                start=s.planned_start,
                end=s.planned_end,
                summary=f"Appointment at {name}" if name else "Appointment",
                cancelled=s.status in ("held", "cancelled"),
            )
        )
    return events


@use_case(Permission.PUBLIC)
def feed_ics(ctx: ServiceContext, token: str) -> bytes:
    """The feed's iCalendar bytes; NotFound for an unknown, malformed or revoked token."""
    if not (20 <= len(token) <= 64) or not token.replace("-", "").replace("_", "").isalnum():
        raise InputError("token", "is not a feed token", allowed="the URL you were given")
    with ctx.db.write() as session:
        row = session.execute(
            select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token))
        ).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            raise NotFound("no such calendar feed (it may have been revoked)", field="token")
        centre = session.get_one(Centre, row.centre_id)
        mail = session.get(CentreMail, row.centre_id)
        name = mail.display_name if mail is not None else ""
        location = neutral_address(centre)
        events = [
            CalendarEvent(e.uid, e.start, e.end, e.summary, location, e.description, e.cancelled)
            for e in _events(session, ctx, row, name)
        ]
        row.last_fetched_at = ctx.now
        row.fetches += 1
        draft = CalendarDraft(
            name=f"Appointments at {name}" if name else "Appointments",
            zone=centre.time_zone,
            stamp=ctx.now,
            events=tuple(events),
        )
        return ics_bytes(draft)
