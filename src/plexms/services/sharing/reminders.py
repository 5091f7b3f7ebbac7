"""Appointment reminders by e-mail, without health data (issue 17, item 6).

A reminder is queued in the transaction that books the appointment (:func:`queue_for_sessions`:
one message listing the course's appointments at booking, one per appointment the day before
at the centre's reminder hour) and sent by :func:`deliver_due` (``plexms reminders run``,
``POST /api/reminders/run``, or a timer). Its text is composed when it is sent, from what is
true then: an appointment that moved or was cancelled is not announced (``superseded``), the
patient's current address is used, and the centre's mail settings apply.

The text names the clinic (the centre's *display name* for mail), the day, the time, the
address and the telephone number, and nothing else: no diagnosis, treatment, procedure or
department words. :func:`health_words_in` is the check, applied to the centre's display name
and address when they are saved and to every message before it is sent (a message that fails
it is never sent).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.core.vocabulary import DIAGNOSES
from plexms.interop.display import Display
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.store.models import Centre, CentreMail, ExchangeSession, OutboxMessage, Patient

__all__ = [
    "HEALTH_WORDS",
    "REMINDER_HOUR",
    "DeliveryReport",
    "MailSettings",
    "deliver_due",
    "get_mail_settings",
    "health_words_in",
    "list_outbox",
    "neutral_address",
    "queue_for_sessions",
    "update_mail_settings",
]

#: Words a reminder never carries (an e-mail is read on lock screens and shared inboxes):
#: treatments, procedures, diagnoses, departments. Whole words, any case.
HEALTH_WORDS: frozenset[str] = frozenset(
    {
        "albumin",
        "apheresis",
        "blood",
        "cancer",
        "demyelinating",
        "diagnosis",
        "dialysis",
        "disease",
        "exchange",
        "haematology",
        "hematology",
        "immunoglobulin",
        "infusion",
        "ivig",
        "adem",
        "mogad",
        "ms",
        "nmosd",
        "neurological",
        "neurology",
        "neuritis",
        "plasma",
        "plasmapheresis",
        "plex",
        "relapse",
        "sclerosis",
        "therapy",
        "tpe",
        "transfusion",
        "treatment",
        *(
            w
            for term in DIAGNOSES.terms
            for w in re.findall(r"[a-z]{5,}", term.label.lower())
            if w != "other"
        ),
    }
)

#: The local hour a "day before" reminder is sent (local policy; 10:00 reaches people awake
#: and leaves the day to rearrange).
REMINDER_HOUR = 10
_MAX_ATTEMPTS = 5


def health_words_in(text: str) -> list[str]:
    """The health words in ``text`` (empty when it is safe to send).

    >>> health_words_in("Riverside Day Unit, 12 Elm Street")
    []
    >>> health_words_in("Riverside Apheresis Unit (MS clinic)")
    ['apheresis', 'ms']
    """
    return sorted({w for w in re.findall(r"[a-z0-9]+", text.lower()) if w in HEALTH_WORDS})


@dataclass(frozen=True)
class MailSettings:
    """A centre's mail settings as shown (never a password: ``password_env`` names it)."""

    enabled: bool
    host: str
    port: int
    security: str
    username: str
    password_env: str
    sender: str
    display_name: str
    version: int


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    sent: int
    failed: int
    superseded: int
    waiting: int


def _settings_of(row: CentreMail | None) -> MailSettings:
    if row is None:
        return MailSettings(False, "", 587, "starttls", "", "", "", "", 0)
    return MailSettings(
        row.enabled,
        row.host,
        row.port,
        row.security,
        row.username,
        row.password_env,
        row.sender,
        row.display_name,
        row.version,
    )


def _centre_id(ctx: ServiceContext, centre_id: int | None) -> int:
    if ctx.actor is not None and not ctx.actor.is_system:
        return int(ctx.actor.centre_id or 0)
    if centre_id is None:
        raise InputError("centre_id", "name the centre", allowed="a centre id")
    return centre_id


