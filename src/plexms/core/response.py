"""Response to treatment under every published definition at once, never one blended verdict.

Each criterion names its source and is judged on its own inputs; when one is missing the
criterion is ``not_assessable`` and says what is missing.

- ``edss_standard`` (EDSS_CHANGE_2007): improved when the EDSS falls by >= 1.0 from a baseline
  <= 5.5, or by >= 0.5 from a baseline >= 6.0; worsened when it rises by the baseline-dependent
  step of :mod:`plexms.core.disability` (>= 1.5 from 0, >= 1.0 from 1.0-5.5, >= 0.5 from
  >= 6.0: from 0, a rise of 1.0 is not "worsened"); otherwise unchanged.
- ``llufriu_2009`` (LLUFRIU_2009): improved when the EDSS falls by >= 1.0 from a baseline
  <= 7.5, or by >= 1.5 from a baseline >= 8.0. For optic neuritis, improved when the affected
  eye gains more than 2 lines, i.e. more than 0.2 logMAR (exactly 0.2 is not enough). The
  affected eye is the one given, otherwise the eye with the worse baseline acuity; with both
  eyes equal at baseline and none given the criterion is not assessable (we do not guess).
  Llufriu judged at 6 months: the follow-up given is used as it is.
- ``tnd`` (WEINSHENKER_1999): the targeted neurological deficit graded marked / moderate /
  mild / none / worse; responder = moderate or marked.
- ``recovery`` (RELAPSE_SEVERITY_2019): complete when the follow-up EDSS is back to the
  pre-relapse EDSS (or below), partial when below the baseline but above the pre-relapse
  value, none otherwise.
- ``relapse_severity`` (RELAPSE_SEVERITY_2019): the EDSS rise from pre-relapse to baseline:
  mild 0.5, moderate 1.0-1.5, severe >= 2.0 (``no_edss_rise`` when it did not rise).

- ``edss_baseline_check`` (KALINCIK_2015, KAPPOS_2018): an EDSS taken within 30 days after
  the onset of a relapse (day 0 to day 30 inclusive) is not a disability baseline: the
  confirmed-disability definitions take the reference EDSS outside that window. It still is
  the pre-exchange state a relapse's recovery is measured from.

>>> report = classify_response(Assessment(edss=6.0), Assessment(edss=5.5),
...                            pre_relapse_edss=3.0, tnd="moderate")
>>> {name: c.result for name, c in report.items()}  # doctest: +NORMALIZE_WHITESPACE
{'edss_standard': 'improved', 'llufriu_2009': 'not_improved', 'tnd': 'responder',
 'recovery': 'partial', 'relapse_severity': 'severe'}
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from plexms.core import vocabulary
from plexms.core.disability import worsening_needed
from plexms.core.edss import is_valid_edss
from plexms.core.errors import InputError
from plexms.core.vocabulary import PRESENTATIONS

__all__ = [
    "CRITERIA",
    "INDICATIONS",
    "RELAPSE_WINDOW_DAYS",
    "TND_GRADES",
    "Assessment",
    "BaselineCheck",
    "Criterion",
    "Indication",
    "TndGrade",
    "classify_response",
    "edss_baseline_check",
]

# The indication is a presentation (``cis``; ``clinically_isolated_syndrome``, the calc
# response contract's spelling, is accepted too) and the TND grades are WEINSHENKER_1999's.
Indication = str
INDICATIONS: tuple[str, ...] = PRESENTATIONS.values
TndGrade = str
TND_GRADES: tuple[str, ...] = vocabulary.TND_GRADES.values
Eye = Literal["right", "left"]
_EYES: tuple[Eye, Eye] = ("right", "left")
CRITERIA: tuple[str, ...] = (
    "edss_standard",
    "llufriu_2009",
    "tnd",
    "recovery",
    "relapse_severity",
)
_SOURCES = {
    "edss_standard": "EDSS_CHANGE_2007",
    "llufriu_2009": "LLUFRIU_2009",
    "tnd": "WEINSHENKER_1999",
    "recovery": "RELAPSE_SEVERITY_2019",
    "relapse_severity": "RELAPSE_SEVERITY_2019",
}
# EDSS_CHANGE_2007: change needed below / from 6.0.
_STANDARD_SPLIT = 6.0
_STANDARD_CHANGE = (1.0, 0.5)
# LLUFRIU_2009: fall needed below / from 8.0; optic neuritis: more than 2 lines (0.1 each).
_LLUFRIU_SPLIT = 8.0
_LLUFRIU_FALL = (1.0, 1.5)
_LLUFRIU_LOGMAR_GAIN = 0.2
# WEINSHENKER_1999: the TND grades that count as response.
_TND_RESPONDER = ("marked", "moderate")
# RELAPSE_SEVERITY_2019: EDSS rise of a mild / moderate relapse (severe from 2.0).
_SEVERE_RISE = 2.0
_MODERATE_RISE = 1.0
_LOGMAR_RANGE = (-math.log10(2.0), 3.0)
# Differences of logMAR values are rounded to this many places before comparing with a
# threshold, so that 1.3 - 1.1 counts as exactly 0.2.
_PLACES = 6


@dataclass(frozen=True, slots=True)
class Assessment:
    """An assessment: EDSS and corrected logMAR of each eye, any of them possibly unknown."""

    edss: float | None = None
    logmar_right: float | None = None
    logmar_left: float | None = None

    def logmar(self, eye: Eye) -> float | None:
        """The logMAR of ``eye``."""
        return self.logmar_right if eye == "right" else self.logmar_left


@dataclass(frozen=True, slots=True)
class Criterion:
    """One definition's verdict, its source key, the rule applied and what it was based on."""

    result: str
    source: str
    rule: str
    missing: tuple[str, ...] = ()
    details: dict[str, float | str | None] = field(default_factory=dict)

    @property
    def responder(self) -> bool | None:
        """True/False for the response definitions; None when not assessable or not one."""
        if self.result in ("improved", "responder"):
            return True
        if self.result in ("unchanged", "worsened", "not_improved", "non_responder"):
            return False
        return None


