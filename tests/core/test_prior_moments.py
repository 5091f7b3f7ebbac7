"""Kinetic-prior moments pool exactly across nodes; a node below k contributes nothing
(issue 19, item 3: federated kinetic priors)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.kinetics.prior_moments import (
    EMPTY,
    Moments,
    combine,
    learned_prior,
    lognormal_range,
    moments,
    pool,
    publishable,
)
from plexms.core.kinetics.priors import PARAMETERS, pool_priors, population_prior, to_scale

_ROW = st.tuples(
    st.floats(-8.0, 8.0, allow_nan=False, allow_infinity=False),
    st.floats(0.0, 2.0, allow_nan=False, allow_infinity=False),
)
_NODES = st.lists(st.lists(_ROW, max_size=25), min_size=1, max_size=6)


def _close(a: Moments, b: Moments) -> None:
    assert a.n == b.n
    scale = 1.0 + max(abs(a.mean), abs(b.mean))
    assert math.isclose(a.mean, b.mean, rel_tol=1e-9, abs_tol=1e-9 * scale)
    assert math.isclose(a.m2, b.m2, rel_tol=1e-7, abs_tol=1e-7 * scale * scale * (1 + a.n))
    assert math.isclose(a.noise, b.noise, rel_tol=1e-9, abs_tol=1e-12)


@given(_NODES)
def test_pooling_the_nodes_equals_the_concatenated_data(
    nodes: list[list[tuple[float, float]]],
) -> None:
    everything = [row for node in nodes for row in node]
    _close(pool(moments(node) for node in nodes), moments(everything))


@given(_NODES, st.lists(_ROW, min_size=1, max_size=4), st.integers(0, 6))
def test_a_node_below_k_contributes_nothing(
    nodes: list[list[tuple[float, float]]], small: list[tuple[float, float]], where: int
) -> None:
    k = len(small) + 1  # the small node's patients are k - 1
    parts = [publishable(moments(node), len(node), 1) for node in nodes]
    withheld = publishable(moments(small), len(small), k)
    assert withheld is None
    parts.insert(min(where, len(parts)), withheld)
    _close(pool(parts), moments([row for node in nodes for row in node]))


@given(st.lists(_ROW, max_size=30), st.lists(_ROW, max_size=30))
def test_combine_is_symmetric(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> None:
    _close(combine(moments(a), moments(b)), combine(moments(b), moments(a)))


def test_suppression_at_the_boundary() -> None:
    rows = [(math.log(500.0 + i), 0.1) for i in range(5)]
    assert publishable(moments(rows[:4]), 4, k=5) is None  # n = k - 1: withheld
    shown = publishable(moments(rows), 5, k=5)  # n = k: shown
    assert shown is not None and shown.n == 5
    assert publishable(EMPTY, 0, k=5) == EMPTY  # nobody: nothing to hide
    # patients, not courses, decide: 6 courses of 4 patients are withheld
    assert publishable(moments(rows + rows[:1]), 4, k=5) is None
    with pytest.raises(Exception, match="k"):
        publishable(moments(rows), 5, k=0)


def test_learned_prior_from_moments_is_pool_priors() -> None:
    old = population_prior("igg")
    centre = {name: to_scale(name, p.median) for name in PARAMETERS if (p := old.get(name))}
    estimates = [
        {
            name: (centre[name] + 0.3 * math.sin(i + j), 0.05 + 0.01 * (i % 3))
            for j, name in enumerate(PARAMETERS)
        }
        for i in range(17)
    ]
    expected = pool_priors(old, estimates, origin="registry")
    for name in PARAMETERS:
        prior = old.get(name)
        assert prior is not None
        # the hub sees two nodes' moments, never the rows
        rows = [e[name] for e in estimates]
        pooled = pool([moments(rows[:7]), moments(rows[7:])])
        got = learned_prior(name, prior, pooled)
        want = expected.get(name)
        assert want is not None
        assert math.isclose(got.median, want.median, rel_tol=1e-5), name
        assert math.isclose(got.sd_log, want.sd_log, abs_tol=1e-4), name
    # one estimate keeps the old spread; none keeps the prior
    one = learned_prior(
        "elimination_half_life_h", old.elimination_half_life_h, moments([(6.0, 0.1)])
    )
    assert one.sd_log == pytest.approx(old.elimination_half_life_h.sd_log, abs=1e-4)
    assert (
        learned_prior("baseline", old.elimination_half_life_h, EMPTY) == old.elimination_half_life_h
    )
    with pytest.raises(Exception, match="prior_weight"):
        learned_prior("baseline", old.elimination_half_life_h, EMPTY, prior_weight=0)


def test_range_and_round_trip() -> None:
    m = moments([(math.log(10.0), 0.1), (math.log(10.0), 0.1)])
    assert lognormal_range("baseline", m) == pytest.approx((10.0, 10.0, 10.0))
    median, low, high = lognormal_range("intravascular_fraction", moments([(0.0, 0.1), (0.4, 0.1)]))
    assert 0.0 < low < median < high < 1.0
    assert moments([(1.0, 0.1)]).sd is None
    assert Moments.from_dict(m.to_dict()) == m
    with pytest.raises(Exception, match="n"):
        lognormal_range("baseline", EMPTY)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"mean": 0.0, "m2": 0.0, "noise": 0.0}, "n"),
        ({"n": -1, "mean": 0.0, "m2": 0.0, "noise": 0.0}, "n"),
        ({"n": True, "mean": 0.0, "m2": 0.0, "noise": 0.0}, "n"),
        ({"n": 3, "mean": "x", "m2": 0.0, "noise": 0.0}, "mean"),
        ({"n": 3, "mean": float("nan"), "m2": 0.0, "noise": 0.0}, "mean"),
        ({"n": 3, "mean": 0.0, "m2": -1.0, "noise": 0.0}, "m2"),
        ({"n": 3, "mean": 0.0, "m2": 0.0, "noise": float("inf")}, "noise"),
    ],
)
def test_a_malformed_answer_names_its_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(Exception, match=f"^{field}:"):
        Moments.from_dict(raw)
