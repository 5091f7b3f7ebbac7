"""Adverse events of TPE: the catalogue, WAA severity grades, a CTCAE-style grade, actions and
rates per 100 procedures computed the World Apheresis Association (WAA) registry's way.

WAA severity (WAA 2016): mild; moderate = needs medication; severe = the procedure was
interrupted or stopped; death. A centre's rate is events per 100 procedures, each procedure
counted once at its most severe event, compared with the registry's 2025 figures (mild 1.6,
moderate 2.0, severe 0.20 per 100; WAA 2025) through a Wilson 95% interval, so that a small
centre is not called "above the registry" on two events. The registry's published rates are
over all procedure types (stem-cell collections, plasma exchange, photopheresis, ...): our
sources give no rates for plasma exchange alone, so every comparison is labelled
:data:`WAA_REFERENCE_SCOPE` ("all procedure types"), never as a plasma-exchange benchmark.

>>> waa_severity(needed_medication=True)
'moderate'
>>> ctcae_grade("severe")
3
>>> rates = waa_rates(200, {"mild": 4, "moderate": 3})
>>> [(r.severity, r.per_100, r.comparison) for r in rates.rows][:2]
[('mild', 2.0, 'consistent'), ('moderate', 1.5, 'consistent')]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.rules import RULE_VERSION, sources_of
from plexms.core.vocabulary import AE_SEVERITIES, AE_TYPES

__all__ = [
    "ADVERSE_EVENTS",
    "FIRST_PROCEDURE_AE_PERCENT",
    "LATER_PROCEDURE_AE_PERCENT",
    "SEVERITIES",
    "SEVERITY_DEFINITIONS",
    "WAA_2025_PER_100",
    "WAA_REFERENCE_SCOPE",
    "AdverseEventType",
    "RateRow",
    "WaaRates",
    "ctcae_grade",
    "waa_rates",
    "waa_severity",
    "wilson_interval",
    "worst_per_procedure",
]

SEVERITIES = AE_SEVERITIES.values
SEVERITY_DEFINITIONS = {t.value: t.description for t in AE_SEVERITIES.terms}  # WAA_2016
WAA_2025_PER_100: dict[str, float | None] = {  # WAA_2025, >169,000 procedures
    "mild": 1.6,
    "moderate": 2.0,
    "severe": 0.20,
    "death": None,  # not given in our reference
}
# WAA_2025 reports these rates over all procedure types; no plasma-exchange-only rates are
# published in the sources we hold, so the comparison says so wherever it is shown.
WAA_REFERENCE_SCOPE = "all procedure types"
FIRST_PROCEDURE_AE_PERCENT = 8.4  # WAA_2016: first procedures
LATER_PROCEDURE_AE_PERCENT = 5.5  # WAA_2016: later procedures
_CTCAE = {"mild": 1, "moderate": 2, "severe": 3, "death": 5}  # CTCAE_V5-style
_Z_95 = 1.959963984540054  # two-sided 95% normal quantile (WILSON_1927 interval)


@dataclass(frozen=True)
class AdverseEventType:
    """One kind of adverse event: what it looks like and what to do."""

    key: str
    label: str
    frequency: str  # as the seed reports it: common | rare | not stated
    actions: tuple[str, ...]
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "key": self.key,
            "label": self.label,
            "frequency": self.frequency,
            "actions": list(self.actions),
            "sources": list(self.sources),
        }


def _event(key: str, frequency: str, *actions: str, sources: str) -> AdverseEventType:
    return AdverseEventType(key, AE_TYPES.label(key), frequency, actions, tuple(sources.split()))


ADVERSE_EVENTS: dict[str, AdverseEventType] = {
    e.key: e
    for e in (
        _event(
            "hypotension",
            "common",
            "Slow or pause the inlet; lie the patient flat and raise the legs.",
            "Give a fluid bolus; check for an allergic reaction or a recent ACE inhibitor dose.",
            "Stop the procedure if it persists (severe).",
            sources="SEED_ARTICLE WAA_2025 OWEN_BRECHER_1994",
        ),
        _event(
            "fatigue",
            "common",
            "Rest after the session; check blood pressure and haemoglobin if marked.",
            sources="SEED_ARTICLE",
        ),
        _event(
            "hypocalcaemia",
            "common",
            "Slow the inlet (less citrate per minute).",
            "Give calcium gluconate with the return fluid (10 mL of 10% per litre) and recheck "
            "ionised calcium.",
            sources="SEED_ARTICLE WEINSTEIN_1996 BOLAN_2001 OLSON_1977",
        ),
        _event(
            "catheter_infection",
            "common",
            "Blood cultures from the catheter and a peripheral vein; antibiotics per local "
            "protocol; consider removing the catheter.",
            "Hold further exchanges until treated.",
            sources="SEED_ARTICLE",
        ),
        _event(
            "allergic_reaction",
            "rare",
            "Pause the replacement fluid; antihistamine; treat anaphylaxis by protocol.",
            "Review ACE inhibitor use (atypical reactions with albumin exchange).",
            sources="SEED_ARTICLE OWEN_BRECHER_1994",
        ),
        _event(
            "bleeding",
            "rare",
            "Stop; local pressure; check fibrinogen and clotting (about 65% of coagulation "
            "factors are removed per plasma volume).",
            "Give plasma as replacement when fibrinogen is low.",
            sources="SEED_ARTICLE WODAJO_2024",
        ),
        _event(
            "arrhythmia",
            "rare",
            "Stop the procedure; ECG; check potassium and ionised calcium.",
            sources="SEED_ARTICLE",
        ),
        _event(
            "vasovagal",
            "not stated",
            "Pause; lie flat with legs raised; reassure; restart when recovered.",
            sources="WAA_2016",
        ),
        _event(
            "nausea",
            "not stated",
            "Slow the inlet; look for hypotension and citrate symptoms; antiemetic if needed.",
            sources="WAA_2016",
        ),
        _event(
            "chills",
            "not stated",
            "Warm the return line and the patient; check temperature; consider infection or a "
            "reaction to the replacement fluid.",
            sources="WAA_2016",
        ),
    )
}


def waa_severity(
    *,
    needed_medication: bool = False,
    interrupted: bool = False,
    stopped: bool = False,
    died: bool = False,
) -> str:
    """WAA severity of one adverse event from what happened (WAA 2016 definitions).

    >>> waa_severity(needed_medication=True, interrupted=True)
    'severe'
    >>> waa_severity()
    'mild'
    """
    if died:
        return "death"
    if interrupted or stopped:
        return "severe"
    if needed_medication:
        return "moderate"
    return "mild"


def ctcae_grade(severity: str, *, life_threatening: bool = False) -> int:
    """CTCAE-style grade (1-5) for a WAA severity; severe is 3, or 4 when life-threatening.

    >>> ctcae_grade("severe", life_threatening=True)
    4
    """
    _check_severity("severity", severity)
    grade = _CTCAE[severity]
    return 4 if grade == 3 and life_threatening else grade


def worst_per_procedure(procedures: Iterable[Iterable[str]]) -> dict[str, int]:
    """Counts per severity, each procedure counted once at its most severe event.

    >>> worst_per_procedure([["mild", "moderate"], [], ["mild"]])
    {'mild': 1, 'moderate': 1, 'severe': 0, 'death': 0}
    """
    counts = dict.fromkeys(SEVERITIES, 0)
    for i, events in enumerate(procedures):
        ranks = []
        for severity in events:
            _check_severity(f"procedures[{i}]", severity)
            ranks.append(SEVERITIES.index(severity))
        if ranks:
            counts[SEVERITIES[max(ranks)]] += 1
    return counts


@dataclass(frozen=True)
class RateRow:
    """One severity: the centre's rate per 100 procedures, its 95% interval, the registry."""

    severity: str
    count: int
    per_100: float
    ci95_per_100: tuple[float, float]
    reference_per_100: float | None
    comparison: str  # above | below | consistent | no reference
    reference_scope: str = WAA_REFERENCE_SCOPE

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "severity": self.severity,
            "count": self.count,
            "per_100": self.per_100,
            "ci95_per_100": list(self.ci95_per_100),
            "reference_per_100": self.reference_per_100,
            "reference_scope": self.reference_scope,
            "comparison": self.comparison,
        }


