"""A centre's holiday calendar turned into closed dates (core has no calendar of its own).

The holidays come from the ``holidays`` package for the centre's country and subdivision
(``ClinicHours.holiday_country`` / ``holiday_subdivision``; the seed clinic in La Jolla uses
US / CA), observed dates included (a Saturday holiday observed on the Friday closes the
Friday). They are added to the centre's own ``closed_dates``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import holidays

from plexms.core.errors import InputError
from plexms.core.policy import ClinicHours

__all__ = ["holiday_names", "with_holidays"]


def holiday_names(hours: ClinicHours, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """Public holidays of the centre's calendar from ``first`` to ``last`` (inclusive)."""
    if not hours.holiday_country:
        return {}
    years = range(first.year, last.year + 1)
    try:
        calendar = holidays.country_holidays(
            hours.holiday_country, subdiv=hours.holiday_subdivision, years=years
        )
    except NotImplementedError as exc:
        field = "holiday_subdivision" if "subdivision" in str(exc) else "holiday_country"
        raise InputError(
            f"hours.{field}",
            f"no holiday calendar for {hours.holiday_country!r} / {hours.holiday_subdivision!r}",
            allowed="an ISO 3166 country code and subdivision known to the holidays package",
        ) from None
    return {day: str(name) for day, name in sorted(calendar.items()) if first <= day <= last}


def with_holidays(hours: ClinicHours, first: dt.date, last: dt.date) -> ClinicHours:
    """``hours`` with the public holidays from ``first`` to ``last`` added to its closed dates.

    >>> hours = with_holidays(ClinicHours(), dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    >>> hours.hours_on(dt.date(2026, 11, 26)) is None  # Thanksgiving
    True
    """
    names = holiday_names(hours, first, last)
    return dataclasses.replace(hours, closed_dates=hours.closed_dates | frozenset(names))
