"""ASFA indications per guideline edition, and which entry applies to an attack.

The rule sets are kept per edition (ASFA 9th edition 2023, 7th edition 2016): the seed quotes
the older MS-relapse rating (II/1B), the 2023 edition lists II/1A. The 2016 NMOSD and ADEM rows
are as later editions quote them (``ASFA_2016_NEURO_ROWS``, unverified against the 2016 text).
An indication without a row in the chosen edition is a gap in the rule set, reported as such
(the answer is ``incomplete``), never a negative answer. MOGAD has no ASFA entry of its own: it
is assessed under the NMOSD acute attack entry (``MOGAD_ASFA_BASIS``), and says so.

>>> ASFA_ENTRIES["asfa-2023"]["ms_acute"].grade
'1A'
>>> ASFA_ENTRIES["asfa-2016"]["ms_acute"].grade
'1B'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plexms.core import vocabulary
from plexms.core.rules import Reason
from plexms.core.sources import LOCAL_POLICY

__all__ = [
    "ACUTE_PRESENTATIONS",
    "ASFA_ENTRIES",
    "DIAGNOSES",
    "EDITIONS",
    "PRESENTATIONS",
    "AsfaEntry",
    "asfa_entry",
]

DIAGNOSES = vocabulary.DIAGNOSES.values
PRESENTATIONS = vocabulary.ASFA_PRESENTATIONS.values
ACUTE_PRESENTATIONS = tuple(p for p in PRESENTATIONS if p != "progression")
EDITIONS = ("asfa-2023", "asfa-2016")


@dataclass(frozen=True)
class AsfaEntry:
    """One ASFA indication of one edition: category I-IV and grade 1A-2C."""

    edition: str
    indication: str
    category: str
    grade: str
    source: str


def _entries(
    edition: str, source: str, rows: Iterable[tuple[str, str, str, str]]
) -> dict[str, AsfaEntry]:
    return {key: AsfaEntry(edition, text, cat, grade, source) for key, text, cat, grade in rows}


ASFA_ENTRIES: dict[str, dict[str, AsfaEntry]] = {
    "asfa-2023": _entries(
        "asfa-2023",
        "ASFA_2023",
        [
            ("ms_acute", "Multiple sclerosis, acute attack/relapse", "II", "1A"),
            ("ms_progressive", "Multiple sclerosis, chronic progressive", "III", "2B"),
            ("nmosd_acute", "NMOSD, acute attack/relapse", "II", "1B"),
            ("nmosd_maintenance", "NMOSD, maintenance", "III", "2C"),
            ("adem", "ADEM, steroid-refractory", "II", "2C"),
            ("natalizumab_pml", "Natalizumab-associated PML", "III", "1C"),
        ],
    ),
    # MS acute from shared/reference; NMOSD and ADEM as quoted (unverified); the rest is a gap.
    "asfa-2016": _entries(
        "asfa-2016",
        "ASFA_2016",
        [("ms_acute", "Multiple sclerosis, acute attack/relapse", "II", "1B")],
    )
    | _entries(
        "asfa-2016",
        "ASFA_2016_NEURO_ROWS",
        [
            ("nmosd_acute", "NMOSD, acute attack/relapse", "II", "1B"),
            ("nmosd_maintenance", "NMOSD, maintenance", "III", "2C"),
            ("adem", "ADEM", "II", "2C"),
        ],
    ),
}


_MS_LIKE = ("relapsing_ms", "progressive_ms", "cis")


def asfa_entry(edition: str, diagnosis: str, presentation: str) -> tuple[AsfaEntry | None, Reason]:
    """The ASFA entry that applies, and the reason for the mapping (rules ELIG-ASFA-*).

    >>> entry, why = asfa_entry("asfa-2023", "relapsing_ms", "optic_neuritis")
    >>> (entry.category, entry.grade, why.rule)
    ('II', '1A', 'ELIG-ASFA-ON')
    >>> asfa_entry("asfa-2016", "nmosd", "relapse")[0].grade
    '1B'
    >>> asfa_entry("asfa-2016", "relapsing_ms", "progression")[1].rule
    'ELIG-ASFA-GAP'
    """
    acute = presentation in ACUTE_PRESENTATIONS
    key: str | None = None
    if diagnosis in _MS_LIKE and acute:
        key = "ms_acute"
    elif diagnosis in ("relapsing_ms", "progressive_ms"):
        key = "ms_progressive"
    elif diagnosis in ("nmosd", "mogad") and acute:
        key = "nmosd_acute"
    elif diagnosis == "adem" and acute:
        key = "adem"
    if key is None:
        text = (
            f"no_rule: plexms has no rule for {diagnosis} with {presentation} (no ASFA entry in "
            "its rule set). This is not a negative answer: the clinician decides and records why."
        )
        return None, Reason("ELIG-ASFA-NONE", text, LOCAL_POLICY)
    entry = ASFA_ENTRIES[edition].get(key)
    if entry is None:
        text = (
            f"no_rule: {key} has no row in plexms's rule set for edition {edition}. This is "
            "not a negative answer: choose an edition with the row, or the clinician decides."
        )
        return None, Reason("ELIG-ASFA-GAP", text, "ASFA_2016")
    label = edition.upper().replace("-", " ")
    base = f"{label}: {entry.indication}, category {entry.category}, grade {entry.grade}"
    if diagnosis == "mogad":
        text = (
            f"{base}. ASFA has no separate MOGAD entry: assessed under the NMOSD entry by "
            "analogy (local decision)."
        )
        return entry, Reason("ELIG-ASFA-MOGAD", text, "MOGAD_ASFA_BASIS")
    if key == "ms_acute" and presentation == "optic_neuritis":
        text = f"{base}. ASFA has no separate optic-neuritis entry: assessed under this entry."
        return entry, Reason("ELIG-ASFA-ON", text, entry.source)
    if key == "ms_acute" and diagnosis == "cis":
        text = f"{base}. CIS is a first demyelinating attack (seed: selected aggressive CIS)."
        return entry, Reason("ELIG-ASFA-CIS", text, "SEED_ARTICLE")
    if key == "ms_acute" and presentation == "tumefactive":
        text = f"{base}. No separate entry for tumefactive lesions (a seed indication)."
        return entry, Reason("ELIG-ASFA-TUMEFACTIVE", text, entry.source)
    return entry, Reason("ELIG-ASFA", f"{base}.", entry.source)
