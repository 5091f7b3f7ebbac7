from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.policy import PrescriptionPolicy
from plexms.core.prescription import (
    ACD_A_CITRATE_MG_PER_ML,
    ACD_A_CITRATE_MMOL_PER_L,
    VialCount,
    prescribe,
    round_to_vials,
)
from plexms.core.sources import SOURCES
from plexms.core.volumes import estimate_volumes

POLICY = PrescriptionPolicy()
MALE = estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=0.40)


def test_worked_example_male_175_cm_70_kg_by_hand():
    rx = prescribe(MALE, POLICY)
    pv = (0.3669 * 1.75**3 + 0.03219 * 70 + 0.6041) * 1000 * 0.60  # Nadler, Hct 0.40
    assert rx.plasma_volume_ml == pytest.approx(pv, rel=1e-6)
    assert rx.exchange_volume_ml == pytest.approx(pv, rel=1e-6)
    rep = rx.replacement
    assert rep.total_ml == pytest.approx(pv, rel=1e-6)
    assert rep.albumin_needed_ml == pytest.approx(pv, rel=1e-6)
    assert rep.albumin_needed_g == pytest.approx(pv * 0.05, rel=1e-6)
    assert rep.albumin_5pct_ml == 3000.0  # six 500 mL bottles
    assert rep.albumin_vials == (VialCount(500, 6),)
    assert rep.albumin_g == 150.0
    assert rep.albumin_waste_ml == pytest.approx(3000 - pv, rel=1e-6)
    assert rx.calcium_gluconate_10pct_ml == 28.9  # 10 mL per litre (Weinstein 1996)
    blood = pv / (0.6 * 0.87)
    assert rx.whole_blood_processed_ml == pytest.approx(blood, rel=1e-9)
    assert rx.blood_volumes_processed == pytest.approx(1.15, abs=0.01)  # Spectra Optia figure
    inlet = blood * 10 / 9
    ac = inlet / 10
    assert rx.inlet_volume_ml == pytest.approx(inlet, rel=1e-9)
    assert rx.anticoagulant.volume_ml == pytest.approx(ac, rel=1e-9)
    # The centre's 60 mL/min is lowered to this patient's limit: ACD-A at most 1.2 mL/min
    # per litre of blood volume (Spectra Optia) x 4.8238 L x 10 = 57.9 mL/min.
    flow = 1.2 * (pv / 0.6 / 1000) * 10
    assert rx.inlet_flow_ml_min == pytest.approx(flow, rel=1e-9)
    assert rx.anticoagulant.flow_ml_min == pytest.approx(flow / 10, rel=1e-9)
    assert rx.anticoagulant.rate_ml_min_per_l == pytest.approx(1.2, rel=1e-9)
    assert rx.run_minutes == math.ceil(inlet / flow) == 107
    assert rx.session_minutes == 137
    citrate_mg = ac * 21.33
    assert rx.anticoagulant.citrate_mg == pytest.approx(citrate_mg, rel=1e-3)
    rate = citrate_mg * 0.13 / 70 / (inlet / flow)
    assert rx.anticoagulant.citrate_infusion_rate_mg_kg_min == pytest.approx(rate, rel=1e-3)
    assert rx.anticoagulant.circuit_citrate_rate_mg_kg_min == pytest.approx(rate / 0.13, rel=1e-3)
    assert not rx.anticoagulant.above_limit
    bal = rx.fluid_balance
    assert bal.in_ml == pytest.approx(pv + ac + 28.9, rel=1e-9)
    assert bal.out_ml == pytest.approx(pv + 0.87 * ac, rel=1e-9)
    assert bal.net_ml == pytest.approx(0.13 * ac + 28.9, rel=1e-9)
    assert rx.warnings == ()
    assert rx.notes[0].startswith("Inlet flow 57.9 mL/min, lowered from the centre's 60")


def test_acd_a_citrate_from_the_label():
    assert ACD_A_CITRATE_MMOL_PER_L == pytest.approx(112.8, abs=0.1)
    assert ACD_A_CITRATE_MG_PER_ML == pytest.approx(21.33, abs=0.01)


def test_every_number_is_traced_to_known_sources():
    rx = prescribe(MALE, POLICY)
    quantities = {d.quantity for d in rx.derivations}
    assert {
        "total_blood_volume_ml",
        "plasma_volume_ml",
        "exchange_volume_ml",
        "replacement",
        "calcium_gluconate_10pct_ml",
        "whole_blood_processed_ml",
        "anticoagulant",
        "run_minutes",
        "fluid_balance",
    } <= quantities
    for d in rx.derivations:
        assert d.formula and d.sources
        assert all(key in SOURCES for key in d.sources), d
    assert set(rx.sources) == {key for d in rx.derivations for key in d.sources}
    assert "WEINSTEIN_1996" in rx.sources and "NADLER_1962" in rx.sources


