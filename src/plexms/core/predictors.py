"""Published predictors of response to TPE in CNS demyelinating attacks, applied to a patient.

Each predictor names its source and the effect size the source reports; ``direction`` says
how this patient's finding points: ``favourable`` or ``unfavourable`` (a binary finding on
the better or the worse side of the published comparison), ``graded`` (a continuous effect,
e.g. per 5 years of age), ``conflicting`` (the studies disagree on the direction) or
``unknown`` (not recorded). Each study keeps its own cut-off and effect: Blechinger's odds per
week of delay, Marrodan's 14-day window, Bonnan's day 20 for NMOSD/MOGAD; Llufriu's and
Keegan's "early" are reported as published, without borrowing another study's cut-off (their
own cut-offs are not in our reference). Predictors inform the clinician; they do not decide
eligibility.

>>> p = response_predictors(diagnosis="relapsing_ms", acute=True, days_from_onset=20,
...                         gd_enhancing_lesions=3, age=30, sex="male", edss_now=4.0)
>>> [(x.name, x.direction) for x in p][:2]
[('time_from_onset', 'graded'), ('early_window', 'unfavourable')]
>>> p[0].effect
'OR 0.7 for response per 7 days of delay: 20 days -> 0.36 x the odds at day 0; value: days'

"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["Predictor", "response_predictors"]


@dataclass(frozen=True)
class Predictor:
    """A published predictor of response, as it applies to this patient."""

    name: str
    value: object
    direction: str  # favourable | unfavourable | graded | conflicting | unknown
    effect: str
    source: str

    def to_dict(self) -> dict[str, object]:
        """JSON form ``{"name", "value", "direction", "effect", "source"}``."""
        return dataclasses.asdict(self)


def _binary(
    name: str, good: bool | None, effect: str, source: str, value: object = None
) -> Predictor:
    """``good``: the patient is on the better side of the published comparison."""
    if good is None:
        return Predictor(name, None, "unknown", f"{effect}; not recorded", source)
    shown = good if value is None else value
    return Predictor(name, shown, "favourable" if good else "unfavourable", effect, source)


#: Blechinger 2021: odds ratio for response per 7 days of delay.
_BLECHINGER_OR_PER_WEEK = 0.7
#: Bonnan 2018 (NMOSD): complete recovery rare when exchange starts after this day.
_BONNAN_DAY = 20


def _timing(diagnosis: str | None, days: int | None, window: int) -> list[Predictor]:
    if days is None:
        odds = "OR 0.7 for response per 7 days of delay; value: days"
    else:
        factor = _BLECHINGER_OR_PER_WEEK ** (days / 7)
        odds = (
            f"OR 0.7 for response per 7 days of delay: {days} days -> {factor:.2f} x the odds "
            "at day 0; value: days"
        )
    graded = "unknown" if days is None else "graded"
    found = [
        Predictor("time_from_onset", days, graded, odds, "BLECHINGER_2021"),
        _binary(
            "early_window",
            None if days is None else days <= window,
            f"best within {window} days of onset",
            "MARRODAN_2025",
        ),
        Predictor(
            "early_tpe",
            days,
            graded,
            "early TPE OR 6.29 for improvement at 6 months; Llufriu's own definition of "
            "early is not in our reference (unverified), so none is applied; value: days",
            "LLUFRIU_2009",
        ),
        Predictor(
            "early_treatment",
            days,
            graded,
            "earlier treatment associated with response, p = 0.009; Keegan's cut-off is not "
            "in our reference (unverified); value: days",
            "KEEGAN_2002",
        ),
    ]
    if diagnosis in ("nmosd", "mogad"):
        found.append(
            _binary(
                "nmosd_early_tpe",
                None if days is None else days <= _BONNAN_DAY,
                f"NMOSD: complete recovery far more likely when started early, rare after day "
                f"{_BONNAN_DAY}",
                "BONNAN_2018",
                days,
            )
        )
    return found


def response_predictors(
    *,
    diagnosis: str | None,
    acute: bool,
    days_from_onset: int | None = None,
    gd_enhancing_lesions: int | None = None,
    ring_enhancement: bool | None = None,
    mass_effect: bool | None = None,
    age: int | None = None,
    sex: str | None = None,
    edss_now: float | None = None,
    early_treatment_days: int = 14,
    poor_outcome_edss: float = 7.5,
) -> tuple[Predictor, ...]:
    """The predictors that apply (Blechinger 2021, Magana 2011, Keegan 2002, Llufriu 2009,
    Marrodan 2025), each with its published effect.

    >>> [p.name for p in response_predictors(diagnosis="nmosd", acute=False)]
    ['gd_enhancing_lesions', 'ring_enhancement', 'mass_effect', 'age', 'sex', \
'preserved_reflexes', 'disease_duration', 'edss_at_attack']
    """
    found: list[Predictor] = []
    if acute:
        found += _timing(diagnosis, days_from_onset, early_treatment_days)
    gd = None if gd_enhancing_lesions is None else gd_enhancing_lesions > 0
    found += [
        _binary(
            "gd_enhancing_lesions",
            gd,
            "Gd-enhancing lesions OR 3.2; value: count",
            "BLECHINGER_2021",
            gd_enhancing_lesions,
        ),
        _binary("ring_enhancement", ring_enhancement, "ring enhancement OR 4.0", "MAGANA_2011"),
        _binary("mass_effect", mass_effect, "mass effect OR 3.0", "MAGANA_2011"),
    ]
    if diagnosis in ("relapsing_ms", "cis", "progressive_ms"):
        relapsing = diagnosis != "progressive_ms"
        found.append(
            _binary(
                "relapsing_course",
                relapsing,
                "relapsing (vs progressive) course OR 3.1",
                "BLECHINGER_2021",
                diagnosis,
            )
        )
    found.append(
        Predictor(
            "age",
            age,
            "unknown" if age is None else "graded",
            "younger age: OR 0.5 for response per 5 years older",
            "BLECHINGER_2021",
        )
    )
    found += [
        Predictor(
            "sex",
            sex,
            "unknown" if sex is None else "conflicting",
            "conflicting evidence: male sex associated with response (Keegan 2002); not among "
            "the predictors of the larger Mayo cohort (Magana 2011)",
            "KEEGAN_2002",
        ),
        _binary(
            "preserved_reflexes",
            None,
            "preserved reflexes associated with response (not part of this request)",
            "KEEGAN_2002",
        ),
        _binary(
            "disease_duration",
            None,
            "shorter disease duration associated with response (not part of this request)",
            "MAGANA_2011",
        ),
    ]
    low = None if edss_now is None else edss_now < poor_outcome_edss
    found.append(
        _binary(
            "edss_at_attack",
            low,
            f"EDSS >= {poor_outcome_edss:g} at onset predicts poor outcome",
            "MARRODAN_2025",
            edss_now,
        )
    )
    return tuple(found)
