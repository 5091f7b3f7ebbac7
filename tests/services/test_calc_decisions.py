"""The decision calculators through the JSON contract: assess, precheck, dmt."""

from __future__ import annotations

import copy
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from plexms.core.asfa import DIAGNOSES, PRESENTATIONS
from plexms.core.dmt import DMTS
from plexms.core.eligibility import REQUIRED_CONDITIONS
from plexms.core.policy import CentrePolicy, EligibilityPolicy, PrecheckPolicy
from plexms.core.precheck import SYMPTOMS
from plexms.core.rules import RULE_VERSION
from plexms.services import calc
from plexms.services.calc.assess import AssessRequest
from plexms.services.calc.dmt import DmtKey
from plexms.services.calc.precheck import Symptom

ASSESS: dict[str, Any] = {
    "diagnosis": "relapsing_ms",
    "presentation": "relapse",
    "onset_date": "2026-03-01",
    "assessment_date": "2026-03-12",
    "steroids": [
        {
            "drug": "methylprednisolone",
            "route": "iv",
            "dose_mg_per_day": 1000,
            "start_date": "2026-03-02",
            "days": 5,
            "response": "none",
        }
    ],
    "edss_pre_relapse": 2.0,
    "edss_now": 4.5,
    "logmar": {"right": 0.0, "left": 0.1},
    "mri": {
        "gd_enhancing_lesions": 2,
        "ring_enhancement": False,
        "mass_effect": False,
        "largest_lesion_mm": 12,
    },
    "age": 34,
    "sex": "female",
    "conditions": dict.fromkeys(REQUIRED_CONDITIONS, False),
    "guideline_edition": "asfa-2023",
}
PRECHECK: dict[str, Any] = {
    "vitals": {
        "systolic_bp": 122,
        "diastolic_bp": 76,
        "heart_rate": 72,
        "temperature_c": 36.7,
        "spo2": 98,
    },
    "labs": {
        "fibrinogen_g_l": 2.1,
        "ionized_calcium_mmol_l": 1.18,
        "total_calcium_mmol_l": 2.3,
        "hemoglobin_g_dl": 13.2,
        "platelets_10e9_l": 240,
        "potassium_mmol_l": 4.1,
    },
    "symptoms": [],
    "hours_since_ace_inhibitor": None,
    "hours_since_last_exchange": 48,
    "access": "peripheral",
}
DMT: dict[str, Any] = {
    "dmt": "natalizumab",
    "last_dose_date": "2026-03-06",
    "course": {"start_date": "2026-03-10", "exchanges": 5, "plasma_volumes_per_exchange": 1.0},
}


def _ok(name: str, payload: Any, policy: CentrePolicy | None = None) -> Any:
    outcome = calc.run(name, payload, policy or CentrePolicy())
    assert outcome.ok, outcome.body
    return outcome.body


def _error(name: str, payload: Any) -> dict[str, Any]:
    outcome = calc.run(name, payload)
    assert not outcome.ok
    return outcome.body["error"]


def test_the_three_calculators_are_registered() -> None:
    assert {"assess", "precheck", "dmt"} <= set(calc.calculators())


def test_choices_in_the_contract_match_the_core() -> None:
    fields = AssessRequest.model_json_schema()["properties"]
    assert tuple(fields["diagnosis"]["anyOf"][0]["enum"]) == DIAGNOSES
    assert tuple(fields["presentation"]["anyOf"][0]["enum"]) == PRESENTATIONS
    assert tuple(TypeAdapter(Symptom).json_schema()["enum"]) == SYMPTOMS
    assert typing.get_args(DmtKey) == tuple(DMTS)


# --- assess --------------------------------------------------------------------------------


def test_assess_answers_the_issue_example() -> None:
    body = _ok("assess", ASSESS)
    assert body["recommendation"] == "indicated"
    assert body["asfa"]["category"] == "II" and body["asfa"]["grade"] == "1A"
    assert body["rule_version"] == RULE_VERSION
    assert all({"rule", "text", "source"} <= set(r) for r in body["reasons"])
    assert all(
        {"name", "value", "direction", "effect", "source"} <= set(p) for p in body["predictors"]
    )