@pytest.mark.parametrize(
    ("volume_ml", "sizes", "expected"),
    [
        (2894.3, (250, 500), ((500, 6),)),
        (2100, (250, 500), ((250, 1), (500, 4))),
        (2000, (250, 500), ((500, 4),)),
        (1, (250, 500), ((250, 1),)),
        (330, (100, 250), ((100, 1), (250, 1))),  # 350 wastes less than 400 or 500
        (400, (100, 200), ((200, 2),)),  # same waste: fewer vials
        (730, (500,), ((500, 2),)),
        (0, (250, 500), ()),
    ],
)
def test_round_to_vials(volume_ml: float, sizes: tuple, expected: tuple):
    assert round_to_vials(volume_ml, sizes) == tuple(VialCount(s, c) for s, c in expected)


@pytest.mark.parametrize("sizes", [(), (0, 250), (-250,)])
def test_round_to_vials_rejects_bad_sizes(sizes: tuple):
    with pytest.raises(InputError) as info:
        round_to_vials(1000, sizes)
    assert info.value.field == "albumin_vial_sizes_ml"


@given(
    st.floats(0.0, 20000.0),
    st.lists(st.sampled_from([20, 50, 100, 250, 500]), min_size=1, max_size=3),
)
def test_vials_cover_the_volume_with_least_waste(volume_ml, sizes):
    vials = round_to_vials(volume_ml, tuple(sizes))
    total = sum(v.size_ml * v.count for v in vials)
    assert total >= volume_ml - 1e-6
    assert total - volume_ml < min(sizes) + 1e-6  # never a whole smallest vial too many


@pytest.mark.parametrize("pv_per", [0.5, 0.8, 1.75, 2.0])
def test_plasma_volumes_outside_protocol_are_accepted_with_a_warning(pv_per: float):
    rx = prescribe(MALE, POLICY, plasma_volumes_per_exchange=pv_per)
    assert any("1.0-1.5" in w for w in rx.warnings)


@pytest.mark.parametrize("pv_per", [1.0, 1.25, 1.5])
def test_plasma_volumes_inside_protocol_give_no_warning(pv_per: float):
    assert prescribe(MALE, POLICY, plasma_volumes_per_exchange=pv_per).warnings == ()


@pytest.mark.parametrize("pv_per", [0.4, 2.1, math.nan, -1.0])
def test_plasma_volumes_outside_0_5_to_2_are_refused(pv_per: float):
    with pytest.raises(InputError) as info:
        prescribe(MALE, POLICY, plasma_volumes_per_exchange=pv_per)
    assert info.value.field == "plasma_volumes_per_exchange"
    assert info.value.allowed == "0.5-2"


@given(st.floats(0.5, 2.0), st.floats(0.5, 2.0))
def test_exchange_volume_is_proportional_to_plasma_volumes(a, b):
    ra = prescribe(MALE, POLICY, plasma_volumes_per_exchange=a)
    rb = prescribe(MALE, POLICY, plasma_volumes_per_exchange=b)
    assert ra.exchange_volume_ml * b == pytest.approx(rb.exchange_volume_ml * a, rel=1e-9)
    assert ra.exchange_volume_ml == pytest.approx(MALE.plasma_volume_ml * a, rel=1e-12)
    if a < b:
        assert ra.run_minutes <= rb.run_minutes
        assert ra.calcium_gluconate_10pct_ml <= rb.calcium_gluconate_10pct_ml


def test_saline_share_within_the_local_limit():
    rx = prescribe(MALE, POLICY, saline_share=0.2)
    rep = rx.replacement
    assert rep.saline_ml == pytest.approx(rx.exchange_volume_ml * 0.2)
    assert rep.albumin_needed_ml == pytest.approx(rx.exchange_volume_ml * 0.8)
    assert rep.albumin_5pct_ml == 2500.0
    assert rep.total_ml == pytest.approx(rx.exchange_volume_ml)


def test_saline_share_above_the_limit_is_refused():
    with pytest.raises(InputError) as info:
        prescribe(MALE, POLICY, saline_share=0.3)
    assert info.value.field == "saline_share"
    assert info.value.allowed == "0-0.25"


def test_plasma_for_low_fibrinogen():
    rx = prescribe(
        MALE, POLICY, plasma_share=0.25, plasma_reason="low_fibrinogen", fibrinogen_g_l=0.8
    )
    rep = rx.replacement
    assert rep.plasma_ml == pytest.approx(rx.exchange_volume_ml * 0.25)
    assert rep.plasma_reason == "low_fibrinogen"
    assert "WODAJO_2024" in rx.sources
    assert any("low_fibrinogen" in n for n in rx.notes)
    assert any("citrate in the plasma" in w for w in rx.warnings)


