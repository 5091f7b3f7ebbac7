"""DMT hand-back: catalogue, timing advice and the modelled removal of a recent antibody dose."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexms.core.dmt import DMTS, Course, dmt_advice, removal_wording
from plexms.core.errors import InputError
from plexms.core.kinetics import SUBSTANCES, rate_constants
from plexms.core.sources import SOURCES

START = dt.date(2026, 3, 10)
COURSE = Course(START, 5, 1.0)  # 10, 12, 14, 16, 18 March


def _rules(key: str, **kwargs: object) -> list[str]:
    return [a.rule for a in dmt_advice(key, **kwargs).advice]  # type: ignore[arg-type]


ISSUE_LIST = [
    "interferon_beta",
    "glatiramer_acetate",
    "natalizumab",
    "ocrelizumab",
    "ofatumumab",
    "ublituximab",
    "rituximab",
    "inebilizumab",
    "eculizumab",
    "ravulizumab",
    "satralizumab",
    "alemtuzumab",
    "fingolimod",
    "siponimod",
    "ozanimod",
    "ponesimod",
    "dimethyl_fumarate",
    "diroximel_fumarate",
    "teriflunomide",
    "cladribine",
]


def test_every_dmt_of_the_issue_is_listed() -> None:
    assert sorted(DMTS) == sorted(ISSUE_LIST)
    for dmt in DMTS.values():
        assert all(key in SOURCES for key in dmt.sources)
        assert dmt.drug_class and dmt.basis and dmt.timing


@pytest.mark.parametrize("key", ISSUE_LIST)
def test_antibodies_are_removed_small_molecules_not(key: str) -> None:
    dmt = DMTS[key]
    if dmt.kind == "monoclonal_antibody":
        assert dmt.removed_by_tpe == "yes"
    elif key == "teriflunomide":  # meets the rule of thumb, no TPE data: said so
        assert dmt.removed_by_tpe == "uncertain"
    else:
        assert dmt.removed_by_tpe == "no"
    body = dmt_advice(key).to_dict()
    assert body["rule_version"] and body["sources"]
    json.dumps(body)


def test_course_alone_gives_the_date_to_resume_an_antibody() -> None:
    advice = dmt_advice("ocrelizumab", course=COURSE)
    assert advice.last_exchange_date == dt.date(2026, 3, 18)
    after = next(a for a in advice.advice if a.rule == "DMT-AFTER-COURSE")
    assert "not before the last exchange (2026-03-18)" in after.text
    assert after.source == "PUISSET_2013"
    assert advice.prediction.note == "not modelled: needs last_dose_date and course"


def test_small_molecule_is_not_modelled() -> None:
    advice = dmt_advice("fingolimod", last_dose_date=START, course=COURSE)
    assert not advice.prediction.modelled
    assert "not expected to remove" in advice.prediction.note
    assert "DMT-AFTER-COURSE" not in [a.rule for a in advice.advice]


@pytest.mark.parametrize(
    ("dose", "rule"),
    [
        (dt.date(2026, 3, 20), "DMT-DOSE-AFTER"),
        (dt.date(2026, 3, 13), "DMT-DOSE-DURING"),
        (dt.date(2026, 3, 6), "DMT-DOSE-RECENT"),
        (dt.date(2025, 12, 1), "DMT-DOSE-EARLIER"),
    ],
)
def test_dose_timing_rules(dose: dt.date, rule: str) -> None:
    assert rule in _rules("natalizumab", last_dose_date=dose, course=COURSE)


def test_recent_natalizumab_dose_is_largely_removed() -> None:
    # Khatri 2009: TPE accelerates natalizumab clearance; dose 4 days before a 5 x 1.0 PV course
    advice = dmt_advice("natalizumab", last_dose_date=dt.date(2026, 3, 6), course=COURSE)
    p = advice.prediction
    assert p.modelled and p.exchanges_after_dose == 5
    assert p.dose_fraction_removed is not None and p.dose_fraction_removed > 0.5
    assert p.reduction_vs_no_exchange is not None and p.reduction_vs_no_exchange > 0.8
    assert p.level_end_with_course is not None and p.level_end_without_exchange is not None
    assert p.level_end_with_course < p.level_end_without_exchange
    predicted = next(a for a in advice.advice if a.rule == "DMT-PREDICTED")
    assert f"{p.dose_fraction_removed:.0%}" in predicted.text
    assert "TYSABRI_LABEL" in p.sources or "KHATRI_2009" in p.sources


@pytest.mark.parametrize("key", ["ocrelizumab", "rituximab"])
@pytest.mark.parametrize("days_before", [1, 2, 3])
def test_first_session_after_an_anti_cd20_infusion_matches_puisset(
    key: str, days_before: int
) -> None:
    # Puisset 2013 (rituximab): 47-54% removed by a first session 24-72 h after infusion.
    # One 1.0 plasma-volume exchange: same range, loosely (nominal plasma volume).
    dose = START - dt.timedelta(days=days_before)
    p = dmt_advice(key, last_dose_date=dose, course=Course(START, 1, 1.0)).prediction
    assert p.dose_fraction_removed is not None
    assert 0.35 <= p.dose_fraction_removed <= 0.65


def test_dose_after_the_course_removes_nothing() -> None:
    p = dmt_advice("natalizumab", last_dose_date=dt.date(2026, 3, 20), course=COURSE).prediction
    assert p.modelled and p.exchanges_after_dose == 0 and p.dose_fraction_removed == 0.0
    assert p.reduction_vs_no_exchange == 0.0


def test_dose_long_ago_leaves_nothing_to_compare() -> None:
    advice = dmt_advice("natalizumab", last_dose_date=dt.date(2016, 1, 1), course=COURSE)
    assert advice.prediction.reduction_vs_no_exchange is None
    assert "DMT-PREDICTED" not in [a.rule for a in advice.advice]


def test_antibody_without_kinetic_parameters_says_not_modelled() -> None:
    advice = dmt_advice("ofatumumab", last_dose_date=dt.date(2026, 3, 1), course=COURSE)
    assert not advice.prediction.modelled
    assert advice.prediction.note.startswith("no kinetic model: parameters not published")
    recent = next(a for a in advice.advice if a.rule == "DMT-DOSE-RECENT")
    assert "largely" not in recent.text and "not quantified" in recent.text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "aspirin"}, "dmt"),
        ({"key": "natalizumab", "course": Course(START, 0, 1.0)}, "course.exchanges"),
        (
            {"key": "natalizumab", "course": Course(START, 5, 4.0)},
            "course.plasma_volumes_per_exchange",
        ),
        (
            {"key": "natalizumab", "course": Course(START, 2, 1.0, (START,))},
            "course.exchange_dates",
        ),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    key = kwargs.pop("key")
    with pytest.raises(InputError) as info:
        dmt_advice(key, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@settings(max_examples=40, deadline=None)
@given(
    key=st.sampled_from(["natalizumab", "ocrelizumab", "rituximab"]),
    days_before=st.integers(-20, 400),
    exchanges=st.integers(1, 7),
    volumes=st.floats(0.5, 2.0),
)
def test_more_exchanges_remove_more(
    key: str, days_before: int, exchanges: int, volumes: float
) -> None:
    dose = START - dt.timedelta(days=days_before)
    fewer = dmt_advice(key, last_dose_date=dose, course=Course(START, exchanges, volumes))
    more = dmt_advice(key, last_dose_date=dose, course=Course(START, exchanges + 1, volumes))
    a, b = fewer.prediction, more.prediction
    assert a.dose_fraction_removed is not None and b.dose_fraction_removed is not None
    assert 0.0 <= a.dose_fraction_removed <= b.dose_fraction_removed + 1e-9 <= 1.0 + 1e-9
    for p in (a, b):
        if p.reduction_vs_no_exchange is not None:
            assert -1e-9 <= p.reduction_vs_no_exchange <= 1.0


def test_actual_exchange_dates_set_the_last_exchange_and_the_model() -> None:
    # Exchange 3 was held two days: the last one is on the 20th, not the planned 18th.
    done = tuple(dt.date(2026, 3, d) for d in (10, 12, 16, 18, 20))
    dose = dt.date(2026, 3, 6)
    actual = dmt_advice("natalizumab", last_dose_date=dose, course=Course(START, 5, 1.0, done))
    planned = dmt_advice("natalizumab", last_dose_date=dose, course=COURSE)
    assert (str(actual.last_exchange_date), str(planned.last_exchange_date)) == (
        "2026-03-20",
        "2026-03-18",
    )
    assert actual.prediction.level_end_with_course != planned.prediction.level_end_with_course


@pytest.mark.parametrize(
    ("fraction", "words"),
    [
        (0.5, "largely removed"),  # >= LARGELY_REMOVED_FRACTION: at the boundary
        (0.4999, "partly removed"),
        (0.2, "partly removed"),  # >= PARTLY_REMOVED_FRACTION
        (0.1999, "little removed"),
        (0.0, "little removed"),
    ],
)
def test_removal_words_follow_the_number_at_the_boundaries(fraction: float, words: str) -> None:
    assert removal_wording(fraction) == words


def test_rituximab_set_reproduces_puisset_clearance() -> None:
    # PUISSET_2013 (RITUXIMAB_PK_REVIEW_2019 table 3): CL 0.15936 L/day with V1 2.48 L
    rc = rate_constants(SUBSTANCES["rituximab"])
    assert rc.kel_per_h * 24 * 2.48 == pytest.approx(0.15936, rel=0.01)
    assert SUBSTANCES["rituximab"].elimination_half_life_h == pytest.approx(22.8 * 24)


def test_next_dose_is_never_brought_forward() -> None:
    early = dmt_advice("natalizumab", course=COURSE, next_dose_due=dt.date(2026, 3, 12))
    late = dmt_advice("natalizumab", course=COURSE, next_dose_due=dt.date(2026, 4, 1))
    assert (early.next_dose_date, late.next_dose_date) == (
        dt.date(2026, 3, 18),
        dt.date(2026, 4, 1),
    )
    unknown = dmt_advice("natalizumab", course=COURSE)
    assert unknown.next_dose_date is None  # no schedule given: no date invented
    no_course = dmt_advice("natalizumab", next_dose_due=dt.date(2026, 4, 1))
    assert no_course.next_dose_date == dt.date(2026, 4, 1)
    assert no_course.to_dict()["next_dose_date"] == "2026-04-01"
