"""Stock counts and the supplies forecast (issue 17, item 5).

The forecast takes the centre's booked sessions (planned, of planned or active courses) in
the next ``days`` days, each session's need from its course's prescription in whole units of
the sizes the centre stocks (local policy, :class:`plexms.core.policy.SuppliesPolicy`), and
compares it with the stock: each item's last count less what the sessions done since that
count used (by the same per-session estimate).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core import supplies
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, SuppliesPolicy
from plexms.core.vocabulary import SUPPLY_ITEMS
from plexms.services import audit
from plexms.services._records import new
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.supplies import (
    DayNeedOut,
    ForecastOut,
    ItemForecastOut,
    StockIn,
    StockOut,
)
from plexms.store.models import Centre, Course, ExchangeSession, SupplyStock

__all__ = ["compute_forecast", "latest_stock", "record_stock", "supplies_forecast"]

_BOOKED_COURSES = ("planned", "active")


@use_case(Permission.STOCK_WRITE)
def record_stock(ctx: ServiceContext, data: StockIn) -> StockOut:
    """Store a count of one item (it replaces the previous count from its time on)."""
    counted_at = data.counted_at or ctx.now
    if counted_at > ctx.now:
        raise InputError(
            "counted_at",
            "is in the future: count what is on the shelf now",
            allowed=f"<= {ctx.now.isoformat(timespec='minutes')}",
        )
    with ctx.db.write() as session:
        row = new(
            ctx,
            SupplyStock,
            item=data.item,
            quantity=data.quantity,
            counted_at=counted_at,
            counted_by=ctx.username,
            note=data.note,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            ctx,
            "create",
            entity="supply_stock",
            entity_id=row.id,
            detail={"item": data.item, "quantity": data.quantity},
        )
        return StockOut.model_validate(row)


def _latest(session: Session, ctx: ServiceContext) -> dict[str, SupplyStock]:
    rows = session.execute(
        select(SupplyStock)
        .where(SupplyStock.centre_id == ctx.centre_id, SupplyStock.deleted_at.is_(None))
        .order_by(SupplyStock.counted_at, SupplyStock.id)
    ).scalars()
    return {row.item: row for row in rows}


@use_case(Permission.PATIENT_READ)
def latest_stock(ctx: ServiceContext) -> list[StockOut]:
    """The last count of each item (items never counted are absent)."""
    with ctx.db.read() as session:
        latest = _latest(session, ctx)
        return [StockOut.model_validate(latest[i]) for i in SUPPLY_ITEMS.values if i in latest]


def _number(data: Any, *path: str) -> float:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    ok = isinstance(data, int | float) and not isinstance(data, bool)
    return float(data) if ok else 0.0


def _units(prescription: dict[str, Any], policy: SuppliesPolicy) -> dict[str, int]:
    return supplies.session_units(
        albumin_g=_number(prescription, "replacement", "albumin_needed_g"),
        acd_a_ml=_number(prescription, "anticoagulant", "volume_ml"),
        calcium_ml=_number(prescription, "calcium_gluconate_10pct_ml"),
        policy=policy,
    )


def _sizes(policy: SuppliesPolicy) -> dict[str, str]:
    return {
        "albumin": f"{policy.albumin_bottle_ml} mL bottle of {policy.albumin_concentration_pct:g}%",
        "acd_a": f"{policy.acd_a_bag_ml} mL bag",
        "calcium": f"{policy.calcium_ampoule_ml:g} mL ampoule of 10% calcium gluconate",
        "tubing_set": f"{policy.tubing_sets_per_session} per session",
    }


def compute_forecast(session: Session, ctx: ServiceContext, days: int | None) -> ForecastOut:
    """The forecast, read inside the caller's transaction (the Today board reads it too)."""
    centre = session.get(Centre, ctx.centre_id)
    policy = load_policy(centre) if centre is not None else CentrePolicy()
    stock_policy = policy.supplies
    days = stock_policy.forecast_days if days is None else days
    if not 1 <= days <= supplies.MAX_FORECAST_DAYS:
        raise InputError(
            "days", f"{days} is out of range", allowed=f"1-{supplies.MAX_FORECAST_DAYS}"
        )
    zone = ZoneInfo((centre.time_zone if centre else "") or policy.hours.time_zone)
    today = ctx.now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(), zone)
    end = start + dt.timedelta(days=days)
    latest = _latest(session, ctx)
    since = min((row.counted_at for row in latest.values()), default=start)
    rows = session.execute(
        select(ExchangeSession, Course.prescription)
        .join(Course, Course.id == ExchangeSession.course_id)
        .where(
            ExchangeSession.centre_id == ctx.centre_id,
            ExchangeSession.deleted_at.is_(None),
            Course.deleted_at.is_(None),
            ExchangeSession.planned_start >= min(since, start),
            ExchangeSession.planned_start < end,
            ExchangeSession.status.in_(("planned", "done")),
        )
    )
    booked: list[tuple[dt.date, dict[str, int]]] = []
    used = dict.fromkeys(SUPPLY_ITEMS.values, 0)
    course_status: dict[int, str] = {}
    statuses = select(Course.id, Course.status).where(Course.centre_id == ctx.centre_id)
    for course_id, status in session.execute(statuses):
        course_status[course_id] = status
    for row, prescription in rows:
        units = _units(prescription or {}, stock_policy)
        if row.status == "done":
            when = row.actual_start or row.planned_start
            for item, count in latest.items():
                if when >= count.counted_at:
                    used[item] += units[item]
        elif row.planned_start >= start and course_status.get(row.course_id) in _BOOKED_COURSES:
            booked.append((row.planned_start.astimezone(zone).date(), units))
    stock = {item: max(0, row.quantity - used[item]) for item, row in latest.items()}
    result = supplies.forecast(today, days, booked, stock)

    def out(item: supplies.ItemForecast) -> ItemForecastOut:
        count = latest.get(item.item)
        return ItemForecastOut(
            item=item.item,
            label=SUPPLY_ITEMS.label(item.item),
            counted=count.quantity if count else None,
            counted_at=count.counted_at if count else None,
            used_since_count=used[item.item] if count else 0,
            stock=item.stock,
            needed=item.needed,
            left_after=item.left_after,
            short_on=item.short_on,
        )

    return ForecastOut(
        start=today,
        days=days,
        sizes=_sizes(stock_policy),
        per_day=[DayNeedOut(day=d.day, sessions=d.sessions, needs=d.needs) for d in result.days],
        items=[out(i) for i in result.items],
        shortages=[out(i) for i in result.shortages],
    )


@use_case(Permission.PATIENT_READ)
def supplies_forecast(ctx: ServiceContext, days: int | None = None) -> ForecastOut:
    """Albumin bottles, ACD-A bags, calcium ampoules and tubing sets needed per day for the
    next ``days`` days (the centre's setting if not given) against the stock left."""
    with ctx.db.read() as session:
        return compute_forecast(session, ctx, days)