def test_plasma_for_another_stated_reason():
    rx = prescribe(MALE, POLICY, plasma_share=1.0, plasma_reason="  bleeding risk ")
    assert rx.replacement.plasma_reason == "bleeding risk"
    assert rx.replacement.albumin_needed_ml == 0.0
    assert rx.replacement.albumin_vials == ()
    assert "WODAJO_2024" not in rx.sources


def test_low_fibrinogen_without_plasma_warns():
    rx = prescribe(MALE, POLICY, fibrinogen_g_l=0.7)
    assert any("consider plasma" in w for w in rx.warnings)
    assert "WODAJO_2024" in rx.sources
    assert prescribe(MALE, POLICY, fibrinogen_g_l=2.5).warnings == ()


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"plasma_share": 0.2}, "plasma_reason", "stated reason"),
        ({"plasma_share": 0.2, "plasma_reason": "   "}, "plasma_reason", "stated reason"),
        ({"plasma_reason": "low_fibrinogen"}, "plasma_share", "no plasma share"),
        ({"plasma_share": 0.2, "plasma_reason": "low_fibrinogen"}, "fibrinogen_g_l", "below"),
        (
            {"plasma_share": 0.2, "plasma_reason": "low_fibrinogen", "fibrinogen_g_l": 1.2},
            "fibrinogen_g_l",
            "below",
        ),
        ({"plasma_share": 1.1, "plasma_reason": "x"}, "plasma_share", "range"),
        (
            {"plasma_share": 0.9, "saline_share": 0.2, "plasma_reason": "x"},
            "plasma_share",
            "exceed",
        ),
        ({"fibrinogen_g_l": 250}, "fibrinogen_g_l", "mg/dL"),
        ({"fibrinogen_g_l": 16}, "fibrinogen_g_l", "range"),
        ({"fibrinogen_g_l": -1}, "fibrinogen_g_l", "range"),
        ({"inlet_flow_ml_min": 5}, "inlet_flow_ml_min", "range"),
        ({"inlet_flow_ml_min": 200}, "inlet_flow_ml_min", "range"),
        ({"inlet_to_ac_ratio": 30}, "inlet_to_ac_ratio", "range"),
        ({"inlet_to_ac_ratio": 1}, "inlet_to_ac_ratio", "range"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict, field: str, words: str):
    with pytest.raises(InputError) as info:
        prescribe(MALE, POLICY, **kwargs)
    assert info.value.field == field
    assert words in info.value.message


def test_bad_policy_settings_are_refused():
    with pytest.raises(InputError) as info:
        prescribe(MALE, dataclasses.replace(POLICY, plasma_removal_efficiency=0.2))
    assert info.value.field == "plasma_removal_efficiency"
    with pytest.raises(InputError) as info:
        prescribe(MALE, dataclasses.replace(POLICY, albumin_vial_sizes_ml=()))
    assert info.value.field == "albumin_vial_sizes_ml"


def test_inlet_to_ac_ratio_above_15_warns_and_changes_the_anticoagulant():
    rx = prescribe(MALE, POLICY, inlet_to_ac_ratio=16)
    assert any("above 15:1" in w for w in rx.warnings)
    assert rx.anticoagulant.inlet_to_ac_ratio == 16
    assert rx.anticoagulant.volume_ml < prescribe(MALE, POLICY).anticoagulant.volume_ml


def test_citrate_rate_above_the_limit_is_flagged():
    small = estimate_volumes("female", height_cm=150, weight_kg=40, hematocrit=0.30)
    rx = prescribe(small, POLICY, inlet_flow_ml_min=150, inlet_to_ac_ratio=6)
    assert rx.anticoagulant.above_limit
    assert rx.anticoagulant.citrate_infusion_rate_mg_kg_min > POLICY.citrate_limit_mg_kg_min
    assert any("Citrate infusion rate" in w for w in rx.warnings)


def test_faster_inlet_flow_shortens_the_run():
    slow = prescribe(MALE, POLICY, inlet_flow_ml_min=40)
    fast = prescribe(MALE, POLICY, inlet_flow_ml_min=100)
    assert fast.run_minutes < slow.run_minutes
    assert fast.inlet_flow_ml_min == 100
    assert fast.session_minutes == fast.run_minutes + POLICY.setup_minutes


def test_centre_vial_sizes_are_used():
    rx = prescribe(MALE, dataclasses.replace(POLICY, albumin_vial_sizes_ml=(250,)))
    assert rx.replacement.albumin_vials == (VialCount(250, 12),)
    assert "250 mL" in rx.replacement.rounding
