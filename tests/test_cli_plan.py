"""`plexms calc plan` (JSON contract) and `plexms plan` (tables): real subprocess and in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plexms.cli import app

PLEXMS = Path(sys.executable).with_name("plexms")
MALE = {"sex": "male", "height_cm": 175, "weight_kg": 70, "hematocrit": 0.40}
REQUEST = {**MALE, "start_date": "2026-11-30"}
PLAN_ARGS = ["--sex", "male", "--height-cm", "175", "--weight-kg", "70", "--hematocrit", "0.40"]


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PLEXMS), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def answer() -> dict:
    """The subprocess's answer to REQUEST (run once: each process start costs a second)."""
    result = _run("calc", "plan", stdin=json.dumps(REQUEST))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_subprocess_answers_one_request(answer: dict):
    body = answer
    assert body["total_blood_volume_ml"] == 4823.8
    assert body["plasma_volume_ml"] == 2894.3
    assert body["replacement"]["albumin_5pct_ml"] == 3000.0
    assert body["schedule"][0]["date"] == "2026-11-30"
    assert set(body["predicted"]) >= {"igg", "fibrinogen"}


@pytest.mark.parametrize(
    ("stdin", "field", "words"),
    [
        (json.dumps({**REQUEST, "hematocrit": 40}), "hematocrit", "percentage"),
        ("{not json", "request", "not valid JSON"),
    ],
)
def test_subprocess_bad_input_exits_2_with_an_error_body(stdin: str, field: str, words: str):
    result = _run("calc", "plan", stdin=stdin)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["field"] == field
    assert words in error["message"]


@pytest.mark.parametrize(
    ("stdin", "field", "words"),
    [
        (json.dumps({**REQUEST, "exchanges": 7, "course_days": 10}), "exchanges", "15 days"),
        (json.dumps({**REQUEST, "exchanges": "five"}), "exchanges", "integer"),
        ("", "request", "no JSON"),
        ("[1, 2", "request", "not valid JSON"),
    ],
)
def test_in_process_bad_input_exits_2_with_an_error_body(stdin: str, field: str, words: str):
    result = CliRunner().invoke(app, ["calc", "plan"], input=stdin)
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["field"] == field
    assert words in error["message"]


def test_subprocess_batch():
    ok = _run("calc", "plan", stdin=json.dumps([REQUEST, {**REQUEST, "sex": "female"}]))
    assert ok.returncode == 0
    assert len(json.loads(ok.stdout)) == 2
    partial = _run("calc", "plan", stdin=json.dumps([REQUEST, {**REQUEST, "weight_kg": 5}]))
    assert partial.returncode == 3
    bodies = json.loads(partial.stdout)
    assert "schedule" in bodies[0]
    assert bodies[1]["error"]["field"] == "weight_kg"


REQUEST_FIELDS = [
    "sex", "height_cm", "weight_kg", "hematocrit", "volume_method",
    "plasma_volumes_per_exchange", "exchanges", "start_date", "start_time", "interval_days",
    "course_days", "inlet_flow_ml_min", "inlet_to_ac_ratio", "saline_share", "plasma_share",
    "plasma_reason", "fibrinogen_g_l", "closed_dates", "age_years", "igg_g_l",
]  # fmt: skip
RESPONSE_FIELDS = [
    "total_blood_volume_ml", "plasma_volume_ml", "exchange_volume_ml", "replacement",
    "albumin_5pct_ml", "albumin_g", "calcium_gluconate_10pct_ml", "anticoagulant",
    "citrate_infusion_rate_mg_kg_min", "whole_blood_processed_ml", "run_minutes",
    "session_minutes", "fluid_balance", "course_totals", "schedule", "course", "predicted",
    "igg", "fibrinogen", "one_compartment_post", "warnings", "notes", "derivations", "sources",
]  # fmt: skip


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def test_help_documents_every_request_and_response_field(answer: dict):
    result = _run("calc", "plan", "--help")
    assert result.returncode == 0
    for name in REQUEST_FIELDS + RESPONSE_FIELDS:
        assert name in result.stdout, name
    found = _keys(answer)
    for name in RESPONSE_FIELDS:
        assert name in found, name
    schema = json.loads(_run("calc", "plan", "--schema").stdout)
    assert sorted(schema["properties"]) == sorted(REQUEST_FIELDS)
    assert sorted(schema["required"]) == ["height_cm", "hematocrit", "sex", "weight_kg"]


def test_in_process_gives_the_same_answer_as_the_subprocess(answer: dict):
    runner = CliRunner()
    result = runner.invoke(app, ["calc", "plan"], input=json.dumps(REQUEST))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == answer
    bad = runner.invoke(app, ["calc", "plan"], input=json.dumps({**REQUEST, "extra": 1}))
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["error"]["field"] == "extra"


def test_plan_prints_tables():
    result = CliRunner().invoke(app, ["plan", *PLAN_ARGS, "--start-date", "2026-11-30"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "Nadler formula (NADLER_1962)",
        "Exchange volume",
        "2894 mL",
        "3000 mL = 150 g (6 x 500 mL)",
        "28.9 mL",
        "616 mL at 10:1",
        "107 / 137 min",
        "Mon 2026-11-30",
        "Wed 2026-12-09",
        "09:00",
        "11:17",
        "Course: 2026-11-30 to 2026-12-09 (10 days)",
        "Sources",
        "WEINSTEIN_1996",
    ):
        assert text in out, text
    assert out.count("%") >= 20  # predicted levels for both substances


def test_plan_options_and_warnings():
    result = CliRunner().invoke(
        app,
        [
            "plan", *PLAN_ARGS, "--volume-method", "kaplan", "--plasma-volumes-per-exchange",
            "0.8", "--exchanges", "3", "--start-date", "2026-11-28", "--interval-days", "1",
            "--course-days", "10", "--inlet-flow-ml-min", "80",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Kaplan" in out and "at 80 mL/min" in out
    assert "Warning:" in out and "Note:" in out
    assert "Tue 2026-12-01" in out  # Monday, Tuesday, Wednesday (daily)


def test_plan_bad_input_exits_2_with_a_readable_message():
    runner = CliRunner()
    result = runner.invoke(app, ["plan", *PLAN_ARGS[:-1], "40"])
    assert result.exit_code == 2
    assert "hematocrit" in result.stderr and "percentage" in result.stderr
    infeasible = runner.invoke(app, ["plan", *PLAN_ARGS, "--exchanges", "7", "--course-days", "10"])
    assert infeasible.exit_code == 2
    assert "- exchanges=" in infeasible.stderr
    assert infeasible.stdout == ""
    bad_date = runner.invoke(app, ["plan", *PLAN_ARGS, "--start-date", "30/11/2026"])
    assert bad_date.exit_code == 2
    assert "Cannot plan: start_date" in bad_date.stderr


def test_plan_help_lists_the_options():
    result = CliRunner().invoke(app, ["plan", "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    for option in ("--sex", "--height-cm", "--weight-kg", "--hematocrit", "--volume-method",
                   "--plasma-volumes-per-exchange", "--exchanges", "--start-date"):  # fmt: skip
        assert option in result.stdout