def classify_response(
    baseline: Assessment,
    followup: Assessment,
    *,
    pre_relapse_edss: float | None = None,
    tnd: str | None = None,
    indication: str = "relapse",
    affected_eye: str | None = None,
) -> dict[str, Criterion]:
    """Every criterion of :data:`CRITERIA`, each judged on its own (sources in module doc).

    >>> baseline = Assessment(edss=3.0, logmar_right=1.0, logmar_left=0.1)
    >>> followup = Assessment(edss=3.0, logmar_right=0.7, logmar_left=0.1)
    >>> classify_response(baseline, followup, indication="optic_neuritis")["llufriu_2009"].result
    'improved'
    """
    _check_assessment("baseline", baseline)
    _check_assessment("followup", followup)
    if pre_relapse_edss is not None:
        _check_edss("pre_relapse.edss", pre_relapse_edss)
    if tnd is not None and tnd not in TND_GRADES:
        raise InputError("tnd", f"unknown grade {tnd!r}", allowed=", ".join(TND_GRADES))
    indication = PRESENTATIONS.word(indication)
    if indication not in INDICATIONS:
        raise InputError(
            "indication", f"unknown indication {indication!r}", allowed=", ".join(INDICATIONS)
        )
    if affected_eye is not None and affected_eye not in ("right", "left"):
        raise InputError("affected_eye", f"unknown eye {affected_eye!r}", allowed="right, left")
    return {
        "edss_standard": _edss_standard(baseline.edss, followup.edss),
        "llufriu_2009": (
            _llufriu_optic(baseline, followup, affected_eye)
            if indication == "optic_neuritis"
            else _llufriu_edss(baseline.edss, followup.edss)
        ),
        "tnd": _tnd(tnd),
        "recovery": _recovery(pre_relapse_edss, baseline.edss, followup.edss),
        "relapse_severity": _severity(pre_relapse_edss, baseline.edss),
    }


