"""Volumes for large and small patients: the method a patient's size and age call for.

- Children (age below ``paediatric_age_below``, default 18, LOCAL_POLICY): the adult formulas
  do not apply; blood volume is weight-based (70 mL/kg, 80 mL/kg under one year;
  PAEDIATRIC_BLOOD_VOLUME) and the extracorporeal-volume check matters (see
  :mod:`plexms.core.prescription`). A centre that does not treat children
  (``treats_children`` False, LOCAL_POLICY) gets a clear refusal instead of a plan.
- Obesity (BMI >= ``obesity_bmi_warning``, default 30): Nadler, Kaplan and the weight rule
  over-estimate blood volume (LEMMENS_2006); the warning gives the plasma volume by Lemmens and
  by ideal body weight (DEVINE_1974) so the prescriber can choose.

>>> from plexms.core.policy import PrescriptionPolicy
>>> child = patient_volumes("female", 110, 20, 0.36, "nadler", 6, PrescriptionPolicy())
>>> child.method, round(child.total_blood_volume_ml)
('paediatric', 1400)
>>> adult = patient_volumes("male", 175, 110, 0.42, "nadler", 40, PrescriptionPolicy())
>>> size_warnings(adult, PrescriptionPolicy())[0][:34]
'BMI 35.9 >= 30: the Nadler formula'
"""

from __future__ import annotations

from plexms.core.errors import InputError
from plexms.core.policy import PrescriptionPolicy
from plexms.core.volumes import VolumeEstimate, VolumeMethod, estimate_volumes

__all__ = ["is_paediatric", "patient_volumes", "size_warnings"]

# The methods a BMI >= 30 warning is about (the obesity methods are not).
_ADULT_FORMULAS = ("nadler", "weight", "kaplan")


def is_paediatric(age_years: float | None, policy: PrescriptionPolicy) -> bool:
    """True for an age below the centre's paediatric limit (an unknown age is adult).

    >>> is_paediatric(17.9, PrescriptionPolicy()), is_paediatric(18, PrescriptionPolicy())
    (True, False)
    """
    return age_years is not None and age_years < policy.paediatric_age_below


def patient_volumes(
    sex: str,
    height_cm: float,
    weight_kg: float,
    hematocrit: float,
    method: str,
    age_years: float | None,
    policy: PrescriptionPolicy,
) -> VolumeEstimate:
    """Blood and plasma volume by ``method``, or by the paediatric method for a child.

    Raises :class:`InputError` on ``age_years`` when the patient is a child and the centre
    does not treat children.
    """
    chosen: VolumeMethod = method  # type: ignore[assignment]  # checked by estimate_volumes
    if is_paediatric(age_years, policy):
        if not policy.treats_children:
            raise InputError(
                "age_years",
                f"{age_years:g} years: this centre does not treat patients under "
                f"{policy.paediatric_age_below} (centre setting treats_children); refer to a "
                "paediatric apheresis service",
                allowed=f">= {policy.paediatric_age_below}",
            )
        chosen = "paediatric"
    elif method == "paediatric":
        raise InputError(
            "volume_method",
            "the paediatric method is for patients under "
            f"{policy.paediatric_age_below}: give age_years",
            allowed="nadler, weight, kaplan, lemmens, ideal_weight",
        )
    return estimate_volumes(
        sex,  # type: ignore[arg-type]  # checked by estimate_volumes
        height_cm=height_cm,
        weight_kg=weight_kg,
        hematocrit=hematocrit,
        method=chosen,
        age_years=age_years,
        paediatric_ml_per_kg=policy.paediatric_blood_ml_per_kg,
        infant_ml_per_kg=policy.infant_blood_ml_per_kg,
    )


def size_warnings(volumes: VolumeEstimate, policy: PrescriptionPolicy) -> list[str]:
    """Warnings about the patient's size: obesity (offers Lemmens and ideal weight), child."""
    warnings: list[str] = []
    bmi = volumes.bmi
    if volumes.method in _ADULT_FORMULAS and bmi >= policy.obesity_bmi_warning:
        alternatives = [
            estimate_volumes(
                volumes.sex,  # type: ignore[arg-type]
                height_cm=volumes.height_cm,
                weight_kg=volumes.weight_kg,
                hematocrit=volumes.hematocrit,
                method=name,
            )
            for name in ("lemmens", "ideal_weight")
        ]
        lemmens, ideal = (round(a.plasma_volume_ml) for a in alternatives)
        warnings.append(
            f"BMI {bmi:.1f} >= {policy.obesity_bmi_warning:g}: the {volumes.label} over-estimates "
            f"blood volume in obesity (LEMMENS_2006): plasma volume {lemmens} mL by Lemmens or "
            f"{ideal} mL by ideal body weight (DEVINE_1974), against "
            f"{round(volumes.plasma_volume_ml)} mL: consider volume_method 'lemmens' or "
            "'ideal_weight'."
        )
    if volumes.method == "paediatric":
        age = volumes.age_years
        warnings.append(
            f"Paediatric patient ({age:g} years): weight-based blood volume "
            f"({round(volumes.total_blood_volume_ml)} mL, PAEDIATRIC_BLOOD_VOLUME); check the "
            "extracorporeal volume share and the ACD-A rate with the paediatric team."
        )
    return warnings
