"""The registry demo's exchanges booked into the unit (issue 17, item 7): a busy calendar
with the live booking's rules, never a double booking, on both backends."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select
from tests.services.test_booking import equip

from plexms.services.sharing import registry_bookings, registry_demo
from plexms.store.models import Booking, NurseShift


def test_recent_registry_exchanges_are_booked_without_overlap(world) -> None:  # type: ignore[no-untyped-def]
    equip(world, places=2, machines=2)
    admin = world.ctx("admin")
    centre = world.centres["a"]
    registry_demo.load_registry(admin, 150, centre_id=centre, seed=7)
    # five years back: the synthetic registry ends 2026-06-30, and these 171 exchanges take
    # every branch the ten years' 860 did (the time grows with the square of the span)
    made = registry_bookings.book_recent(admin, centre, weeks=260)
    assert made > 20
    assert registry_bookings.book_recent(admin, centre, weeks=260) == 0  # nothing twice
    with world.db.read() as s:
        rows = s.scalars(select(Booking).where(Booking.centre_id == centre)).all()
        shifts = s.execute(
            select(NurseShift.nurse_user_id, NurseShift.start_at, NurseShift.end_at)
        ).all()
    assert len(rows) == made
    pad = dt.timedelta(minutes=30)  # set-up + turnover (ResourcePolicy defaults: 15 + 15)
    for a, b in itertools.combinations(rows, 2):
        near = a.start_at - pad < b.end_at and b.start_at - pad < a.end_at
        assert not (near and a.place_id == b.place_id), (a.id, b.id)
        assert not (near and a.machine_id == b.machine_id), (a.id, b.id)
    for r in rows:
        # runs of this nurse going on at this booking's start (the peak is at some start)
        at_once = [
            o
            for o in rows
            if o.nurse_user_id == r.nurse_user_id and o.start_at <= r.start_at < o.end_at
        ]
        assert len(at_once) <= 2  # patients per nurse
        assert any(n == r.nurse_user_id and s <= r.start_at and r.end_at <= e for n, s, e in shifts)
        assert r.status in ("completed", "booked")


def test_a_centre_without_resources_gets_no_bookings(world) -> None:  # type: ignore[no-untyped-def]
    admin = world.ctx("admin")
    registry_demo.load_registry(admin, 20, centre_id=world.centres["a"], seed=3)
    assert registry_bookings.book_recent(admin, world.centres["a"], weeks=520) == 0
