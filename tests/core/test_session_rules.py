"""Boundaries, missing inputs and extremes of the issue 14 session rules (items 5-9, 15)."""

from __future__ import annotations

import dataclasses

import pytest

from plexms.core.errors import InputError
from plexms.core.kinetics import ExchangeEvent
from plexms.core.patient_size import patient_volumes, size_warnings
from plexms.core.plan_levels import forecast_level, level_warning
from plexms.core.policy import CentrePolicy, PrecheckPolicy, PrescriptionPolicy
from plexms.core.precheck import StaleLab, example_precheck, precheck
from plexms.core.prescription import prescribe
from plexms.core.sources import MODEL_ASSUMPTION, SOURCES, cite
from plexms.core.volumes import estimate_volumes, ideal_body_weight_kg

RX = PrescriptionPolicy()


def _rules(req, policy: CentrePolicy | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.rule: c.level for c in precheck(req, policy).reasons}


def test_model_assumption_is_its_own_label() -> None:
    assert MODEL_ASSUMPTION in SOURCES
    assert "Model assumption" in cite(MODEL_ASSUMPTION)
    assert "local policy" not in cite(MODEL_ASSUMPTION).lower()


# --- item 5: ACD-A rate, inlet flow limit, extracorporeal share ------------------------------
def test_acd_a_rate_exactly_at_the_limit_does_not_warn_and_above_does() -> None:
    vol = estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=0.40)
    at_limit = 1.2 * vol.total_blood_volume_ml / 1000 * 10
    rx = prescribe(vol, RX, inlet_flow_ml_min=at_limit)
    assert rx.anticoagulant.rate_ml_min_per_l == pytest.approx(1.2)
    assert "RX-ACD-RATE" not in rx.rules
    rx = prescribe(vol, RX, inlet_flow_ml_min=at_limit + 0.5)
    assert "RX-ACD-RATE" in rx.rules
    assert any("inlet flow is at most 58 mL/min" in w for w in rx.warnings)


def test_inlet_flow_limit_scales_with_blood_volume_and_ratio() -> None:
    small = estimate_volumes("female", height_cm=150, weight_kg=45, hematocrit=0.38)
    large = estimate_volumes("male", height_cm=190, weight_kg=100, hematocrit=0.45)
    a, b = prescribe(small, RX), prescribe(large, RX)
    assert a.anticoagulant.inlet_flow_limit_ml_min < b.anticoagulant.inlet_flow_limit_ml_min
    assert b.inlet_flow_ml_min == 60.0  # the centre's default fits a large patient
    assert "RX-INLET-SCALED" in a.rules and "RX-INLET-SCALED" not in b.rules
    at_12 = prescribe(small, RX, inlet_to_ac_ratio=12.0)
    assert at_12.anticoagulant.inlet_flow_limit_ml_min == pytest.approx(
        a.anticoagulant.inlet_flow_limit_ml_min * 1.2
    )


def test_extracorporeal_share_boundary_is_strictly_above_15_percent() -> None:
    child = patient_volumes("male", 110, 20, 0.36, "nadler", 6, RX)  # TBV 1400 mL
    exact = dataclasses.replace(RX, extracorporeal_volume_ml=0.15 * 1400)
    assert "RX-ECV" not in prescribe(child, exact).rules
    above = dataclasses.replace(RX, extracorporeal_volume_ml=0.15 * 1400 + 1)
    assert "RX-ECV" in prescribe(child, above).rules


def test_targets_match_the_prescription() -> None:
    vol = estimate_volumes("female", height_cm=165, weight_kg=60, hematocrit=0.40)
    rx = prescribe(vol, RX)
    t = rx.targets
    assert t is not None
    assert (t.exchange_volume_ml, t.run_minutes, t.weight_kg) == (
        rx.exchange_volume_ml,
        rx.run_minutes,
        60.0,
    )
    assert t.citrate_mg_kg_min == rx.anticoagulant.citrate_infusion_rate_mg_kg_min
    assert t.acd_a_ml == rx.anticoagulant.volume_ml


