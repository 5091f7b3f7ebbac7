"""Published predictors of response to TPE in CNS demyelinating attacks, applied to a patient.

Each predictor names its source and the effect size the source reports; ``direction`` says
how this patient's finding points: ``favourable`` or ``unfavourable`` (a binary finding on
the better or the worse side of the published comparison), ``graded`` (a continuous effect,
e.g. per 5 years of age) or ``unknown`` (not recorded). Predictors inform the clinician; they
do not decide eligibility.

>>> p = response_predictors(diagnosis="relapsing_ms", acute=True, days_from_onset=20,
...                         gd_enhancing_lesions=3, age=30, sex="male", edss_now=4.0)
>>> [(x.name, x.direction) for x in p][:2]
[('time_from_onset', 'unfavourable'), ('early_window', 'unfavourable')]
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
    direction: str  # favourable | unfavourable | graded | unknown
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
'preserved_reflexes', 'edss_at_attack']
    """
    found: list[Predictor] = []
    if acute:
        early = None if days_from_onset is None else days_from_onset <= early_treatment_days
        found += [
            _binary(
                "time_from_onset",
                early,
                "OR 0.7 for response per 7 days of delay; value: days",
                "BLECHINGER_2021",
                days_from_onset,
            ),
            _binary(
                "early_window",
                early,
                f"best within {early_treatment_days} days of onset",
                "MARRODAN_2025",
            ),
            _binary("early_tpe", early, "early TPE OR 6.29 for improvement", "LLUFRIU_2009"),
            _binary("early_treatment", early, "early treatment, p = 0.009", "KEEGAN_2002"),
        ]
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
    male = None if sex not in ("male", "female") else sex == "male"
    found += [
        _binary("sex", male, "male sex associated with response", "KEEGAN_2002", sex),
        _binary(
            "preserved_reflexes",
            None,
            "preserved reflexes associated with response (not part of this request)",
            "KEEGAN_2002",
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
