from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.sources import SOURCES
from plexms.core.volumes import (
    HEIGHT_CM_RANGE,
    HEMATOCRIT_RANGE,
    VOLUME_METHODS,
    WEIGHT_KG_RANGE,
    estimate_volumes,
    kaplan_plasma_volume_ml,
    lemmens_blood_volume_ml,
    nadler_blood_volume_ml,
    weight_rule_blood_volume_ml,
)

# Published examples (shared/reference/tpe-facts.md).
NADLER_EXAMPLES = [
    ("male", 175, 70, 4823.8),
    ("female", 165, 60, 3767.7),
]


@pytest.mark.parametrize(("sex", "height_cm", "weight_kg", "tbv_ml"), NADLER_EXAMPLES)
def test_nadler_published_examples(sex: str, height_cm: float, weight_kg: float, tbv_ml: float):
    assert nadler_blood_volume_ml(sex, height_cm, weight_kg) == pytest.approx(tbv_ml, abs=0.05)
    est = estimate_volumes(sex, height_cm=height_cm, weight_kg=weight_kg, hematocrit=0.40)
    assert est.method == "nadler"
    assert est.sources == ("NADLER_1962",)
    assert est.total_blood_volume_ml == pytest.approx(tbv_ml, abs=0.05)
    assert est.plasma_volume_ml == pytest.approx(tbv_ml * 0.60, abs=0.05)


def test_kaplan_published_example():
    assert kaplan_plasma_volume_ml(70, 0.40) == pytest.approx(2730.0)
    est = estimate_volumes("female", height_cm=160, weight_kg=70, hematocrit=0.40, method="kaplan")
    assert est.plasma_volume_ml == pytest.approx(2730.0)
    assert est.total_blood_volume_ml == pytest.approx(4550.0)  # implied 65 mL/kg
    assert est.sources == ("KAPLAN_1990",)


@pytest.mark.parametrize(
    ("sex", "weight_kg", "tbv_ml"), [("male", 70, 4900.0), ("female", 60, 3900.0)]
)
def test_weight_rule(sex: str, weight_kg: float, tbv_ml: float):
    assert weight_rule_blood_volume_ml(sex, weight_kg) == pytest.approx(tbv_ml)
    est = estimate_volumes(sex, height_cm=170, weight_kg=weight_kg, hematocrit=0.5, method="weight")
    assert est.total_blood_volume_ml == pytest.approx(tbv_ml)
    assert est.plasma_volume_ml == pytest.approx(tbv_ml / 2)


def test_lemmens_equals_70_ml_per_kg_at_bmi_22_and_less_when_obese():
    assert lemmens_blood_volume_ml(200, 88) == pytest.approx(88 * 70)
    obese = lemmens_blood_volume_ml(170, 130)  # BMI 45
    assert obese == pytest.approx(130 * 70 / math.sqrt(130 / 1.7**2 / 22))
    assert obese < 130 * 70
    est = estimate_volumes("male", height_cm=170, weight_kg=130, hematocrit=0.4, method="lemmens")
    assert est.total_blood_volume_ml == pytest.approx(obese)
    assert est.sources == ("LEMMENS_2006",)


@pytest.mark.parametrize("method", VOLUME_METHODS)
def test_every_method_is_named_with_a_known_source(method: str):
    est = estimate_volumes("male", height_cm=180, weight_kg=80, hematocrit=0.42, method=method)
    assert est.method == method
    assert est.label and est.formula
    assert all(key in SOURCES for key in est.sources)
    assert est.plasma_volume_ml == pytest.approx(est.total_blood_volume_ml * (1 - 0.42))


def test_hematocrit_given_as_percentage_is_explained():
    with pytest.raises(InputError) as info:
        estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=40)
    assert info.value.field == "hematocrit"
    assert "percentage" in info.value.message
    assert "0.40" in info.value.message
    assert info.value.allowed == "0.15-0.65"


