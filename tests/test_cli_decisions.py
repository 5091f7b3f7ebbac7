"""`plexms calc assess | precheck | dmt` on the command line (in-process, one real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plexms.cli import app

PLEXMS = Path(sys.executable).with_name("plexms")
runner = CliRunner()

ASSESS = {
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
    "age": 34,
    "sex": "male",
    "conditions": {
        "hemodynamic_instability": False,
        "active_infection": False,
        "active_bleeding": False,
        "albumin_allergy": False,
        "ace_inhibitor": True,
        "pregnant": False,
        "poor_venous_access": False,
    },
}
DMT = {
    "dmt": "ocrelizumab",
    "last_dose_date": "2026-03-08",
    "course": {"start_date": "2026-03-10", "exchanges": 5, "plasma_volumes_per_exchange": 1.0},
}


def _calc(name: str, payload: Any) -> tuple[int, Any]:
    result = runner.invoke(app, ["calc", name], input=json.dumps(payload))
    return result.exit_code, json.loads(result.stdout)


def test_assess_on_the_command_line() -> None:
    code, body = _calc("assess", ASSESS)
    assert code == 0
    assert body["recommendation"] == "indicated"
    assert [p["rule"] for p in body["precautions"]] == ["ELIG-PRECAUTION-ACE"]


def test_assess_incomplete_is_an_answer_not_an_error() -> None:
    code, body = _calc("assess", {k: v for k, v in ASSESS.items() if k != "sex"})
    assert code == 0
    assert body["recommendation"] == "incomplete" and body["missing"] == ["sex"]


@pytest.mark.parametrize(
    ("name", "payload", "field"),
    [
        ("assess", {**ASSESS, "edss_now": 10.5}, "edss_now"),
        ("precheck", {"symptoms": ["hiccups"]}, "symptoms.0"),
        ("dmt", {"dmt": "aspirin"}, "dmt"),
    ],
)
def test_bad_input_exits_2_naming_the_field(name: str, payload: Any, field: str) -> None:
    code, body = _calc(name, payload)
    assert code == 2
    assert body["error"]["field"] == field


def test_batch_with_an_error_exits_3() -> None:
    code, body = _calc("precheck", [{}, {"access": "arterial"}])
    assert code == 3
    assert body[0]["decision"] == "hold" and body[1]["error"]["field"] == "access"


def test_precheck_and_dmt_on_the_command_line() -> None:
    code, body = _calc("precheck", {})
    assert code == 0 and body["decision"] == "hold"
    code, body = _calc("dmt", DMT)
    assert code == 0 and body["prediction"]["modelled"] is True


@pytest.mark.parametrize("name", ["assess", "precheck", "dmt"])
def test_help_and_schema(name: str) -> None:
    result = runner.invoke(app, ["calc", name, "--help"])
    assert result.exit_code == 0 and "docs/rules.md" in result.stdout
    result = runner.invoke(app, ["calc", name, "--schema"])
    assert result.exit_code == 0 and json.loads(result.stdout)["type"] == "object"


def test_real_subprocess_answers_assess() -> None:
    result = subprocess.run(
        [str(PLEXMS), "calc", "assess"],
        input=json.dumps(ASSESS),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["asfa"]["grade"] == "1A"
