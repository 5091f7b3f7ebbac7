"""The GS1 element-string parser: published examples, both spellings, errors, round trip."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core import gs1
from plexms.core.errors import InputError

YEAR = 2026
GS = gs1.GROUP_SEPARATOR

# Published examples: the GS1 Digital Link standard's example GTIN 09506000134352 with
# expiry 201225 and lot ABC123; the GS1 General Specifications' AI (17) example
# (01)09501101530003(17)140704(10)AB-123; the GS1 Belgilux example
# 0105412345000013 10ABC123<GS>17290331; biip's documented scan 010703206980498815210526100329.
PUBLISHED = [
    (
        "(01)09506000134352(17)201225(10)ABC123",
        {"01": "09506000134352", "17": "201225", "10": "ABC123"},
        dt.date(2020, 12, 25),
    ),
    (
        "01095060001343521720122510ABC123",
        {"01": "09506000134352", "17": "201225", "10": "ABC123"},
        dt.date(2020, 12, 25),
    ),
    (
        "(01)09501101530003(17)140704(10)AB-123",
        {"01": "09501101530003", "17": "140704", "10": "AB-123"},
        dt.date(2014, 7, 4),
    ),
    (
        "010541234500001310ABC123" + GS + "17290331",
        {"01": "05412345000013", "10": "ABC123", "17": "290331"},
        dt.date(2029, 3, 31),
    ),
    (
        "010703206980498815210526100329",
        {"01": "07032069804988", "15": "210526", "10": "0329"},
        None,
    ),
    (
        "]d2" + "0109506000134352" + "10ABC123" + GS + "21XYZ-9",
        {"01": "09506000134352", "10": "ABC123", "21": "XYZ-9"},
        None,
    ),
]


@pytest.mark.parametrize(("text", "elements", "expiry"), PUBLISHED)
def test_published_examples(text: str, elements: dict[str, str], expiry: dt.date | None) -> None:
    data = gs1.parse(text, reference_year=YEAR)
    assert data.elements == elements
    assert data.gtin == elements["01"]
    assert data.lot == elements.get("10", "")
    assert data.serial == elements.get("21", "")
    assert data.expiry == expiry


def test_check_digits_of_published_gtins() -> None:
    for gtin in ("09506000134352", "09501101530003", "05412345000013", "07032069804988"):
        assert gs1.check_digit(gtin[:-1]) == int(gtin[-1])


def test_serial_in_brackets_and_trailing_separator() -> None:
    data = gs1.parse("(21)SN-0042" + GS + "(10)L1", reference_year=YEAR)
    assert (data.serial, data.lot, data.gtin, data.expiry) == ("SN-0042", "L1", "", None)


def test_fixed_length_value_followed_by_separator_is_accepted() -> None:
    data = gs1.parse("0109506000134352" + GS + "10ABC", reference_year=YEAR)
    assert data.lot == "ABC"


def test_expiry_day_zero_is_the_last_day_and_century_window() -> None:
    assert gs1.expiry_date("280200", reference_year=YEAR) == dt.date(2028, 2, 29)
    assert gs1.expiry_date("761231", reference_year=YEAR) == dt.date(2076, 12, 31)
    assert gs1.expiry_date("771231", reference_year=YEAR) == dt.date(1977, 12, 31)
    assert gs1.expiry_date("010101", reference_year=2098) == dt.date(2101, 1, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("(01)09506000134353", "check digit"),
        ("(01)0950600013435", "14"),
        ("(99)ABC", "unknown application identifier"),
        ("9912345", "unknown application identifier"),
        ("(X)(10)ABC", "text before"),
        ("LOT(10)ABC", "unknown application identifier"),
        ("(10)ABC(10)DEF", "twice"),
        ("(10)" + "A" * 21, "1-20"),
        ("(10)AB CD", "character"),
        ("(17)2A0101", "digits"),
        ("(17)201301", "month"),
        ("(17)210230", "day"),
    ],
)
def test_errors_name_the_barcode_field(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        gs1.parse(text, reference_year=YEAR)
    assert err.value.field == "barcode"
    assert message in str(err.value)


def test_expiry_date_not_six_digits() -> None:
    with pytest.raises(InputError, match="YYMMDD"):
        gs1.expiry_date("2012", reference_year=YEAR)


_CSET82 = "!\"%&'*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@st.composite
def _gtins(draw: st.DrawFn) -> str:
    body = draw(st.text("0123456789", min_size=13, max_size=13))
    return body + str(gs1.check_digit(body))


@st.composite
def _dates(draw: st.DrawFn) -> str:
    day = draw(st.dates(min_value=dt.date(1977, 1, 1), max_value=dt.date(2076, 12, 31)))
    return day.strftime("%y%m%d")


_ELEMENTS = st.fixed_dictionaries(
    {},
    optional={
        "01": _gtins(),
        "10": st.text(_CSET82, min_size=1, max_size=20),
        "17": _dates(),
        "21": st.text(_CSET82, min_size=1, max_size=20),
    },
).filter(bool)


@given(elements=_ELEMENTS, order=st.randoms(use_true_random=False), bracketed=st.booleans())
def test_round_trip(elements: dict[str, str], order: object, bracketed: bool) -> None:
    items = list(elements.items())
    order.shuffle(items)  # type: ignore[attr-defined]
    ordered = dict(items)
    data = gs1.parse(gs1.encode(ordered, bracketed=bracketed), reference_year=YEAR)
    assert data.elements == ordered
    assert data.lot == ordered.get("10", "")
    assert data.serial == ordered.get("21", "")
    if "17" in ordered:
        assert data.expiry is not None
        assert data.expiry.strftime("%y%m%d") == ordered["17"]
