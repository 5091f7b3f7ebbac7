"""Outcome measures beyond the EDSS: the change from baseline and whether it is meaningful.

Each measure (:data:`plexms.core.vocabulary.MEASURES`: unit, direction, range, sides) has a
meaningful change in points and/or percent of the baseline (the centre's
:class:`plexms.core.policy.MeasurePolicy`, each default with its source). A change *counts when
it reaches the threshold* (``>=``; differences are rounded to 6 places first, so that a walk
from 10.0 s to 12.0 s is exactly 20%). With both a point and a percent threshold (SDMT:
4 points or 10%, BENEDICT_2017) reaching either is enough. Direction decides the word:
for a higher-is-worse measure (timed tests, questionnaire scores) a rise is ``worsened``; for
a higher-is-better one (SDMT, low-contrast letters) a fall is. A missing value gives
``incomplete`` (never a verdict).

>>> classify_measure("t25fw", 10.0, 12.0).result
'worsened'
>>> classify_measure("t25fw", 10.0, 11.99).result
'unchanged'
>>> classify_measure("sdmt", 50, 54).result
'improved'
>>> classify_measure("lcla_2_5", None, 30, side="right").result
'incomplete'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from plexms.core.errors import InputError
from plexms.core.policy import MeasurePolicy, setting_source
from plexms.core.sources import LOCAL_POLICY
from plexms.core.vocabulary import MEASURES, Measure

__all__ = [
    "RESULTS",
    "MeasureChange",
    "Threshold",
    "check_measure",
    "classify_measure",
    "threshold",
]

RESULTS: tuple[str, ...] = ("improved", "worsened", "unchanged", "incomplete")
_PLACES = 6
# Which settings of MeasurePolicy hold each measure's points and percent threshold.
_SETTINGS: dict[str, tuple[str | None, str | None]] = {
    "t25fw": (None, "t25fw_percent"),
    "nhpt": (None, "nhpt_percent"),
    "sdmt": ("sdmt_points", "sdmt_percent"),
    "lcla_2_5": ("lcla_letters", None),
    "msis29_physical": ("msis29_physical_points", None),
    "msis29_psychological": ("msis29_psychological_points", None),
    "msws12": ("msws12_points", None),
    "mfis": ("mfis_points", None),
    "fss": ("fss_points", None),
}


@dataclass(frozen=True, slots=True)
class Threshold:
    """A measure's meaningful change: points and/or percent of baseline, and its source."""

    points: float | None
    percent: float | None
    source: str

    @property
    def local_policy(self) -> bool:
        """True when no published figure backs it (shown as "local policy")."""
        return self.source == LOCAL_POLICY

    def text(self, unit: str) -> str:
        """The threshold in words, e.g. ``4 points or 10% of baseline``."""
        parts = []
        if self.points is not None:
            word = {"{letters}": "letters", "s": "s"}.get(unit, "points")
            parts.append(f"{_fmt(self.points)} {word}")
        if self.percent is not None:
            parts.append(f"{_fmt(self.percent)}% of baseline")
        return " or ".join(parts)