@use_case(Permission.CENTRE_MANAGE)
def get_mail_settings(ctx: ServiceContext, centre_id: int | None = None) -> MailSettings:
    """The centre's mail settings (defaults when none are stored)."""
    with ctx.db.read() as session:
        return _settings_of(session.get(CentreMail, _centre_id(ctx, centre_id)))


_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,200}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")


def _check(values: dict[str, object], centre: Centre) -> None:
    host, sender, display = str(values["host"]), str(values["sender"]), str(values["display_name"])
    if host and not _HOST.match(host):
        raise InputError("host", "is not a host name", allowed="e.g. smtp.example.org")
    if sender and not _EMAIL.match(sender):
        raise InputError("sender", "is not an e-mail address", allowed="name@example.org")
    if not 1 <= int(str(values["port"])) <= 65535:
        raise InputError("port", "is not a port", allowed="1-65535")
    if values["security"] not in ("none", "starttls", "tls"):
        raise InputError("security", "is not a connection security", allowed="none, starttls, tls")
    env = str(values["password_env"])
    if env and not _ENV.match(env):
        raise InputError(
            "password_env", "names an environment variable", allowed="e.g. PLEXMS_SMTP_PASSWORD"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in display + host + sender):
        raise InputError("display_name", "contains control characters", allowed="one line")
    found = health_words_in(display)
    if found:
        raise InputError(
            "display_name",
            f"would tell the reader about care ({', '.join(found)}); "
            "reminders carry no health words",
            allowed="a neutral name, e.g. 'Riverside Day Unit'",
        )
    if values["enabled"] and not (host and sender and display):
        field = "host" if not host else "sender" if not sender else "display_name"
        raise InputError(field, "is needed before reminders can be sent", allowed="a value")


@use_case(Permission.CENTRE_MANAGE)
def update_mail_settings(
    ctx: ServiceContext, values: dict[str, object], centre_id: int | None = None
) -> MailSettings:
    """Store the centre's mail settings (validated; the display name carries no health words)."""
    cid = _centre_id(ctx, centre_id)
    with ctx.db.write() as session:
        centre = session.get(Centre, cid)
        if centre is None:
            raise NotFound(f"no centre {cid}", field="centre_id")
        row = session.get(CentreMail, cid)
        current = _settings_of(row)
        merged: dict[str, object] = {
            k: values.get(k, getattr(current, k))
            for k in (
                "enabled",
                "host",
                "port",
                "security",
                "username",
                "password_env",
                "sender",
                "display_name",
            )
        }
        _check(merged, centre)
        if row is None:
            row = CentreMail(centre_id=cid, updated_at=ctx.now, **merged)
            session.add(row)
        else:
            for key, value in merged.items():
                setattr(row, key, value)
            row.updated_at = ctx.now
        session.flush()
        changed = sorted(k for k in merged if getattr(current, k) != merged[k])
        audit.record(
            session,
            ctx,
            "update",
            entity="centre_mail",
            entity_id=cid,
            centre_id=cid,
            detail={"fields": changed},
        )
        return _settings_of(row)


