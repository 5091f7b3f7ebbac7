"""Conditions bearing on TPE safety: contraindication classes and precautions.

Which conditions are absolute, temporary (defer) or relative (at most "consider") is the
centre's choice (:class:`EligibilityPolicy`, local policy: the literature we hold gives no
classification); precautions name their source where one exists (ACE inhibitors: Owen &
Brecher 1994; coagulation factor depletion: Wodajo 2024; calcium: Weinstein 1996). Pregnancy
is a precaution, not an exclusion, unless a centre classes it otherwise. Rules ``ELIG-CONTRA-*``
and ``ELIG-PRECAUTION-*`` are listed in ``docs/rules.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from plexms.core.policy import CentrePolicy, EligibilityPolicy
from plexms.core.rules import Reason
from plexms.core.sources import LOCAL_POLICY

__all__ = [
    "EXTRA_CONDITIONS",
    "REQUIRED_CONDITIONS",
    "Conditions",
    "condition_precautions",
    "contraindications",
    "pregnancy_not_asked",
]

REQUIRED_CONDITIONS = (
    "hemodynamic_instability",
    "active_infection",
    "active_bleeding",
    "albumin_allergy",
    "ace_inhibitor",
    "pregnant",
    "poor_venous_access",
)
EXTRA_CONDITIONS = ("anticoagulated", "hypocalcaemia", "steroid_contraindication")


@dataclass(frozen=True)
class Conditions:
    """Conditions bearing on TPE safety; ``None`` = not stated (required ones are listed)."""

    hemodynamic_instability: bool | None = None
    active_infection: bool | None = None
    active_bleeding: bool | None = None
    albumin_allergy: bool | None = None
    ace_inhibitor: bool | None = None
    pregnant: bool | None = None
    poor_venous_access: bool | None = None
    anticoagulated: bool = False
    hypocalcaemia: bool = False
    steroid_contraindication: bool = False


def pregnancy_not_asked(sex: str | None, age: int | None, pol: EligibilityPolicy) -> str | None:
    """Why the pregnancy question does not apply to this patient (``None``: ask it).

    A male patient is not asked; nor is anyone outside the centre's age band
    (``pregnancy_ages``, local policy). An unknown sex or age is asked.

    >>> pol = EligibilityPolicy()
    >>> pregnancy_not_asked("male", 40, pol), pregnancy_not_asked("female", 70, pol)
    ('male', 'age 70')
    >>> pregnancy_not_asked("unknown", None, pol) is None
    True
    """
    if sex == "male":
        return "male"
    youngest, oldest = pol.pregnancy_ages
    if age is not None and not youngest <= age <= oldest:
        return f"age {age}"
    return None


def contraindications(
    conditions: Conditions, pol: EligibilityPolicy
) -> tuple[list[Reason], list[Reason], list[Reason]]:
    """The conditions present, as (absolute, temporary, relative) contraindication reasons, by
    the centre's classes (local policy).

    >>> absolute, temporary, relative = contraindications(
    ...     Conditions(active_infection=True), EligibilityPolicy())
    >>> [r.rule for r in temporary], absolute, relative
    (['ELIG-CONTRA-TEMPORARY'], [], [])
    """
    present = [f.name for f in dataclasses.fields(conditions) if getattr(conditions, f.name)]
    kinds = (
        ("ELIG-CONTRA-ABSOLUTE", pol.absolute_contraindications, "absolute: not indicated"),
        ("ELIG-CONTRA-TEMPORARY", pol.temporary_contraindications, "temporary: defer"),
        ("ELIG-CONTRA-RELATIVE", pol.relative_contraindications, "relative: at most consider"),
    )
    return tuple(  # type: ignore[return-value]
        [
            Reason(rule, f"{name.replace('_', ' ')}: contraindication, {effect}.", LOCAL_POLICY)
            for name in present
            if name in names
        ]
        for rule, names, effect in kinds
    )


_PRECAUTIONS = {
    "albumin_allergy": (
        "Albumin allergy: plan a replacement fluid other than albumin (e.g. plasma) and an "
        "allergy plan before the first exchange.",
        LOCAL_POLICY,
    ),
    "pregnant": (
        "Pregnancy: not an exclusion in these rules; plan the course with obstetrics (fluid "
        "balance, blood pressure, fetal monitoring as locally agreed).",
        LOCAL_POLICY,
    ),
    "poor_venous_access": (
        "Poor venous access: a central venous catheter is likely needed; catheter infection "
        "is a known risk of central access.",
        "SEED_ARTICLE",
    ),
    "anticoagulated": (
        "Anticoagulated: each 1.0 plasma-volume exchange depletes coagulation factors by about "
        "65%; review anticoagulation and check fibrinogen before each session.",
        "WODAJO_2024",
    ),
    "hypocalcaemia": (
        "Hypocalcaemia: correct before the first exchange; citrate lowers ionised calcium, so "
        "give calcium gluconate with the return fluid.",
        "WEINSTEIN_1996",
    ),
}


def condition_precautions(
    conditions: Conditions, age: int | None, policy: CentrePolicy
) -> tuple[Reason, ...]:
    """Precautions for the conditions present and for a child (never an exclusion alone).

    >>> [p.source for p in condition_precautions(Conditions(ace_inhibitor=True), 40,
    ...                                          CentrePolicy())]
    ['OWEN_BRECHER_1994']
    """
    found: list[Reason] = []
    if conditions.ace_inhibitor:
        hours = policy.precheck.ace_inhibitor_hold_hours
        text = (
            f"ACE inhibitor: hold it >= {hours:g} h before each albumin exchange (atypical "
            "reactions in 14/14 patients on ACE inhibitors)."
        )
        found.append(Reason("ELIG-PRECAUTION-ACE", text, "OWEN_BRECHER_1994"))
    for name, (text, source) in _PRECAUTIONS.items():
        if getattr(conditions, name):
            rule = "ELIG-PRECAUTION-" + name.upper().replace("_", "-")
            found.append(Reason(rule, text, source))
    if age is not None and age < policy.eligibility.adult_min_age:
        text = (
            f"Age {age}: below {policy.eligibility.adult_min_age}; these rules and the "
            "volume formulas are for adults: involve the paediatric apheresis team."
        )
        found.append(Reason("ELIG-PRECAUTION-PAEDIATRIC", text, LOCAL_POLICY))
    return tuple(found)
