from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.interop import units
from plexms.interop.units import (
    QUANTITIES,
    UNITS,
    Quantity,
    UnitSystem,
    canonical_unit,
    convert,
    display_unit,
    format_quantity,
    from_canonical,
    parse,
    parse_canonical,
    to_canonical,
    unit_label,
)


def test_doctests() -> None:
    result = doctest.testmod(units)
    assert result.attempted > 5
    assert result.failed == 0


# Published or defining values: (value, from, to, quantity, expected).
@pytest.mark.parametrize(
    ("value", "src", "dst", "quantity", "expected"),
    [
        (1, "[lb_av]", "kg", "weight", 0.45359237),  # exact by definition
        (100, "kg", "[lb_av]", "weight", 220.46226218487757),
        (1, "[in_i]", "cm", "height", 2.54),
        (1, "[ft_i]", "cm", "height", 30.48),
        (1.75, "m", "cm", "height", 175.0),
        (212, "[degF]", "Cel", "temperature", 100.0),
        (32, "[degF]", "Cel", "temperature", 0.0),
        (-40, "Cel", "[degF]", "temperature", -40.0),
        (37, "Cel", "[degF]", "temperature", 98.6),
        (1.5, "L", "mL", "volume", 1500.0),
        (200, "mg/dL", "g/L", "fibrinogen", 2.0),
        (1000, "mg/dL", "g/L", "igg", 10.0),
        (1.2, "g/dL", "g/L", "igg", 12.0),
        (14, "g/dL", "g/L", "hemoglobin", 140.0),
        (4.0, "g/dL", "g/L", "albumin", 40.0),
        # Calcium: 10 mg/dL = 2.495 mmol/L (factor 0.2495, molar mass 40.08 g/mol)
        (10, "mg/dL", "mmol/L", "calcium", 10 * 10 / 40.08),
        (2.5, "mmol/L", "mg/dL", "calcium", 10.02),
        (1.2, "mmol/L", "mg/dL", "ionized_calcium", 4.8096),
        (250, "10*3/uL", "10*9/L", "platelets", 250.0),
        (42, "%", "L/L", "hematocrit", 0.42),
    ],
)
def test_published_factors(value, src, dst, quantity, expected) -> None:
    assert convert(value, src, dst, quantity) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_calcium_clinical_factor() -> None:
    # The laboratory conversion factor mg/dL -> mmol/L for calcium is 0.2495.
    assert convert(1, "mg/dL", "mmol/L", "calcium") == pytest.approx(0.2495, abs=5e-5)


@pytest.mark.parametrize(
    ("text", "quantity", "value", "unit"),
    [
        ("150 lb", "weight", 150.0, "[lb_av]"),
        ("150lbs", "weight", 150.0, "[lb_av]"),
        ("68.5 kg", "weight", 68.5, "kg"),
        ("5 ft 6 in", "height", 66.0, "[in_i]"),
        ("5'6\"", "height", 66.0, "[in_i]"),
        ("5' 6''", "height", 66.0, "[in_i]"),
        ("6 ft", "height", 72.0, "[in_i]"),
        ("5ft 11.5", "height", 71.5, "[in_i]"),
        ("66 in", "height", 66.0, "[in_i]"),
        ("170 cm", "height", 170.0, "cm"),
        ("1.70 m", "height", 1.70, "m"),
        ("98.6 F", "temperature", 98.6, "[degF]"),
        ("98.6°F", "temperature", 98.6, "[degF]"),
        ("37,5 °C", "temperature", 37.5, "Cel"),
        ("-2 C", "temperature", -2.0, "Cel"),
        ("250 mg/dL", "fibrinogen", 250.0, "mg/dL"),
        ("2.5 g / L", "fibrinogen", 2.5, "g/L"),
        ("1.15 mmol/L", "ionized_calcium", 1.15, "mmol/L"),
        ("250 ×10⁹/L", "platelets", 250.0, "10*9/L"),
        ("250 x10^3/µL", "platelets", 250.0, "10*3/uL"),
        ("250 K/uL", "platelets", 250.0, "10*3/uL"),
        ("42 %", "hematocrit", 42.0, "%"),
        ("3 L", "volume", 3.0, "L"),
        ("2500 cc", "volume", 2500.0, "mL"),
        (".5 L", "volume", 0.5, "L"),
    ],
)
def test_parse_typed_values(text, quantity, value, unit) -> None:
    assert parse(text, quantity) == Quantity(value, unit)