# --- item 9: cap, obesity, children ----------------------------------------------------------
def test_cap_boundary_and_missing_cap() -> None:
    vol = estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=0.40)
    exact = prescribe(vol, dataclasses.replace(RX, max_exchange_volume_ml=vol.plasma_volume_ml))
    assert "RX-CAP" not in exact.rules
    capped = prescribe(
        vol,
        dataclasses.replace(RX, max_exchange_volume_ml=2500.0),
        plasma_volumes_per_exchange=1.5,
    )
    assert capped.exchange_volume_ml == 2500.0 and "RX-CAP" in capped.rules
    assert "LOCAL_POLICY" in capped.sources
    assert "RX-CAP" not in prescribe(vol, RX, plasma_volumes_per_exchange=2.0).rules


def test_obesity_warning_offers_both_alternatives_with_numbers() -> None:
    vol = estimate_volumes("female", height_cm=160, weight_kg=110, hematocrit=0.40)
    (warning,) = size_warnings(vol, RX)
    lemmens = estimate_volumes("female", height_cm=160, weight_kg=110, hematocrit=0.40,
                               method="lemmens")  # fmt: skip
    assert f"{round(lemmens.plasma_volume_ml)} mL by Lemmens" in warning
    assert "ideal_weight" in warning
    assert size_warnings(dataclasses.replace(vol, method="ideal_weight"), RX) == []


def test_ideal_weight_method() -> None:
    assert ideal_body_weight_kg("female", 152.4) == pytest.approx(45.5)
    vol = estimate_volumes("male", height_cm=180, weight_kg=130, hematocrit=0.40,
                           method="ideal_weight")  # fmt: skip
    assert vol.total_blood_volume_ml == pytest.approx(70 * (50 + 0.9 * (180 - 152.4)))
    thin = estimate_volumes("male", height_cm=180, weight_kg=60, hematocrit=0.40,
                            method="ideal_weight")  # fmt: skip
    assert thin.total_blood_volume_ml == pytest.approx(70 * 60)  # actual weight when lower


@pytest.mark.parametrize(
    ("age", "method"), [(17.99, "paediatric"), (18, "nadler"), (None, "nadler")]
)
def test_paediatric_age_boundary_and_missing_age(age: float | None, method: str) -> None:
    assert patient_volumes("female", 160, 50, 0.38, "nadler", age, RX).method == method


def test_paediatric_extremes_and_refusals() -> None:
    newborn = patient_volumes("female", 50, 3.5, 0.50, "nadler", 0.1, RX)
    assert newborn.total_blood_volume_ml == pytest.approx(80 * 3.5)
    with pytest.raises(InputError) as err:
        patient_volumes("female", 50, 1.5, 0.50, "nadler", 0.1, RX)
    assert err.value.field == "weight_kg"
    with pytest.raises(InputError) as err:
        patient_volumes("female", 160, 50, 0.38, "paediatric", 30, RX)
    assert err.value.field == "volume_method"
    with pytest.raises(InputError) as err:
        patient_volumes("female", 160, 50, 0.38, "nadler", 130, RX)
    assert err.value.field == "age_years"
    adult_child = dataclasses.replace(RX, paediatric_age_below=16)
    assert patient_volumes("female", 160, 50, 0.38, "nadler", 17, adult_child).method == "nadler"


# --- item 6: predicted levels ----------------------------------------------------------------
def test_level_forecast_without_a_crossing_has_no_warning_and_a_crossing_at_the_first() -> None:
    events = [ExchangeEvent(48.0 * i, 2.0, 2800.0) for i in range(5)]
    ok = forecast_level("fibrinogen", 3.0, 1.0, events, 2800.0)
    assert ok.first_below is None and level_warning(ok) is None
    low = forecast_level("fibrinogen", 0.9, 1.0, events, 2800.0)
    assert low.first_below == 1
    assert not any("fewer exchanges" in p for p in low.proposals)
    assert "0.90 g/L before exchange 1" in (level_warning(low) or "")


