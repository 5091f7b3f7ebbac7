"""Reading HTML forms: every value checked, every problem kept beside its field.

A :class:`FormReader` collects one message per field instead of failing on the first, so
the page can show all of them next to their inputs. Measured values are typed in the centre's
unit convention (a bare number) or with any unit (``"70 kg"``, ``"5 ft 6 in"``) and come out
canonical (:mod:`plexms.interop.units`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plexms.core.errors import InfeasibleError, InputError
from plexms.interop import units

__all__ = ["FormReader", "UnitConvention", "field_errors"]


@dataclass(frozen=True)
class UnitConvention:
    """The centre's convention for entering and showing measured values."""

    system: str = "us"

    @property
    def label(self) -> str:
        """Human description shown in the footer."""
        if self.system == "us":
            return "US customary (lb, in, °F, mg/dL)"
        return "SI (kg, cm, °C, g/L)"

    def unit(self, quantity: str) -> str:
        """The UCUM code ``quantity`` is entered and shown in."""
        return units.display_unit(quantity, self.system)

    def label_of(self, quantity: str) -> str:
        """The label of that unit (``lb``)."""
        return units.unit_label(self.unit(quantity))

    def show(self, canonical: float | None, quantity: str) -> float | None:
        """A canonical value in the convention's unit (rounded for display)."""
        if canonical is None:
            return None
        unit = self.unit(quantity)
        value = units.from_canonical(canonical, quantity, unit)
        return round(value, units.UNITS[unit].decimals + 1)

    def text(self, canonical: float | None, quantity: str) -> str:
        """``"150.0 lb"``; an em dash when missing."""
        if canonical is None:
            return "—"
        return units.format_quantity(canonical, quantity, self.system)


@dataclass
class FormReader:
    """Reads fields from a submitted form, collecting errors by field name."""

    data: Mapping[str, Any]
    convention: UnitConvention = field(default_factory=UnitConvention)
    errors: dict[str, str] = field(default_factory=dict)

    def raw(self, name: str) -> str:
        """The field's text, stripped ('' when absent)."""
        value = self.data.get(name)
        return str(value).strip() if value is not None else ""

    def fail(self, name: str, message: str) -> None:
        """Record a problem with ``name`` (the first one wins)."""
        self.errors.setdefault(name, message)

    def text(self, name: str, *, required: bool = False, max_length: int = 2000) -> str | None:
        """A free-text field."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "Required.")
            return None
        if len(value) > max_length:
            self.fail(name, f"At most {max_length} characters.")
            return None
        return value

    def number(
        self,
        name: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        required: bool = False,
        integer: bool = False,
    ) -> float | None:
        """A plain number within ``lo``..``hi``."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "Required.")
            return None
        try:
            number = float(value.replace(",", ".")) if value.count(",") == 1 else float(value)
        except ValueError:
            self.fail(name, f"“{value}” is not a number.")
            return None
        if not math.isfinite(number):  # nan, inf, 1e400 (float() takes them all)
            self.fail(name, f"“{value[:20]}” is not a finite number.")
            return None
        if integer and number != int(number):
            self.fail(name, "Must be a whole number.")
            return None
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            self.fail(name, f"Must be between {lo:g} and {hi:g}.")
            return None
        return number

    def quantity(
        self,
        name: str,
        quantity: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        required: bool = False,
    ) -> float | None:
        """A measured value, canonical; bare numbers are in the centre's unit.

        ``lo``/``hi`` are canonical bounds, shown to the user in their own unit.
        """
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "Required.")
            return None
        try:
            canonical = units.parse_canonical(
                value, quantity, default_unit=self.convention.unit(quantity), field=name
            )
        except InputError as exc:
            allowed = f" (allowed: {exc.allowed})" if exc.allowed else ""
            self.fail(name, f"{exc.message}{allowed}")
            return None
        if (lo is not None and canonical < lo) or (hi is not None and canonical > hi):
            low = self.convention.text(lo, quantity) if lo is not None else "…"
            high = self.convention.text(hi, quantity) if hi is not None else "…"
            self.fail(name, f"Must be between {low} and {high}.")
            return None
        return canonical

    def choice(self, name: str, allowed: Sequence[str], *, required: bool = False) -> str | None:
        """One of ``allowed``."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "Required.")
            return None
        if value not in allowed:
            self.fail(name, f"Choose one of: {', '.join(allowed)}.")
            return None
        return value

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        """An ISO date (what ``<input type=date>`` sends)."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "Required.")
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"“{value}” is not a date (YYYY-MM-DD).")
            return None

    def flag(self, name: str) -> bool:
        """A checkbox."""
        return self.raw(name) in ("on", "true", "1", "yes")

    @property
    def ok(self) -> bool:
        """No problems so far."""
        return not self.errors


def field_errors(error: InputError, fields: Mapping[str, str]) -> dict[str, str]:
    """A calculator's :class:`InputError` as the message beside the form field it is about.

    ``fields`` maps request fields (``walking.distance_m``, or the first part ``walking``) to
    form fields; an unknown field lands on ``"form"``. The allowed range and, for an
    :class:`InfeasibleError`, the nearest feasible options follow the message.
    """
    message = error.message
    if error.allowed:
        message += f" (allowed: {error.allowed})"
    if isinstance(error, InfeasibleError) and error.alternatives:
        message += " Options: " + "; ".join(str(a) for a in error.alternatives)
    top = error.field.split(".")[0].split("[")[0]
    return {fields.get(error.field, fields.get(top, "form")): message}