def test_parse_canonical() -> None:
    assert parse_canonical("150 lb", "weight") == pytest.approx(68.0388555)
    assert parse_canonical("5 ft 6 in", "height") == 167.64
    assert parse_canonical("98.6 F", "temperature") == 37.0
    assert parse_canonical("9.5", "calcium", default_unit="mg/dL") == pytest.approx(2.3703, 1e-4)


@pytest.mark.parametrize(
    ("text", "quantity", "fragment"),
    [
        ("", "weight", "empty"),
        ("heavy", "weight", "not a number"),
        ("150", "weight", "needs a unit"),
        ("150 stone", "weight", "not understood"),
        ("150 cm", "weight", "not a unit of weight"),
        ("250 g/L", "platelets", "not a unit of platelets"),  # French "G/L" is refused
        ("1,000 mL", "volume", "ambiguous"),
        ("-5 kg", "weight", "negative"),
        ("5 ft 13 in", "height", "inches"),
        ("2 mmol/L", "fibrinogen", "not a unit"),
    ],
)
def test_parse_refuses(text, quantity, fragment) -> None:
    with pytest.raises(InputError) as err:
        parse(text, quantity, field="form_field")
    assert err.value.field == "form_field"
    assert fragment in err.value.message
    if fragment != "negative" and fragment != "inches" and fragment != "ambiguous":
        assert err.value.allowed


def test_errors_name_the_quantity() -> None:
    with pytest.raises(InputError) as err:
        convert(1, "kg", "cm", "weight")
    assert err.value.field == "weight"
    assert "kg" in (err.value.allowed or "")
    with pytest.raises(InputError, match="unknown quantity"):
        canonical_unit("speed")
    with pytest.raises(InputError, match="finite"):
        to_canonical(math.nan, "kg", "weight")
    with pytest.raises(InputError, match="finite"):
        to_canonical(True, "kg", "weight")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown unit"):
        unit_label("furlong")


def test_every_quantity_is_consistent() -> None:
    for kind in QUANTITIES.values():
        assert kind.canonical in kind.allowed
        assert kind.us in kind.allowed
        assert kind.si in kind.allowed
        for unit in kind.allowed:
            assert unit in UNITS
        for unit, _ in kind.decimals:
            assert unit in kind.allowed


@pytest.mark.parametrize(
    ("quantity", "system", "expected"),
    [
        ("weight", UnitSystem.US, "[lb_av]"),
        ("weight", "si", "kg"),
        ("height", "us", "[in_i]"),
        ("temperature", "us", "[degF]"),
        ("fibrinogen", "us", "mg/dL"),
        ("fibrinogen", "si", "g/L"),
        ("calcium", "us", "mg/dL"),
        ("hemoglobin", "us", "g/dL"),
        ("platelets", "us", "10*3/uL"),
    ],
)
def test_display_unit(quantity, system, expected) -> None:
    assert display_unit(quantity, system) == expected


def test_format_quantity() -> None:
    assert format_quantity(68.0388555, "weight", "us") == "150.0 lb"
    assert format_quantity(68.0, "weight", "si") == "68.0 kg"
    assert format_quantity(37.0, "temperature", "us") == "98.6 °F"
    assert format_quantity(2.5, "fibrinogen", "us") == "250 mg/dL"
    assert format_quantity(2.5, "fibrinogen", "si") == "2.50 g/L"
    assert format_quantity(1.15, "ionized_calcium", "us") == "4.61 mg/dL"
    assert format_quantity(0.42, "hematocrit", "si") == "42.0 %"
    assert format_quantity(0.42, "hematocrit", "us", decimals=0) == "42 %"
    assert unit_label("[degF]") == "°F"


def test_quantity_to() -> None:
    assert Quantity(212.0, "[degF]").to("Cel", "temperature") == Quantity(100.0, "Cel")


_pairs = [(q, a, b) for q, k in QUANTITIES.items() for a in k.allowed for b in k.allowed]


@given(st.sampled_from(_pairs), st.floats(min_value=0, max_value=1e6))
def test_round_trip(pair, value) -> None:
    quantity, a, b = pair
    back = convert(convert(value, a, b, quantity), b, a, quantity)
    assert back == pytest.approx(value, rel=1e-12, abs=1e-9)


@given(st.sampled_from(list(QUANTITIES)), st.floats(min_value=0, max_value=1e5))
def test_canonical_round_trip(quantity, value) -> None:
    for unit in QUANTITIES[quantity].allowed:
        shown = from_canonical(value, quantity, unit)
        assert to_canonical(shown, unit, quantity) == pytest.approx(value, rel=1e-12, abs=1e-9)