def _paths(presentation: str) -> list[str]:
    paths = ["diagnosis", "presentation", "assessment_date", "edss_now", "age", "sex"]
    paths += ["onset_date", "edss_pre_relapse", "steroids"]
    paths += [f"conditions.{c}" for c in REQUIRED_CONDITIONS]
    paths += [f"steroids.0.{k}" for k in ASSESS["steroids"][0]]
    if presentation == "optic_neuritis":
        paths += ["logmar.right", "logmar.left"]
    if presentation == "tumefactive":
        paths += [f"mri.{k}" for k in ASSESS["mri"]]
    return paths


def _drop(payload: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    *parents, leaf = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[leaf]
    return out


@pytest.mark.parametrize(
    ("presentation", "path"),
    [("relapse", path) for path in _paths("relapse")]
    + [
        (presentation, path)
        for presentation in ("optic_neuritis", "tumefactive")
        for path in _paths(presentation)
        if path not in _paths("relapse")
    ],
)
def test_dropping_a_required_key_gives_incomplete_naming_it(presentation: str, path: str) -> None:
    payload = {**ASSESS, "presentation": presentation}
    payload["mri"] = {**ASSESS["mri"], "largest_lesion_mm": 30}
    assert _ok("assess", payload)["recommendation"] == "indicated"
    body = _ok("assess", _drop(payload, path))
    assert body["recommendation"] == "incomplete"
    expected = path.replace("steroids.0.", "steroids[0].")
    assert expected in body["missing"]


def test_null_is_the_same_as_absent() -> None:
    body = _ok("assess", {**ASSESS, "edss_now": None, "conditions": {}})
    assert body["recommendation"] == "incomplete"
    assert "edss_now" in body["missing"] and "conditions.pregnant" in body["missing"]


@given(drop=st.sets(st.sampled_from(_paths("relapse"))))
@settings(max_examples=60, deadline=None)
def test_any_subset_of_inputs_answers_without_error(drop: set[str]) -> None:
    payload = ASSESS
    for path in sorted(drop, key=lambda p: -p.count(".")):  # children before their parents
        payload = _drop(payload, path)
    body = _ok("assess", payload)
    assert (body["recommendation"] == "incomplete") == bool(drop)


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"edss_now": 11}, "edss_now", "<= 10"),
        ({"edss_now": 0.5}, "edss_now", "0, 1.0, 1.5"),
        ({"diagnosis": "lupus"}, "diagnosis", "relapsing_ms"),
        ({"assessment_date": "2026-02-01"}, "assessment_date", ">= onset_date"),
        ({"colour": "blue"}, "colour", None),
        ({"age": "34"}, "age", None),
        ({"guideline_edition": "asfa-2019"}, "guideline_edition", "asfa-2023"),
    ],
)
def test_assess_bad_input_names_the_field(
    changes: dict[str, Any], field: str, allowed: str | None
) -> None:
    error = _error("assess", {**ASSESS, **changes})
    assert error["field"] == field
    if allowed:
        assert allowed in error["allowed"]


def test_assess_uses_the_centre_policy() -> None:
    policy = CentrePolicy(eligibility=EligibilityPolicy(steroid_wait_days=14))
    body = _ok("assess", ASSESS, policy)
    assert body["recommendation"] == "defer"
    assert body["reassess_on"] == "2026-03-20"


def test_assess_batch_answers_in_order() -> None:
    outcome = calc.run("assess", [ASSESS, {**ASSESS, "edss_now": 12}, {}])
    assert outcome.batch and not outcome.ok
    first, second, third = outcome.body
    assert first["recommendation"] == "indicated"
    assert second["error"]["field"] == "edss_now"
    assert third["recommendation"] == "incomplete"


# --- precheck ------------------------------------------------------------------------------


def test_precheck_answers_the_issue_example() -> None:
    body = _ok("precheck", PRECHECK)
    assert body["decision"] == "proceed"
    assert all({"rule", "text", "source", "threshold"} <= set(r) for r in body["reasons"])
    json.dumps(body)


