"""Units: canonical storage units, US customary and lab units, and what users type.

plexms stores every value in one canonical unit per quantity (kg, cm, °C, mL, g/L, mmol/L,
10^9/L, L/L) and converts only at the edge: a form, a report, a FHIR resource. Unit keys are
UCUM codes (https://ucum.org), so the same key goes straight into a FHIR ``Quantity``.

Factors are exact by definition unless noted:
- 1 lb = 0.45359237 kg and 1 in = 2.54 cm exactly (international yard and pound agreement,
  1959; NIST SP 811 (2008) appendix B.8).
- T(°F) = T(°C) x 9/5 + 32 exactly (NIST SP 811 B.8, "degree Fahrenheit").
- 1 dL = 0.1 L, so 1 mg/dL = 0.01 g/L and 1 g/dL = 10 g/L (SI prefixes).
- calcium: mmol/L = mg/dL x 10 / 40.08 (molar mass of Ca 40.078 g/mol, IUPAC standard atomic
  weight, rounded to 40.08 g/mol as clinical laboratories use it: 1 mg/dL = 0.2495 mmol/L).
- 10^3/µL = 10^9/L (1 µL = 10^-6 L) and 1 % = 0.01 L/L.

>>> convert(150, "[lb_av]", "kg", "weight")
68.0388555
>>> round(convert(9.5, "mg/dL", "mmol/L", "calcium"), 4)
2.3703
>>> parse_canonical("5 ft 6 in", "height")
167.64
>>> parse_canonical("98.6 F", "temperature")
37.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from plexms.core.errors import InputError

__all__ = [
    "QUANTITIES",
    "UNITS",
    "Quantity",
    "QuantityKind",
    "Unit",
    "UnitSystem",
    "canonical_unit",
    "convert",
    "display_unit",
    "format_quantity",
    "from_canonical",
    "parse",
    "parse_canonical",
    "to_canonical",
    "unit_label",
]


class UnitSystem(StrEnum):
    """A centre's unit convention for entry and display."""

    SI = "si"
    US = "us"


@dataclass(frozen=True)
class Unit:
    """One unit: its UCUM code, label, dimension and affine map to the dimension's base.

    ``base = value * factor + offset``; bases: kg, cm, Cel, mL, g/L, mmol/L, 10*9/L, L/L.
    """

    ucum: str
    label: str
    dimension: str
    factor: float
    offset: float = 0.0
    decimals: int = 1


_CA_MOLAR_MASS_G_MOL = 40.08  # IUPAC 40.078 g/mol, rounded as clinical labs do

UNITS: dict[str, Unit] = {
    u.ucum: u
    for u in (
        Unit("kg", "kg", "mass", 1.0),
        Unit("[lb_av]", "lb", "mass", 0.45359237),  # exact, NIST SP 811 B.8
        Unit("cm", "cm", "length", 1.0),
        Unit("m", "m", "length", 100.0, decimals=2),
        Unit("[in_i]", "in", "length", 2.54),  # exact, NIST SP 811 B.8
        Unit("[ft_i]", "ft", "length", 30.48),  # 12 in, exact
        Unit("Cel", "°C", "temperature", 1.0),
        Unit("[degF]", "°F", "temperature", 5 / 9, -32 * 5 / 9),  # exact, NIST SP 811 B.8
        Unit("mL", "mL", "volume", 1.0, decimals=0),
        Unit("L", "L", "volume", 1000.0, decimals=2),
        Unit("g/L", "g/L", "mass_concentration", 1.0, decimals=2),
        Unit("mg/dL", "mg/dL", "mass_concentration", 0.01, decimals=0),  # 1 dL = 0.1 L
        Unit("g/dL", "g/dL", "mass_concentration", 10.0),
        Unit("mg/L", "mg/L", "mass_concentration", 0.001, decimals=0),
        Unit("mmol/L", "mmol/L", "substance_concentration", 1.0, decimals=2),
        Unit("10*9/L", "×10⁹/L", "number_concentration", 1.0, decimals=0),
        Unit("10*3/uL", "×10³/µL", "number_concentration", 1.0, decimals=0),  # 1 µL = 1e-6 L
        Unit("L/L", "L/L", "fraction", 1.0, decimals=3),
        Unit("%", "%", "fraction", 0.01),
    )
}