def test_height_given_in_metres_is_explained():
    with pytest.raises(InputError) as info:
        estimate_volumes("male", height_cm=1.75, weight_kg=70, hematocrit=0.4)
    assert info.value.field == "height_cm"
    assert "metres" in info.value.message
    assert "175" in info.value.message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hematocrit": 0.8}, "hematocrit"),
        ({"hematocrit": 0.05}, "hematocrit"),
        ({"hematocrit": 80}, "hematocrit"),
        ({"hematocrit": math.nan}, "hematocrit"),
        ({"weight_kg": 20}, "weight_kg"),
        ({"weight_kg": 400}, "weight_kg"),
        ({"weight_kg": math.inf}, "weight_kg"),
        ({"height_cm": 250}, "height_cm"),
        ({"height_cm": 50}, "height_cm"),
        ({"height_cm": math.nan}, "height_cm"),
        ({"sex": "other"}, "sex"),
        ({"method": "guess"}, "volume_method"),
    ],
)
def test_out_of_range_inputs_name_the_field(kwargs: dict, field: str):
    args = {"sex": "female", "height_cm": 165, "weight_kg": 60, "hematocrit": 0.4} | kwargs
    sex = args.pop("sex")
    with pytest.raises(InputError) as info:
        estimate_volumes(sex, **args)
    assert info.value.field == field
    assert info.value.allowed


def test_public_helpers_validate_their_own_inputs():
    with pytest.raises(InputError, match="sex"):
        weight_rule_blood_volume_ml("x", 60)
    with pytest.raises(InputError, match="weight_kg"):
        lemmens_blood_volume_ml(170, 10)
    with pytest.raises(InputError, match="hematocrit"):
        kaplan_plasma_volume_ml(70, 40)
    with pytest.raises(InputError, match="height_cm"):
        nadler_blood_volume_ml("male", 1.8, 70)


heights = st.floats(*HEIGHT_CM_RANGE)
weights = st.floats(*WEIGHT_KG_RANGE)
hcts = st.floats(*HEMATOCRIT_RANGE)
methods = st.sampled_from(VOLUME_METHODS)
sexes = st.sampled_from(["female", "male"])


@given(sexes, methods, heights, weights, weights, hcts)
def test_volumes_are_monotone_in_weight(sex, method, height, w1, w2, hct):
    lo, hi = sorted((w1, w2))
    a = estimate_volumes(sex, height_cm=height, weight_kg=lo, hematocrit=hct, method=method)
    b = estimate_volumes(sex, height_cm=height, weight_kg=hi, hematocrit=hct, method=method)
    assert a.total_blood_volume_ml <= b.total_blood_volume_ml * (1 + 1e-12)
    assert a.plasma_volume_ml <= b.plasma_volume_ml * (1 + 1e-12)


@given(sexes, methods, heights, heights, weights, hcts)
def test_volumes_are_monotone_in_height(sex, method, h1, h2, weight, hct):
    lo, hi = sorted((h1, h2))
    a = estimate_volumes(sex, height_cm=lo, weight_kg=weight, hematocrit=hct, method=method)
    b = estimate_volumes(sex, height_cm=hi, weight_kg=weight, hematocrit=hct, method=method)
    assert a.total_blood_volume_ml <= b.total_blood_volume_ml * (1 + 1e-12)


@given(sexes, methods, heights, weights, hcts, hcts)
def test_plasma_volume_decreases_with_hematocrit(sex, method, height, weight, h1, h2):
    lo, hi = sorted((h1, h2))
    a = estimate_volumes(sex, height_cm=height, weight_kg=weight, hematocrit=lo, method=method)
    b = estimate_volumes(sex, height_cm=height, weight_kg=weight, hematocrit=hi, method=method)
    assert b.plasma_volume_ml <= a.plasma_volume_ml * (1 + 1e-12)
    assert 0 < b.plasma_volume_ml < b.total_blood_volume_ml
