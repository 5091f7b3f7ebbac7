from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from plexms.core.errors import InputError
from plexms.core.policy import ClinicHours
from plexms.services.clinical.clinic_calendar import holiday_names, with_holidays

SEED = ClinicHours()


def test_seed_clinic_uses_california_holidays():
    names = holiday_names(SEED, dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    assert names[dt.date(2026, 11, 26)] == "Thanksgiving Day"
    assert names[dt.date(2026, 11, 27)] == "Day After Thanksgiving"  # a California holiday
    assert names[dt.date(2026, 12, 25)] == "Christmas Day"
    assert all(dt.date(2026, 11, 1) <= day <= dt.date(2026, 12, 31) for day in names)


def test_observed_holidays_close_the_weekday():
    # Independence Day 2026 is a Saturday, observed on Friday 3 July.
    hours = with_holidays(SEED, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert hours.hours_on(dt.date(2026, 7, 3)) is None
    assert hours.hours_on(dt.date(2026, 7, 2)) == (dt.time(9), dt.time(17))


def test_holidays_across_a_year_end_and_own_closures_kept():
    own = dt.date(2026, 12, 29)
    hours = dataclasses.replace(SEED, closed_dates=frozenset({own}))
    closed = with_holidays(hours, dt.date(2026, 12, 20), dt.date(2027, 1, 10)).closed_dates
    assert {own, dt.date(2026, 12, 25), dt.date(2027, 1, 1)} <= closed


def test_no_calendar():
    hours = dataclasses.replace(SEED, holiday_country="")
    assert holiday_names(hours, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == {}
    assert with_holidays(hours, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == hours


@pytest.mark.parametrize(
    ("country", "subdivision", "field"),
    [("XX", None, "hours.holiday_country"), ("US", "ZZ", "hours.holiday_subdivision")],
)
def test_unknown_calendar_names_the_setting(country: str, subdivision: str | None, field: str):
    hours = dataclasses.replace(SEED, holiday_country=country, holiday_subdivision=subdivision)
    with pytest.raises(InputError) as info:
        holiday_names(hours, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert info.value.field == field
