"""De-identification shared by the standard exports, the registry export's own rules reused:
the same HMAC pseudonyms (``Pseudonymiser``, so a person's ``person_source_value`` is their
registry ``patient_pid``) and the same per-patient date shift (every date and time of a
patient moves by one number of days, intervals stay exact). Integer keys for OMOP are the
first 60 bits of the same pseudonym; a birth is kept as its (shifted) year only, and people
who would be 90 or over in the export's year get the year that makes them 90 (HIPAA safe
harbour, 45 CFR 164.514(b), as the registry export's age cap).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.interop.registry import Pseudonymiser

__all__ = ["AGE_CAP", "Deidentifier", "day_of"]

AGE_CAP = 90


class Deidentifier:
    """Pseudonymous ids and shifted dates of one export (one secret, one reference year)."""

    def __init__(self, pseudo: Pseudonymiser, reference_year: int) -> None:
        self.pseudo = pseudo
        self.reference_year = reference_year
        self._shifts: dict[int, int] = {}

    def pid(self, kind: str, row_id: int) -> str:
        """The registry pseudonym (16 hex digits) of row ``row_id`` of ``kind``."""
        return self.pseudo.pid(kind, row_id) or ""

    def key(self, kind: str, row_id: int) -> int:
        """A 60-bit integer pseudonym (the first 15 hex digits of ``pid``)."""
        return int(self.pid(kind, row_id)[:15], 16)

    def shift(self, patient_id: int) -> int:
        if patient_id not in self._shifts:
            self._shifts[patient_id] = self.pseudo.shift_days(patient_id)
        return self._shifts[patient_id]

    def date(self, patient_id: int, value: dt.date | None) -> dt.date | None:
        """A patient's date moved by their shift (``None`` stays ``None``)."""
        if value is None:
            return None
        return value + dt.timedelta(days=self.shift(patient_id))

    def datetime(self, patient_id: int, value: dt.datetime | None) -> dt.datetime | None:
        """A patient's time moved by their shift, as naive UTC (the CDM has no zones)."""
        if value is None:
            return None
        moved = value + dt.timedelta(days=self.shift(patient_id))
        return moved.astimezone(dt.UTC).replace(tzinfo=None) if moved.tzinfo else moved

    def year_of_birth(self, patient_id: int, birth: dt.date) -> int:
        """The shifted birth year, no earlier than ``reference_year - AGE_CAP``."""
        shifted = self.date(patient_id, birth)
        assert shifted is not None  # noqa: S101 - birth is given
        return max(shifted.year, self.reference_year - AGE_CAP)


def day_of(value: Any) -> dt.date | None:
    """The date of a date or datetime value (``None`` stays ``None``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None
