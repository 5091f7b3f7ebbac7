"""Adverse events: catalogue, WAA severity, CTCAE-style grade and WAA-style rates."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.adverse_events import (
    ADVERSE_EVENTS,
    SEVERITIES,
    SEVERITY_DEFINITIONS,
    WAA_2025_PER_100,
    ctcae_grade,
    waa_rates,
    waa_severity,
    wilson_interval,
    worst_per_procedure,
)
from plexms.core.errors import InputError
from plexms.core.sources import SOURCES


def test_catalogue_holds_the_seed_list_and_the_additions() -> None:
    seed = {
        "hypotension",
        "fatigue",
        "hypocalcaemia",
        "catheter_infection",
        "allergic_reaction",
        "bleeding",
        "arrhythmia",
    }
    assert set(ADVERSE_EVENTS) == seed | {"vasovagal", "nausea", "chills"}
    for event in ADVERSE_EVENTS.values():
        assert event.actions and all(s in SOURCES for s in event.sources)
        json.dumps(event.to_dict())
    assert "SEED_ARTICLE" in ADVERSE_EVENTS["hypotension"].sources
    assert "10 mL of 10%" in " ".join(ADVERSE_EVENTS["hypocalcaemia"].actions)


@pytest.mark.parametrize(
    ("facts", "severity", "grade"),
    [
        ({}, "mild", 1),
        ({"needed_medication": True}, "moderate", 2),
        ({"interrupted": True}, "severe", 3),
        ({"stopped": True, "needed_medication": True}, "severe", 3),
        ({"died": True, "stopped": True}, "death", 5),
    ],
)
def test_waa_severity_and_ctcae_grade(facts: dict[str, bool], severity: str, grade: int) -> None:
    assert waa_severity(**facts) == severity
    assert ctcae_grade(severity) == grade
    assert severity in SEVERITY_DEFINITIONS


def test_life_threatening_severe_event_is_ctcae_4() -> None:
    assert ctcae_grade("severe", life_threatening=True) == 4
    assert ctcae_grade("moderate", life_threatening=True) == 2


def test_waa_reference_rates() -> None:
    assert WAA_2025_PER_100 == {"mild": 1.6, "moderate": 2.0, "severe": 0.20, "death": None}


def test_rates_are_per_100_procedures_with_wilson_intervals() -> None:
    rates = waa_rates(10, {"mild": 5})
    mild, moderate = rates.rows[0], rates.rows[1]
    assert mild.per_100 == 50.0
    # Wilson 1927 score interval, 5/10: 23.66-76.34%; 0/10: 0-27.75%
    assert mild.ci95_per_100 == pytest.approx((23.66, 76.34), abs=0.01)
    assert moderate.ci95_per_100 == pytest.approx((0.0, 27.75), abs=0.01)
    assert mild.comparison == "above"
    assert rates.rows[3].comparison == "no reference"
    body = rates.to_dict()
    assert {s["key"] for s in body["sources"]} == {
        "WAA_2025",
        "WAA_2016",
        "WILSON_1927",
        "NEWCOMBE_1998",
    }
    # the registry's rates are over all procedure types, and every row says so
    assert body["reference_scope"] == "all procedure types"
    assert {r["reference_scope"] for r in body["rows"]} == {"all procedure types"}
    json.dumps(body)


@pytest.mark.parametrize(
    ("procedures", "counts", "severity", "comparison"),
    [
        (1000, {"mild": 16}, "mild", "consistent"),  # exactly the registry
        (5000, {"moderate": 20}, "moderate", "below"),
        (1000, {"severe": 9}, "severe", "above"),
        (200, {"severe": 1}, "severe", "consistent"),  # 0.5 per 100 on one event: too few
    ],
)
def test_comparison_with_the_registry(
    procedures: int, counts: dict[str, int], severity: str, comparison: str
) -> None:
    row = next(r for r in waa_rates(procedures, counts).rows if r.severity == severity)
    assert row.comparison == comparison


def test_each_procedure_counts_once_at_its_worst_event() -> None:
    counts = worst_per_procedure([["mild", "severe"], ["moderate"], [], ["mild", "mild"]])
    assert counts == {"mild": 1, "moderate": 1, "severe": 1, "death": 0}
    assert waa_rates(4, counts).rows[2].per_100 == 25.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: waa_rates(0, {}), "procedures"),
        (lambda: waa_rates(True, {}), "procedures"),  # type: ignore[arg-type]
        (lambda: waa_rates(10, {"awful": 1}), "counts.awful"),
        (lambda: waa_rates(10, {"mild": -1}), "counts.mild"),
        (lambda: waa_rates(10, {"mild": 2.5}), "counts.mild"),  # type: ignore[dict-item]
        (lambda: waa_rates(10, {"mild": 8, "moderate": 3}), "counts"),
        (lambda: worst_per_procedure([["mild"], ["bad"]]), "procedures[1]"),
        (lambda: ctcae_grade("grave"), "severity"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(InputError) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field


@given(
    n=st.integers(1, 100_000),
    fractions=st.lists(st.floats(0, 1), min_size=4, max_size=4),
)
def test_rates_are_bounded_and_intervals_hold_the_estimate(n: int, fractions: list[float]) -> None:
    counts: dict[str, int] = {}
    left = n
    for severity, f in zip(SEVERITIES, fractions, strict=True):
        counts[severity] = int(left * f)
        left -= counts[severity]
    for row in waa_rates(n, counts).rows:
        low, high = row.ci95_per_100
        assert 0.0 <= low <= row.per_100 + 1e-9 and row.per_100 <= high + 1e-9 and high <= 100.0


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [  # Newcombe 1998 (Stat Med 17:857), Wilson score method without continuity correction
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_textbook_values(count: int, n: int, low: float, high: float) -> None:
    assert wilson_interval(count, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_refuses_impossible_counts() -> None:
    for args, field in (((1, 0), "n"), ((3, 2), "count"), ((-1, 2), "count")):
        with pytest.raises(InputError) as err:
            wilson_interval(*args)
        assert err.value.field == field
    with pytest.raises(InputError):
        wilson_interval(1, 2, z=0.0)
