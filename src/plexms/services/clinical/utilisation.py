"""Unit utilisation for a period (issue 17 item 7): the centre's bookings, places, machines,
maintenance and nurse shifts in local time, handed to :func:`plexms.core.utilisation.utilisation`.
Live and completed bookings count (a released one does not hold its resources)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from plexms.core import utilisation as core
from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.clinical.clinic_calendar import with_holidays
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.services.schemas.utilisation import PeriodOut, RunTimeOut, UtilisationOut
from plexms.store.models import (
    Booking,
    Centre,
    ExchangeSession,
    Machine,
    MaintenanceBlock,
    NurseShift,
    TreatmentPlace,
)

__all__ = ["unit_utilisation"]


def _local(stamp: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if stamp.tzinfo is None:  # SQLite hands back naive UTC
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(zone).replace(tzinfo=None)


def _period(p: core.Period) -> PeriodOut:
    return PeriodOut(
        **{f.name: getattr(p, f.name) for f in dataclasses.fields(p)},
        place_utilisation=p.place_utilisation,
        machine_utilisation=p.machine_utilisation,
        nurse_utilisation=p.nurse_utilisation,
        mean_turnover=p.mean_turnover,
    )


@use_case(Permission.PATIENT_READ)
def unit_utilisation(ctx: ServiceContext, start: dt.date, end: dt.date) -> UtilisationOut:
    """Place, machine and nurse utilisation per day and week from ``start`` to ``end`` (the
    centre's local dates, inclusive, at most a year), run-time per session and turnover."""
    for name, day in (("start", start), ("end", end)):
        if not 2000 <= day.year <= 2099:
            raise InputError(name, "is outside the bookable years", allowed="2000-2099")
    if end < start:
        raise InputError("end", "must not be before start")
    if (end - start).days + 1 > core.MAX_DAYS:
        raise InputError("end", "the period is too long", allowed=f"<= {core.MAX_DAYS} days")
    with ctx.db.write() as session:
        centre = session.get(Centre, ctx.centre_id) if ctx.centre_id is not None else None
        if centre is None:
            raise NotFound("the user belongs to no centre")
        zone = ZoneInfo(centre.time_zone)
        policy = load_policy(centre)
        lo = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC)
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)

        def count(model: type[TreatmentPlace] | type[Machine]) -> int:
            return int(
                session.execute(
                    select(func.count(model.id)).where(
                        model.centre_id == centre.id, model.deleted_at.is_(None), model.active
                    )
                ).scalar_one()
            )

        spans = {
            name: tuple(
                (_local(a, zone), _local(b, zone))
                for a, b in session.execute(
                    select(model.start_at, model.end_at).where(
                        model.centre_id == centre.id,
                        model.deleted_at.is_(None),
                        model.start_at < hi,
                        model.end_at > lo,
                    )
                )
            )
            for name, model in (("shifts", NurseShift), ("maintenance", MaintenanceBlock))
        }
        uses = [
            core.Use(
                s.id,
                _local(b.start_at, zone),
                _local(b.end_at, zone),
                b.place_id,
                b.machine_id,
                b.nurse_user_id,
                _local(s.actual_start, zone) if s.actual_start else None,
                _local(s.actual_end, zone) if s.actual_end else None,
            )
            for b, s in session.execute(
                select(Booking, ExchangeSession)
                .join(ExchangeSession, ExchangeSession.id == Booking.exchange_session_id)
                .where(
                    Booking.centre_id == centre.id,
                    Booking.status.in_(("booked", "completed")),
                    Booking.deleted_at.is_(None),
                    ExchangeSession.deleted_at.is_(None),
                    Booking.start_at < hi,
                    Booking.end_at > lo,
                )
            )
        ]
        capacity = core.Capacity(
            count(TreatmentPlace), count(Machine), spans["shifts"], spans["maintenance"]
        )
        found = core.utilisation(
            start, end, uses, capacity, with_holidays(policy.hours, start, end), policy.resources
        )
        audit.record(
            session,
            ctx,
            "read",
            entity="utilisation",
            detail={"start": start.isoformat(), "end": end.isoformat(), "sessions": len(uses)},
        )
        return UtilisationOut(
            start=start,
            end=end,
            time_zone=centre.time_zone,
            days=[_period(p) for p in found.days],
            weeks=[_period(p) for p in found.weeks],
            runs=[
                RunTimeOut(
                    session_id=r.key,
                    day=r.day,
                    planned_minutes=r.planned_minutes,
                    actual_minutes=r.actual_minutes,
                    over_minutes=r.over,
                )
                for r in found.runs
            ],
        )
