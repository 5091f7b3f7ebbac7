"""Bookings for the synthetic registry's recent exchanges, so the demo's calendar and
utilisation pages show a busy unit (issue 17, item 7).

The registry generator writes courses and exchanges in bulk, without places, machines or
nurses. :func:`book_recent` gives the centre's exchanges of the last ``weeks`` weeks their
place, machine and nurse the way the unit would have: in start order, each into the first
place and machine free (set-up and turnover kept, :class:`plexms.core.policy.ResourcePolicy`)
and a nurse on shift with fewer than ``patients_per_nurse`` runs at that time; an exchange
that finds none stays unbooked (as an over-full day would). Nurses get day shifts (07:30 to
17:30 local, weekdays) over those weeks where they have none. Done exchanges' bookings are
``completed``; planned ones ``booked``. Never a double booking: the same rules as the live
booking, checked by the test.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plexms.services import audit
from plexms.services._records import new
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.context import ServiceContext
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.store.models import (
    Booking,
    Centre,
    ExchangeSession,
    Machine,
    NurseProfile,
    NurseShift,
    TreatmentPlace,
)

__all__ = ["book_recent"]

_SHIFT = (dt.time(7, 30), dt.time(17, 30))


@use_case(Permission.CENTRE_MANAGE)
def book_recent(ctx: ServiceContext, centre_id: int, weeks: int = 8) -> int:
    """Book the centre's unbooked exchanges of the last ``weeks`` weeks (and the next one)
    into its places, machines and nurses; returns how many were booked."""
    with ctx.db.write() as session:
        centre = session.get(Centre, centre_id)
        if centre is None:
            raise NotFound(f"no centre {centre_id}", field="centre_id")
        zone = ZoneInfo(centre.time_zone)
        rules = load_policy(centre).resources
        pad = dt.timedelta(minutes=rules.setup_minutes + rules.turnover_minutes)
        lo = ctx.now - dt.timedelta(weeks=weeks)
        hi = ctx.now + dt.timedelta(weeks=1)
        places = session.scalars(
            select(TreatmentPlace.id).where(
                TreatmentPlace.centre_id == centre_id,
                TreatmentPlace.active.is_(True),
                TreatmentPlace.deleted_at.is_(None),
            )
        ).all()
        machines = session.scalars(
            select(Machine.id).where(
                Machine.centre_id == centre_id,
                Machine.active.is_(True),
                Machine.deleted_at.is_(None),
            )
        ).all()
        nurses = session.scalars(
            select(NurseProfile.user_id).where(
                NurseProfile.centre_id == centre_id,
                NurseProfile.active.is_(True),
                NurseProfile.apheresis_competent.is_(True),
            )
        ).all()
        if not (places and machines and nurses):
            return 0
        shifts: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {n: [] for n in nurses}
        for shift_nurse, start, end in session.execute(
            select(NurseShift.nurse_user_id, NurseShift.start_at, NurseShift.end_at).where(
                NurseShift.centre_id == centre_id,
                NurseShift.deleted_at.is_(None),
                NurseShift.end_at > lo,
                NurseShift.start_at < hi,
            )
        ):
            shifts.setdefault(shift_nurse, []).append((start, end))
        day = lo.astimezone(zone).date()
        new_shifts = []
        while day <= hi.astimezone(zone).date():
            if day.weekday() < 5:
                start = dt.datetime.combine(day, _SHIFT[0], zone)
                end = dt.datetime.combine(day, _SHIFT[1], zone)
                for on_shift in nurses:
                    if not any(s < end and start < e for s, e in shifts[on_shift]):
                        shifts[on_shift].append((start, end))
                        new_shifts.append(
                            new(
                                ctx,
                                NurseShift,
                                centre_id=centre_id,
                                nurse_user_id=on_shift,
                                start_at=start,
                                end_at=end,
                            )
                        )
            day += dt.timedelta(days=1)
        session.add_all(new_shifts)
        held = session.execute(
            select(
                Booking.place_id,
                Booking.machine_id,
                Booking.nurse_user_id,
                Booking.start_at,
                Booking.end_at,
            ).where(
                Booking.centre_id == centre_id,
                Booking.status.in_(("booked", "completed")),
                Booking.end_at > lo - pad,
                Booking.start_at < hi + pad,
            )
        ).all()
        busy_place: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {p: [] for p in places}
        busy_machine: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {m: [] for m in machines}
        runs: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {n: [] for n in nurses}
        for held_place, held_machine, held_nurse, start, end in held:
            busy_place.setdefault(held_place, []).append((start, end))
            busy_machine.setdefault(held_machine, []).append((start, end))
            runs.setdefault(held_nurse, []).append((start, end))
        booked_ids = select(Booking.exchange_session_id).where(
            Booking.status.in_(("booked", "completed"))
        )
        todo = session.scalars(
            select(ExchangeSession)
            .where(
                ExchangeSession.centre_id == centre_id,
                ExchangeSession.deleted_at.is_(None),
                ExchangeSession.status.in_(("done", "planned")),
                ExchangeSession.planned_start >= lo,
                ExchangeSession.planned_start < hi,
                ExchangeSession.id.not_in(booked_ids),
            )
            .order_by(ExchangeSession.planned_start, ExchangeSession.id)
        ).all()

        def free(
            spans: list[tuple[dt.datetime, dt.datetime]], a: dt.datetime, b: dt.datetime
        ) -> bool:
            return not any(s < b + pad and a - pad < e for s, e in spans)

        made = 0
        for row in todo:
            a, b = row.planned_start, row.planned_end
            place = next((p for p in places if free(busy_place[p], a, b)), None)
            machine = next((m for m in machines if free(busy_machine[m], a, b)), None)
            nurse = next(
                (
                    n
                    for n in nurses
                    if any(s <= a and b <= e for s, e in shifts[n])
                    and sum(1 for s, e in runs[n] if s < b and a < e) < rules.patients_per_nurse
                ),
                None,
            )
            if place is None or machine is None or nurse is None:
                continue
            busy_place[place].append((a, b))
            busy_machine[machine].append((a, b))
            runs[nurse].append((a, b))
            session.add(
                new(
                    ctx,
                    Booking,
                    centre_id=centre_id,
                    exchange_session_id=row.id,
                    place_id=place,
                    machine_id=machine,
                    nurse_user_id=nurse,
                    start_at=a,
                    end_at=b,
                    status="completed" if row.status == "done" else "booked",
                    urgent=False,
                    explanation="registry demo: first place, machine and nurse free",
                )
            )
            made += 1
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="booking",
            centre_id=centre_id,
            detail={"registry_demo": made, "shifts": len(new_shifts), "weeks": weeks},
        )
        return made
