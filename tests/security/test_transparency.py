"""Decision-support transparency at the fronts (the JSON contract and the stored assessment).

tests/core/test_eligibility.py and tests/core/test_precheck.py prove, on the core's dataclasses,
that dropping a required input gives ``incomplete`` / ``hold``. Here the same holds where users
meet the rules: for every rule's required input, dropping that one key from the documented
example request of ``calc assess`` / ``calc precheck`` / ``calc response`` never yields a
computed recommendation: the answer is incomplete (hold, not assessable) and names the input;
and an assessment stored through the API with an input missing is stored as incomplete.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from plexms.core.eligibility import REQUIRED_CONDITIONS
from plexms.services import calc


def _example(name: str) -> dict[str, Any]:
    """The request documented in ``plexms calc NAME --help``."""
    text = calc.calculators()[name].help
    start = text.index("Request: ") + len("Request: ")
    depth = 0
    for i, char in enumerate(text[start:], start):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return dict(json.loads(text[start : i + 1]))
    raise AssertionError("no example request")


def _drop(request: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(request)
    node: Any = out
    parts = [int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", path) if p]
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]
    return out


ASSESS = _example("assess")
ALWAYS = ["diagnosis", "presentation", "assessment_date", "edss_now", "age", "sex"]
ACUTE = ["onset_date", "edss_pre_relapse", "steroids"]
COURSE = [f"steroids[0].{k}" for k in ASSESS["steroids"][0]]
CONDITIONS = [f"conditions.{c}" for c in REQUIRED_CONDITIONS]
ASSESS_CASES = (
    [("relapse", p) for p in ALWAYS + ACUTE + COURSE + CONDITIONS]
    + [("optic_neuritis", p) for p in ("logmar", "logmar.right", "logmar.left")]
    + [("tumefactive", "mri")]
    + [("tumefactive", f"mri.{k}") for k in ASSESS["mri"]]
)


def _assess_base(presentation: str) -> dict[str, Any]:
    request = {**copy.deepcopy(ASSESS), "presentation": presentation}
    if presentation == "tumefactive":
        request["mri"]["largest_lesion_mm"] = 30
    return request


def test_the_examples_are_complete_and_computed() -> None:
    for presentation in ("relapse", "optic_neuritis", "tumefactive"):
        out = calc.run("assess", _assess_base(presentation)).body
        assert out["recommendation"] != "incomplete" and out["missing"] == [], presentation
    assert calc.run("precheck", _example("precheck")).body["missing"] == []


@pytest.mark.parametrize(("presentation", "path"), ASSESS_CASES)
def test_assess_without_one_required_input_is_incomplete(presentation: str, path: str) -> None:
    outcome = calc.run("assess", _drop(_assess_base(presentation), path))
    assert outcome.ok, outcome.body
    body = outcome.body
    assert body["recommendation"] == "incomplete", (path, body["recommendation"])
    named = " ".join(body["missing"])
    assert path.split("[")[0].split(".")[0] in named and (
        path in body["missing"] or any(m.startswith(path + ".") for m in body["missing"])
    ), (path, body["missing"])
    assert any(r["rule"] == "ELIG-MISSING" for r in body["reasons"])


PRECHECK = _example("precheck")
PRECHECK_CASES = [f"vitals.{k}" for k in PRECHECK["vitals"]] + [
    "labs.fibrinogen_g_l",
    "labs.hemoglobin_g_dl",
    "labs.platelets_10e9_l",
    "access",
]


@pytest.mark.parametrize("path", PRECHECK_CASES)
def test_precheck_without_one_required_input_holds_and_names_it(path: str) -> None:
    body = calc.run("precheck", _drop(PRECHECK, path)).body
    assert body["decision"] == "hold", (path, body["decision"])
    assert path in body["missing"]


def test_precheck_without_either_calcium_holds() -> None:
    request = _drop(_drop(PRECHECK, "labs.ionized_calcium_mmol_l"), "labs.total_calcium_mmol_l")
    body = calc.run("precheck", request).body
    assert body["decision"] == "hold" and "labs.calcium" in body["missing"]


RESPONSE = {
    "baseline": {"edss": 6.0, "logmar": {"right": 1.0, "left": 0.1}},
    "followup": {"edss": 5.0, "logmar": {"right": 0.4, "left": 0.1}},
    "pre_relapse": {"edss": 3.0},
    "tnd": "moderate",
    "indication": "optic_neuritis",
    "affected_eye": "right",
}
RESPONSE_CASES = [
    ("baseline.edss", ("edss_standard", "recovery", "relapse_severity")),
    ("followup.edss", ("edss_standard", "recovery")),
    ("pre_relapse", ("recovery", "relapse_severity")),
    ("tnd", ("tnd",)),
]


@pytest.mark.parametrize(("path", "criteria"), RESPONSE_CASES)
def test_response_without_an_input_is_not_assessable(path: str, criteria: tuple[str, ...]) -> None:
    full = calc.run("response", RESPONSE).body["criteria"]
    body = calc.run("response", _drop(RESPONSE, path)).body["criteria"]
    for name in criteria:
        assert full[name]["result"] != "not_assessable", name
        assert body[name]["result"] == "not_assessable", (path, name, body[name])
        assert body[name]["missing"], (path, name)


def test_stored_assessment_with_a_missing_input_is_incomplete(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient("a").id
    request = _drop(_assess_base("relapse"), "edss_now")
    r = client.post(
        f"/api/patients/{pid}/assessments",
        headers=world.headers("physician"),
        json={"request": request},
    )
    assert r.status_code == 201, r.text[:300]
    body = r.json()
    assert body["recommendation"] == "incomplete"
    assert "edss_now" in json.dumps(body["result"])