@dataclass(frozen=True)
class WaaRates:
    """A centre's adverse-event rates, the WAA way, against the registry."""

    procedures: int
    rows: tuple[RateRow, ...]
    sources: tuple[str, ...] = ("WAA_2025", "WAA_2016", "WILSON_1927", "NEWCOMBE_1998")
    rule_version: str = RULE_VERSION
    reference_scope: str = WAA_REFERENCE_SCOPE

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "procedures": self.procedures,
            "reference_scope": self.reference_scope,
            "rows": [r.to_dict() for r in self.rows],
            "sources": sources_of(self.sources),
            "rule_version": self.rule_version,
        }


def waa_rates(procedures: int, counts: Mapping[str, int]) -> WaaRates:
    """Rates per 100 procedures by WAA severity, with Wilson 95% intervals and the WAA 2025
    reference (mild 1.6, moderate 2.0, severe 0.20 per 100).

    ``counts[severity]`` = procedures whose most severe event had that severity (see
    :func:`worst_per_procedure`); missing severities count 0.

    >>> waa_rates(1000, {"severe": 9}).rows[2].comparison
    'above'
    """
    if isinstance(procedures, bool) or not isinstance(procedures, int) or procedures < 1:
        raise InputError("procedures", f"{procedures!r} is not a count", allowed=">= 1")
    for key, count in counts.items():
        _check_severity(f"counts.{key}", key)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(f"counts.{key}", f"{count!r} is not a count", allowed=">= 0")
    if sum(counts.values()) > procedures:
        raise InputError("counts", "more procedures with events than procedures", allowed="<= n")
    rows = []
    for severity in SEVERITIES:
        count = counts.get(severity, 0)
        low, high = _wilson(count, procedures)
        reference = WAA_2025_PER_100[severity]
        if reference is None:
            comparison = "no reference"
        elif low > reference:
            comparison = "above"
        elif high < reference:
            comparison = "below"
        else:
            comparison = "consistent"
        per_100 = round(100.0 * count / procedures, 4)
        rows.append(RateRow(severity, count, per_100, (low, high), reference, comparison))
    return WaaRates(procedures, tuple(rows))


