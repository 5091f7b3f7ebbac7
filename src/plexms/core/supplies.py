"""The supplies forecast: what the booked sessions need per day, against the stock counted.

Each session's need comes from its course's prescription (:mod:`plexms.core.prescription`:
the albumin infused, the ACD-A and the 10% calcium gluconate of one exchange), counted in whole
units of the sizes the centre stocks (:class:`plexms.core.policy.SuppliesPolicy`, local
policy): an opened bottle, bag or ampoule is not shared between patients, so each session
rounds up on its own. A day's need is the sum over its sessions.

An item runs short on the first day whose cumulative need (from the first forecast day) is
more than the stock left: the last count less what was used since it was taken.

>>> from plexms.core.policy import SuppliesPolicy
>>> units = session_units(albumin_g=140.0, acd_a_ml=420.0, calcium_ml=28.0,
...                       policy=SuppliesPolicy())
>>> units["albumin"], units["acd_a"], units["calcium"], units["tubing_set"]
(6, 1, 3, 1)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.policy import SuppliesPolicy
from plexms.core.vocabulary import SUPPLY_ITEMS

__all__ = [
    "MAX_FORECAST_DAYS",
    "DayNeed",
    "Forecast",
    "ItemForecast",
    "forecast",
    "session_units",
    "whole_units",
]

#: The longest forecast asked for (twelve weeks).
MAX_FORECAST_DAYS = 84
_TOLERANCE = 1e-9  # 500.0000000001 mL is one bottle, not two (floating-point sums)


def whole_units(amount: float, size: float) -> int:
    """Whole units of ``size`` holding ``amount`` (rounded up; none for nothing).

    >>> whole_units(2300, 500), whole_units(500, 500), whole_units(0, 500)
    (5, 1, 0)
    """
    if amount <= 0:
        return 0
    return math.ceil(amount / size - _TOLERANCE)


def session_units(
    *, albumin_g: float, acd_a_ml: float, calcium_ml: float, policy: SuppliesPolicy
) -> dict[str, int]:
    """The whole bottles, bags, ampoules and sets one session uses (keys: ``SUPPLY_ITEMS``).

    Albumin is counted by its grams so that 25% bottles (250 g/L) are forecast as well as 5%.
    """
    grams_per_bottle = policy.albumin_bottle_ml * policy.albumin_concentration_pct / 100
    return {
        "albumin": whole_units(albumin_g, grams_per_bottle),
        "acd_a": whole_units(acd_a_ml, policy.acd_a_bag_ml),
        "calcium": whole_units(calcium_ml, policy.calcium_ampoule_ml),
        "tubing_set": policy.tubing_sets_per_session,
    }


@dataclass(frozen=True)
class DayNeed:
    """One forecast day: its sessions and the units they need."""

    day: dt.date
    sessions: int
    needs: dict[str, int]


@dataclass(frozen=True)
class ItemForecast:
    """One item over the forecast: stock left (``None``: never counted), the need over the
    period and the first day it runs short (``None``: it lasts, or nothing to compare)."""

    item: str
    stock: int | None
    needed: int
    left_after: int | None
    short_on: dt.date | None


@dataclass(frozen=True)
class Forecast:
    """Per day and per item."""

    days: tuple[DayNeed, ...]
    items: tuple[ItemForecast, ...]

    @property
    def shortages(self) -> tuple[ItemForecast, ...]:
        """The items that run short within the period, earliest first."""
        short = [i for i in self.items if i.short_on is not None]
        return tuple(sorted(short, key=lambda i: (i.short_on, i.item)))


def forecast(
    start: dt.date,
    days: int,
    sessions: Sequence[tuple[dt.date, Mapping[str, int]]],
    stock: Mapping[str, int],
) -> Forecast:
    """The need per day from ``start`` for ``days`` days and each item's first short day.

    ``sessions`` are (day, units) pairs (other days are ignored); ``stock`` is the units in
    hand per item (an item missing was never counted).

    >>> day = dt.date(2026, 11, 30)
    >>> f = forecast(day, 2, [(day, {"albumin": 6}), (day, {"albumin": 6})], {"albumin": 10})
    >>> f.items[0].needed, f.items[0].short_on
    (12, datetime.date(2026, 11, 30))
    """
    if not 1 <= days <= MAX_FORECAST_DAYS:
        raise InputError("days", f"{days} is out of range", allowed=f"1-{MAX_FORECAST_DAYS}")
    for item, count in stock.items():
        if item not in SUPPLY_ITEMS:
            raise InputError(
                "item", f"unknown item {item!r}", allowed=", ".join(SUPPLY_ITEMS.values)
            )
        if count < 0:
            raise InputError(item, "stock cannot be negative", allowed=">= 0")
    calendar = [start + dt.timedelta(days=i) for i in range(days)]
    per_day = {d: dict.fromkeys(SUPPLY_ITEMS.values, 0) for d in calendar}
    counts = dict.fromkeys(calendar, 0)
    for day, units in sessions:
        if day not in per_day:
            continue
        counts[day] += 1
        for item in SUPPLY_ITEMS.values:
            per_day[day][item] += units.get(item, 0)
    items = []
    for item in SUPPLY_ITEMS.values:
        have = stock.get(item)
        total = 0
        short_on = None
        for day in calendar:
            total += per_day[day][item]
            if have is not None and short_on is None and total > have:
                short_on = day
        items.append(
            ItemForecast(
                item=item,
                stock=have,
                needed=total,
                left_after=None if have is None else have - total,
                short_on=short_on,
            )
        )
    return Forecast(
        days=tuple(DayNeed(d, counts[d], per_day[d]) for d in calendar),
        items=tuple(items),
    )
