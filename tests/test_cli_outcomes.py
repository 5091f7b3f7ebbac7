"""`plexms calc edss|acuity|response` through the real command line (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from plexms.cli import app

PLEXMS = Path(sys.executable).with_name("plexms")
FS = {
    "visual": 3,
    "brainstem": 1,
    "pyramidal": 2,
    "cerebellar": 0,
    "sensory": 1,
    "bowel_bladder": 0,
    "cerebral": 1,
}


def _run(*args: str, stdin: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PLEXMS), *args],
        input=json.dumps(stdin),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_edss_one_request() -> None:
    result = _run("calc", "edss", stdin={"fs": FS, "ambulation_score": 2})
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["edss"], body["fs_step"], body["ambulation_minimum"]) == (4.5, 2.5, 4.5)
    assert body["converted_fs"]["visual"] == 2
    assert "decided by the ambulation" in body["explanation"]


def test_edss_batch_with_a_bad_element_exits_3() -> None:
    batch = [
        {"fs": FS, "ambulation_score": 2},
        {"fs": {**FS, "visual": 7}, "ambulation_score": 2},
        {"fs": FS, "walking": {"distance_m": 250, "aid": "none"}},
    ] * 500
    result = _run("calc", "edss", stdin=batch)
    assert result.returncode == 3, result.stderr
    answers = json.loads(result.stdout)
    assert len(answers) == 1500
    assert [a.get("edss") for a in answers[:3]] == [4.5, None, 5.0]
    assert answers[1]["error"] == {
        "field": "fs.visual",
        "message": "7 is out of range",
        "allowed": '0-6, or null or "X" when not assessable',
    }


def test_edss_bad_single_request_exits_2() -> None:
    result = _run("calc", "edss", stdin={"fs": {**FS, "cerebral": 6}, "ambulation_score": 0})
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["field"] == "fs.cerebral"
    assert error["allowed"].startswith("0-5")


def test_acuity_and_response() -> None:
    acuity = _run(
        "calc", "acuity", stdin=[{"value": "20/40-2"}, {"value": 55, "notation": "etdrs"}]
    )
    assert acuity.returncode == 0, acuity.stderr
    first, second = json.loads(acuity.stdout)
    assert (first["logmar"], first["snellen_6"], first["etdrs_letters"]) == (0.34, "6/12-2", 68)
    assert (second["logmar"], second["snellen_20"]) == (0.6, "20/80")
    response = _run(
        "calc",
        "response",
        stdin={
            "baseline": {"edss": 6.0, "logmar": {"right": 1.0, "left": 0.1}},
            "followup": {"edss": 5.5},
            "pre_relapse": {"edss": 3.0},
            "tnd": "moderate",
            "indication": "relapse",
        },
    )
    assert response.returncode == 0, response.stderr
    criteria = json.loads(response.stdout)["criteria"]
    assert {name: c["result"] for name, c in criteria.items()} == {
        "edss_standard": "improved",
        "llufriu_2009": "not_improved",
        "tnd": "responder",
        "recovery": "partial",
        "relapse_severity": "severe",
    }


def test_help_and_schema() -> None:
    runner = CliRunner()
    help_text = runner.invoke(app, ["calc", "edss", "--help"], terminal_width=200).output
    assert "ambulation_score" in help_text and "KURTZKE_1983" in help_text
    schema = runner.invoke(app, ["calc", "edss", "--schema"])
    assert schema.exit_code == 0
    assert "bowel_bladder" in json.loads(schema.output)["$defs"]["FunctionalSystems"]["properties"]
    for name in ("acuity", "response"):
        assert runner.invoke(app, ["calc", name, "--schema"]).exit_code == 0