def wilson_interval(count: int, n: int, z: float = _Z_95) -> tuple[float, float]:
    """Wilson score interval (no continuity correction) for the proportion ``count / n``, as
    fractions; ``z`` = 1.96 gives the two-sided 95% interval (WILSON_1927). Newcombe's
    textbook comparison (NEWCOMBE_1998) gives 81/263 -> 0.2553 to 0.3662 and 0/20 -> 0 to
    0.1611; unlike the Wald interval it never leaves 0-1 and is not empty at 0 events.

    >>> tuple(round(x, 4) for x in wilson_interval(81, 263))
    (0.2553, 0.3662)
    >>> tuple(round(x, 4) for x in wilson_interval(0, 20))
    (0.0, 0.1611)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError("n", f"{n!r} is not a count", allowed=">= 1")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= n:
        raise InputError("count", f"{count!r} is not a count of {n}", allowed=f"0-{n}")
    if not z > 0:
        raise InputError("z", f"{z!r} is not a positive quantile", allowed="> 0")
    p = count / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _wilson(count: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval for count/n, per 100, rounded to 4 decimals."""
    low, high = wilson_interval(count, n)
    return round(100 * low, 4), round(100 * high, 4)


def _check_severity(name: str, severity: str) -> None:
    if severity not in SEVERITIES:
        raise InputError(name, f"{severity!r} is not a WAA severity", allowed=", ".join(SEVERITIES))
