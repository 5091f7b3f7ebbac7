"""Lots and serials of a session (typed or scanned as GS1 strings) and the recall query.

A sheet's ``lots`` are saved, kept on sign-off and corrected by addendum like its other
fields; the ``session_lot`` table mirrors each session's current lots (as signed, corrected
by its addenda) so that a recall is one indexed query. Lots are matched without regard to
case or surrounding spaces (a recall notice and a typed lot may differ in case).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from plexms.core import gs1
from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.store.models import ExchangeSession, Patient, SessionLot

__all__ = [
    "RecallOut",
    "RecallPatient",
    "RecallSession",
    "lot_key",
    "recall_lot",
    "resolve_lots",
    "sync_lot_index",
]

_KEY_LENGTH = 64


def lot_key(text: str) -> str:
    """How a lot or serial is matched: trimmed, upper case."""
    return text.strip().upper()


def resolve_lots(items: list[dict[str, Any]], *, reference_year: int) -> list[dict[str, Any]]:
    """The stored form of a sheet's lots: a scanned ``barcode`` is parsed (GS1) and fills the
    fields that were not typed; a typed field that contradicts the scan is refused."""
    out = []
    for i, item in enumerate(items):
        row = {
            "kind": item["kind"],
            "lot": item.get("lot") or "",
            "serial": item.get("serial") or "",
            "gtin": item.get("gtin") or "",
            "expiry": item.get("expiry"),
        }
        scanned = (item.get("barcode") or "").strip()
        if scanned:
            try:
                data = gs1.parse(scanned, reference_year=reference_year)
            except InputError as exc:
                raise InputError(f"lots[{i}].barcode", exc.message, allowed=exc.allowed) from None
            parsed = {
                "lot": data.lot,
                "serial": data.serial,
                "gtin": data.gtin,
                "expiry": data.expiry.isoformat() if data.expiry else None,
            }
            for name, value in parsed.items():
                if not value:
                    continue
                if row[name] and str(row[name]) != value:
                    raise InputError(
                        f"lots[{i}].{name}",
                        f"typed {row[name]!r} but the barcode says {value!r}",
                    )
                row[name] = value
            if not (row["lot"] or row["serial"]):
                raise InputError(f"lots[{i}].barcode", "carries no lot (10) and no serial (21)")
        out.append(row)
    return out


def sync_lot_index(session: Session, row: ExchangeSession, lots: list[dict[str, Any]]) -> None:
    """Rewrite the recall index of session ``row`` from its current ``lots`` (after the sheet
    is flushed: the index is not part of the sheet's version)."""
    with session.no_autoflush:
        session.execute(delete(SessionLot).where(SessionLot.session_id == row.id))
    for item in lots:
        expiry = item.get("expiry")
        session.add(
            SessionLot(
                centre_id=row.centre_id,
                patient_id=row.patient_id,
                session_id=row.id,
                kind=item["kind"],
                lot=lot_key(item.get("lot") or ""),
                serial=lot_key(item.get("serial") or ""),
                gtin=item.get("gtin") or "",
                expiry=dt.date.fromisoformat(expiry) if isinstance(expiry, str) else expiry,
            )
        )


class RecallSession(BaseModel):
    """One session that used the lot: when, which kind of product, and its patient."""

    session_id: int
    course_id: int
    patient_id: int
    session_date: dt.date
    status: str
    kind: str
    lot: str
    serial: str


class RecallPatient(BaseModel):
    """A patient to contact: name, MRN, phone and e-mail, and the sessions with the lot."""

    patient_id: int
    mrn: str
    family_name: str
    given_name: str
    phone: str
    email: str
    sessions: list[RecallSession]


class RecallOut(BaseModel):
    """The answer to a recall: the lot (or serial) and the patients to contact."""

    lot: str
    patients: list[RecallPatient]
    sessions: int


@use_case(Permission.LOTS_RECALL)
def recall_lot(ctx: ServiceContext, lot: str) -> RecallOut:
    """Every patient of the actor's centre whose session used ``lot`` (a lot or a serial;
    matched trimmed and in any case), with their contact details, in one query; audited."""
    key = lot_key(lot)
    if not key or len(key) > _KEY_LENGTH:
        raise InputError(
            "lot", "give a lot or serial number", allowed=f"1-{_KEY_LENGTH} characters"
        )
    query = (
        select(SessionLot, ExchangeSession, Patient)
        .join(ExchangeSession, ExchangeSession.id == SessionLot.session_id)
        .join(Patient, Patient.id == ExchangeSession.patient_id)
        .where(
            SessionLot.centre_id == ctx.centre_id,
            or_(SessionLot.lot == key, SessionLot.serial == key),
            ExchangeSession.deleted_at.is_(None),
            Patient.deleted_at.is_(None),
        )
        .order_by(
            func.lower(Patient.family_name),
            Patient.id,
            ExchangeSession.planned_start,
            SessionLot.id,
        )
    )
    with ctx.db.write() as session:
        patients: dict[int, RecallPatient] = {}
        count = 0
        for index, s, p in session.execute(query):
            when = s.actual_start or s.planned_start
            entry = patients.setdefault(
                p.id,
                RecallPatient(
                    patient_id=p.id,
                    mrn=p.mrn,
                    family_name=p.family_name,
                    given_name=p.given_name,
                    phone=p.phone,
                    email=p.email,
                    sessions=[],
                ),
            )
            entry.sessions.append(
                RecallSession(
                    session_id=s.id,
                    course_id=s.course_id,
                    patient_id=p.id,
                    session_date=when.date(),
                    status=s.status,
                    kind=index.kind,
                    lot=index.lot,
                    serial=index.serial,
                )
            )
            count += 1
        audit.record(
            session,
            ctx,
            "read",
            entity="lot_recall",
            detail={"lot": key, "patients": sorted(patients), "sessions": count},
        )
        for patient_id in patients:
            audit.record(
                session,
                ctx,
                "read",
                entity="lot_recall",
                patient_id=patient_id,
                detail={"lot": key},
            )
        return RecallOut(lot=key, patients=list(patients.values()), sessions=count)