@dataclass(frozen=True, slots=True)
class MeasureChange:
    """The verdict on one measure (one side) between baseline and follow-up."""

    measure: str
    side: str | None
    result: str
    rule: str
    source: str
    local_policy: bool
    baseline: float | None = None
    followup: float | None = None
    change: float | None = None
    change_percent: float | None = None
    missing: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON form (stored with the visit, sent by the API)."""
        return {
            "measure": self.measure,
            "side": self.side,
            "result": self.result,
            "rule": self.rule,
            "source": self.source,
            "local_policy": self.local_policy,
            "baseline": self.baseline,
            "followup": self.followup,
            "change": self.change,
            "change_percent": self.change_percent,
            "missing": list(self.missing),
        }


def _fmt(value: float) -> str:
    return f"{value:g}"


def _spec(code: str) -> Measure:
    if code not in MEASURES:
        raise InputError("measure", f"unknown measure {code!r}", allowed=", ".join(MEASURES))
    return MEASURES[code]


def threshold(code: str, policy: MeasurePolicy | None = None) -> Threshold:
    """The meaningful change of measure ``code`` under ``policy`` (defaults when None).

    >>> threshold("sdmt").text("{correct}")
    '4 points or 10% of baseline'
    >>> threshold("msis29_psychological").local_policy
    True
    """
    _spec(code)
    policy = policy or MeasurePolicy()
    points_name, percent_name = _SETTINGS[code]
    name = points_name or percent_name
    assert name is not None  # noqa: S101 - every measure has at least one setting
    return Threshold(
        points=None if points_name is None else float(getattr(policy, points_name)),
        percent=None if percent_name is None else float(getattr(policy, percent_name)),
        source=setting_source(MeasurePolicy, name),
    )


def check_measure(code: str, value: object, side: str | None, where: str = "") -> float:
    """``value`` as a float when it is a valid result of ``code`` on ``side``, else an
    :class:`InputError` naming the field (``where`` prefixes it: ``measures[0].``).

    >>> check_measure("t25fw", 6.5, None)
    6.5
    """
    spec = MEASURES.get(code)
    if spec is None:
        raise InputError(
            f"{where}measure", f"unknown measure {code!r}", allowed=", ".join(MEASURES)
        )
    _check_side(spec, side, where)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not spec.low <= value <= spec.high
    ):
        raise InputError(
            f"{where}value",
            f"{value!r} is out of range for {spec.label}",
            allowed=f"{_fmt(spec.low)} to {_fmt(spec.high)} {spec.unit}",
        )
    return float(value)


def _check_side(spec: Measure, side: str | None, where: str) -> None:
    if spec.sides and side not in spec.sides:
        raise InputError(
            f"{where}side", f"{spec.label} needs a side", allowed=", ".join(spec.sides)
        )
    if not spec.sides and side is not None:
        raise InputError(f"{where}side", f"{spec.label} has no side", allowed="none")


def _rule(spec: Measure, limit: Threshold) -> str:
    worse, better = ("rises", "falls") if spec.higher_is_worse else ("falls", "rises")
    text = limit.text(spec.unit)
    return f"worsened if it {worse} by >= {text}; improved if it {better} by >= {text}"


def classify_measure(
    code: str,
    baseline: float | None,
    followup: float | None,
    *,
    side: str | None = None,
    policy: MeasurePolicy | None = None,
) -> MeasureChange:
    """Change of ``code`` from ``baseline`` to ``followup`` and its verdict (module doc).

    >>> change = classify_measure("nhpt", 20.0, 16.0, side="dominant")
    >>> change.result, change.change_percent
    ('improved', -20.0)
    """
    spec = _spec(code)
    _check_side(spec, side, "")
    limit = threshold(code, policy)
    checked = {
        key: None if value is None else check_measure(code, value, side, f"{key}.")
        for key, value in (("baseline", baseline), ("followup", followup))
    }
    base, after = checked["baseline"], checked["followup"]
    missing = tuple(key for key, value in checked.items() if value is None)
    change = None if base is None or after is None else round(after - base, _PLACES)
    # Percent-only measures (timed tests) cannot have a baseline of 0 (their range starts at 1 s).
    percent = None if change is None or not base else round(change / base * 100.0, _PLACES)
    if change is None:
        result = "incomplete"
    elif change == 0 or not (
        (limit.points is not None and abs(change) >= limit.points)
        or (limit.percent is not None and percent is not None and abs(percent) >= limit.percent)
    ):
        result = "unchanged"
    elif (change > 0) == spec.higher_is_worse:
        result = "worsened"
    else:
        result = "improved"
    return MeasureChange(
        measure=code,
        side=side,
        result=result,
        rule=_rule(spec, limit),
        source=limit.source,
        local_policy=limit.local_policy,
        baseline=base,
        followup=after,
        change=change,
        change_percent=percent,
        missing=missing,
    )