# --- items 6, 7, 8: precheck boundaries and missing inputs ------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "level"),
    [
        ("temperature_c", 38.0, "hold"),
        ("temperature_c", 37.99, "caution"),
        ("temperature_c", 37.5, "caution"),
        ("temperature_c", 37.49, "ok"),
        ("temperature_c", 35.0, "ok"),
        ("temperature_c", 34.99, "hold"),
        ("heart_rate", 120.0, "hold"),
        ("heart_rate", 100.0, "caution"),
        ("heart_rate", 50.0, "ok"),
        ("heart_rate", 49.0, "caution"),
        ("spo2", 92.0, "caution"),
        ("spo2", 95.0, "ok"),
    ],
)
def test_vital_limits_at_the_boundary(name: str, value: float, level: str) -> None:
    vitals = dataclasses.replace(example_precheck().vitals, **{name: value})
    rule = {"temperature_c": "PRE-TEMP", "heart_rate": "PRE-HR", "spo2": "PRE-SPO2"}[name]
    assert _rules(example_precheck(vitals=vitals))[rule] == level


def test_escalation_counts_only_the_listed_cautions_and_can_be_switched_off() -> None:
    labs = dataclasses.replace(example_precheck().labs, platelets_10e9_l=90.0, hemoglobin_g_dl=7.9)
    req = example_precheck(labs=labs)
    assert _rules(req)["PRE-ESCALATE"] == "hold"
    off = CentrePolicy(precheck=PrecheckPolicy(escalate_cautions_count=0))
    assert "PRE-ESCALATE" not in _rules(req, off)
    assert precheck(req, off).decision == "proceed_with_caution"
    potassium = dataclasses.replace(example_precheck().labs, potassium_mmol_l=5.6,
                                    platelets_10e9_l=90.0)  # fmt: skip
    assert "PRE-ESCALATE" not in _rules(example_precheck(labs=potassium))


def test_interval_by_days_when_known_else_by_hours() -> None:
    assert _rules(example_precheck(hours_since_last_exchange=40.0))["PRE-INTERVAL"] == "caution"
    both = example_precheck(hours_since_last_exchange=40.0, days_since_last_exchange=2)
    assert _rules(both)["PRE-INTERVAL"] == "ok"
    days_only = example_precheck(hours_since_last_exchange=None, days_since_last_exchange=3)
    assert _rules(days_only)["PRE-INTERVAL"] == "ok"
    bad = CentrePolicy(precheck=PrecheckPolicy(interval_basis="weeks"))
    with pytest.raises(InputError) as err:
        precheck(example_precheck(), bad)
    assert err.value.field == "precheck.interval_basis"


def test_stale_and_predicted_lab_names_are_checked() -> None:
    with pytest.raises(InputError) as err:
        precheck(example_precheck(stale_labs=(StaleLab("sodium", 140.0, "2026-11-30"),)))
    assert err.value.field == "stale_labs[0]"
    with pytest.raises(InputError) as err:
        precheck(example_precheck(predicted_labs=("sodium",)))
    assert err.value.field == "predicted_labs[0]"
    with pytest.raises(InputError) as err:
        precheck(example_precheck(days_since_last_exchange=-1))
    assert err.value.field == "days_since_last_exchange"


def test_a_stale_calcium_counts_as_the_required_calcium() -> None:
    labs = dataclasses.replace(
        example_precheck().labs, ionized_calcium_mmol_l=None, total_calcium_mmol_l=None
    )
    stale = (StaleLab("ionized_calcium_mmol_l", 1.1, "2026-11-30T08:00"),)
    rules = _rules(example_precheck(labs=labs, stale_labs=stale))
    assert rules["PRE-LAB-STALE"] == "hold"
