"""Clinical vignettes for the session decisions (issue 14 items 5-9 and 15, issue 16 item 10).

Each vignette is one patient or one pre-session check as a clinician would meet it; it asserts
the decision (precheck: proceed / proceed_with_caution / hold; plan: the rule ids it raises, or
a refusal) and the rule that decided it. Rules and thresholds: docs/rules.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, PrecheckPolicy, PrescriptionPolicy
from plexms.core.precheck import Labs, StaleLab, Vitals, example_precheck, precheck
from plexms.services.calc.plan import PlanRequest, compute_plan

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
POLICY = CentrePolicy()


def _plan(policy: CentrePolicy = POLICY, **fields: Any):  # type: ignore[no-untyped-def]
    request = {"sex": "female", "height_cm": 165, "weight_kg": 60, "hematocrit": 0.40}
    request.update(start_date="2026-11-30", **fields)
    return compute_plan(PlanRequest.model_validate(request), policy, NOW)


def _labs(**changes: Any) -> Labs:
    return dataclasses.replace(example_precheck().labs, **changes)


def _vitals(**changes: Any) -> Vitals:
    return dataclasses.replace(example_precheck().vitals, **changes)


def _deciding(result) -> set[str]:  # type: ignore[no-untyped-def]
    """The rules at the level that made the decision."""
    level = {"hold": "hold", "proceed_with_caution": "caution", "proceed": "ok"}[result.decision]
    return {c.rule for c in result.reasons if c.level == level}


# --- pre-session check vignettes: (name, request changes, policy, decision, deciding rule) ---
PRECHECK_VIGNETTES: list[tuple[str, dict[str, Any], CentrePolicy, str, str | None]] = [
    ("unremarkable second exchange", {}, POLICY, "proceed", None),
    ("fever exactly 38.0 °C holds", {"vitals": _vitals(temperature_c=38.0)}, POLICY, "hold",
     "PRE-TEMP"),
    ("37.9 °C is a caution, not a hold", {"vitals": _vitals(temperature_c=37.9)}, POLICY,
     "proceed_with_caution", "PRE-TEMP"),
    ("37.4 °C is within limits", {"vitals": _vitals(temperature_c=37.4)}, POLICY, "proceed",
     None),
    ("systolic exactly 90 proceeds with caution", {"vitals": _vitals(systolic_bp=90.0)},
     POLICY, "proceed_with_caution", "PRE-SBP"),
    ("systolic 89 holds", {"vitals": _vitals(systolic_bp=89.0)}, POLICY, "hold", "PRE-SBP"),
    ("systolic exactly 180 holds", {"vitals": _vitals(systolic_bp=180.0, diastolic_bp=90.0)},
     POLICY, "hold", "PRE-SBP"),
    ("fibrinogen 0.3 g/L before an albumin-only exchange holds",
     {"labs": _labs(fibrinogen_g_l=0.3)}, POLICY, "hold", "PRE-FIBRINOGEN"),
    ("fibrinogen 0.3 g/L with plasma prescribed proceeds with caution",
     {"labs": _labs(fibrinogen_g_l=0.3), "plasma_in_replacement": True}, POLICY,
     "proceed_with_caution", "PRE-FIBRINOGEN"),
    ("fibrinogen exactly 1.0 g/L proceeds", {"labs": _labs(fibrinogen_g_l=1.0)}, POLICY,
     "proceed", None),
    ("low platelets and short interval escalate to hold",
     {"labs": _labs(platelets_10e9_l=80.0), "hours_since_last_exchange": 30.0}, POLICY, "hold",
     "PRE-ESCALATE"),
    ("low haemoglobin and low blood pressure escalate to hold",
     {"labs": _labs(hemoglobin_g_dl=7.5), "vitals": _vitals(systolic_bp=95.0)}, POLICY, "hold",
     "PRE-ESCALATE"),
    ("one low platelet count alone is a caution", {"labs": _labs(platelets_10e9_l=80.0)},
     POLICY, "proceed_with_caution", "PRE-PLT"),
    ("high blood pressure does not add to the bleeding sum",
     {"labs": _labs(platelets_10e9_l=80.0), "vitals": _vitals(systolic_bp=165.0)}, POLICY,
     "proceed_with_caution", "PRE-PLT"),
    ("a centre escalating at three cautions keeps two as caution",
     {"labs": _labs(platelets_10e9_l=80.0), "hours_since_last_exchange": 30.0},
     CentrePolicy(precheck=PrecheckPolicy(escalate_cautions_count=3)), "proceed_with_caution",
     "PRE-PLT"),
    ("alternate-day course, Mon 11:30 to Wed 09:00 (45.5 h, 2 calendar days)",
     {"hours_since_last_exchange": 45.5, "days_since_last_exchange": 2}, POLICY, "proceed",
     None),
    ("daily course: next calendar day is a caution",
     {"hours_since_last_exchange": 21.5, "days_since_last_exchange": 1}, POLICY,
     "proceed_with_caution", "PRE-INTERVAL"),
    ("same day twice holds", {"hours_since_last_exchange": 5.0, "days_since_last_exchange": 0},
     POLICY, "hold", "PRE-INTERVAL"),
    ("a centre comparing hours keeps the 48 h caution",
     {"hours_since_last_exchange": 45.5, "days_since_last_exchange": 2},
     CentrePolicy(precheck=PrecheckPolicy(interval_basis="hours")), "proceed_with_caution",
     "PRE-INTERVAL"),
    ("stale fibrinogen is asked for again",
     {"labs": _labs(fibrinogen_g_l=None),
      "stale_labs": (StaleLab("fibrinogen_g_l", 2.1, "2026-11-30T08:00", "2026-11-30T11:30"),)},
     POLICY, "hold", "PRE-LAB-STALE"),
    ("stale potassium (optional) is a caution",
     {"labs": _labs(potassium_mmol_l=None),
      "stale_labs": (StaleLab("potassium_mmol_l", 4.0, "2026-11-30T08:00"),)},
     POLICY, "proceed_with_caution", "PRE-LAB-STALE"),
    ("predicted fibrinogen below the threshold holds, labelled as a prediction",
     {"labs": _labs(fibrinogen_g_l=0.9), "predicted_labs": ("fibrinogen_g_l",),
      "stale_labs": (StaleLab("fibrinogen_g_l", 1.6, "2026-11-30T08:00"),)},
     POLICY, "hold", "PRE-FIBRINOGEN"),
    ("elderly patient, low-normal blood pressure 100 mmHg proceeds",
     {"vitals": _vitals(systolic_bp=100.0, heart_rate=58.0)}, POLICY, "proceed", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "policy", "decision", "rule"),
    [v[1:] for v in PRECHECK_VIGNETTES],
    ids=[v[0] for v in PRECHECK_VIGNETTES],
)
def test_precheck_vignette(
    changes: dict[str, Any], policy: CentrePolicy, decision: str, rule: str | None
) -> None:
    result = precheck(example_precheck(**changes), policy)
    assert result.decision == decision
    if rule is not None:
        assert rule in _deciding(result)


def test_predicted_lab_text_says_it_is_a_prediction() -> None:
    req = example_precheck(labs=_labs(fibrinogen_g_l=1.4), predicted_labs=("fibrinogen_g_l",))
    fib = next(c for c in precheck(req).reasons if c.rule == "PRE-FIBRINOGEN")
    assert "model prediction, not a measurement" in fib.text


# --- plan vignettes: (name, request, policy, rule ids expected in plan.rules) ---------------
PLAN_VIGNETTES: list[tuple[str, dict[str, Any], CentrePolicy, set[str]]] = [
    ("typical woman 165 cm / 60 kg: inlet flow scaled to her size", {}, POLICY,
     {"RX-INLET-SCALED"}),
    ("large man, BMI 40: Lemmens or ideal weight offered",
     {"sex": "male", "height_cm": 178, "weight_kg": 127, "hematocrit": 0.44}, POLICY,
     {"RX-BMI"}),
    ("BMI exactly 30 warns (>=)", {"height_cm": 200, "weight_kg": 120}, POLICY, {"RX-BMI"}),
    ("BMI 29.9 does not warn", {"height_cm": 200, "weight_kg": 119.6}, POLICY, set()),
    ("large man with the Lemmens method: no BMI warning",
     {"sex": "male", "height_cm": 178, "weight_kg": 127, "volume_method": "lemmens"}, POLICY,
     set()),
    ("centre cap of 3000 mL lowers a 1.5 plasma-volume exchange",
     {"sex": "male", "height_cm": 185, "weight_kg": 95, "plasma_volumes_per_exchange": 1.5},
     CentrePolicy(prescription=PrescriptionPolicy(max_exchange_volume_ml=3000.0)), {"RX-CAP"}),
    ("child of 9 years, 28 kg: weight-based volumes",
     {"age_years": 9, "height_cm": 132, "weight_kg": 28, "hematocrit": 0.37}, POLICY,
     {"RX-PAEDIATRIC"}),
    ("small child of 4 years, 12 kg: extracorporeal volume above 15%",
     {"age_years": 4, "height_cm": 100, "weight_kg": 12, "hematocrit": 0.35}, POLICY,
     {"RX-PAEDIATRIC", "RX-ECV"}),
    ("adolescent of 17 with an explicit fast inlet flow: ACD-A rate warns",
     {"age_years": 17, "height_cm": 160, "weight_kg": 45, "inlet_flow_ml_min": 90}, POLICY,
     {"RX-PAEDIATRIC", "RX-ACD-RATE"}),
    ("adult at exactly 18: adult formula", {"age_years": 18}, POLICY, {"RX-INLET-SCALED"}),
    ("elderly woman of 82 years, 48 kg: smaller blood volume, scaled flow",
     {"age_years": 82, "height_cm": 152, "weight_kg": 48, "hematocrit": 0.36}, POLICY,
     {"RX-INLET-SCALED"}),
    ("daily course from fibrinogen 1.8 g/L crosses 1.0 g/L",
     {"fibrinogen_g_l": 1.8, "interval_days": 1, "course_days": 6}, POLICY,
     {"PLAN-LEVEL-FIBRINOGEN"}),
    ("alternate-day course from fibrinogen 2.5 g/L stays above", {"fibrinogen_g_l": 2.5},
     POLICY, set()),
    ("IgG 6 g/L over seven daily 1.5-volume exchanges crosses the IgG threshold",
     {"igg_g_l": 6.0, "interval_days": 1, "exchanges": 7, "course_days": 9,
      "plasma_volumes_per_exchange": 1.5}, POLICY, {"PLAN-LEVEL-IGG"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_fields", "policy", "rules"),
    [v[1:] for v in PLAN_VIGNETTES],
    ids=[v[0] for v in PLAN_VIGNETTES],
)
def test_plan_vignette(
    request_fields: dict[str, Any], policy: CentrePolicy, rules: set[str]
) -> None:
    plan = _plan(policy, **request_fields)
    found = set(plan.rules)
    assert rules <= found
    for rule in ("RX-BMI", "RX-CAP", "RX-PAEDIATRIC", "RX-ECV", "RX-ACD-RATE"):
        if rule not in rules:
            assert rule not in found, rule
    for substance in ("FIBRINOGEN", "IGG"):
        rule = f"PLAN-LEVEL-{substance}"
        assert (rule in rules) == (rule in found)


def test_a_centre_that_does_not_treat_children_refuses_clearly() -> None:
    policy = CentrePolicy(prescription=PrescriptionPolicy(treats_children=False))
    with pytest.raises(InputError) as err:
        _plan(policy, age_years=15, height_cm=160, weight_kg=50)
    assert err.value.field == "age_years"
    assert "does not treat patients under 18" in err.value.message
    assert _plan(policy, age_years=18).volumes.method == "nadler"


def test_crossing_warning_names_the_predicted_number_and_the_nearest_safe_change() -> None:
    plan = _plan(fibrinogen_g_l=1.8, interval_days=1, course_days=6)
    warning = next(w for w in plan.warnings if w.startswith("Fibrinogen predicted"))
    forecast = plan.levels["fibrinogen"]
    n = forecast.first_below
    assert n is not None and f"{forecast.pre[n - 1]:.2f} g/L before exchange {n}" in warning
    assert "longer interval" in warning and "plasma for part of the replacement" in warning
    assert f"fewer exchanges: {n - 1}" in warning


def test_child_volumes_are_weight_based_and_the_targets_carry_the_checks() -> None:
    plan = _plan(age_years=4, height_cm=100, weight_kg=12, hematocrit=0.35)
    assert plan.volumes.method == "paediatric"
    assert plan.volumes.total_blood_volume_ml == pytest.approx(70 * 12)
    targets = plan.prescription.targets
    assert targets is not None
    assert targets.extracorporeal_share == pytest.approx(185 / 840)
    assert targets.inlet_flow_ml_min <= targets.inlet_flow_limit_ml_min + 10  # floor 10 mL/min
    infant = _plan(age_years=0.5, height_cm=65, weight_kg=7, hematocrit=0.33)
    assert infant.volumes.total_blood_volume_ml == pytest.approx(80 * 7)
