"""Line-days, infections per 1,000 line-days and the access a pre-session check takes
(core.access_lines): boundaries, the exact Poisson interval against SciPy's chi-square form,
and invariants."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chi2

from plexms.core.access_lines import (
    LINE_TYPE_KIND,
    access_for_precheck,
    line_days,
    line_rate,
    poisson_interval,
)
from plexms.core.errors import InputError
from plexms.core.sources import SOURCES
from plexms.core.vocabulary import LINE_EVENTS, LINE_TYPES

D = dt.date
AS_OF = D(2026, 11, 26)


@pytest.mark.parametrize(
    ("inserted", "removed", "since", "days"),
    [
        (D(2026, 11, 26), D(2026, 11, 26), None, 1),  # in and out the same day: 1 line-day
        (D(2026, 11, 25), D(2026, 11, 26), None, 2),  # both ends count
        (D(2026, 11, 26), None, None, 1),  # put in today, still in
        (D(2026, 11, 1), None, None, 26),  # open: counted to the "as of" day
        (D(2026, 11, 27), None, None, 0),  # after the "as of" day
        (D(2026, 11, 1), D(2026, 12, 31), None, 26),  # removal after "as of": cut at as of
        (D(2026, 11, 1), D(2026, 11, 10), D(2026, 11, 10), 1),  # window starts on removal
        (D(2026, 11, 1), D(2026, 11, 10), D(2026, 11, 11), 0),  # window after removal
        (D(2026, 11, 20), None, D(2026, 11, 1), 7),  # window before insertion
    ],
)
def test_line_day_boundaries(inserted, removed, since, days) -> None:  # type: ignore[no-untyped-def]
    assert line_days(inserted, removed, as_of=AS_OF, since=since) == days


def test_removal_before_insertion_names_the_field() -> None:
    with pytest.raises(InputError) as exc:
        line_days(D(2026, 11, 10), D(2026, 11, 9), as_of=AS_OF)
    assert exc.value.field == "removed_on"


@pytest.mark.parametrize("k", [0, 1, 2, 5, 10, 37, 200])
def test_exact_poisson_interval_matches_the_chi_square_form(k: int) -> None:
    low, high = poisson_interval(k)
    expected_low = 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2
    assert low == pytest.approx(expected_low, rel=1e-9, abs=1e-12)
    assert high == pytest.approx(chi2.ppf(0.975, 2 * k + 2) / 2, rel=1e-9)


def test_rate_per_1000_line_days() -> None:
    r = line_rate(3, 1500)
    assert r.per_1000 == 2.0 and r.infections == 3 and r.line_days == 1500
    assert r.ci95_per_1000 == (
        round(chi2.ppf(0.025, 6) / 2 / 1.5, 4),
        round(chi2.ppf(0.975, 8) / 2 / 1.5, 4),
    )
    assert set(r.sources) <= set(SOURCES)
    empty = line_rate(0, 0)
    assert empty.per_1000 is None and empty.ci95_per_1000 is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: poisson_interval(-1), "events"),
        (lambda: poisson_interval(True), "events"),  # type: ignore[arg-type]
        (lambda: poisson_interval(1, level=1.0), "level"),
        (lambda: line_rate(1, -1), "line_days"),
        (lambda: line_rate(1, 2.5), "line_days"),  # type: ignore[arg-type]
        (lambda: access_for_precheck(["arterial"]), "kind"),
    ],
)
def test_bad_input_names_the_field(call, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as exc:
        call()
    assert exc.value.field == field


def test_access_for_precheck() -> None:
    assert access_for_precheck([]) is None
    assert access_for_precheck(["peripheral"]) == "peripheral"
    assert access_for_precheck(["peripheral", "central"]) == "central"


def test_every_line_type_has_a_kind_and_every_event_word_is_known() -> None:
    from plexms.core.access_lines import INFECTION_EVENTS, PROBLEM_EVENTS

    assert set(LINE_TYPE_KIND) == set(LINE_TYPES.values)
    assert set(INFECTION_EVENTS) | set(PROBLEM_EVENTS) <= set(LINE_EVENTS.values)


@given(
    st.dates(D(2020, 1, 1), D(2027, 12, 31)),
    st.integers(0, 400),
    st.dates(D(2020, 1, 1), D(2027, 12, 31)),
)
def test_line_days_are_bounded_and_grow_with_the_as_of_day(inserted, length, as_of) -> None:  # type: ignore[no-untyped-def]
    removed = inserted + dt.timedelta(days=length)
    days = line_days(inserted, removed, as_of=as_of)
    assert 0 <= days <= length + 1
    assert days <= line_days(inserted, removed, as_of=as_of + dt.timedelta(days=1))
    assert line_days(inserted, None, as_of=as_of) >= days


@given(st.integers(0, 60), st.integers(1, 100_000))
def test_the_rate_lies_inside_its_interval(k: int, days: int) -> None:
    r = line_rate(k, days)
    assert r.ci95_per_1000 is not None and r.per_1000 is not None
    assert r.ci95_per_1000[0] <= r.per_1000 + 1e-3 and r.per_1000 <= r.ci95_per_1000[1] + 1e-3