@dataclass(frozen=True)
class QuantityKind:
    """A measured quantity: its canonical (stored) unit, the units allowed and the US unit."""

    name: str
    canonical: str
    us: str
    si: str
    allowed: tuple[str, ...]
    molar_mass_g_mol: float | None = None  # lets mass and substance concentration convert
    signed: bool = False  # temperature may be negative; everything else may not
    decimals: tuple[tuple[str, int], ...] = ()  # display decimals overriding the unit's own


QUANTITIES: dict[str, QuantityKind] = {
    q.name: q
    for q in (
        QuantityKind("weight", "kg", "[lb_av]", "kg", ("kg", "[lb_av]")),
        QuantityKind("height", "cm", "[in_i]", "cm", ("cm", "m", "[in_i]", "[ft_i]")),
        QuantityKind("temperature", "Cel", "[degF]", "Cel", ("Cel", "[degF]"), signed=True),
        QuantityKind("volume", "mL", "mL", "mL", ("mL", "L")),
        QuantityKind("igg", "g/L", "mg/dL", "g/L", ("g/L", "mg/dL", "g/dL", "mg/L")),
        QuantityKind("fibrinogen", "g/L", "mg/dL", "g/L", ("g/L", "mg/dL", "g/dL", "mg/L")),
        QuantityKind("albumin", "g/L", "g/dL", "g/L", ("g/L", "g/dL", "mg/dL")),
        QuantityKind("hemoglobin", "g/L", "g/dL", "g/L", ("g/L", "g/dL")),
        QuantityKind(
            "calcium",
            "mmol/L",
            "mg/dL",
            "mmol/L",
            ("mmol/L", "mg/dL"),
            _CA_MOLAR_MASS_G_MOL,
            decimals=(("mg/dL", 1),),
        ),
        QuantityKind(
            "ionized_calcium",
            "mmol/L",
            "mg/dL",
            "mmol/L",
            ("mmol/L", "mg/dL"),
            _CA_MOLAR_MASS_G_MOL,
            decimals=(("mg/dL", 2),),
        ),
        QuantityKind("platelets", "10*9/L", "10*3/uL", "10*9/L", ("10*9/L", "10*3/uL")),
        QuantityKind("hematocrit", "L/L", "%", "%", ("L/L", "%")),
    )
}


@dataclass(frozen=True)
class Quantity:
    """A value with its unit (a UCUM code)."""

    value: float
    unit: str

    def to(self, unit: str, quantity: str) -> Quantity:
        """The same amount of ``quantity`` in ``unit``."""
        return Quantity(convert(self.value, self.unit, unit, quantity), unit)


def _kind(quantity: str) -> QuantityKind:
    try:
        return QUANTITIES[quantity]
    except KeyError:
        raise InputError(
            "quantity", f"unknown quantity {quantity!r}", allowed=", ".join(sorted(QUANTITIES))
        ) from None


def _unit(kind: QuantityKind, unit: str, field: str) -> Unit:
    if unit not in kind.allowed:
        raise InputError(
            field,
            f"unit {unit!r} is not a unit of {kind.name}",
            allowed=", ".join(UNITS[u].label for u in kind.allowed),
        )
    return UNITS[unit]


