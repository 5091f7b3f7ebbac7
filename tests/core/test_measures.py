"""Outcome measures beyond the EDSS: each measure's meaningful change at its exact boundary
(>= counts, both sides tested), direction, missing inputs and validation naming the field."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.measures import RESULTS, check_measure, classify_measure, threshold
from plexms.core.policy import CentrePolicy, MeasurePolicy, policy_from_dict, policy_to_dict
from plexms.core.response import RELAPSE_WINDOW_DAYS, edss_baseline_check
from plexms.core.sources import SOURCES
from plexms.core.vocabulary import MEASURES, OUTCOME_MEASURES

# (measure, side, baseline, at the threshold (worse), just short of it (worse), direction)
BOUNDARIES = [
    ("t25fw", None, 10.0, 12.0, 11.99),  # 20% (KRAGT_2006)
    ("t25fw", None, 5.5, 6.6, 6.59),
    ("nhpt", "dominant", 20.0, 24.0, 23.99),  # 20% per hand (FEYS_2017)
    ("nhpt", "non_dominant", 25.0, 30.0, 29.99),
    ("sdmt", None, 50.0, 46.0, 46.5),  # 4 points (BENEDICT_2017)
    ("sdmt", None, 30.0, 27.0, 27.5),  # 10% of 30 = 3 points, before 4 points
    ("lcla_2_5", "right", 30.0, 23.0, 24.0),  # 7 letters (BALCER_2017)
    ("lcla_2_5", "both", 40.0, 33.0, 34.0),
    ("msis29_physical", None, 40.0, 48.0, 47.9),  # 8 points (COSTELLOE_2007)
    ("msis29_psychological", None, 40.0, 48.0, 47.9),  # local policy
    ("msws12", None, 50.0, 58.0, 57.9),  # 8 points (MEHTA_2015)
    ("mfis", None, 30.0, 34.0, 33.0),  # 4 points (ROONEY_2019)
    ("fss", None, 4.0, 4.45, 4.44),  # 0.45 points (ROONEY_2019)
]


@pytest.mark.parametrize(("code", "side", "base", "at", "short"), BOUNDARIES)
def test_worsening_counts_at_the_threshold_and_not_just_below(
    code: str, side: str | None, base: float, at: float, short: float
) -> None:
    assert classify_measure(code, base, at, side=side).result == "worsened"
    assert classify_measure(code, base, short, side=side).result == "unchanged"


@pytest.mark.parametrize(("code", "side", "base", "at", "short"), BOUNDARIES)
def test_the_same_change_the_other_way_is_an_improvement(
    code: str, side: str | None, base: float, at: float, short: float
) -> None:
    # swap the visits: the follow-up is the better value by exactly the threshold
    assert classify_measure(code, at, base, side=side).result in ("improved", "unchanged")
    spec = MEASURES[code]
    better = base - (at - base)
    if spec.low <= better <= spec.high:
        assert classify_measure(code, base, better, side=side).result == "improved"


def test_percent_is_of_the_baseline_and_signed() -> None:
    change = classify_measure("t25fw", 10.0, 12.0)
    assert (change.change, change.change_percent) == (2.0, 20.0)
    change = classify_measure("nhpt", 20.0, 16.0, side="dominant")
    assert (change.result, change.change_percent) == ("improved", -20.0)
    assert classify_measure("sdmt", 0.0, 3.0).change_percent is None  # no percent from 0
    assert classify_measure("sdmt", 0.0, 4.0).result == "improved"  # the points still count
    assert classify_measure("sdmt", 50.0, 50.0).result == "unchanged"


@pytest.mark.parametrize(("base", "after"), [(None, 10.0), (10.0, None), (None, None)])
def test_a_missing_value_is_incomplete_never_a_verdict(
    base: float | None, after: float | None
) -> None:
    change = classify_measure("t25fw", base, after)
    assert change.result == "incomplete"
    assert change.change is None and change.change_percent is None
    assert set(change.missing) == {
        k for k, v in (("baseline", base), ("followup", after)) if v is None
    }
    assert change.to_dict()["result"] == "incomplete"


def test_a_centre_can_set_its_own_threshold() -> None:
    policy = dataclasses.replace(MeasurePolicy(), msws12_points=10.0)
    assert classify_measure("msws12", 50.0, 58.0, policy=policy).result == "unchanged"
    assert classify_measure("msws12", 50.0, 60.0, policy=policy).result == "worsened"
    # a threshold of 0 makes any change meaningful, but no change is still no change
    zero = dataclasses.replace(MeasurePolicy(), mfis_points=0.0)
    assert classify_measure("mfis", 30.0, 30.0, policy=zero).result == "unchanged"
    whole = policy_from_dict(policy_to_dict(CentrePolicy()))
    assert whole.measures == MeasurePolicy()


def test_every_threshold_names_a_known_source_and_local_policy_is_labelled() -> None:
    for code in MEASURES:
        limit = threshold(code)
        assert limit.source in SOURCES
        assert limit.points is not None or limit.percent is not None
        assert classify_measure(code, None, None, side=(MEASURES[code].sides or (None,))[0]).rule
    assert threshold("msis29_psychological").local_policy
    assert not threshold("t25fw").local_policy
    assert threshold("sdmt").text("{correct}") == "4 points or 10% of baseline"
    assert threshold("lcla_2_5").text("{letters}") == "7 letters"
    assert threshold("t25fw").text("s") == "20% of baseline"


def test_vocabulary_direction_and_units_are_defined_once() -> None:
    worse = {c for c, m in MEASURES.items() if m.higher_is_worse}
    assert worse == {
        "t25fw",
        "nhpt",
        "msis29_physical",
        "msis29_psychological",
        "msws12",
        "mfis",
        "fss",
    }
    assert MEASURES["sdmt"].direction == "higher_is_better"
    assert MEASURES["t25fw"].direction == "higher_is_worse"
    assert OUTCOME_MEASURES.values == tuple(MEASURES)
    assert (MEASURES["t25fw"].low, MEASURES["t25fw"].high) == (1.0, 180.0)
    assert (MEASURES["nhpt"].low, MEASURES["nhpt"].high) == (5.0, 300.0)
    assert (MEASURES["sdmt"].high, MEASURES["lcla_2_5"].high) == (110.0, 60.0)


@pytest.mark.parametrize(
    ("code", "value", "side", "field"),
    [
        ("t25fw", 0.5, None, "value"),
        ("t25fw", 180.5, None, "value"),
        ("t25fw", True, None, "value"),
        ("t25fw", float("nan"), None, "value"),
        ("t25fw", "6", None, "value"),
        ("nhpt", 4.9, "dominant", "value"),
        ("nhpt", 20.0, None, "side"),
        ("nhpt", 20.0, "right", "side"),
        ("sdmt", 111, None, "value"),
        ("sdmt", 50, "left", "side"),
        ("lcla_2_5", 61, "left", "value"),
        ("msis29_physical", -1, None, "value"),
        ("walk", 1.0, None, "measure"),
    ],
)
def test_out_of_range_names_the_field(
    code: str, value: object, side: str | None, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        check_measure(code, value, side, "measures[0].")
    assert caught.value.field == f"measures[0].{field}"


def test_classify_checks_its_inputs() -> None:
    with pytest.raises(InputError) as caught:
        classify_measure("t25fw", 0.0, 5.0)
    assert caught.value.field == "baseline.value"
    with pytest.raises(InputError) as caught:
        classify_measure("nhpt", None, None)
    assert caught.value.field == "side"
    with pytest.raises(InputError) as caught:
        classify_measure("walk", 1.0, 2.0)
    assert caught.value.field == "measure"
    assert check_measure("sdmt", 55, None) == 55.0


@given(
    code=st.sampled_from(sorted(MEASURES)),
    data=st.data(),
)
def test_result_is_one_word_and_swapping_visits_swaps_the_verdict(
    code: str, data: st.DataObject
) -> None:
    spec = MEASURES[code]
    side = spec.sides[0] if spec.sides else None
    values = st.floats(min_value=spec.low, max_value=spec.high, allow_nan=False)
    base, after = data.draw(values), data.draw(values)
    forward = classify_measure(code, base, after, side=side)
    backward = classify_measure(code, after, base, side=side)
    assert forward.result in RESULTS
    swap = {"improved": "worsened", "worsened": "improved", "unchanged": "unchanged"}
    if threshold(code).percent is None:
        assert backward.result == swap[forward.result]  # points only: symmetric


# --- an EDSS within 30 days of a relapse is not a baseline (KALINCIK_2015) ---------------


@pytest.mark.parametrize(
    ("days", "usable"),
    [
        (0, False),
        (1, False),
        (RELAPSE_WINDOW_DAYS, False),
        (RELAPSE_WINDOW_DAYS + 1, True),
        (400, True),
    ],
)
def test_edss_within_30_days_of_a_relapse_is_not_a_baseline(days: int, usable: bool) -> None:
    onset = dt.date(2026, 10, 1)
    check = edss_baseline_check(onset + dt.timedelta(days=days), [dt.date(2025, 1, 1), onset])
    assert check.usable is usable
    assert (check.relapse_onset, check.days_from_relapse) == (onset, days)
    assert check.to_dict()["relapse_onset"] == "2026-10-01"
    assert check.source in SOURCES


def test_a_relapse_after_the_edss_or_none_at_all_leaves_it_a_baseline() -> None:
    taken = dt.date(2026, 10, 1)
    assert edss_baseline_check(taken, [taken + dt.timedelta(days=1)]).usable
    check = edss_baseline_check(taken, [])
    assert check.usable and check.relapse_onset is None
    assert check.to_dict()["relapse_onset"] is None
