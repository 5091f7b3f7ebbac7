"""Total blood volume and plasma volume of an adult, by a named published method.

Methods (``VOLUME_METHODS``), each with its source key:

- ``nadler`` (default): sex-specific, height in metres and weight in kg (NADLER_1962).
- ``weight``: 70 mL/kg for men, 65 mL/kg for women (WEIGHT_RULE).
- ``kaplan``: plasma volume directly, PV (L) = 0.065 x W x (1 - Hct) (KAPLAN_1990); the blood
  volume it implies is 65 mL/kg.
- ``lemmens``: for obesity, 70 / sqrt(BMI / 22) mL/kg (LEMMENS_2006).
- ``ideal_weight``: the weight rule applied to the ideal body weight (Devine; DEVINE_1974,
  WEIGHT_RULE), or to the actual weight when that is lower: an alternative for obesity.
- ``paediatric``: weight-based, 70 mL/kg (80 mL/kg under one year; PAEDIATRIC_BLOOD_VOLUME),
  with child-sized input ranges; the adult formulas do not apply to children.

Plasma volume = TBV x (1 - Hct) for every method. Inputs are checked against adult
physiological bounds; a hematocrit of 40 or a height of 1.75 is refused with a message saying
it looks like a percentage or like metres.

>>> est = estimate_volumes("female", height_cm=165, weight_kg=60, hematocrit=0.40)
>>> est.method, round(est.total_blood_volume_ml, 1), round(est.plasma_volume_ml, 1)
('nadler', 3767.7, 2260.6)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from plexms.core.errors import InputError

__all__ = [
    "HEIGHT_CM_RANGE",
    "HEMATOCRIT_RANGE",
    "PAEDIATRIC_HEIGHT_CM_RANGE",
    "PAEDIATRIC_WEIGHT_KG_RANGE",
    "VOLUME_METHODS",
    "WEIGHT_KG_RANGE",
    "Sex",
    "VolumeEstimate",
    "VolumeMethod",
    "estimate_volumes",
    "ideal_body_weight_kg",
    "kaplan_plasma_volume_ml",
    "lemmens_blood_volume_ml",
    "nadler_blood_volume_ml",
    "weight_rule_blood_volume_ml",
]

Sex = Literal["female", "male"]
VolumeMethod = Literal["nadler", "weight", "kaplan", "lemmens", "ideal_weight", "paediatric"]
VOLUME_METHODS: tuple[str, ...] = get_args(VolumeMethod)
_SEXES: tuple[str, ...] = get_args(Sex)

# Accepted adult input ranges (LOCAL_POLICY: plausibility limits for the adult formulas of
# NADLER_1962 and KAPLAN_1990; the literature gives no exact bounds).
HEIGHT_CM_RANGE = (120.0, 230.0)
WEIGHT_KG_RANGE = (30.0, 250.0)
HEMATOCRIT_RANGE = (0.15, 0.65)
# Child-sized ranges of the paediatric method (LOCAL_POLICY plausibility limits).
PAEDIATRIC_HEIGHT_CM_RANGE = (40.0, 230.0)
PAEDIATRIC_WEIGHT_KG_RANGE = (2.0, 250.0)

# NADLER_1962: TBV (L) = a H^3 + b W + c, H in metres, W in kg.
_NADLER = {"male": (0.3669, 0.03219, 0.6041), "female": (0.3561, 0.03308, 0.1833)}
# WEIGHT_RULE: mL of blood per kg.
_WEIGHT_RULE_ML_PER_KG = {"male": 70.0, "female": 65.0}
# KAPLAN_1990: PV (L) = 0.065 x W x (1 - Hct).
_KAPLAN_L_PER_KG = 0.065
# LEMMENS_2006: indexed blood volume 70 / sqrt(BMI / 22) mL/kg.
_LEMMENS_ML_PER_KG = 70.0
_LEMMENS_REFERENCE_BMI = 22.0

_LABELS = {
    "nadler": "Nadler formula",
    "weight": "weight rule (70 mL/kg men, 65 mL/kg women)",
    "kaplan": "Kaplan plasma-volume formula",
    "lemmens": "Lemmens formula for obesity",
    "ideal_weight": "weight rule on the ideal body weight (Devine)",
    "paediatric": "paediatric weight-based blood volume",
}
_FORMULAS = {
    "nadler": "TBV (L) = 0.3669 H^3 + 0.03219 W + 0.6041 (male), "
    "0.3561 H^3 + 0.03308 W + 0.1833 (female); H m, W kg; PV = TBV x (1 - Hct)",
    "weight": "TBV (mL) = 70 x W (male), 65 x W (female); PV = TBV x (1 - Hct)",
    "kaplan": "PV (L) = 0.065 x W x (1 - Hct); implied TBV = PV / (1 - Hct) = 65 mL/kg",
    "lemmens": "TBV (mL) = W x 70 / sqrt(BMI / 22); PV = TBV x (1 - Hct)",
    "ideal_weight": "IBW (kg) = 50 (male) or 45.5 (female) + 0.9 x (height cm - 152.4); "
    "TBV (mL) = 70 (male) or 65 (female) x min(IBW, W); PV = TBV x (1 - Hct)",
    "paediatric": "TBV (mL) = 70 x W (80 x W under one year); PV = TBV x (1 - Hct)",
}
_SOURCES = {
    "nadler": "NADLER_1962",
    "weight": "WEIGHT_RULE",
    "kaplan": "KAPLAN_1990",
    "lemmens": "LEMMENS_2006",
    "ideal_weight": "DEVINE_1974",
    "paediatric": "PAEDIATRIC_BLOOD_VOLUME",
}


@dataclass(frozen=True)
class VolumeEstimate:
    """Blood and plasma volume of one patient and how they were obtained."""

    method: str
    label: str
    formula: str
    sex: str
    height_cm: float
    weight_kg: float
    hematocrit: float
    total_blood_volume_ml: float
    plasma_volume_ml: float
    sources: tuple[str, ...]
    age_years: float | None = None

    @property
    def bmi(self) -> float:
        """Body-mass index, kg/m^2."""
        return self.weight_kg / (self.height_cm / 100.0) ** 2


def _check_sex(sex: str) -> None:
    if sex not in _SEXES:
        raise InputError("sex", f"{sex!r} is not a recognised value", allowed="female, male")


def _check_number(field: str, value: float, bounds: tuple[float, float], unit: str) -> None:
    low, high = bounds
    suffix = f" {unit}" if unit else ""
    allowed = f"{low:g}-{high:g}{suffix}"
    if not math.isfinite(value):
        raise InputError(field, "must be a finite number", allowed=allowed)
    if not low <= value <= high:
        raise InputError(field, f"{value:g}{suffix} is outside the adult range", allowed=allowed)


def _check_height_cm(height_cm: float) -> None:
    if math.isfinite(height_cm) and 1.2 <= height_cm <= 2.3:
        raise InputError(
            "height_cm",
            f"{height_cm:g} looks like metres: give the height in centimetres "
            f"(e.g. {height_cm * 100:g})",
            allowed=f"{HEIGHT_CM_RANGE[0]:g}-{HEIGHT_CM_RANGE[1]:g} cm",
        )
    _check_number("height_cm", height_cm, HEIGHT_CM_RANGE, "cm")


def _check_hematocrit(hematocrit: float) -> None:
    low, high = HEMATOCRIT_RANGE
    if math.isfinite(hematocrit) and low * 100 <= hematocrit <= high * 100:
        raise InputError(
            "hematocrit",
            f"{hematocrit:g} looks like a percentage: give the hematocrit as a fraction "
            f"(e.g. {hematocrit / 100:.2f} for {hematocrit:g}%)",
            allowed=f"{low:g}-{high:g}",
        )
    _check_number("hematocrit", hematocrit, HEMATOCRIT_RANGE, "")


def nadler_blood_volume_ml(sex: Sex, height_cm: float, weight_kg: float) -> float:
    """Total blood volume (mL) by Nadler's sex-specific formula (NADLER_1962).

    >>> round(nadler_blood_volume_ml("male", 175, 70), 1)
    4823.8
    """
    _check_sex(sex)
    _check_height_cm(height_cm)
    _check_number("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg")
    a, b, c = _NADLER[sex]
    height_m = height_cm / 100.0
    return (a * height_m**3 + b * weight_kg + c) * 1000.0


def weight_rule_blood_volume_ml(sex: Sex, weight_kg: float) -> float:
    """Total blood volume (mL) by the weight rule: 70 mL/kg men, 65 mL/kg women (WEIGHT_RULE).

    >>> weight_rule_blood_volume_ml("female", 60)
    3900.0
    """
    _check_sex(sex)
    _check_number("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg")
    return _WEIGHT_RULE_ML_PER_KG[sex] * weight_kg


def lemmens_blood_volume_ml(height_cm: float, weight_kg: float) -> float:
    """Total blood volume (mL) for obesity: W x 70 / sqrt(BMI / 22) (LEMMENS_2006).

    At BMI 22 it equals 70 mL/kg:

    >>> round(lemmens_blood_volume_ml(200, 88), 1)
    6160.0
    """
    _check_height_cm(height_cm)
    _check_number("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg")
    bmi = weight_kg / (height_cm / 100.0) ** 2
    return weight_kg * _LEMMENS_ML_PER_KG / math.sqrt(bmi / _LEMMENS_REFERENCE_BMI)


def ideal_body_weight_kg(sex: Sex, height_cm: float) -> float:
    """Ideal body weight by Devine: 50 kg (male) or 45.5 kg (female) + 0.9 kg per cm over
    152.4 cm (DEVINE_1974), never below 1 kg.

    >>> round(ideal_body_weight_kg("male", 180), 1)
    74.8
    """
    _check_sex(sex)
    base = 50.0 if sex == "male" else 45.5
    return max(1.0, base + 0.9 * (height_cm - 152.4))


def kaplan_plasma_volume_ml(weight_kg: float, hematocrit: float) -> float:
    """Plasma volume (mL) by Kaplan: 0.065 x W x (1 - Hct) litres (KAPLAN_1990).

    >>> round(kaplan_plasma_volume_ml(70, 0.40), 1)
    2730.0
    """
    _check_number("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg")
    _check_hematocrit(hematocrit)
    return _KAPLAN_L_PER_KG * weight_kg * (1.0 - hematocrit) * 1000.0


def estimate_volumes(
    sex: Sex,
    *,
    height_cm: float,
    weight_kg: float,
    hematocrit: float,
    method: VolumeMethod = "nadler",
    age_years: float | None = None,
    paediatric_ml_per_kg: float = 70.0,
    infant_ml_per_kg: float = 80.0,
) -> VolumeEstimate:
    """Total blood and plasma volume by ``method``; PV = TBV x (1 - Hct).

    Every input is validated (height and weight are checked for every method, so a request
    gives the same errors whichever method it names). Source: the method's key in ``sources``.

    >>> est = estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=0.4, method="kaplan")
    >>> round(est.plasma_volume_ml, 1), round(est.total_blood_volume_ml, 1), est.sources
    (2730.0, 4550.0, ('KAPLAN_1990',))
    """
    if method not in VOLUME_METHODS:
        raise InputError(
            "volume_method", f"{method!r} is not a known method", allowed=", ".join(VOLUME_METHODS)
        )
    _check_sex(sex)
    if age_years is not None:
        _check_number("age_years", age_years, (0.0, 120.0), "years")
    if method == "paediatric":
        _check_number("height_cm", height_cm, PAEDIATRIC_HEIGHT_CM_RANGE, "cm")
        _check_number("weight_kg", weight_kg, PAEDIATRIC_WEIGHT_KG_RANGE, "kg")
    else:
        _check_height_cm(height_cm)
        _check_number("weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg")
    _check_hematocrit(hematocrit)
    if method == "paediatric":
        infant = age_years is not None and age_years < 1
        per_kg = infant_ml_per_kg if infant else paediatric_ml_per_kg
        blood_ml = per_kg * weight_kg
        plasma_ml = blood_ml * (1.0 - hematocrit)
    elif method == "kaplan":
        plasma_ml = kaplan_plasma_volume_ml(weight_kg, hematocrit)
        blood_ml = plasma_ml / (1.0 - hematocrit)
    else:
        if method == "nadler":
            blood_ml = nadler_blood_volume_ml(sex, height_cm, weight_kg)
        elif method == "weight":
            blood_ml = weight_rule_blood_volume_ml(sex, weight_kg)
        elif method == "ideal_weight":
            ideal = min(ideal_body_weight_kg(sex, height_cm), weight_kg)
            blood_ml = _WEIGHT_RULE_ML_PER_KG[sex] * ideal
        else:
            blood_ml = lemmens_blood_volume_ml(height_cm, weight_kg)
        plasma_ml = blood_ml * (1.0 - hematocrit)
    return VolumeEstimate(
        method=method,
        label=_LABELS[method],
        formula=_FORMULAS[method],
        sex=sex,
        height_cm=float(height_cm),
        weight_kg=float(weight_kg),
        hematocrit=float(hematocrit),
        total_blood_volume_ml=blood_ml,
        plasma_volume_ml=plasma_ml,
        sources=(_SOURCES[method], "WEIGHT_RULE")
        if method == "ideal_weight"
        else (_SOURCES[method],),
        age_years=None if age_years is None else float(age_years),
    )
