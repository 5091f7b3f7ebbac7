"""The one wall clock plexms reads.

Everything else gets the time passed in: use cases from :class:`ServiceContext.now`, the web
and API fronts from ``app.state.clock``, the calculators as an argument. Tests freeze this
(``time-machine``) or inject their own clock, so no result depends on the day the suite runs.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["local_today", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def local_today(time_zone: str, now: dt.datetime | None = None) -> dt.date:
    """The calendar date at ``now`` (default: the wall clock) in ``time_zone``.

    >>> local_today("America/Los_Angeles", dt.datetime(2026, 11, 26, 3, tzinfo=dt.UTC))
    datetime.date(2026, 11, 25)
    """
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()
