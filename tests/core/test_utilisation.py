"""Unit utilisation (issue 17 item 7): definitions at their boundaries (closed day, no
shifts, zero places, maintenance, a session over midnight refused) and invariants."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.policy import ClinicHours, ResourcePolicy
from plexms.core.utilisation import MAX_DAYS, Capacity, Use, utilisation

MON = dt.date(2026, 11, 30)
HOURS = ClinicHours()  # seed: Mon-Thu 09:00-17:00, Fri 09:00-16:00, weekend closed
POLICY = ResourcePolicy()  # set-up 15, turnover 15, 2 patients per nurse


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def shift(day: dt.date, a: int = 8, b: int = 18) -> tuple[dt.datetime, dt.datetime]:
    return (at(day, a), at(day, b))


def use(key: int, day: dt.date, hour: int, hours: int = 2, place: int = 1, **kw: object) -> Use:
    return Use(key, at(day, hour), at(day, hour + hours), place, place, 7, **kw)  # type: ignore[arg-type]


def test_a_day_counts_setup_and_turnover_against_opening_hours() -> None:
    u = utilisation(
        MON, MON, [use(1, MON, 9), use(2, MON, 12)], Capacity(2, 2, (shift(MON),)), HOURS, POLICY
    )
    (day,) = u.days
    assert day.open_minutes == 480 and day.sessions == 2
    assert day.place_booked == 2 * (120 + 30) and day.place_available == 960
    assert day.place_utilisation == pytest.approx(300 / 960)
    assert day.machine_utilisation == pytest.approx(300 / 960)
    assert day.nurse_booked == 240 and day.nurse_available == 600 * 2
    assert day.nurse_utilisation == pytest.approx(240 / 1200)
    assert (day.changeovers, day.turnover_minutes, day.mean_turnover) == (1, 60, 60)
    assert [(r.key, r.planned_minutes, r.actual_minutes, r.over) for r in u.runs] == [
        (1, 120, None, None),
        (2, 120, None, None),
    ]


def test_run_time_against_the_plan() -> None:
    done = use(1, MON, 9, actual_start=at(MON, 9, 10), actual_end=at(MON, 11, 40))
    short = use(2, MON, 12, place=2, actual_start=at(MON, 12), actual_end=at(MON, 13, 30))
    half = use(3, MON, 13, place=3, actual_start=at(MON, 13))
    u = utilisation(MON, MON, [done, short, half], Capacity(3, 3), HOURS, POLICY)
    assert [(r.actual_minutes, r.over) for r in u.runs] == [(150, 30), (90, -30), (None, None)]
    assert u.days[0].changeovers == 0 and u.days[0].mean_turnover is None


def test_closed_day_no_shifts_and_no_places_have_no_utilisation() -> None:
    sat = MON + dt.timedelta(days=5)
    u = utilisation(sat, sat, [], Capacity(2, 2, (shift(sat),)), HOURS, POLICY)
    day = u.days[0]
    assert day.open_minutes == 0 and day.place_utilisation is None
    assert day.machine_utilisation is None and day.nurse_utilisation == 0.0
    bare = utilisation(MON, MON, [use(1, MON, 9)], Capacity(0, 0), HOURS, POLICY).days[0]
    assert bare.place_utilisation is None and bare.nurse_utilisation is None  # no shifts
    holiday = ClinicHours(closed_dates=frozenset({MON}))
    assert utilisation(MON, MON, [], Capacity(1, 1), holiday, POLICY).days[0].open_minutes == 0


def test_maintenance_inside_opening_hours_is_not_available() -> None:
    block = (at(MON, 12), at(MON, 20))  # 12:00-17:00 counts, after closing does not
    day = utilisation(MON, MON, [], Capacity(1, 2, (), (block,)), HOURS, POLICY).days[0]
    assert day.machine_available == 2 * 480 - 300
    whole = (at(MON, 0), at(MON + dt.timedelta(days=1), 0))
    day = utilisation(MON, MON, [], Capacity(1, 1, (), (whole, whole)), HOURS, POLICY).days[0]
    assert day.machine_available == 0 and day.machine_utilisation is None


def test_weeks_are_monday_first_and_clipped_to_the_days_asked() -> None:
    first, last = MON - dt.timedelta(days=2), MON + dt.timedelta(days=8)
    shifts = tuple(shift(MON + dt.timedelta(days=k)) for k in range(5))
    uses = [use(k, MON + dt.timedelta(days=k), 9) for k in range(5)]
    uses.append(use(99, MON + dt.timedelta(days=30), 9))  # outside: ignored
    u = utilisation(first, last, uses, Capacity(1, 1, shifts), HOURS, POLICY)
    assert len(u.days) == 11
    assert [(w.first, w.last) for w in u.weeks] == [
        (first, MON - dt.timedelta(days=1)),
        (MON, MON + dt.timedelta(days=6)),
        (MON + dt.timedelta(days=7), last),
    ]
    week = u.weeks[1]
    assert week.sessions == 5 and week.open_minutes == 4 * 480 + 420
    assert week.place_booked == sum(d.place_booked for d in u.days[2:9])
    assert len(u.runs) == 5


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (Use(1, at(MON, 22), at(MON + dt.timedelta(days=1), 1), 1, 1, 7), "end"),
        (Use(1, at(MON, 10), at(MON, 9), 1, 1, 7), "end"),
        (Use(1, at(MON, 9), at(MON, 10), 1, 1, 7, at(MON, 10), at(MON, 9)), "actual_end"),
    ],
)
def test_impossible_sessions_are_refused_naming_the_field(bad: Use, field: str) -> None:
    with pytest.raises(InputError) as err:
        utilisation(MON, MON, [bad], Capacity(1, 1), HOURS, POLICY)
    assert err.value.field == field


def test_period_and_capacity_limits() -> None:
    with pytest.raises(InputError, match="before start"):
        utilisation(MON, MON - dt.timedelta(days=1), [], Capacity(1, 1), HOURS, POLICY)
    with pytest.raises(InputError, match="too long"):
        utilisation(MON, MON + dt.timedelta(days=MAX_DAYS), [], Capacity(1, 1), HOURS, POLICY)
    with pytest.raises(InputError, match="negative"):
        utilisation(MON, MON, [], Capacity(-1, 1), HOURS, POLICY)


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(8, 13), st.integers(1, 2), st.integers(1, 3)),
        max_size=20,
    )
)
def test_weeks_add_up_to_their_days(raw: list[tuple[int, int, int, int]]) -> None:
    uses = [
        use(k, MON + dt.timedelta(days=d), h, hours=n, place=p)
        for k, (d, h, n, p) in enumerate(raw)
    ]
    u = utilisation(MON, MON + dt.timedelta(days=6), uses, Capacity(3, 3), HOURS, POLICY)
    (week,) = u.weeks
    assert week.sessions == len(uses) == len(u.runs)
    assert week.nurse_booked == sum(60 * n for _, _, n, _ in raw)
    assert week.place_booked == week.nurse_booked + 30 * len(uses)
    assert all(d.turnover_minutes >= 0 and d.changeovers <= d.sessions for d in u.days)