def _to_base(kind: QuantityKind, value: float, unit: Unit, target_dimension: str) -> float:
    base = value * unit.factor + unit.offset
    if unit.dimension == target_dimension:
        return base
    # Only mass <-> substance concentration crosses dimensions, via the molar mass.
    if kind.molar_mass_g_mol is None:  # pragma: no cover - QUANTITIES never mixes otherwise
        raise InputError(kind.name, f"cannot convert {unit.label} to {target_dimension}")
    if unit.dimension == "mass_concentration":
        return base * 1000.0 / kind.molar_mass_g_mol
    return base * kind.molar_mass_g_mol / 1000.0


def convert(value: float, from_unit: str, to_unit: str, quantity: str) -> float:
    """``value`` of ``quantity`` in ``from_unit`` expressed in ``to_unit`` (UCUM codes).

    >>> convert(1.0, "g/dL", "g/L", "hemoglobin")
    10.0
    """
    kind = _kind(quantity)
    src = _unit(kind, from_unit, quantity)
    dst = _unit(kind, to_unit, quantity)
    _check_value(kind, value, quantity)
    base = _to_base(kind, float(value), src, dst.dimension)
    return (base - dst.offset) / dst.factor


def _check_value(kind: QuantityKind, value: float, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(field, f"{value!r} is not a finite number")
    if value < 0 and not kind.signed:
        raise InputError(field, "must not be negative", allowed=">= 0")


def canonical_unit(quantity: str) -> str:
    """The unit ``quantity`` is stored in (UCUM)."""
    return _kind(quantity).canonical


def display_unit(quantity: str, system: UnitSystem | str) -> str:
    """The unit ``quantity`` is entered and shown in under unit convention ``system``."""
    kind = _kind(quantity)
    return kind.us if UnitSystem(system) is UnitSystem.US else kind.si


def to_canonical(value: float, unit: str, quantity: str) -> float:
    """``value`` in ``unit`` converted to the canonical unit of ``quantity``."""
    return convert(value, unit, canonical_unit(quantity), quantity)


def from_canonical(value: float, quantity: str, unit: str) -> float:
    """A canonical ``value`` of ``quantity`` converted to ``unit``."""
    return convert(value, canonical_unit(quantity), unit, quantity)


def unit_label(unit: str) -> str:
    """Human label of a UCUM code: ``"[lb_av]"`` -> ``"lb"``."""
    try:
        return UNITS[unit].label
    except KeyError:
        raise InputError("unit", f"unknown unit {unit!r}") from None


def format_quantity(
    value: float, quantity: str, system: UnitSystem | str, *, decimals: int | None = None
) -> str:
    """A canonical value shown in the convention's unit with its label.

    >>> format_quantity(68.0388555, "weight", "us")
    '150.0 lb'
    >>> format_quantity(2.37, "calcium", UnitSystem.US)
    '9.5 mg/dL'
    """
    unit = display_unit(quantity, system)
    shown = from_canonical(value, quantity, unit)
    if decimals is None:
        decimals = dict(_kind(quantity).decimals).get(unit, UNITS[unit].decimals)
    places = decimals
    return f"{shown:.{places}f} {UNITS[unit].label}"


# --- what users type ---------------------------------------------------------------------

_ALIASES: dict[str, str] = {
    alias: ucum
    for ucum, aliases in {
        "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"),
        "[lb_av]": ("lb", "lbs", "pound", "pounds"),
        "cm": ("cm", "centimetre", "centimetres", "centimeter", "centimeters"),
        "m": ("m", "metre", "metres", "meter", "meters"),
        "[in_i]": ("in", "inch", "inches", '"', "''"),
        "[ft_i]": ("ft", "foot", "feet", "'"),
        "Cel": ("c", "degc", "cel", "celsius", "centigrade"),
        "[degF]": ("f", "degf", "fahrenheit"),
        "mL": ("ml", "millilitre", "millilitres", "milliliter", "milliliters", "cc"),
        "L": ("l", "litre", "litres", "liter", "liters"),
        "g/L": ("g/l",),
        "mg/dL": ("mg/dl",),
        "g/dL": ("g/dl",),
        "mg/L": ("mg/l",),
        "mmol/L": ("mmol/l",),
        "10*9/L": ("10*9/l", "10^9/l", "x10^9/l", "x10*9/l", "x109/l", "e9/l"),
        "10*3/uL": ("10*3/ul", "10^3/ul", "x10^3/ul", "x10*3/ul", "x103/ul", "k/ul", "/nl"),
        "L/L": ("l/l",),
        "%": ("%",),
    }.items()
    for alias in aliases
}
_TRANSLATE = str.maketrans({"µ": "u", "μ": "u", "°": "", "º": "", "×": "x", "⁹": "9", "³": "3"})
_NUMBER = r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)"
_VALUE_UNIT = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_FEET_INCHES = re.compile(
    rf"^\s*({_NUMBER})\s*(?:ft|feet|foot|')\s*,?\s*(?:({_NUMBER})\s*(?:in|inch|inches|\"|'')?)?\s*$",
    re.IGNORECASE,
)


