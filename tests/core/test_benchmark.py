"""Centre benchmarking (issue 18 item 4): Wilson intervals against published values, the
funnel's limits, the Bernoulli CUSUM against a worked example, and the boundaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexms.core.adverse_events import wilson_interval
from plexms.core.benchmark import (
    FUNNEL_Z,
    bernoulli_cusum,
    cusum_weights,
    funnel,
    funnel_limits,
    rates_by_type,
)
from plexms.core.errors import InputError
from plexms.core.policy import BenchmarkPolicy, CentrePolicy, policy_from_dict, policy_to_dict


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # NEWCOMBE_1998 table I (Wilson score interval without continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_worked_examples(
    count: int, n: int, low: float, high: float
) -> None:
    got = wilson_interval(count, n)
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_rates_by_type_at_the_boundaries() -> None:
    none, every = rates_by_type(50, {"nausea": 0, "hypotension": 50}, {"hypotension": {"mild": 50}})
    assert none.per_100 == 0.0 and none.ci95_per_100[0] == 0.0 and none.ci95_per_100[1] > 0
    assert every.per_100 == 100.0 and every.ci95_per_100[1] == 100.0
    assert every.ci95_per_100[0] < 100.0 and every.by_severity == {"mild": 50}
    (empty,) = rates_by_type(0, {"nausea": 0}, {})
    assert (empty.per_100, empty.ci95_per_100) == (0.0, (0.0, 100.0))
    with pytest.raises(InputError, match=r"counts\.nausea"):
        rates_by_type(10, {"nausea": 11}, {})
    with pytest.raises(InputError, match="procedures"):
        rates_by_type(-1, {}, {})
    with pytest.raises(InputError, match="procedures"):
        rates_by_type(True, {}, {})  # type: ignore[arg-type]


def test_funnel_limits_follow_spiegelhalter() -> None:
    low, high = funnel_limits(0.1, [100], FUNNEL_Z["99.8%"])
    half = 3.090232306167813 * math.sqrt(0.1 * 0.9 / 100)
    assert float(low[0]) == pytest.approx(0.1 - half)
    assert float(high[0]) == pytest.approx(0.1 + half)
    low, _ = funnel_limits(0.01, [10], 1.96)  # clipped at 0
    assert float(low[0]) == 0.0
    with pytest.raises(InputError, match="target"):
        funnel_limits(1.5, [10], 1.96)
    with pytest.raises(InputError, match="n"):
        funnel_limits(0.1, [0], 1.96)


def test_funnel_positions_and_boundaries() -> None:
    f = funnel([("none", 0, 0), ("zero", 0, 400), ("all", 40, 40), ("ok", 8, 200)])
    assert [p.label for p in f.points] == ["zero", "all", "ok"]  # no procedures: left out
    assert f.target == pytest.approx(48 / 640) and f.target_source == "pooled"
    positions = {p.label: p.position for p in f.points}
    assert positions == {"zero": "below 99.8%", "all": "above 99.8%", "ok": "within"}
    curve = f.curve([10, 1000])
    assert set(curve) == set(FUNNEL_Z)
    assert curve["95%"][1][0] > curve["95%"][1][1]  # the funnel narrows
    given_target = funnel([("a", 4, 100)], target=0.038, target_source="WAA_2025")
    assert given_target.target_source == "WAA_2025" and given_target.points[0].position == "within"
    assert funnel([]).target == 0.0 and funnel([]).points == ()
    flat = funnel([("a", 0, 10), ("b", 0, 20)])
    assert [p.z for p in flat.points] == [0.0, 0.0]  # target 0: no spread
    with pytest.raises(InputError, match="target"):
        funnel([("a", 1, 10)], target=-0.1)
    with pytest.raises(InputError, match=r"centres\[0\].events"):
        funnel([("a", 11, 10)])


def test_cusum_worked_example() -> None:
    """p0 = 0.05, OR = 2: p1 = 0.1 / 1.05 = 0.095238; an event weighs ln(p1/p0) = 0.644357,
    a procedure without one ln((1 - p1) / (1 - p0)) = -0.048790 (STEINER_2000's formula, the
    same log-likelihood ratio). With h = 2, after 1, 1, 0, 1, 1 the sum is
    0.6444, 1.2887, 1.2399, 1.8843, 2.5286 >= 2: a signal at the 5th procedure, then a reset."""
    w1, w0 = cusum_weights(0.05, 2.0)
    p1 = 2 * 0.05 / (1 - 0.05 + 2 * 0.05)
    assert w1 == pytest.approx(math.log(p1 / 0.05))
    assert w0 == pytest.approx(math.log((1 - p1) / (1 - 0.05)))
    c = bernoulli_cusum([1, 1, 0, 1, 1, 1], 0.05, 2.0, 2.0)
    assert [round(float(v), 4) for v in c.values] == [
        0.6444,
        1.2887,
        1.2399,
        1.8843,
        2.5286,
        0.6444,
    ]
    assert c.signals == (4,)
    assert c.p1 == pytest.approx(p1)


def _loop(y: list[int], p0: float, odds: float, h: float) -> tuple[list[float], list[int]]:
    w1, w0 = cusum_weights(p0, odds)
    s, values, signals = 0.0, [], []
    for i, event in enumerate(y):
        s = max(0.0, s + (w1 if event else w0))
        values.append(s)
        if s >= h:
            signals.append(i)
            s = 0.0
    return values, signals


@settings(max_examples=60, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), max_size=9000),
    p0=st.floats(0.01, 0.3),
    h=st.floats(0.5, 6.0),
)
def test_the_vectorised_cusum_is_the_recursion(y: list[int], p0: float, h: float) -> None:
    c = bernoulli_cusum(np.array(y, dtype=np.int64), p0, 2.0, h)
    values, signals = _loop(y, p0, 2.0, h)
    np.testing.assert_allclose(c.values, values, atol=1e-9)
    assert list(c.signals) == signals


def test_cusum_boundaries() -> None:
    assert bernoulli_cusum([], 0.05, 2.0, 4.5).values.size == 0
    assert bernoulli_cusum([0] * 100, 0.05, 2.0, 4.5).signals == ()
    assert bernoulli_cusum([1] * 100, 0.05, 2.0, 4.5).signals[0] == 6  # 7 x 0.644 >= 4.5
    for bad, field in (
        ({"outcomes": [2]}, "outcomes"),
        ({"outcomes": [[1]]}, "outcomes"),
        ({"h": 0.0}, "h"),
        ({"p0": 0.0}, "p0"),
        ({"p0": 1.0}, "p0"),
        ({"odds_ratio": 1.0}, "odds_ratio"),
        ({"odds_ratio": math.inf}, "odds_ratio"),
    ):
        args = {"outcomes": [0, 1], "p0": 0.05, "odds_ratio": 2.0, "h": 4.5} | bad
        with pytest.raises(InputError) as exc:
            bernoulli_cusum(**args)  # type: ignore[arg-type]
        assert exc.value.field == field


def test_the_benchmark_settings_round_trip() -> None:
    policy = CentrePolicy()
    assert policy.benchmark == BenchmarkPolicy()
    assert policy_from_dict(policy_to_dict(policy)) == policy
    assert policy.prescription.albumin_price_per_g > 0 and policy.prescription.currency