def _not_assessable(name: str, rule: str, missing: list[str]) -> Criterion:
    return Criterion("not_assessable", _SOURCES[name], rule, tuple(missing))


def _missing_edss(**values: float | None) -> list[str]:
    return [f"{key}.edss" for key, value in values.items() if value is None]


def _edss_standard(before: float | None, after: float | None) -> Criterion:
    rule = (
        "improved if the EDSS falls by >= 1.0 from a baseline <= 5.5 or by >= 0.5 from a "
        "baseline >= 6.0; worsened if it rises by >= 1.5 from 0, >= 1.0 from 1.0-5.5 or "
        ">= 0.5 from >= 6.0"
    )
    if before is None or after is None:
        return _not_assessable(
            "edss_standard", rule, _missing_edss(baseline=before, followup=after)
        )
    change = after - before
    needed = _STANDARD_CHANGE[before >= _STANDARD_SPLIT]
    if change > 0:
        needed = worsening_needed(before)
    if -change >= needed:
        result = "improved"
    elif change >= needed:
        result = "worsened"
    else:
        result = "unchanged"
    details: dict[str, float | str | None] = {"edss_change": change, "change_needed": needed}
    return Criterion(result, _SOURCES["edss_standard"], rule, details=details)


def _llufriu_edss(before: float | None, after: float | None) -> Criterion:
    rule = "improved if the EDSS falls by >= 1.0 from a baseline <= 7.5 or by >= 1.5 from >= 8.0"
    if before is None or after is None:
        return _not_assessable("llufriu_2009", rule, _missing_edss(baseline=before, followup=after))
    needed = _LLUFRIU_FALL[before >= _LLUFRIU_SPLIT]
    fall = before - after
    result = "improved" if fall >= needed else "not_improved"
    details: dict[str, float | str | None] = {"edss_change": -fall, "fall_needed": needed}
    return Criterion(result, _SOURCES["llufriu_2009"], rule, details=details)


def _llufriu_optic(baseline: Assessment, followup: Assessment, eye: str | None) -> Criterion:
    rule = (
        "optic neuritis: improved if the affected eye gains more than 2 lines "
        "(more than 0.2 logMAR); affected eye as given, else the worse eye at baseline"
    )
    how = "given"
    if eye is None:
        right, left = baseline.logmar_right, baseline.logmar_left
        if right is None or left is None:
            missing = [
                f"baseline.logmar.{e}" for e, v in (("right", right), ("left", left)) if v is None
            ]
            return _not_assessable("llufriu_2009", rule, [*missing, "or affected_eye"])
        if right == left:
            return _not_assessable(
                "llufriu_2009", rule + "; both eyes are equal at baseline", ["affected_eye"]
            )
        eye, how = ("right" if right > left else "left"), "worse at baseline"
    side: Eye = "right" if eye == "right" else "left"
    before, after = baseline.logmar(side), followup.logmar(side)
    if before is None or after is None:
        missing = [
            f"{when}.logmar.{side}"
            for when, v in (("baseline", before), ("followup", after))
            if v is None
        ]
        return _not_assessable("llufriu_2009", rule, missing)
    gain = round(before - after, _PLACES)
    result = "improved" if gain > _LLUFRIU_LOGMAR_GAIN else "not_improved"
    details: dict[str, float | str | None] = {
        "eye": side,
        "eye_chosen": how,
        "logmar_gain": gain,
        "lines_gained": round(gain / 0.1, 1),
    }
    return Criterion(result, _SOURCES["llufriu_2009"], rule, details=details)


def _tnd(grade: str | None) -> Criterion:
    rule = "responder if the targeted neurological deficit improved moderately or markedly"
    if grade is None:
        return _not_assessable("tnd", rule, ["tnd"])
    result = "responder" if grade in _TND_RESPONDER else "non_responder"
    return Criterion(result, _SOURCES["tnd"], rule, details={"grade": grade})