def _number(text: str, field: str) -> float:
    if "," in text:
        # A decimal comma ("37,5") is understood; a thousands separator ("1,000") is not.
        if not re.fullmatch(r"[+-]?\d*,\d{1,2}", text):
            raise InputError(field, f"{text!r} is ambiguous", allowed="a number like 1000 or 37.5")
        text = text.replace(",", ".")
    return float(text)


def parse(
    text: str, quantity: str, *, default_unit: str | None = None, field: str | None = None
) -> Quantity:
    """A value typed by a user (``"150 lb"``, ``"5 ft 6 in"``, ``"98.6 F"``) with its unit.

    A bare number takes ``default_unit`` (the centre's convention) or is refused. Feet and
    inches are returned in inches.

    >>> parse("150 lb", "weight")
    Quantity(value=150.0, unit='[lb_av]')
    >>> parse("5'6\\"", "height")
    Quantity(value=66.0, unit='[in_i]')
    >>> parse("250", "fibrinogen", default_unit="mg/dL")
    Quantity(value=250.0, unit='mg/dL')
    """
    name = field or quantity
    kind = _kind(quantity)
    if not isinstance(text, str) or not text.strip():
        raise InputError(name, "is empty", allowed=_allowed_text(kind))
    if quantity == "height" and (match := _FEET_INCHES.match(text)):
        feet = _number(match.group(1), name)
        inches = _number(match.group(2), name) if match.group(2) else 0.0
        if inches >= 12 or inches < 0:
            raise InputError(name, "inches must be 0 to less than 12 after feet", allowed="0-11.9")
        total = feet * 12 + inches
        _check_value(kind, total, name)
        return Quantity(total, "[in_i]")
    match = _VALUE_UNIT.match(text)
    if match is None:
        raise InputError(name, f"{text!r} is not a number with a unit", allowed=_allowed_text(kind))
    value = _number(match.group(1), name)
    unit_text = re.sub(r"\s+", "", match.group(2)).translate(_TRANSLATE).lower()
    if not unit_text:
        if default_unit is None:
            raise InputError(name, "needs a unit", allowed=_allowed_text(kind))
        unit = default_unit
    else:
        if unit_text not in _ALIASES:
            raise InputError(
                name, f"unit {match.group(2)!r} is not understood", allowed=_allowed_text(kind)
            )
        unit = _ALIASES[unit_text]
    _unit(kind, unit, name)
    _check_value(kind, value, name)
    return Quantity(value, unit)


def parse_canonical(
    text: str, quantity: str, *, default_unit: str | None = None, field: str | None = None
) -> float:
    """A typed value converted to the canonical unit of ``quantity``."""
    typed = parse(text, quantity, default_unit=default_unit, field=field)
    return round(to_canonical(typed.value, typed.unit, quantity), 10)


def _allowed_text(kind: QuantityKind) -> str:
    return ", ".join(UNITS[u].label for u in kind.allowed)
