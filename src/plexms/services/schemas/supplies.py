"""Stock counts and the supplies forecast (issue 17, item 5)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from plexms.core.vocabulary import SUPPLY_ITEMS
from plexms.services.schemas.common import In, OneOf, ShortText, Stamped, aware

__all__ = ["DayNeedOut", "ForecastOut", "ItemForecastOut", "StockIn", "StockOut"]

SupplyItem = Annotated[str, OneOf(SUPPLY_ITEMS)]


class StockIn(In):
    """A count of one item in the unit: how many whole units, and when counted (now if not
    given; never in the future)."""

    item: SupplyItem
    quantity: int = Field(ge=0, le=100_000)
    counted_at: aware | None = None
    note: ShortText = ""


class StockOut(Stamped):
    item: str
    quantity: int
    counted_at: dt.datetime
    counted_by: str
    note: str


class DayNeedOut(BaseModel):
    day: dt.date
    sessions: int
    needs: dict[str, int]


class ItemForecastOut(BaseModel):
    """One item: the last count, what was used since, the stock left now, the need over the
    period and the first day it runs short (``null``: it lasts, or it was never counted)."""

    item: str
    label: str
    counted: int | None
    counted_at: dt.datetime | None
    used_since_count: int
    stock: int | None
    needed: int
    left_after: int | None
    short_on: dt.date | None


class ForecastOut(BaseModel):
    """The need per day from ``start`` for ``days`` days against the stock."""

    start: dt.date
    days: int
    sizes: dict[str, str] = Field(description="what one unit of each item is (local policy)")
    per_day: list[DayNeedOut]
    items: list[ItemForecastOut]
    shortages: list[ItemForecastOut]
