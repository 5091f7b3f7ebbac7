"""The supplies forecast: whole units per session, boundaries, shortages."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, SuppliesPolicy, policy_from_dict, policy_to_dict
from plexms.core.supplies import forecast, session_units, whole_units

DAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("amount", "size", "units"),
    [
        (0, 500, 0),
        (-1, 500, 0),
        (1, 500, 1),
        (500, 500, 1),
        (500.0000000001, 500, 1),
        (501, 500, 2),
    ],
)
def test_whole_units_round_up_at_the_boundary(amount: float, size: float, units: int) -> None:
    assert whole_units(amount, size) == units


@given(amount=st.floats(0, 50_000), size=st.integers(1, 1000))
def test_whole_units_hold_the_amount_with_less_than_one_spare(amount: float, size: int) -> None:
    n = whole_units(amount, size)
    assert n * size >= amount - 1e-6
    assert n == 0 or (n - 1) * size < amount


def test_session_units_5_and_25_percent_albumin() -> None:
    # 2500 mL of 5% albumin = 125 g: five 500 mL bottles of 5% (25 g each) exactly,
    # or two 100 mL bottles of 25% (25 g each)... 125 / 25 = 5 as well; 50 mL of 25% = 12.5 g.
    five = session_units(albumin_g=125.0, acd_a_ml=500.0, calcium_ml=25.0, policy=SuppliesPolicy())
    assert five == {"albumin": 5, "acd_a": 1, "calcium": 3, "tubing_set": 1}
    quarter = SuppliesPolicy(albumin_bottle_ml=50, albumin_concentration_pct=25.0)
    assert session_units(albumin_g=125.0, acd_a_ml=0, calcium_ml=0, policy=quarter) == {
        "albumin": 10,
        "acd_a": 0,
        "calcium": 0,
        "tubing_set": 1,
    }
    assert session_units(albumin_g=125.1, acd_a_ml=0, calcium_ml=0, policy=quarter)["albumin"] == 11


def test_forecast_per_day_and_first_short_day() -> None:
    one = {"albumin": 6, "acd_a": 1, "calcium": 3, "tubing_set": 1}
    sessions = [
        (DAY, one),
        (DAY + dt.timedelta(days=2), one),
        (DAY + dt.timedelta(days=2), one),
        (DAY - dt.timedelta(days=1), one),  # before the period: ignored
        (DAY + dt.timedelta(days=7), one),  # after it: ignored
    ]
    f = forecast(DAY, 7, sessions, {"albumin": 12, "acd_a": 3, "tubing_set": 0})
    assert [d.sessions for d in f.days] == [1, 0, 2, 0, 0, 0, 0]
    assert f.days[2].needs["albumin"] == 12
    by_item = {i.item: i for i in f.items}
    assert by_item["albumin"].needed == 18
    assert by_item["albumin"].short_on == DAY + dt.timedelta(days=2)
    assert by_item["albumin"].left_after == -6
    assert by_item["acd_a"].short_on is None  # exactly enough is not short
    assert by_item["acd_a"].left_after == 0
    assert by_item["calcium"].stock is None  # never counted: no shortage claimed
    assert by_item["calcium"].short_on is None
    assert by_item["tubing_set"].short_on == DAY
    assert [i.item for i in f.shortages] == ["tubing_set", "albumin"]


def test_forecast_with_no_sessions_has_no_shortage() -> None:
    # a course with no sessions left adds nothing
    f = forecast(DAY, 1, [], {"albumin": 0})
    assert f.shortages == ()
    assert f.items[0].needed == 0


@pytest.mark.parametrize(
    ("days", "stock", "field"),
    [(0, {}, "days"), (85, {}, "days"), (7, {"gauze": 1}, "item"), (7, {"albumin": -1}, "albumin")],
)
def test_forecast_refuses_bad_input(days: int, stock: dict[str, int], field: str) -> None:
    with pytest.raises(InputError) as err:
        forecast(DAY, days, [], stock)
    assert err.value.field == field


@pytest.mark.parametrize(
    "bad",
    [
        {"albumin_bottle_ml": 0},
        {"acd_a_bag_ml": -1},
        {"albumin_concentration_pct": 0},
        {"albumin_concentration_pct": 101},
        {"forecast_days": 0},
        {"tubing_sets_per_session": -1},
    ],
)
def test_supplies_policy_refuses_nonsense(bad: dict[str, float]) -> None:
    with pytest.raises(InputError):
        SuppliesPolicy(**bad)  # type: ignore[arg-type]


def test_supplies_policy_round_trips_in_the_centre_policy() -> None:
    policy = CentrePolicy(supplies=SuppliesPolicy(albumin_bottle_ml=100))
    assert policy_from_dict(policy_to_dict(policy)) == policy
