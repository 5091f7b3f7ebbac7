"""Calendar feeds at secret, revocable URLs, a centre's mail settings and the reminder outbox
(issue 17, item 6).

A feed's token is shown once; only its SHA-256 is stored (like :class:`AuthToken`). Reminders
are written to the outbox in the transaction that books the appointment and delivered by
``plexms reminders run`` (or the service's own sender), so a mail server that is down never
loses or blocks a booking; ``(session_id, kind, slot)`` is unique, so a reminder is sent once
per appointment time even when two senders run at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexms.store.base import Base, enum_check

__all__ = [
    "FEED_SUBJECTS",
    "MAIL_SECURITY",
    "REMINDER_KINDS",
    "CalendarFeed",
    "CentreMail",
    "OutboxMessage",
]

FEED_SUBJECTS = ("patient", "nurse")
MAIL_SECURITY = ("none", "starttls", "tls")
REMINDER_KINDS = ("booking", "day_before")


class CalendarFeed(Base):
    """One iCalendar feed: a patient's appointments or a nurse's bookings."""

    __tablename__ = "calendar_feed"
    __table_args__ = (enum_check("subject", FEED_SUBJECTS), UniqueConstraint("token_hash"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    subject: Mapped[str] = mapped_column(String(8))
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    last_fetched_at: Mapped[dt.datetime | None]
    fetches: Mapped[int] = mapped_column(Integer, default=0)


class CentreMail(Base):
    """A centre's SMTP settings for reminders. The password is never stored: ``password_env``
    names the environment variable that holds it on the servers."""

    __tablename__ = "centre_mail"
    __table_args__ = (enum_check("security", MAIL_SECURITY),)

    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    host: Mapped[str] = mapped_column(String(200), default="")
    port: Mapped[int] = mapped_column(Integer, default=587)
    security: Mapped[str] = mapped_column(String(8), default="starttls")
    username: Mapped[str] = mapped_column(String(200), default="")
    password_env: Mapped[str] = mapped_column(String(100), default="")
    sender: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class OutboxMessage(Base):
    """One reminder e-mail: queued with the booking, sent when due."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        enum_check("kind", REMINDER_KINDS),
        UniqueConstraint("session_id", "kind", "slot"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    #: the appointment's start (UTC, ISO) the reminder is for: a rebooked session gets new ones
    slot: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")
