"""Is a deficit disabling? The baseline-dependent EDSS steps and the targeted deficits.

An EDSS rise means more at one end of the scale than at the other: the step that counts as a
real change depends on where the patient starts (the definitions used in MS trials,
``EDSS_WORSENING_TRIALS``; the 1.0 and 0.5 steps ``EDSS_CHANGE_2007``):

- from 0: a rise of >= 1.5;
- from 1.0 to 5.5: a rise of >= 1.0;
- from 6.0 and above: a rise of >= 0.5.

When the EDSS barely moves, a targeted deficit can still be disabling (local policy; each a
centre setting): visual acuity loss (worse eye logMAR at or above the severe threshold), a motor
deficit (MRC grade at or below the threshold and below the pre-attack grade) or a new walking
aid. The same EDSS steps classify worsening in ``calc response`` (:mod:`plexms.core.response`).

>>> worsening_needed(0.0), worsening_needed(3.0), worsening_needed(6.0)
(1.5, 1.0, 0.5)
>>> disabling_rise(0.0, 1.0), disabling_rise(0.0, 1.5)
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from plexms.core.errors import InputError

__all__ = [
    "HIGH_BASELINE",
    "EdssSteps",
    "TargetedDeficit",
    "check_assessable_edss",
    "disabling_rise",
    "targeted_findings",
    "worsening_needed",
]

#: From this pre-attack EDSS the smaller step applies (EDSS_CHANGE_2007).
HIGH_BASELINE = 6.0
#: EDSS 10 is death due to MS (KURTZKE_1983): never an assessable patient's score.
_DEATH = 10.0


@dataclass(frozen=True)
class EdssSteps:
    """The rise that counts from 0, from 1.0-5.5 and from >= 6.0 (published defaults)."""

    from_zero: float = 1.5
    low: float = 1.0
    high: float = 0.5


def worsening_needed(baseline: float, steps: EdssSteps | None = None) -> float:
    """The EDSS rise that counts as worsening from ``baseline`` (>= this rise).

    >>> worsening_needed(5.5), worsening_needed(9.5, EdssSteps(high=1.0))
    (1.0, 1.0)
    """
    steps = steps or EdssSteps()
    if baseline == 0:
        return steps.from_zero
    return steps.high if baseline >= HIGH_BASELINE else steps.low


def disabling_rise(baseline: float, now: float, steps: EdssSteps | None = None) -> bool:
    """True when the rise from ``baseline`` to ``now`` reaches :func:`worsening_needed`.

    >>> disabling_rise(6.0, 6.5), disabling_rise(5.5, 6.0)
    (True, False)
    """
    return now - baseline >= worsening_needed(baseline, steps)


def check_assessable_edss(name: str, value: float | None) -> None:
    """Refuse EDSS 10 (death due to MS) as an input about a living patient.

    >>> check_assessable_edss("edss_now", 10.0)
    Traceback (most recent call last):
    ...
    plexms.core.errors.InputError: edss_now: EDSS 10 (death due to MS) is not an assessable \
score (allowed: 0-9.5)
    """
    if value is not None and value >= _DEATH:
        raise InputError(
            name, "EDSS 10 (death due to MS) is not an assessable score", allowed="0-9.5"
        )


@dataclass(frozen=True)
class TargetedDeficit:
    """The attack's targeted deficit beyond the EDSS; each ``None`` = not recorded.

    ``motor_grade_*``: MRC grade 0-5 of the weakest affected muscle group, before the attack
    and now; ``new_walking_aid``: the attack brought a walking aid the patient did not use.
    """

    motor_grade_before: int | None = None
    motor_grade_now: int | None = None
    new_walking_aid: bool | None = None


def targeted_findings(
    deficit: TargetedDeficit,
    worse_eye_logmar: float | None,
    *,
    severe_logmar: float,
    motor_grade_max: int,
) -> tuple[str, ...]:
    """The targeted findings that make the deficit disabling (empty: none does).

    >>> targeted_findings(TargetedDeficit(5, 3, False), 0.1, severe_logmar=0.7,
    ...                   motor_grade_max=3)
    ('motor grade 3/5 (was 5/5, <= 3)',)
    >>> targeted_findings(TargetedDeficit(), 0.7, severe_logmar=0.7, motor_grade_max=3)
    ('worse eye logMAR 0.7 (>= 0.7)',)
    """
    found: list[str] = []
    if worse_eye_logmar is not None and worse_eye_logmar >= severe_logmar:
        found.append(f"worse eye logMAR {worse_eye_logmar:g} (>= {severe_logmar:g})")
    before, now = deficit.motor_grade_before, deficit.motor_grade_now
    if now is not None and now <= motor_grade_max and (before is None or now < before):
        was = "" if before is None else f"was {before}/5, "
        found.append(f"motor grade {now}/5 ({was}<= {motor_grade_max})")
    if deficit.new_walking_aid:
        found.append("a new walking aid")
    return tuple(found)
