"""``calc response``: every definition at once, each with its source; missing inputs named."""

from __future__ import annotations

from typing import Any

import pytest

from plexms.services import calc

ISSUE_REQUEST = {
    "baseline": {"edss": 6.0, "logmar": {"right": 1.0, "left": 0.1}},
    "followup": {"edss": 5.5, "logmar": {"right": 0.7, "left": 0.1}},
    "pre_relapse": {"edss": 3.0},
    "tnd": "moderate",
    "indication": "relapse",
}


def _criteria(request: dict[str, Any]) -> dict[str, Any]:
    outcome = calc.run("response", request)
    assert outcome.ok, outcome.body
    assert list(outcome.body) == ["criteria"]
    return outcome.body["criteria"]


def test_contract_of_the_issue() -> None:
    criteria = _criteria(ISSUE_REQUEST)
    assert list(criteria) == [
        "edss_standard",
        "llufriu_2009",
        "tnd",
        "recovery",
        "relapse_severity",
    ]
    assert criteria["edss_standard"]["result"] == "improved"
    assert criteria["llufriu_2009"]["result"] == "not_improved"
    assert criteria["tnd"]["result"] == "responder"
    assert criteria["recovery"]["result"] == "partial"
    assert criteria["relapse_severity"]["result"] == "severe"
    keys = {name: c["source"]["key"] for name, c in criteria.items()}
    assert keys == {
        "edss_standard": "EDSS_CHANGE_2007",
        "llufriu_2009": "LLUFRIU_2009",
        "tnd": "WEINSHENKER_1999",
        "recovery": "RELAPSE_SEVERITY_2019",
        "relapse_severity": "RELAPSE_SEVERITY_2019",
    }
    assert all(c["rule"] for c in criteria.values())
    assert criteria["edss_standard"]["responder"] is True
    assert criteria["edss_standard"]["edss_change"] == -0.5


def test_optic_neuritis_uses_the_affected_eye() -> None:
    criteria = _criteria({**ISSUE_REQUEST, "indication": "optic_neuritis"})
    llufriu = criteria["llufriu_2009"]
    assert llufriu["result"] == "improved"
    assert (llufriu["eye"], llufriu["logmar_gain"], llufriu["lines_gained"]) == ("right", 0.3, 3.0)
    exactly_two_lines = {
        **ISSUE_REQUEST,
        "indication": "optic_neuritis",
        "followup": {"edss": 5.5, "logmar": {"right": 0.8, "left": 0.1}},
    }
    assert _criteria(exactly_two_lines)["llufriu_2009"]["result"] == "not_improved"
    left = {**ISSUE_REQUEST, "indication": "optic_neuritis", "affected_eye": "left"}
    assert _criteria(left)["llufriu_2009"]["eye"] == "left"


def test_missing_inputs_are_named() -> None:
    criteria = _criteria({"baseline": {"edss": 4.0}})
    assert criteria["edss_standard"] == {
        "result": "not_assessable",
        "responder": None,
        "missing": ["followup.edss"],
        "rule": criteria["edss_standard"]["rule"],
        "source": criteria["edss_standard"]["source"],
    }
    assert criteria["tnd"]["missing"] == ["tnd"]
    assert criteria["recovery"]["missing"] == ["pre_relapse.edss", "followup.edss"]
    assert criteria["relapse_severity"]["missing"] == ["pre_relapse.edss"]
    assert "responder" not in criteria["recovery"]
    everything = _criteria({})
    assert all(c["result"] == "not_assessable" for c in everything.values())
    optic = _criteria({"indication": "optic_neuritis", "baseline": {"edss": 3.0}})
    assert optic["llufriu_2009"]["missing"] == [
        "baseline.logmar.right",
        "baseline.logmar.left",
        "or affected_eye",
    ]


@pytest.mark.parametrize(
    ("request_", "field", "allowed"),
    [
        ({"baseline": {"edss": 0.5}}, "baseline.edss", "0, 1.0, 1.5"),
        ({"followup": {"edss": 6.3}}, "followup.edss", "0, 1.0, 1.5"),
        ({"followup": {"edss": 11}}, "followup.edss", "<= 10"),
        ({"pre_relapse": {"edss": -1}}, "pre_relapse.edss", ">= 0"),
        ({"pre_relapse": {}}, "pre_relapse.edss", None),
        ({"baseline": {"logmar": {"right": 3.2}}}, "baseline.logmar.right", "<= 3"),
        ({"tnd": "excellent"}, "tnd", None),
        ({"indication": "migraine"}, "indication", None),
        ({"affected_eye": "both"}, "affected_eye", None),
        ({"baseline": {"edss": 3.0, "mri": 1}}, "baseline.mri", None),
    ],
)
def test_errors_name_the_field(request_: dict[str, Any], field: str, allowed: str | None) -> None:
    outcome = calc.run("response", request_)
    assert not outcome.ok
    error = outcome.body["error"]
    assert error["field"] == field, error
    if allowed is not None:
        assert allowed in error["allowed"]


# --- the stop/continue review (issue 14 item 12) ------------------------------------------


def test_review_only_when_exchanges_done_is_given() -> None:
    assert "review" not in calc.run("response", ISSUE_REQUEST).body
    body = calc.run("response", {**ISSUE_REQUEST, "exchanges_done": 3}).body
    review = body["review"]
    assert review["decision"] == "continue" and review["target_exchanges"] == 5
    assert review["rule"] == "RESP-REVIEW-IMPROVING"
    assert review["signals"] == {"tnd": "improving", "edss": "improving", "acuity": "improving"}
    assert review["source"]["key"] == "SEED_PROTOCOL"


def test_review_stops_on_worsening_by_the_baseline_dependent_step() -> None:
    request = {
        "baseline": {"edss": 6.0},
        "followup": {"edss": 6.5},
        "exchanges_done": 3,
    }
    body = calc.run("response", request).body
    assert body["criteria"]["edss_standard"]["result"] == "worsened"
    assert body["review"]["decision"] == "stop"
    from_zero = calc.run(
        "response", {"baseline": {"edss": 0.0}, "followup": {"edss": 1.0}, "exchanges_done": 3}
    ).body
    assert from_zero["criteria"]["edss_standard"]["result"] == "unchanged"
    assert from_zero["review"]["rule"] == "RESP-REVIEW-UNCHANGED"


@pytest.mark.parametrize("value", [-1, 21, 3.0, "3"])
def test_exchanges_done_out_of_domain_names_the_field(value: object) -> None:
    outcome = calc.run("response", {**ISSUE_REQUEST, "exchanges_done": value})
    assert not outcome.ok and outcome.body["error"]["field"] == "exchanges_done"
