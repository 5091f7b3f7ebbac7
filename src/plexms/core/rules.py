"""Shared vocabulary of the decision rules: versions, reasons and clinician overrides.

Every decision plexms supports (eligibility, pre-session check, DMT hand-back) answers with
reasons, each naming the rule that fired, a plain-language text and the source of the rule
(a key of :data:`plexms.core.sources.SOURCES`). A reason whose source is ``LOCAL_POLICY`` is
labelled "local policy" wherever it is shown. The rules are versioned together
(:data:`RULE_VERSION`): change the version whenever a rule's logic or default changes.

>>> reason = Reason("ELIG-TIMING", "Assessed 5 days after onset.", "MARRODAN_2025")
>>> reason.to_dict()["source"]
'MARRODAN_2025'
>>> Reason("PRE-SBP", "Systolic 120 mmHg.", "LOCAL_POLICY").to_dict()["local_policy"]
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.sources import LOCAL_POLICY, SOURCES, source_dict

__all__ = [
    "RULE_VERSION",
    "Override",
    "Reason",
    "apply_override",
    "sources_of",
]

RULE_VERSION = "1.1.0"
"""Version of the whole rule set (eligibility, precheck, adverse events, DMT hand-back)."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of a decision: the rule id, what it found, and the source of the rule."""

    rule: str
    text: str
    source: str

    def __post_init__(self) -> None:
        if self.source not in SOURCES:  # pragma: no cover - a bug in a rule table, not input
            raise KeyError(self.source)

    @property
    def local_policy(self) -> bool:
        """True when the rule's threshold is the centre's own choice, not a published figure."""
        return self.source == LOCAL_POLICY

    def to_dict(self) -> dict[str, object]:
        """JSON form: ``{"rule", "text", "source", "local_policy"}``."""
        return {
            "rule": self.rule,
            "text": self.text,
            "source": self.source,
            "local_policy": self.local_policy,
        }


def sources_of(keys: Iterable[str]) -> list[dict[str, object]]:
    """The JSON form of each distinct source key, in first-seen order.

    >>> [s["key"] for s in sources_of(["WAA_2025", "LOCAL_POLICY", "WAA_2025"])]
    ['WAA_2025', 'LOCAL_POLICY']
    """
    seen: dict[str, None] = {}
    for key in keys:
        seen.setdefault(key, None)
    return [source_dict(key) for key in seen]


@dataclass(frozen=True, slots=True)
class Override:
    """A clinician's decision that differs from plexms's advice; the advice is kept."""

    original: str
    final: str
    reason: str
    clinician: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {
            "original": self.original,
            "final": self.final,
            "reason": self.reason,
            "clinician": self.clinician,
        }


def apply_override(
    original: str,
    final: str,
    *,
    reason: str,
    clinician: str,
    allowed: Iterable[str],
) -> Override:
    """Record that ``clinician`` decided ``final`` instead of plexms's ``original``, and why.

    plexms advises; the clinician decides. The original advice is kept in the result so that
    a review can see both. The reason must be given in words.

    >>> o = apply_override("defer", "indicated", reason="steroids contraindicated",
    ...                    clinician="dr-a", allowed=("indicated", "defer"))
    >>> (o.original, o.final)
    ('defer', 'indicated')
    """
    choices = tuple(allowed)
    if final not in choices:
        raise InputError(
            "override.final", f"{final!r} is not a decision", allowed=", ".join(choices)
        )
    if final == original:
        raise InputError("override.final", "is the same as plexms's advice: nothing to override")
    if not reason.strip():
        raise InputError("override.reason", "an override needs a reason in words")
    if not clinician.strip():
        raise InputError("override.clinician", "an override names the clinician who made it")
    return Override(original=original, final=final, reason=reason.strip(), clinician=clinician)
