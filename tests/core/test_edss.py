"""EDSS rules: every row of the rule table, the sourced cases, conversions, ambulation, options."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.edss import (
    AMBULATION_DESCRIPTIONS,
    AMBULATION_MINIMUM,
    BOWEL_BLADDER_CONVERSION,
    EDSS_STEPS,
    FS_MAX,
    FS_NAMES,
    KURTZKE_LITERAL,
    NEUROSTATUS,
    VISUAL_CONVERSION,
    WALKING_AIDS,
    EdssOptions,
    Exclusion,
    Walk,
    ambulation_minimum,
    ambulation_score_from_walks,
    convert_fs,
    fs_step,
    fs_step_rule,
    is_valid_edss,
    score_edss,
)
from plexms.core.errors import InputError


def _fs(*grades: int | None, **named: int | None) -> dict[str, int | None]:
    """Raw FS in the order visual, brainstem, pyramidal, cerebellar, sensory, bowel/bladder,
    cerebral; missing ones are 0."""
    fs: dict[str, int | None] = dict.fromkeys(FS_NAMES, 0)
    fs.update(zip(FS_NAMES, grades, strict=False))
    fs.update(named)
    return fs


# --- the rule table of shared/reference/edss.md, one case per row (converted grades) --------
RULE_TABLE_ROWS = [
    # m = 0
    ((), 0.0),
    # m = 1: n1 = 1 / n1 >= 2
    ((1,), 1.0),
    ((1, 1), 1.5),
    ((1, 1, 1, 1, 1, 1, 1), 1.5),
    # m = 2: n2 = 1 / 2 / 3-4 / 5 / 6-7
    ((2, 1), 2.0),
    ((2, 2), 2.5),
    ((2, 2, 2), 3.0),
    ((2, 2, 2, 2, 1), 3.0),
    ((2, 2, 2, 2, 2), 3.5),
    ((2, 2, 2, 2, 2, 2), 4.0),
    ((2, 2, 2, 2, 2, 2, 2), 4.0),
    # m = 3, n3 = 1: n2 = 0 / 1-2 / >= 3
    ((3, 1, 1), 3.0),
    ((3, 2), 3.5),
    ((3, 2, 2, 1), 3.5),
    ((3, 2, 2, 2), 4.0),
    ((3, 2, 2, 2, 2, 2, 2), 4.0),
    # m = 3, n3 = 2: n2 = 0 / >= 1
    ((3, 3, 1), 3.5),
    ((3, 3, 2), 4.0),
    ((3, 3, 2, 2, 2, 2, 2), 4.0),
    # m = 3: n3 = 3-4 / 5 / >= 6
    ((3, 3, 3), 4.0),
    ((3, 3, 3, 3, 2, 2, 2), 4.0),
    ((3, 3, 3, 3, 3), 4.5),
    ((3, 3, 3, 3, 3, 2, 2), 4.5),
    ((3, 3, 3, 3, 3, 3), 5.0),
    ((3, 3, 3, 3, 3, 3, 3), 5.0),
    # m = 4: n4 = 1, n3 = 0, n2 = 0
    ((4,), 4.0),
    ((4, 1, 1, 1, 1, 1, 1), 4.0),
    # m = 4: n4 = 1 and (n3 = 1-2, or n3 = 0 and n2 >= 1)
    ((4, 3), 4.5),
    ((4, 3, 3, 2, 2), 4.5),
    ((4, 2), 4.5),
    ((4, 2, 2, 2, 2, 2, 2), 4.5),
    # m = 4: n4 = 1 and n3 >= 3; or n4 >= 2
    ((4, 3, 3, 3), 5.0),
    ((4, 4), 5.0),
    ((4, 4, 3, 3, 3), 5.0),
    # m >= 5
    ((5,), 5.0),
    ((6, 1), 5.0),
]


def _step_of(grades: tuple[int, ...]) -> float:
    return fs_step([*grades, *[0] * (7 - len(grades))])


@pytest.mark.parametrize(("grades", "expected"), RULE_TABLE_ROWS)
def test_every_row_of_the_rule_table(grades: tuple[int, ...], expected: float) -> None:
    assert _step_of(grades) == expected


@pytest.mark.parametrize(("grades", "expected"), RULE_TABLE_ROWS)
def test_rule_table_through_score_edss_with_unrestricted_walking(
    grades: tuple[int, ...], expected: float
) -> None:
    # Grades 5-6 only exist on pyramidal/sensory/... : place the grades on unconverted FS.
    fs: dict[str, int | None] = dict.fromkeys(FS_NAMES, 0)
    names = ("pyramidal", "sensory", "brainstem", "cerebellar", "cerebral")
    plain = list(grades)
    for name, grade in zip(names, plain, strict=False):
        fs[name] = grade
    rest = plain[len(names) :]
    # The last two grades go on visual and bowel/bladder as raw grades converting to them.
    raw_visual = {0: 0, 1: 1, 2: 2, 3: 4, 4: 6}
    raw_bb = {0: 0, 1: 1, 2: 2, 3: 3, 4: 5, 5: 6}
    if rest:
        fs["visual"] = raw_visual[rest[0]]
    if len(rest) > 1:
        fs["bowel_bladder"] = raw_bb[rest[1]]
    result = score_edss(fs, ambulation_score=0)
    assert result.edss == expected
    assert result.fs_step == expected
    assert result.decided_by in ("functional_systems", "both")


def test_rule_names_are_given_in_words() -> None:
    seen = {fs_step_rule([*g, *[0] * (7 - len(g))])[1] for g, _ in RULE_TABLE_ROWS}
    assert all(rule and rule[0].isalpha() for rule in seen)
    assert len(seen) >= 20  # each row is named, not one catch-all sentence


# --- sourced cases of shared/reference/edss.md ------------------------------------------
# Worked examples (converted grades, others 0, AS 0 unless stated).
@pytest.mark.parametrize(
    ("grades", "ambulation", "expected"),
    [
        ((1,), 0, 1.0),
        ((1, 1), 0, 1.5),
        ((2, 2), 0, 2.5),
        ((3, 2), 0, 3.5),
        ((3, 3, 2), 0, 4.0),
        ((4, 2), 0, 4.5),
        ((3, 3, 3, 3, 3), 0, 4.5),
        ((4, 4), 0, 5.0),
        ((), 1, 2.0),
        ((), 3, 5.0),
    ],
)
def test_worked_examples(grades: tuple[int, ...], ambulation: int, expected: float) -> None:
    names = ("pyramidal", "cerebellar", "brainstem", "sensory", "cerebral")
    fs = dict(zip(names, grades, strict=False))
    assert score_edss(_fs(**fs), ambulation_score=ambulation).edss == expected


# Raw inputs (V, BS, P, C, S, BB, Cb; AS) from edss.md and the test suites of the public
# Neurostatus-based calculators it cites (adobrasinovic/edss src/index.test.js,
# jobha/EDSS-calculator tests/scoring.test.ts).
@pytest.mark.parametrize(
    ("raw", "ambulation", "expected"),
    [
        ((6, 0, 0, 0, 0, 6, 0), 0, 5.0),  # edss.md: visual 6 + bowel/bladder 6
        ((1, 2, 1, 3, 1, 4, 2), 1, 4.0),  # edss.md
        ((5, 0, 0, 0, 0, 5, 0), 0, 4.5),  # jobha: unconverted would be 5.0
        ((4, 3, 3, 3, 3, 3, 2), 2, 5.0),  # adobrasinovic: six FS grade 3
        ((4, 3, 3, 3, 3, 3, 3), 2, 5.0),
        ((1, 4, 3, 3, 3, 1, 1), 2, 5.0),  # grade 4 with three grade 3
        ((4, 4, 3, 3, 3, 3, 3), 2, 5.0),
        ((5, 1, 1, 1, 1, 1, 1), 2, 4.5),  # ambulation decides
        ((4, 3, 3, 3, 3, 1, 1), 2, 4.5),
        ((0, 0, 0, 0, 0, 0, 4), 2, 4.5),
        ((1, 4, 3, 3, 1, 1, 1), 1, 4.5),
        ((1, 4, 3, 1, 1, 1, 1), 1, 4.5),
        ((1, 3, 3, 3, 3, 1, 3), 1, 4.5),
        ((1, 2, 1, 1, 1, 1, 4), 1, 4.5),
        ((2, 2, 2, 2, 2, 2, 4), 1, 4.5),
        ((1, 1, 1, 1, 1, 1, 4), 1, 4.0),
        ((0, 0, 0, 0, 0, 0, 4), 1, 4.0),
        ((0, 0, 0, 3, 2, 0, 3), 1, 4.0),
        ((2, 3, 3, 3, 2, 2, 3), 1, 4.0),
        ((0, 5, 4, 4, 4, 4, 4), 2, 5.0),  # one FS grade 5
        ((0, 0, 6, 5, 0, 0, 0), 4, 5.5),  # jobha (cerebellar 6 there): >= 5.5 by ambulation
        ((0, 0, 4, 4, 0, 0, 0), 2, 5.0),  # jobha: FS step above the ambulation
    ],
)
def test_sourced_raw_cases(raw: tuple[int, ...], ambulation: int, expected: float) -> None:
    assert score_edss(_fs(*raw), ambulation_score=ambulation).edss == expected


@pytest.mark.parametrize(
    ("ambulation", "expected"),
    [
        *[(3, 5.0), (4, 5.5), (5, 6.0), (6, 6.0), (7, 6.0), (8, 6.5), (9, 6.5), (10, 7.0)],
        *[(11, 7.5), (12, 8.0), (13, 8.5), (14, 9.0), (15, 9.5), (16, 10.0)],
    ],
)
@pytest.mark.parametrize("raw", [(0,) * 7, (6, 5, 6, 5, 6, 6, 5), (3, 2, 1, 0, 2, 1, 3)])
def test_ambulation_alone_decides_from_5_5(
    ambulation: int, expected: float, raw: tuple[int, ...]
) -> None:
    result = score_edss(_fs(*raw), ambulation_score=ambulation)
    assert result.edss == max(expected, result.fs_step)
    if expected > 5.0:
        assert result.edss == expected
        assert result.decided_by == "ambulation"


# --- conversions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "visual", "bowel_bladder"),
    [(0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 2, 3), (4, 3, 3), (5, 3, 4), (6, 4, 5)],
)
def test_visual_and_bowel_bladder_conversions(raw: int, visual: int, bowel_bladder: int) -> None:
    assert convert_fs("visual", raw) == VISUAL_CONVERSION[raw] == visual
    assert convert_fs("bowel_bladder", raw) == BOWEL_BLADDER_CONVERSION[raw] == bowel_bladder


@pytest.mark.parametrize("name", ["brainstem", "pyramidal", "cerebellar", "sensory", "cerebral"])
def test_other_fs_are_not_converted(name: str) -> None:
    assert [convert_fs(name, g) for g in range(FS_MAX[name] + 1)] == list(range(FS_MAX[name] + 1))


def test_converted_fs_are_reported() -> None:
    result = score_edss(_fs(6, 1, 2, 0, 1, 4, 1), ambulation_score=0)
    assert result.converted_fs == {
        "visual": 4,
        "brainstem": 1,
        "pyramidal": 2,
        "cerebellar": 0,
        "sensory": 1,
        "bowel_bladder": 3,
        "cerebral": 1,
    }
    assert "visual 6 -> 4" in result.explanation
    assert "bowel/bladder 4 -> 3" in result.explanation


# --- ambulation -------------------------------------------------------------------------
def test_ambulation_table() -> None:
    assert AMBULATION_MINIMUM == (
        0.0, 2.0, 4.5, 5.0, 5.5, 6.0, 6.0, 6.0, 6.5, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0,
    )  # fmt: skip
    assert len(AMBULATION_DESCRIPTIONS) == 17
    assert [ambulation_minimum(s) for s in range(17)] == list(AMBULATION_MINIMUM)


@pytest.mark.parametrize(
    ("walk", "score"),
    [
        (Walk("none", 800), 0),
        (Walk("none", 500), 0),
        (Walk("none", 500, restricted=True), 1),
        (Walk("none", 499), 2),
        (Walk("none", 300), 2),
        (Walk("none", 299), 3),
        (Walk("none", 200), 3),
        (Walk("none", 199), 4),
        (Walk("none", 100), 4),
        (Walk("none", 99), 5),
        (Walk("none", 5), 5),
        (Walk("none", 4.9), 10),
        (Walk("unilateral", 1000), 6),
        (Walk("unilateral", 50), 6),
        (Walk("unilateral", 49), 8),
        (Walk("unilateral", 5), 8),
        (Walk("unilateral", 4), 10),
        (Walk("bilateral", 120), 7),
        (Walk("bilateral", 119), 9),
        (Walk("bilateral", 5), 9),
        (Walk("bilateral", 4.99), 10),
        (Walk("bilateral", 0), 10),
        (Walk("wheelchair_without_help"), 10),
        (Walk("wheelchair_with_help"), 11),
        (Walk("bed_chair"), 12),
        (Walk("wheelchair_with_help", 30), 11),  # distance not used
    ],
)
def test_walk_to_ambulation_score(walk: Walk, score: int) -> None:
    assert ambulation_score_from_walks([walk]) == score


def test_best_performance_is_scored() -> None:
    # Neurostatus ruling: bilateral aid > 120 m and unilateral aid < 50 m -> AS 7 -> 6.0.
    walks = [Walk("unilateral", 40), Walk("bilateral", 130)]
    assert ambulation_score_from_walks(walks) == 7
    assert score_edss(_fs(), walks=walks).edss == 6.0
    # A wheelchair user who still walks 10 m with bilateral aid: AS 9, not 10.
    assert (
        ambulation_score_from_walks([Walk("wheelchair_without_help"), Walk("bilateral", 10)]) == 9
    )


def test_walking_restricted_gives_at_least_2() -> None:
    result = score_edss(_fs(), walks=[Walk("none", 600, restricted=True)])
    assert (result.edss, result.ambulation_score, result.decided_by) == (2.0, 1, "ambulation")


@pytest.mark.parametrize(
    ("walks", "field"),
    [
        ([], "walking"),
        ([Walk("none")], "walking.distance_m"),
        ([Walk("skateboard", 10)], "walking.aid"),
        ([Walk("none", -1)], "walking.distance_m"),
        ([Walk("none", math.nan)], "walking.distance_m"),
        ([Walk("none", 10), Walk("unilateral")], "walking.1.distance_m"),
    ],
)
def test_bad_walks_are_refused(walks: list[Walk], field: str) -> None:
    with pytest.raises(InputError) as caught:
        ambulation_score_from_walks(walks)
    assert caught.value.field == field
    assert caught.value.allowed


def test_ambulation_must_be_given_once() -> None:
    with pytest.raises(InputError) as caught:
        score_edss(_fs())
    assert caught.value.field == "ambulation_score"
    with pytest.raises(InputError) as caught:
        score_edss(_fs(), ambulation_score=0, walks=[Walk("none", 600)])
    assert caught.value.field == "walking"


@pytest.mark.parametrize("score", [-1, 17, 2.0, True, None])
def test_ambulation_score_range(score: object) -> None:
    with pytest.raises(InputError) as caught:
        ambulation_minimum(score)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.allowed) == ("ambulation_score", "0-16")
    if score is not None:
        with pytest.raises(InputError) as caught:
            score_edss(_fs(), ambulation_score=score)  # type: ignore[arg-type]
        assert (caught.value.field, caught.value.allowed) == ("ambulation_score", "0-16")


# --- options (known ambiguities) --------------------------------------------------------
def test_cerebral_grade_1_counts_by_default_not_in_kurtzke() -> None:
    fs = _fs(cerebral=1)
    assert score_edss(fs, ambulation_score=0).edss == 1.0
    kurtzke = score_edss(fs, ambulation_score=0, options=KURTZKE_LITERAL)
    assert kurtzke.edss == 0.0
    assert kurtzke.converted_fs["cerebral"] == 0
    assert "cerebral 1 -> 0" in kurtzke.explanation
    assert score_edss(_fs(cerebral=2), ambulation_score=0, options=KURTZKE_LITERAL).edss == 2.0
    assert score_edss(_fs(1, cerebral=1), ambulation_score=0, options=KURTZKE_LITERAL).edss == 1.0


def test_ambulation_score_1_minimum_option() -> None:
    assert score_edss(_fs(), ambulation_score=1).edss == 2.0
    assert score_edss(_fs(), ambulation_score=1, options=KURTZKE_LITERAL).edss == 4.0
    custom = EdssOptions(cerebral_grade_1_counts=True, ambulation_score_1_minimum=4.0)
    assert score_edss(_fs(), ambulation_score=1, options=custom).edss == 4.0


def test_option_names() -> None:
    assert NEUROSTATUS.name == "neurostatus"
    assert KURTZKE_LITERAL.name == "kurtzke_1983"
    assert EdssOptions(cerebral_grade_1_counts=False).name == "custom"
    assert EdssOptions(ambulation_score_1_minimum=4.0).name == "custom"
    result = score_edss(_fs(), ambulation_score=0, options=KURTZKE_LITERAL)
    assert "kurtzke_1983" in result.explanation


def test_option_values_are_checked() -> None:
    with pytest.raises(InputError) as caught:
        EdssOptions(ambulation_score_1_minimum=3.0)
    assert caught.value.field == "ambulation_score_1_minimum"


# --- not assessable, not due to MS ------------------------------------------------------
def test_not_assessable_fs_is_reported_and_the_range_given() -> None:
    result = score_edss(_fs(0, 0, 3, None, 0, 0, 0), ambulation_score=0)
    assert result.not_counted == (Exclusion("cerebellar", "not_assessable"),)
    assert result.converted_fs["cerebellar"] is None
    assert result.edss == 3.0
    assert result.edss_range == (3.0, 5.0)  # cerebellar could be up to 5
    assert result.uncertain
    assert "Cerebellar not assessable" in result.explanation
    assert "Uncertain" in result.explanation


def test_not_assessable_fs_that_cannot_matter_is_certain() -> None:
    result = score_edss(_fs(0, 0, 3, None, 0, 0, 0), ambulation_score=12)
    assert result.edss == 8.0
    assert not result.uncertain
    assert result.edss_range == (8.0, 8.0)
    assert "Uncertain" not in result.explanation


def test_not_assessable_visual_uses_the_converted_maximum() -> None:
    result = score_edss(_fs(None, 0, 0, 0, 0, 0, 0), ambulation_score=0)
    assert result.edss_range == (0.0, 4.0)  # visual 6 converts to 4
    result = score_edss(_fs(0, 0, 0, 0, 0, None, 0), ambulation_score=0)
    assert result.edss_range == (0.0, 5.0)  # bowel/bladder 6 converts to 5


def test_not_due_to_ms_is_reported_and_not_counted() -> None:
    result = score_edss(_fs(0, 0, 0, 0, 4, 0, 0), ambulation_score=0, not_due_to_ms=["sensory"])
    assert result.edss == 0.0
    assert result.not_counted == (Exclusion("sensory", "not_due_to_ms"),)
    assert result.raw_fs["sensory"] == 4
    assert result.converted_fs["sensory"] is None
    assert not result.uncertain  # a deliberate exclusion, not an unknown
    assert "Sensory not due to MS" in result.explanation


def test_not_due_to_ms_wins_over_not_assessable() -> None:
    result = score_edss(_fs(cerebellar=None), ambulation_score=0, not_due_to_ms=["cerebellar"])
    assert result.not_counted == (Exclusion("cerebellar", "not_due_to_ms"),)
    assert not result.uncertain


def test_not_due_to_ms_names_are_checked() -> None:
    with pytest.raises(InputError) as caught:
        score_edss(_fs(), ambulation_score=0, not_due_to_ms=["vision"])
    assert caught.value.field == "not_due_to_ms"


# --- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("visual", 7, "0-6"),
        ("brainstem", 6, "0-5"),
        ("pyramidal", -1, "0-6"),
        ("cerebellar", 6, "0-5"),
        ("sensory", 7, "0-6"),
        ("bowel_bladder", 7, "0-6"),
        ("cerebral", 6, "0-5"),
        ("cerebral", 2.0, "0-5"),
        ("cerebral", True, "0-5"),
        ("visual", "3", "0-6"),
    ],
)
def test_out_of_range_fs_names_field_and_range(name: str, value: object, allowed: str) -> None:
    with pytest.raises(InputError) as caught:
        score_edss(_fs(**{name: value}), ambulation_score=0)  # type: ignore[arg-type]
    assert caught.value.field == f"fs.{name}"
    assert caught.value.allowed is not None
    assert caught.value.allowed.startswith(allowed)


def test_missing_and_unknown_fs() -> None:
    fs = _fs()
    del fs["sensory"]
    with pytest.raises(InputError) as caught:
        score_edss(fs, ambulation_score=0)
    assert caught.value.field == "fs.sensory"
    with pytest.raises(InputError) as caught:
        score_edss({**_fs(), "other": 1}, ambulation_score=0)
    assert caught.value.field == "fs.other"
    with pytest.raises(InputError) as caught:
        convert_fs("other", 1)
    assert caught.value.field == "fs.other"
    with pytest.raises(InputError) as caught:
        convert_fs("visual", 7)
    assert caught.value.allowed == "0-6, or null when not assessable"


# --- explanation and decided_by ---------------------------------------------------------
def test_decided_by_in_words() -> None:
    fs_decides = score_edss(_fs(pyramidal=4), ambulation_score=1)
    assert fs_decides.decided_by == "functional_systems"
    assert "decided by the functional systems" in fs_decides.explanation
    amb_decides = score_edss(_fs(pyramidal=1), ambulation_score=5)
    assert amb_decides.decided_by == "ambulation"
    assert "decided by the ambulation" in amb_decides.explanation
    both = score_edss(_fs(), ambulation_score=0)
    assert both.decided_by == "both"
    assert "agree" in both.explanation


def test_valid_steps() -> None:
    assert EDSS_STEPS[0] == 0.0 and EDSS_STEPS[1] == 1.0 and EDSS_STEPS[-1] == 10.0
    assert len(EDSS_STEPS) == 20
    assert not is_valid_edss(0.5)
    assert all(is_valid_edss(v) for v in EDSS_STEPS)


# --- properties -------------------------------------------------------------------------
_grades = st.fixed_dictionaries(
    {name: st.one_of(st.none(), st.integers(0, top)) for name, top in FS_MAX.items()}
)
_options = st.sampled_from([NEUROSTATUS, KURTZKE_LITERAL, EdssOptions(False, 2.0)])


@given(fs=_grades, ambulation=st.integers(0, 16), options=_options)
def test_edss_is_the_larger_of_step_and_minimum(
    fs: dict[str, int | None], ambulation: int, options: EdssOptions
) -> None:
    result = score_edss(fs, ambulation_score=ambulation, options=options)
    assert result.edss == max(result.fs_step, result.ambulation_minimum)
    assert is_valid_edss(result.edss)
    low, high = result.edss_range
    assert low == result.edss <= high
    assert result.uncertain == (low != high)
    assert len(result.not_counted) == sum(v is None for v in fs.values())


@given(fs=_grades, ambulation=st.integers(0, 16))
def test_range_spans_every_grade_of_the_unknown_fs(
    fs: dict[str, int | None], ambulation: int
) -> None:
    result = score_edss(fs, ambulation_score=ambulation)
    unknown = [name for name, grade in fs.items() if grade is None]
    filled_low = {n: (0 if g is None else g) for n, g in fs.items()}
    filled_high = {n: (FS_MAX[n] if g is None else g) for n, g in fs.items()}
    assert score_edss(filled_low, ambulation_score=ambulation).edss == result.edss_range[0]
    assert score_edss(filled_high, ambulation_score=ambulation).edss == result.edss_range[1]
    if not unknown:
        assert not result.uncertain


@given(
    fs=st.fixed_dictionaries({name: st.integers(0, top) for name, top in FS_MAX.items()}),
    excluded=st.sets(st.sampled_from(FS_NAMES)),
    ambulation=st.integers(0, 16),
)
def test_excluding_an_fs_never_raises_the_edss(
    fs: dict[str, int], excluded: set[str], ambulation: int
) -> None:
    full = score_edss(fs, ambulation_score=ambulation)
    fewer = score_edss(fs, ambulation_score=ambulation, not_due_to_ms=excluded)
    assert fewer.edss <= full.edss
    assert {e.fs for e in fewer.not_counted} == excluded


_walks = st.builds(
    Walk,
    aid=st.sampled_from(WALKING_AIDS),
    distance_m=st.floats(0, 2000, allow_nan=False),
    restricted=st.booleans(),
)


@given(walks=st.lists(_walks, min_size=1, max_size=4), extra=_walks)
def test_another_walk_never_worsens_the_ambulation_score(walks: list[Walk], extra: Walk) -> None:
    assert ambulation_score_from_walks([*walks, extra]) <= ambulation_score_from_walks(walks)


@given(
    aid=st.sampled_from(["none", "unilateral", "bilateral"]),
    short=st.floats(0, 2000, allow_nan=False),
    longer=st.floats(0, 2000, allow_nan=False),
)
def test_walking_further_never_worsens_the_score(aid: str, short: float, longer: float) -> None:
    short, longer = sorted((short, longer))
    assert ambulation_score_from_walks([Walk(aid, longer)]) <= ambulation_score_from_walks(
        [Walk(aid, short)]
    )