def _recovery(pre: float | None, before: float | None, after: float | None) -> Criterion:
    rule = (
        "complete if the follow-up EDSS is back to the pre-relapse EDSS; partial if below "
        "the baseline but above the pre-relapse EDSS; none otherwise"
    )
    if pre is None or before is None or after is None:
        missing = _missing_edss(pre_relapse=pre, baseline=before, followup=after)
        return _not_assessable("recovery", rule, missing)
    if after <= pre:
        result = "complete"
    elif after < before:
        result = "partial"
    else:
        result = "none"
    details: dict[str, float | str | None] = {"edss_above_pre_relapse": max(after - pre, 0.0)}
    return Criterion(result, _SOURCES["recovery"], rule, details=details)


def _severity(pre: float | None, before: float | None) -> Criterion:
    rule = "EDSS rise from pre-relapse to baseline: mild 0.5, moderate 1.0-1.5, severe >= 2.0"
    if pre is None or before is None:
        missing = _missing_edss(pre_relapse=pre, baseline=before)
        return _not_assessable("relapse_severity", rule, missing)
    rise = before - pre
    if rise >= _SEVERE_RISE:
        result = "severe"
    elif rise >= _MODERATE_RISE:
        result = "moderate"
    elif rise > 0:
        result = "mild"
    else:
        result = "no_edss_rise"
    return Criterion(result, _SOURCES["relapse_severity"], rule, details={"edss_rise": rise})


def _check_edss(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not is_valid_edss(value):
        raise InputError(name, f"{value!r} is not an EDSS step", allowed="0, 1.0, 1.5, ... 9.5, 10")


def _check_assessment(name: str, assessment: Assessment) -> None:
    if assessment.edss is not None:
        _check_edss(f"{name}.edss", assessment.edss)
    for eye in _EYES:
        value = assessment.logmar(eye)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not _LOGMAR_RANGE[0] - 1e-9 <= value <= _LOGMAR_RANGE[1] + 1e-9
        ):
            raise InputError(
                f"{name}.logmar.{eye}",
                f"{value!r} is out of range",
                allowed="logMAR -0.3 (20/10) to 3.0 (NLP)",
            )


# KALINCIK_2015, KAPPOS_2018: an EDSS within 30 days of a relapse onset is not a reference.
RELAPSE_WINDOW_DAYS = 30
_BASELINE_SOURCE = "KALINCIK_2015"


@dataclass(frozen=True, slots=True)
class BaselineCheck:
    """Whether an EDSS can serve as a disability baseline, and the relapse that stops it."""

    usable: bool
    rule: str
    source: str
    relapse_onset: dt.date | None = None
    days_from_relapse: int | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON form (stored with the visit)."""
        return {
            "usable": self.usable,
            "rule": self.rule,
            "source": self.source,
            "relapse_onset": None if self.relapse_onset is None else self.relapse_onset.isoformat(),
            "days_from_relapse": self.days_from_relapse,
        }


def edss_baseline_check(taken_on: dt.date, relapse_onsets: Iterable[dt.date]) -> BaselineCheck:
    """Is an EDSS taken on ``taken_on`` a disability baseline, given the relapses' onsets?

    Not when a relapse began 0 to 30 days (inclusive) before it; later relapses do not count.

    >>> edss_baseline_check(dt.date(2026, 3, 31), [dt.date(2026, 3, 1)]).usable
    False
    >>> edss_baseline_check(dt.date(2026, 4, 1), [dt.date(2026, 3, 1)]).usable
    True
    """
    rule = (
        f"an EDSS taken within {RELAPSE_WINDOW_DAYS} days after a relapse onset is not a "
        "disability baseline (it remains the pre-exchange state for recovery)"
    )
    before = [onset for onset in relapse_onsets if onset <= taken_on]
    if not before:
        return BaselineCheck(True, rule, _BASELINE_SOURCE)
    onset = max(before)
    days = (taken_on - onset).days
    return BaselineCheck(days > RELAPSE_WINDOW_DAYS, rule, _BASELINE_SOURCE, onset, days)
