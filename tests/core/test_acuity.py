"""Visual acuity: the conversion table, letter scoring, low-vision categories, Visual FS grade."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.acuity import (
    LETTER_LOGMAR,
    LOGMAR_RANGE,
    LOW_VISION_LOGMAR,
    Acuity,
    acuity_from_decimal,
    acuity_from_etdrs,
    acuity_from_logmar,
    acuity_from_snellen,
    decimal_band_grade,
    parse_acuity,
    visual_fs_grade,
)
from plexms.core.errors import InputError

# The conversion table: Snellen feet, Snellen metres, decimal, logMAR, ETDRS letters
# (logMAR = -log10(decimal); letters = 85 - 50 x logMAR, Gregori 2010).
TABLE = [
    ("20/10", "6/3", 2.0, -0.3, 100),
    ("20/12.5", "6/3.8", 1.6, -0.2, 95),
    ("20/16", "6/4.8", 1.25, -0.1, 90),
    ("20/20", "6/6", 1.0, 0.0, 85),
    ("20/25", "6/7.5", 0.8, 0.1, 80),
    ("20/32", "6/9.5", 0.63, 0.2, 75),
    ("20/40", "6/12", 0.5, 0.3, 70),
    ("20/50", "6/15", 0.4, 0.4, 65),
    ("20/63", "6/19", 0.32, 0.5, 60),
    ("20/80", "6/24", 0.25, 0.6, 55),
    ("20/100", "6/30", 0.2, 0.7, 50),
    ("20/125", "6/38", 0.16, 0.8, 45),
    ("20/160", "6/48", 0.125, 0.9, 40),
    ("20/200", "6/60", 0.1, 1.0, 35),
    ("20/400", "6/120", 0.05, 1.3, 20),
    ("20/800", "6/240", 0.025, 1.6, 5),
    ("20/1000", "6/300", 0.02, 1.7, 0),
]


@pytest.mark.parametrize(("feet", "metres", "decimal", "logmar", "letters"), TABLE)
def test_conversion_table_from_every_notation(
    feet: str, metres: str, decimal: float, logmar: float, letters: int
) -> None:
    for acuity in (
        parse_acuity(feet),
        parse_acuity(metres),
        parse_acuity(decimal, "decimal"),
        parse_acuity(logmar, "logmar"),
        parse_acuity(letters, "etdrs"),
    ):
        assert acuity.logmar == pytest.approx(logmar, abs=0.011)
        assert acuity.decimal == pytest.approx(decimal, rel=0.03)
        assert acuity.etdrs_letters == pytest.approx(letters, abs=1)
        assert acuity.snellen_20 in (feet, f"20/{round(20 / decimal)}")
        assert acuity.category is None
    from_logmar = parse_acuity(logmar, "logmar")
    assert (from_logmar.snellen_20, from_logmar.snellen_6) == (feet, metres)
    assert from_logmar.etdrs_letters == letters


@pytest.mark.parametrize(
    ("text", "feet", "metres", "logmar"),
    [
        ("20/30", "20/30", "6/9", 0.176),  # common US line, kept as written
        ("20/70", "20/70", "6/21", 0.544),
        ("6/18", "20/60", "6/18", 0.477),
        ("6/9", "20/30", "6/9", 0.176),
        ("3/60", "20/400", "6/120", 1.301),
        ("1/60", "20/1200", "6/360", 1.778),
        ("10/20", "20/40", "6/12", 0.301),
        (" 20 / 40 ", "20/40", "6/12", 0.301),
    ],
)
def test_snellen_strings(text: str, feet: str, metres: str, logmar: float) -> None:
    acuity = acuity_from_snellen(text)
    assert (acuity.snellen_20, acuity.snellen_6) == (feet, metres)
    assert acuity.logmar == pytest.approx(logmar, abs=0.001)


# Letter-by-letter: each letter missed (-) adds 0.02 logMAR, each read beyond the line (+)
# takes 0.02 off (5-letter lines, Ferris 1982).
@pytest.mark.parametrize(
    ("text", "logmar", "letters", "feet", "metres"),
    [
        ("20/40-1", 0.321, 69, "20/40-1", "6/12-1"),
        ("20/40-2", 0.341, 68, "20/40-2", "6/12-2"),
        ("20/40-4", 0.381, 66, "20/40-4", "6/12-4"),
        ("20/40+1", 0.281, 71, "20/40+1", "6/12+1"),
        ("20/40+2", 0.261, 72, "20/40+2", "6/12+2"),
        ("6/12-2", 0.341, 68, "20/40-2", "6/12-2"),
        ("20/20-3", 0.06, 82, "20/20-3", "6/6-3"),
        ("20/40 -2", 0.341, 68, "20/40-2", "6/12-2"),
    ],
)
def test_letter_by_letter_snellen(
    text: str, logmar: float, letters: int, feet: str, metres: str
) -> None:
    acuity = acuity_from_snellen(text)
    assert acuity.logmar == pytest.approx(logmar, abs=0.001)
    assert acuity.etdrs_letters == letters
    assert (acuity.snellen_20, acuity.snellen_6) == (feet, metres)


def test_each_letter_is_0_02_logmar() -> None:
    assert LETTER_LOGMAR == 0.02
    base = acuity_from_snellen("20/40").logmar
    for k in range(1, 5):
        assert acuity_from_snellen(f"20/40-{k}").logmar == pytest.approx(base + 0.02 * k)
        assert acuity_from_snellen(f"20/40+{k}").logmar == pytest.approx(base - 0.02 * k)


@pytest.mark.parametrize(
    ("value", "notation", "feet"),
    [
        (0.45, "decimal", "20/40-2"),  # 0.347 -> nearest letter 0.34 -> line 0.3 minus 2
        (0.36, "logmar", "20/50+2"),  # nearest line 0.4, 2 letters read beyond it
        (0.176, "logmar", "20/32+1"),  # numbers are shown on the ETDRS lines
        (68, "etdrs", "20/40-2"),
        (71, "etdrs", "20/40+1"),
        (1.9, "logmar", "20/1600"),
        (3.0, "logmar", "20/20000"),
    ],
)
def test_numbers_are_shown_on_the_nearest_line_with_letters(
    value: float, notation: str, feet: str
) -> None:
    assert parse_acuity(value, notation).snellen_20 == feet


# Low vision by convention (Schulze-Bonsel 2006; R package eye).
@pytest.mark.parametrize(
    ("text", "category", "logmar"),
    [
        ("CF", "CF", 1.9),
        ("cf", "CF", 1.9),
        ("counting fingers", "CF", 1.9),
        ("Count  Fingers", "CF", 1.9),
        ("HM", "HM", 2.3),
        ("hand movements", "HM", 2.3),
        ("LP", "LP", 2.7),
        ("PL", "LP", 2.7),
        ("light perception", "LP", 2.7),
        ("NLP", "NLP", 3.0),
        ("NPL", "NLP", 3.0),
        ("no light perception", "NLP", 3.0),
    ],
)
def test_low_vision_categories(text: str, category: str, logmar: float) -> None:
    acuity = parse_acuity(text)
    assert (acuity.category, acuity.logmar) == (category, logmar)
    assert acuity.snellen_20 == acuity.snellen_6 == category
    assert acuity.etdrs_letters == 0
    assert acuity.decimal == pytest.approx(10**-logmar)
    assert decimal_band_grade(acuity)[0] == 5
    assert LOW_VISION_LOGMAR[category] == logmar


@pytest.mark.parametrize(
    ("value", "notation", "field", "allowed_part"),
    [
        ("20/", None, "value", "20/x"),
        ("twenty/forty", None, "value", "20/x"),
        ("20/0", None, "value", "20/x"),
        ("0/20", None, "value", "20/x"),
        ("20/40-5", None, "value", "1-4 letters"),
        ("20/5", None, "value", "logMAR -0.3"),
        ("20/40", "decimal", "notation", "omit notation"),
        (0.5, None, "notation", "decimal"),
        (0.5, "snellen", "notation", "decimal"),
        (0.0, "decimal", "value", "0.001"),
        (2.5, "decimal", "value", "0.001"),
        (True, "decimal", "value", "0.001"),
        ("0.5", "decimal", "notation", "omit"),
        (-0.4, "logmar", "value", "logMAR"),
        (3.1, "logmar", "value", "logMAR"),
        (math.nan, "logmar", "value", "logMAR"),
        (False, "logmar", "value", "logMAR"),
        (101, "etdrs", "value", "0-100"),
        (-1, "etdrs", "value", "0-100"),
        (70.5, "etdrs", "value", "0-100"),
        (True, "etdrs", "value", "0-100"),
    ],
)
def test_bad_acuities_are_refused(
    value: object, notation: str | None, field: str, allowed_part: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_acuity(value, notation)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.allowed is not None
    assert allowed_part in caught.value.allowed


def test_field_name_is_passed_through() -> None:
    with pytest.raises(InputError) as caught:
        parse_acuity("20/x", field="right.value")
    assert caught.value.field == "right.value"


def test_etdrs_whole_float_is_accepted() -> None:
    assert acuity_from_etdrs(70.0).logmar == 0.3  # type: ignore[arg-type]


def test_range_ends() -> None:
    assert acuity_from_decimal(2.0).etdrs_letters == 100
    assert acuity_from_decimal(0.001).logmar == pytest.approx(3.0)
    assert acuity_from_logmar(LOGMAR_RANGE[0]).snellen_20 == "20/10"
    assert acuity_from_etdrs(0).logmar == 1.7
    assert acuity_from_logmar(2.0).etdrs_letters == 0  # below the chart


# --- Visual FS from both eyes (Neurostatus bands; worse eye, decimal) --------------------
@pytest.mark.parametrize(
    ("decimal", "grade"),
    [
        (2.0, 0),
        (1.0, 0),
        (0.995, 0),  # rounds to 1.00
        (0.99, 1),
        (0.8, 1),
        (0.68, 1),
        (0.67, 2),
        (2 / 3, 2),  # 20/30
        (0.5, 2),
        (0.34, 2),
        (0.339, 2),  # 20/59
        (0.334, 3),  # rounds to 0.33
        (1 / 3, 3),  # 20/60
        (0.21, 3),
        (0.205, 3),  # rounds to 0.21
        (0.2, 4),  # 20/100
        (0.1, 4),  # 20/200
        (0.095, 4),  # rounds to 0.10
        (0.094, 5),
        (0.05, 5),
    ],
)
def test_acuity_bands(decimal: float, grade: int) -> None:
    assert decimal_band_grade(acuity_from_decimal(decimal))[0] == grade


@pytest.mark.parametrize(
    ("worse", "better", "grade"),
    [
        ("20/20", "20/20", 0),
        ("20/25", "20/20", 1),
        ("20/25", "20/25", 1),
        ("20/40", "20/40", 2),
        ("20/70", "20/40", 3),  # band 3, better eye above 0.33
        ("20/200", "20/20", 4),  # band 4
        ("20/70", "20/70", 4),  # grade 3 plus better eye <= 0.33
        ("20/400", "20/40", 5),  # band 5
        ("20/200", "20/70", 5),  # grade 4 plus better eye <= 0.33
        ("20/200", "20/200", 5),
        ("CF", "20/70", 6),  # grade 5 plus better eye <= 0.33
        ("CF", "CF", 6),
        ("NLP", "20/60", 6),
        ("NLP", "20/50", 5),
    ],
)
def test_visual_fs_grade_from_both_eyes(worse: str, better: str, grade: int) -> None:
    # Neurostatus; the cases of jobha/EDSS-calculator tests/scoring.test.ts among them.
    result = visual_fs_grade(parse_acuity(better), parse_acuity(worse))
    assert result.grade == grade
    swapped = visual_fs_grade(parse_acuity(worse), parse_acuity(better))
    assert swapped.grade == grade  # side does not matter
    if worse != better:
        assert (result.worse_eye, swapped.worse_eye) == ("left", "right")
    else:
        assert result.worse_eye is None


def test_visual_fs_rule_in_words() -> None:
    raised = visual_fs_grade(parse_acuity("20/70"), parse_acuity("20/200"))
    assert raised.grade == 5
    assert raised.worse_eye_band == 4
    assert raised.better_eye_at_most_0_33
    assert "worse eye (left)" in raised.rule
    assert "0.33 or less, so grade 5" in raised.rule
    plain = visual_fs_grade(parse_acuity("20/20"), parse_acuity("20/20"))
    assert plain.rule.startswith("both eyes equal")


# --- properties -------------------------------------------------------------------------
_logmar = st.floats(-0.3, 3.0, allow_nan=False)


@given(logmar=_logmar)
def test_decimal_and_logmar_are_inverse(logmar: float) -> None:
    acuity = acuity_from_logmar(logmar)
    assert acuity_from_decimal(acuity.decimal).logmar == pytest.approx(logmar, abs=1e-9)


@given(letters=st.integers(0, 100))
def test_etdrs_round_trip(letters: int) -> None:
    assert acuity_from_etdrs(letters).etdrs_letters == letters


@given(logmar=st.floats(-0.3, 1.7, allow_nan=False))
def test_snellen_shown_parses_back_within_one_letter(logmar: float) -> None:
    acuity = acuity_from_logmar(logmar)
    for text in (acuity.snellen_20, acuity.snellen_6):
        assert abs(acuity_from_snellen(text).logmar - logmar) <= 0.011 + 0.005


@given(a=_logmar, b=_logmar, c=_logmar)
def test_worse_acuity_never_lowers_the_visual_fs_grade(a: float, b: float, c: float) -> None:
    # Making either eye worse (higher logMAR) never lowers the grade.
    low, high = sorted((b, c))
    fixed = acuity_from_logmar(a)
    assert (
        visual_fs_grade(fixed, acuity_from_logmar(low)).grade
        <= visual_fs_grade(fixed, acuity_from_logmar(high)).grade
    )
    assert (
        visual_fs_grade(acuity_from_logmar(low), fixed).grade
        <= visual_fs_grade(acuity_from_logmar(high), fixed).grade
    )


@given(logmar=_logmar)
def test_letters_stay_on_the_chart(logmar: float) -> None:
    assert 0 <= Acuity(logmar).etdrs_letters <= 100
