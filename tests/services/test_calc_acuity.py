"""``calc acuity``: one value in any notation, or both eyes with the Visual FS grade."""

from __future__ import annotations

from typing import Any

import pytest

from plexms.services import calc


def _ok(request: dict[str, Any]) -> dict[str, Any]:
    outcome = calc.run("acuity", request)
    assert outcome.ok, outcome.body
    return outcome.body


def _error(request: dict[str, Any]) -> dict[str, Any]:
    outcome = calc.run("acuity", request)
    assert not outcome.ok
    return outcome.body["error"]


@pytest.mark.parametrize(
    ("request_", "logmar", "decimal", "feet", "metres", "letters"),
    [
        ({"value": "20/40"}, 0.3, 0.5, "20/40", "6/12", 70),
        ({"value": "6/12"}, 0.3, 0.5, "20/40", "6/12", 70),
        ({"value": "20/40-2"}, 0.34, 0.456, "20/40-2", "6/12-2", 68),
        ({"value": 0.5, "notation": "decimal"}, 0.3, 0.5, "20/40", "6/12", 70),
        ({"value": 1, "notation": "logmar"}, 1.0, 0.1, "20/200", "6/60", 35),
        ({"value": 85, "notation": "etdrs"}, 0.0, 1.0, "20/20", "6/6", 85),
        ({"value": "CF"}, 1.9, 0.0126, "CF", "CF", 0),
        ({"value": "HM"}, 2.3, 0.00501, "HM", "HM", 0),
        ({"value": "LP"}, 2.7, 0.002, "LP", "LP", 0),
        ({"value": "NLP"}, 3.0, 0.001, "NLP", "NLP", 0),
    ],
)
def test_contract_of_the_issue(
    request_: dict[str, Any], logmar: float, decimal: float, feet: str, metres: str, letters: int
) -> None:
    body = _ok(request_)
    assert body["logmar"] == logmar
    assert body["decimal"] == decimal
    assert (body["snellen_20"], body["snellen_6"]) == (feet, metres)
    assert body["etdrs_letters"] == letters
    assert {s["key"] for s in body["sources"]} >= {"GREGORI_2010", "SCHULZE_BONSEL_2006"}


def test_notes_say_how_a_value_was_read() -> None:
    assert "0.02 logMAR each" in _ok({"value": "20/40-2"})["notes"][0]
    assert "read on the next line" in _ok({"value": "20/40+1"})["notes"][0]
    assert "conventional equivalents" in _ok({"value": "CF"})["notes"][0]
    assert "nearest chart line" in _ok({"value": 0.45, "notation": "decimal"})["notes"][0]
    assert "0 letters" in _ok({"value": 2.0, "notation": "logmar"})["notes"][-1]
    assert _ok({"value": "20/40"})["notes"] == []


def test_both_eyes_give_the_visual_fs_grade() -> None:
    body = _ok({"right": {"value": "20/70"}, "left": {"value": "20/200"}})
    assert body["right"]["snellen_6"] == "6/21"
    assert body["left"]["visual_fs_band"] == {"grade": 4, "band": "0.20-0.10"}
    fs = body["visual_fs"]
    assert (fs["grade"], fs["worse_eye"]) == (5, "left")
    assert "0.33 or less" in fs["rule"]
    assert fs["source"]["key"] == "NEUROSTATUS_2010"
    assert "scotoma" in fs["note"]
    assert "NEUROSTATUS_2010" in {s["key"] for s in body["sources"]}


def test_one_eye_alone_has_no_visual_fs() -> None:
    body = _ok({"right": {"value": 0.3, "notation": "logmar"}})
    assert body["right"]["snellen_20"] == "20/40"
    assert "left" not in body and "visual_fs" not in body


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"value": "20/abc"}, "value"),
        ({"value": 0.5}, "notation"),
        ({"value": "20/40", "notation": "decimal"}, "notation"),
        ({"value": 3.5, "notation": "logmar"}, "value"),
        ({"value": 101, "notation": "etdrs"}, "value"),
        ({"value": True, "notation": "decimal"}, "value"),
        ({"value": 0.5, "notation": "snellen"}, "notation"),
        ({"value": "20/40", "right": {"value": "20/40"}}, "value"),
        ({"notation": "decimal", "right": {"value": 0.5}}, "notation"),
        ({}, "value"),
        ({"right": {"value": 0.5}}, "right.notation"),
        ({"left": {"value": "20/x"}}, "left.value"),
        ({"left": {"value": "20/40", "extra": 1}}, "left.extra"),
    ],
)
def test_errors_name_the_field(request_: dict[str, Any], field: str) -> None:
    error = _error(request_)
    assert error["field"].startswith(field), error