@pytest.mark.parametrize(
    ("changes", "decision", "action"),
    [
        (  # albumin-only below 1.0 g/L holds (Wodajo 2024, issue 14 item 6)
            {"labs": {**PRECHECK["labs"], "fibrinogen_g_l": 0.8}},
            "hold",
            "PRE-ACT-PLASMA",
        ),
        (
            {"labs": {**PRECHECK["labs"], "ionized_calcium_mmol_l": 1.0}},
            "proceed_with_caution",
            "PRE-ACT-CALCIUM",
        ),
        ({"hours_since_ace_inhibitor": 6}, "hold", "PRE-ACT-ACE"),
        ({"access": "central"}, "proceed", "PRE-ACT-CATHETER"),
    ],
)
def test_precheck_actions(changes: dict[str, Any], decision: str, action: str) -> None:
    body = _ok("precheck", {**PRECHECK, **changes})
    assert body["decision"] == decision
    assert action in [a["rule"] for a in body["actions"]]


def test_precheck_missing_vitals_hold_and_are_named() -> None:
    body = _ok("precheck", {**PRECHECK, "vitals": {"systolic_bp": 120}})
    assert body["decision"] == "hold"
    assert "vitals.spo2" in body["missing"]


def test_precheck_policy_thresholds() -> None:
    policy = CentrePolicy(precheck=PrecheckPolicy(spo2_percent=(95.0, 99.0, None, None)))
    assert _ok("precheck", PRECHECK, policy)["decision"] == "proceed_with_caution"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"symptoms": ["hiccups"]}, "symptoms.0"),
        ({"vitals": {"spo2": 101}}, "vitals.spo2"),
        ({"vitals": {"systolic_bp": 80, "diastolic_bp": 90}}, "vitals.diastolic_bp"),
        ({"access": "arterial"}, "access"),
    ],
)
def test_precheck_bad_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    assert _error("precheck", {**PRECHECK, **changes})["field"] == field


# --- dmt -----------------------------------------------------------------------------------


def test_dmt_answers_the_issue_example() -> None:
    body = _ok("dmt", DMT)
    assert body["removed_by_tpe"] == "yes"
    assert body["last_exchange_date"] == "2026-03-18"
    assert body["prediction"]["modelled"] is True
    assert 0.5 < body["prediction"]["dose_fraction_removed"] < 1.0
    assert "DMT-PREDICTED" in [a["rule"] for a in body["advice"]]
    json.dumps(body)


@pytest.mark.parametrize("key", sorted(DMTS))
def test_every_dmt_answers(key: str) -> None:
    body = _ok("dmt", {**DMT, "dmt": key})
    assert body["class"] and body["timing"] and body["sources"]
    if body["kind"] != "monoclonal_antibody":
        assert body["prediction"]["modelled"] is False


def test_dmt_without_course_or_dose() -> None:
    body = _ok("dmt", {"dmt": "ocrelizumab"})
    assert body["prediction"]["note"] == "not modelled: needs last_dose_date and course"
    assert body["last_exchange_date"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"dmt": "aspirin"}, "dmt"),
        ({**DMT, "course": {"start_date": "2026-03-10", "exchanges": 0}}, "course.exchanges"),
        ({**DMT, "course": {"exchanges": 5}}, "course.start_date"),
    ],
)
def test_dmt_bad_input_names_the_field(payload: dict[str, Any], field: str) -> None:
    assert _error("dmt", payload)["field"] == field


# --- docs/rules.md lists every rule ----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DECISION_MODULES = [
    "eligibility",
    "asfa",
    "contraindications",
    "predictors",
    "relapse",
    "steroids",
    "review",
    "precheck",
    "dmt",
    "rules",
]


def test_every_rule_id_is_documented() -> None:
    code = "".join(
        (ROOT / "src/plexms/core" / f"{name}.py").read_text() for name in DECISION_MODULES
    )
    ids = set(re.findall(r'"((?:ELIG|PRE|DMT|RESP)-[A-Z0-9-]*[A-Z0-9])"', code))
    everything = {**dict.fromkeys(REQUIRED_CONDITIONS, True), "anticoagulated": True}
    everything["hypocalcaemia"] = True
    body = _ok("assess", {**ASSESS, "age": 10, "conditions": everything})
    ids |= {p["rule"] for p in body["precautions"]}
    assert len(ids) > 50
    docs = (ROOT / "docs/rules.md").read_text()
    assert sorted(i for i in ids if i not in docs) == []
    assert f"**{RULE_VERSION}**" in docs
