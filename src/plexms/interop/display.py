"""How a centre shows values, dates and times: one convention per centre, used everywhere.

Storage stays canonical SI (:mod:`plexms.interop.units`); a :class:`Display` turns a canonical
value into the centre's unit with a clinically sensible precision (``98.2 °F``, ``310 mg/dL``,
``37.0 °C``, ``3.10 g/L``) and writes dates and times in one style per centre:

- ``us``: 12/04/2026, 9:00 AM (month first, 12-hour clock; US centres);
- ``dmy``: 04/12/2026, 09:00 (day first, 24-hour clock; the default for SI centres);
- ``iso``: 2026-12-04, 09:00 (ISO 8601 dates, 24-hour clock).

The web (a Jinja filter), letters and reports (through their typed input) all use this module,
so a page, its letter and its PDF say the same thing in the same way.

>>> us = Display.for_centre("us")
>>> us.quantity(36.78, "temperature"), us.quantity(3.1, "igg")
('98.2 °F', '310 mg/dL')
>>> si = Display.for_centre("si")
>>> si.quantity(36.78, "temperature"), si.date(dt.date(2026, 12, 4))
('36.8 °C', '04/12/2026')
>>> us.datetime(dt.datetime(2026, 12, 4, 17, 5, tzinfo=dt.UTC), "America/Los_Angeles")
'12/04/2026 9:05 AM'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from plexms.interop import units

__all__ = ["DateStyle", "Display", "age_years"]


class DateStyle(StrEnum):
    """How dates and clock times are written."""

    DMY = "dmy"
    ISO = "iso"
    US = "us"


# Clinically sensible decimals in each display unit (overrides interop.units' defaults, which
# are tuned for round trips rather than reading): temperatures to 0.1 degree, concentrations
# in mg/dL as whole numbers except calcium, fibrinogen and IgG in g/L to 0.1 g/L or 0.01 g/L.
_DECIMALS: dict[tuple[str, str], int] = {
    ("temperature", "[degF]"): 1,
    ("temperature", "Cel"): 1,
    ("weight", "[lb_av]"): 1,
    ("weight", "kg"): 1,
    ("height", "[in_i]"): 1,
    ("height", "cm"): 0,
    ("igg", "mg/dL"): 0,
    ("igg", "g/L"): 1,
    ("fibrinogen", "mg/dL"): 0,
    ("fibrinogen", "g/L"): 2,
    ("albumin", "g/dL"): 1,
    ("albumin", "g/L"): 0,
    ("hemoglobin", "g/dL"): 1,
    ("hemoglobin", "g/L"): 0,
    ("hematocrit", "%"): 0,
    ("platelets", "10*3/uL"): 0,
    ("platelets", "10*9/L"): 0,
}


# The go/no-go check's rules that carry a measured value: (quantity, the unit the rule's text
# writes, factor from that unit to the canonical unit). The core writes SI (haemoglobin in
# g/dL as published); the centre reads its own units.
_RULE_QUANTITY: dict[str, tuple[str, str, float]] = {
    "PRE-TEMP": ("temperature", "°C", 1.0),
    "PRE-ICA": ("ionized_calcium", "mmol/L", 1.0),
    "PRE-TCA": ("calcium", "mmol/L", 1.0),
    "PRE-HB": ("hemoglobin", "g/dL", 10.0),
    "PRE-PLT": ("platelets", "x10^9/L", 1.0),
    "PRE-FIBRINOGEN": ("fibrinogen", "g/L", 1.0),
}
_NUMBER = r"(\d+(?:\.\d+)?)"
_ISO_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b")


def age_years(birth: dt.date | None, on: dt.date) -> int | None:
    """Completed years of age on ``on``.

    >>> age_years(dt.date(1984, 5, 17), dt.date(2026, 5, 16))
    41
    """
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"not a date: {value!r}")


@dataclass(frozen=True)
class Display:
    """A centre's display convention: unit system, date style and (optionally) time zone."""

    system: units.UnitSystem = units.UnitSystem.US
    date_style: DateStyle = DateStyle.US
    time_zone: str | None = None

    @classmethod
    def for_centre(
        cls,
        system: str | None,
        *,
        date_style: str | None = None,
        time_zone: str | None = None,
    ) -> Display:
        """The convention of a centre with unit system ``system`` (``"us"`` or ``"si"``).

        Without an explicit ``date_style`` a US centre writes US dates and an SI centre
        day-first dates.
        """
        unit_system = units.UnitSystem(system or "us")
        if date_style:
            style = DateStyle(date_style)
        else:
            style = DateStyle.US if unit_system is units.UnitSystem.US else DateStyle.DMY
        return cls(unit_system, style, time_zone)

    # --- values ------------------------------------------------------------------------

    def unit(self, quantity: str) -> str:
        """The label of the unit ``quantity`` is shown in (``lb``, ``mg/dL``)."""
        return units.unit_label(units.display_unit(quantity, self.system))

    def decimals(self, quantity: str) -> int:
        """How many decimals ``quantity`` is shown with in this convention."""
        code = units.display_unit(quantity, self.system)
        default = dict(units.QUANTITIES[quantity].decimals).get(code, units.UNITS[code].decimals)
        return _DECIMALS.get((quantity, code), default)

    def value(self, canonical: float | None, quantity: str) -> float | None:
        """A canonical value in the convention's unit, rounded as shown."""
        if canonical is None or not math.isfinite(float(canonical)):
            return None
        code = units.display_unit(quantity, self.system)
        shown = units.from_canonical(float(canonical), quantity, code)
        return round(shown, self.decimals(quantity))

    def number(self, canonical: float | None, quantity: str) -> str:
        """The shown number without its unit (an em dash when missing)."""
        shown = self.value(canonical, quantity)
        if shown is None:
            return "—"
        return f"{shown:,.{self.decimals(quantity)}f}"

    def quantity(self, canonical: float | None, quantity: str) -> str:
        """``"98.2 °F"`` / ``"36.8 °C"``; an em dash when missing."""
        shown = self.number(canonical, quantity)
        return shown if shown == "—" else f"{shown} {self.unit(quantity)}"

    # --- dates and times ---------------------------------------------------------------

    def _local(self, value: dt.datetime, zone: str | None) -> dt.datetime:
        name = zone or self.time_zone
        if name and value.tzinfo is not None:
            return value.astimezone(ZoneInfo(name))
        return value

    def date(self, value: Any) -> str:
        """A date in the centre's style (an em dash when missing)."""
        if value is None:
            return "—"
        day = _as_date(value)
        if self.date_style is DateStyle.US:
            return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
        if self.date_style is DateStyle.DMY:
            return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
        return day.isoformat()

    def time(self, value: Any, zone: str | None = None) -> str:
        """A wall-clock time in the centre's style (``9:00 AM`` or ``09:00``)."""
        if value is None:
            return "—"
        if isinstance(value, str):
            value = dt.time.fromisoformat(value[:5])
        if isinstance(value, dt.datetime):
            value = self._local(value, zone).time()
        if self.date_style is DateStyle.US:
            hour = value.hour % 12 or 12
            return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
        return f"{value.hour:02d}:{value.minute:02d}"

    def datetime(self, value: Any, zone: str | None = None) -> str:
        """Date and time in the centre's style and zone (an em dash when missing)."""
        if value is None:
            return "—"
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        local = self._local(value, zone)
        return f"{self.date(local.date())} {self.time(local)}"

    def short_date(self, value: Any) -> str:
        """Day and month only, in the centre's order (``12/04`` or ``04/12``; ISO ``12-04``)."""
        if value is None:
            return "—"
        day = _as_date(value)
        if self.date_style is DateStyle.US:
            return f"{day.month:02d}/{day.day:02d}"
        if self.date_style is DateStyle.DMY:
            return f"{day.day:02d}/{day.month:02d}"
        return f"{day.month:02d}-{day.day:02d}"

    def dates_in(self, text: str) -> str:
        """Free text (a calculator's note) with its ISO dates written in the centre's style.

        >>> Display.for_centre("us").dates_in("moved: 2026-12-06 (Sunday)")
        'moved: 12/06/2026 (Sunday)'
        """
        return _ISO_DATE.sub(lambda m: self.date(m.group(0)), text)

    def rule_text(self, text: str | None, rule: str, *, threshold: bool = False) -> str:
        """A go/no-go check's text (or, with ``threshold``, its threshold) in the centre's
        units: "Temperature 37.9 °C: caution." -> "Temperature 100.2 °F: caution.".

        >>> Display.for_centre("us").rule_text("hold < 1, caution < 1.5 g/L", "PRE-FIBRINOGEN",
        ...     threshold=True)
        'hold < 100, caution < 150 mg/dL'
        """
        if not text or rule not in _RULE_QUANTITY:
            return text or ""
        quantity, label, scale = _RULE_QUANTITY[rule]
        shown = self.unit(quantity)

        def convert(match: re.Match[str]) -> str:
            return self.number(float(match.group(2)) * scale, quantity)

        unit = re.escape(label)
        if threshold:  # every limit follows its comparison: "hold < 1, caution < 1.5 g/L"
            text = re.sub(rf"([<>]=?\s*){_NUMBER}", lambda m: m.group(1) + convert(m), text)
        else:  # every value is followed by its unit: "Fibrinogen 1.2 g/L: below 1.5 g/L"
            text = re.sub(rf"(){_NUMBER}(?=\s*{unit})", convert, text)
        return re.sub(rf"(?<=\d)(\s*){unit}", lambda m: m.group(1) + shown, text)

    def long_date(self, value: Any) -> str:
        """The weekday and the date (``Friday 12/04/2026``)."""
        if value is None:
            return "—"
        day = _as_date(value)
        return f"{day.strftime('%A')} {self.date(day)}"

    @property
    def label(self) -> str:
        """Human description of the convention (the page footer)."""
        if self.system is units.UnitSystem.US:
            return "US customary (lb, in, °F, mg/dL)"
        return "SI (kg, cm, °C, g/L, mmol/L)"