def _slot(start: dt.datetime) -> str:
    return start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def queue_for_sessions(
    session: Session, ctx: ServiceContext, sessions: list[ExchangeSession], zone: str
) -> int:
    """Queue, inside the booking's transaction, the reminders of newly (re)booked sessions:
    one ``booking`` message (due now) for the first, which lists them all, and a
    ``day_before`` message for each (due at :data:`REMINDER_HOUR` the day before, local time;
    none when that is already past). Returns how many were queued."""
    if not sessions:
        return 0
    first = min(sessions, key=lambda s: s.planned_start)
    mail = session.get(CentreMail, first.centre_id)
    patient = session.get(Patient, first.patient_id)
    if mail is None or not mail.enabled or patient is None or not patient.email.strip():
        return 0  # nothing to send to: no reminders are queued (none are owed later either)
    tz = ZoneInfo(zone)
    rows = [
        OutboxMessage(
            centre_id=first.centre_id,
            patient_id=first.patient_id,
            session_id=first.id,
            kind="booking",
            slot=_slot(first.planned_start),
            to_address="",
            subject="",
            body="",
            due_at=ctx.now,
            created_at=ctx.now,
            attempts=0,
            last_error="",
        )
    ]
    for s in sessions:
        local = s.planned_start.astimezone(tz)
        due = dt.datetime.combine(local.date() - dt.timedelta(days=1), dt.time(REMINDER_HOUR), tz)
        if due <= ctx.now:
            continue
        rows.append(
            OutboxMessage(
                centre_id=s.centre_id,
                patient_id=s.patient_id,
                session_id=s.id,
                kind="day_before",
                slot=_slot(s.planned_start),
                to_address="",
                subject="",
                body="",
                due_at=due,
                created_at=ctx.now,
                attempts=0,
                last_error="",
            )
        )
    existing = {
        (row[0], row[1], row[2])
        for row in session.execute(
            select(OutboxMessage.session_id, OutboxMessage.kind, OutboxMessage.slot).where(
                OutboxMessage.session_id.in_([s.id for s in sessions])
            )
        )
    }
    fresh = [r for r in rows if (r.session_id, r.kind, r.slot) not in existing]
    session.add_all(fresh)
    return len(fresh)


@dataclass(frozen=True)
class _Composed:
    to: str
    subject: str
    body: str


def neutral_address(centre: Centre) -> str:
    """The centre's address for a patient-facing message, or "" if it carries a health word."""
    parts = [centre.address_line, centre.city, centre.region, centre.postal_code]
    text = ", ".join(p.strip() for p in parts if p and p.strip())
    return "" if health_words_in(text) else text


def _when(display: Display, start: dt.datetime, zone: str) -> str:
    local = start.astimezone(ZoneInfo(zone))
    return f"{local:%A} {display.date(local.date())} at {display.time(start, zone)}"


def _compose(
    msg: OutboxMessage,
    patient: Patient,
    centre: Centre,
    mail: CentreMail,
    starts: list[dt.datetime],
) -> _Composed:
    display = Display.for_centre(centre.units)
    zone = centre.time_zone
    name = mail.display_name
    greeting = f"Hello {patient.given_name.strip()}," if patient.given_name.strip() else "Hello,"
    where = neutral_address(centre)
    phone = centre.phone.strip()
    lines = [greeting, ""]
    if msg.kind == "booking":
        subject = f"Your appointments at {name}"
        lines.append(f"Your appointments at {name} are booked:")
        lines += [f"  - {_when(display, s, zone)}" for s in starts]
    else:
        subject = f"Reminder: your appointment tomorrow at {name}"
        lines.append(
            f"This is a reminder of your appointment at {name} on "
            f"{_when(display, starts[0], zone)}."
        )
    lines.append("")
    if where:
        lines.append(f"Address: {where}")
    if phone:
        lines.append(f"If you cannot come or need to change the time, please call {phone}.")
    lines += [
        "",
        "This message was sent automatically. Please do not reply with personal information.",
    ]
    return _Composed(patient.email.strip(), subject, "\n".join(lines) + "\n")


def _smtp_send(mail: CentreMail, composed: _Composed) -> None:
    message = EmailMessage()
    message["From"] = formataddr((mail.display_name, mail.sender))
    message["To"] = composed.to
    message["Subject"] = composed.subject
    message["Message-ID"] = make_msgid(domain=mail.sender.rpartition("@")[2] or None)
    message.set_content(composed.body)
    password = os.environ.get(mail.password_env, "") if mail.password_env else ""
    if mail.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            mail.host, mail.port, timeout=10, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(mail.host, mail.port, timeout=10)
    with client:
        if mail.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if mail.username:
            client.login(mail.username, password)
        client.send_message(message)


def _starts(session: Session, msg: OutboxMessage, first: ExchangeSession) -> list[dt.datetime]:
    if msg.kind != "booking":
        return [first.planned_start]
    rows = session.execute(
        select(ExchangeSession.planned_start)
        .where(
            ExchangeSession.course_id == first.course_id,
            ExchangeSession.status == "planned",
            ExchangeSession.deleted_at.is_(None),
            ExchangeSession.planned_start >= first.planned_start,
        )
        .order_by(ExchangeSession.planned_start)
    ).scalars()
    return list(rows)


def _deliver_one(session: Session, ctx: ServiceContext, msg: OutboxMessage) -> str:
    first = session.get(ExchangeSession, msg.session_id)
    mail = session.get(CentreMail, msg.centre_id)
    if mail is None or not mail.enabled:
        return "waiting"
    if (
        first is None
        or first.deleted_at is not None
        or first.status != "planned"
        or _slot(first.planned_start) != msg.slot
    ):
        msg.attempts = _MAX_ATTEMPTS
        msg.last_error = "superseded: the appointment moved or was cancelled"
        return "superseded"
    patient = session.get_one(Patient, msg.patient_id)
    centre = session.get_one(Centre, msg.centre_id)
    composed = _compose(msg, patient, centre, mail, _starts(session, msg, first))
    if not _EMAIL.match(composed.to):
        msg.attempts = _MAX_ATTEMPTS
        msg.last_error = "no e-mail address on the record"
        return "superseded"
    leaked = health_words_in(composed.subject + "\n" + composed.body)
    if leaked:  # a name or address changed after it was checked: never send it
        msg.attempts = _MAX_ATTEMPTS
        msg.last_error = f"refused: health words ({', '.join(leaked)})"[:200]
        return "failed"
    msg.attempts += 1
    try:
        _smtp_send(mail, composed)
    except (OSError, smtplib.SMTPException) as exc:
        msg.last_error = f"{type(exc).__name__}"[:200]
        return "failed"
    msg.to_address, msg.subject, msg.body = composed.to, composed.subject, composed.body
    msg.sent_at = ctx.now
    msg.last_error = ""
    audit.record(
        session,
        ctx,
        "send",
        entity="reminder",
        entity_id=msg.id,
        patient_id=msg.patient_id,
        centre_id=msg.centre_id,
        detail={"kind": msg.kind},
    )
    return "sent"


@use_case(Permission.CENTRE_MANAGE)
def deliver_due(ctx: ServiceContext, limit: int = 200) -> DeliveryReport:
    """Send the reminders that are due (the actor's centre; every centre for ``system``).

    Two senders never send one message twice: on PostgreSQL the rows are claimed with
    ``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a time.
    """
    counts = {"sent": 0, "failed": 0, "superseded": 0, "waiting": 0}
    with ctx.db.write() as session:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts < _MAX_ATTEMPTS,
                OutboxMessage.due_at <= ctx.now,
            )
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
        )
        if ctx.actor is not None and not ctx.actor.is_system:
            query = query.where(OutboxMessage.centre_id == ctx.actor.centre_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for msg in session.execute(query).scalars().all():
            counts[_deliver_one(session, ctx, msg)] += 1
    return DeliveryReport(**counts)


@dataclass(frozen=True)
class OutboxRow:
    """A queued or sent reminder as staff see it (no message text before it is sent)."""

    id: int
    patient_id: int
    session_id: int
    kind: str
    due_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    last_error: str


@use_case(Permission.PATIENT_READ)
def list_outbox(ctx: ServiceContext, patient_id: int) -> list[OutboxRow]:
    """A patient's reminders, newest first (centre-scoped)."""
    with ctx.db.read() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or (
            ctx.actor is not None
            and not ctx.actor.is_system
            and patient.centre_id != ctx.actor.centre_id
        ):
            raise NotFound(f"no patient {patient_id}", field="patient_id")
        rows = session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id)
            .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        ).scalars()
        return [
            OutboxRow(
                r.id,
                r.patient_id,
                r.session_id,
                r.kind,
                r.due_at,
                r.sent_at,
                r.attempts,
                r.last_error,
            )
            for r in rows
        ]
