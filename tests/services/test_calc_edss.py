"""``calc edss``: the JSON contract, errors naming field and range, and the batch path."""

from __future__ import annotations

import gc
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexms.core.policy import CentrePolicy
from plexms.core.sources import SOURCES
from plexms.services import calc
from plexms.services.calc import run_one
from plexms.services.calc.edss import CALCULATOR, run_batch

POLICY = CentrePolicy()
FS = {
    "visual": 3,
    "brainstem": 1,
    "pyramidal": 2,
    "cerebellar": 0,
    "sensory": 1,
    "bowel_bladder": 0,
    "cerebral": 1,
}


def _without(fs: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in fs.items() if k != name}


def _ok(request: dict[str, Any]) -> dict[str, Any]:
    outcome = calc.run("edss", request)
    assert outcome.ok, outcome.body
    return outcome.body


def _error(request: Any) -> dict[str, Any]:
    outcome = calc.run("edss", request)
    assert not outcome.ok and not outcome.batch
    return outcome.body["error"]


def test_contract_of_the_issue() -> None:
    body = _ok({"fs": FS, "ambulation_score": 2})
    for key in ("edss", "fs_step", "ambulation_minimum", "converted_fs", "explanation"):
        assert key in body
    assert body["edss"] == 4.5
    assert body["fs_step"] == 2.5
    assert body["ambulation_minimum"] == 4.5
    assert body["decided_by"] == "ambulation"
    assert body["converted_fs"]["visual"] == 2
    assert body["variant"] == "neurostatus"
    assert body["not_counted"] == []
    assert body["uncertain"] is False
    assert body["edss_range"] == [4.5, 4.5]
    assert "decided by the ambulation" in body["explanation"]
    assert all(key in SOURCES for key in body["sources"])
    json.dumps(body)


def test_walking_instead_of_the_score() -> None:
    body = _ok({"fs": FS, "walking": {"distance_m": 250, "aid": "none"}})
    assert (body["ambulation_score"], body["edss"]) == (3, 5.0)
    body = _ok({"fs": FS, "walking": {"aid": "wheelchair_with_help"}})
    assert (body["ambulation_score"], body["edss"]) == (11, 7.5)
    body = _ok({"fs": FS, "walking": {"distance_m": 700, "restricted": True}})
    assert (body["ambulation_score"], body["edss"]) == (1, 2.5)


def test_best_of_several_walks() -> None:
    walks = [{"distance_m": 40, "aid": "unilateral"}, {"distance_m": 130, "aid": "bilateral"}]
    body = _ok({"fs": dict.fromkeys(FS, 0), "walking": walks})
    assert (body["ambulation_score"], body["edss"]) == (7, 6.0)


def test_not_assessable_and_not_due_to_ms() -> None:
    body = _ok({"fs": {**FS, "cerebellar": "X", "visual": None}, "ambulation_score": 0})
    assert body["not_counted"] == [
        {"fs": "visual", "reason": "not_assessable"},
        {"fs": "cerebellar", "reason": "not_assessable"},
    ]
    assert body["converted_fs"]["cerebellar"] is None
    assert body["uncertain"] is True
    assert body["edss_range"] == [2.0, 5.0]
    body = _ok(
        {"fs": {**FS, "pyramidal": 4}, "ambulation_score": 0, "not_due_to_ms": ["pyramidal"]}
    )
    assert body["not_counted"] == [{"fs": "pyramidal", "reason": "not_due_to_ms"}]
    assert body["edss"] == 2.0


def test_variants() -> None:
    fs = dict.fromkeys(FS, 0) | {"cerebral": 1}
    assert _ok({"fs": fs, "ambulation_score": 1})["edss"] == 2.0
    kurtzke = _ok({"fs": fs, "ambulation_score": 1, "variant": "kurtzke_1983"})
    assert (kurtzke["edss"], kurtzke["variant"]) == (4.0, "kurtzke_1983")
    assert kurtzke["converted_fs"]["cerebral"] == 0
    custom = _ok({"fs": fs, "ambulation_score": 0, "cerebral_grade_1_counts": False})
    assert custom["edss"] == 0.0
    assert custom["variant"].startswith("custom: cerebral grade 1 does not count")
    override = _ok(
        {
            "fs": fs,
            "ambulation_score": 1,
            "variant": "kurtzke_1983",
            "ambulation_score_1_minimum": 2,
        }
    )
    assert override["edss"] == 2.0


@pytest.mark.parametrize(
    ("request_", "field", "allowed"),
    [
        ({"fs": {**FS, "visual": 7}, "ambulation_score": 0}, "fs.visual", '0-6, or null or "X"'),
        ({"fs": {**FS, "brainstem": 6}, "ambulation_score": 0}, "fs.brainstem", "0-5"),
        ({"fs": {**FS, "cerebral": -1}, "ambulation_score": 0}, "fs.cerebral", "0-5"),
        ({"fs": {**FS, "cerebral": 1.5}, "ambulation_score": 0}, "fs.cerebral", "0-5"),
        ({"fs": {**FS, "cerebral": True}, "ambulation_score": 0}, "fs.cerebral", "0-5"),
        ({"fs": {**FS, "cerebral": "Y"}, "ambulation_score": 0}, "fs.cerebral", "0-5"),
        ({"fs": FS, "ambulation_score": 17}, "ambulation_score", "<= 16"),
        ({"fs": FS, "ambulation_score": -1}, "ambulation_score", ">= 0"),
        ({"fs": FS}, "ambulation_score", "0-16"),
        ({"fs": FS, "ambulation_score": 2, "walking": {"distance_m": 9}}, "walking", None),
        ({"fs": FS, "walking": {"aid": "unilateral"}}, "walking.distance_m", ">= 0"),
        ({"fs": FS, "walking": {"distance_m": -5}}, "walking.0.distance_m", ">= 0"),
        ({"fs": FS, "walking": [{"distance_m": 9}, {"aid": "bilateral"}]}, "walking.1", None),
        ({"fs": FS, "walking": {"aid": "crutch", "distance_m": 9}}, "walking", None),
        (
            {"fs": FS, "ambulation_score": 0, "ambulation_score_1_minimum": 3},
            "ambulation_score_1_minimum",
            "2.0 or 4.0",
        ),
        ({"fs": FS, "ambulation_score": 0, "not_due_to_ms": ["vision"]}, "not_due_to_ms", None),
        ({"fs": _without(FS, "sensory"), "ambulation_score": 0}, "fs.sensory", None),
        ({"fs": {**FS, "other": 1}, "ambulation_score": 0}, "fs.other", None),
        ({"fs": FS, "ambulation_score": 0, "extra": 1}, "extra", None),
    ],
)  # fmt: skip
def test_errors_name_the_field_and_range(
    request_: dict[str, Any], field: str, allowed: str | None
) -> None:
    error = _error(request_)
    assert error["field"].startswith(field), error
    if allowed is not None:
        assert allowed in error["allowed"], error


def test_request_must_be_an_object() -> None:
    assert _error("edss")["field"] == "request"


def test_single_answers_can_be_changed_safely() -> None:
    request = {"fs": {**FS, "cerebellar": None}, "ambulation_score": 0}
    first = _ok(request)
    first["not_counted"].append("changed")
    first["not_counted"][0]["fs"] = "changed"
    first["edss_range"].append(0)
    first["sources"].clear()
    again = _ok(request)
    assert again["not_counted"] == [{"fs": "cerebellar", "reason": "not_assessable"}]
    assert len(again["edss_range"]) == 2 and again["sources"]


def test_batch_answers_in_order_with_errors_in_place() -> None:
    batch = [
        {"fs": FS, "ambulation_score": 2},
        {"fs": {**FS, "visual": 9}, "ambulation_score": 0},
        {"fs": FS, "walking": {"distance_m": 250, "aid": "none"}},
        "not an object",
    ]
    outcome = calc.run("edss", batch)
    assert outcome.batch and not outcome.ok
    first, bad, third, fourth = outcome.body
    assert first["edss"] == 4.5
    assert bad["error"]["field"] == "fs.visual"
    assert third["edss"] == 5.0
    assert fourth["error"]["field"] == "request"
    assert calc.run("edss", [{"fs": FS, "ambulation_score": 0}]).ok


def test_schema_documents_the_grades() -> None:
    schema = CALCULATOR.request_model.model_json_schema()
    text = json.dumps(schema)
    assert '"maximum": 6' in text and '"enum": ["X", "x"]' in text


# --- the batch path answers exactly as run_one does ---------------------------------------
_grade = st.one_of(
    st.integers(-1, 7),
    st.sampled_from([None, "X", "x", "3", 2.0, 2.5, True, False]),
)
_fs = st.one_of(
    st.fixed_dictionaries(dict.fromkeys(FS, _grade)),
    st.fixed_dictionaries({name: st.integers(0, 5) for name in FS}),
    st.dictionaries(st.sampled_from([*FS, "other"]), st.integers(0, 5), max_size=8),
    st.sampled_from([None, [], "fs", 3]),
)
_walk = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "aid": st.sampled_from(
                ["none", "unilateral", "bilateral", "wheelchair_without_help", "bed_chair", "x", 1]
            ),
            "distance_m": st.one_of(
                st.none(),
                st.integers(-5, 1000),
                st.floats(allow_nan=True, allow_infinity=True),
                st.sampled_from([True, "10", 100_001]),
            ),
            "restricted": st.sampled_from([True, False, 1, None]),
            "speed": st.just(1),
        },
    ),
    st.sampled_from([None, [], "far", 5]),
)
_score = st.one_of(st.integers(-1, 17), st.sampled_from([None, 2.0, True, "2"]))
_item = st.one_of(
    st.builds(lambda fs, a: {"fs": fs, "ambulation_score": a}, _fs, _score),
    st.builds(lambda fs, w: {"fs": fs, "walking": w}, _fs, _walk),
    st.builds(lambda fs, w: {"fs": fs, "walking": [w, w]}, _fs, _walk),
    st.builds(lambda fs, a: {"fs": fs, "ambulation_score": a, "variant": "kurtzke_1983"},
              _fs, _score),
    st.builds(lambda fs: {"fs": fs}, _fs),
    st.sampled_from([None, 1, "x", [], {}]),
)  # fmt: skip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(_item, max_size=6))
def test_batch_path_is_identical_to_run_one(items: list[Any]) -> None:
    assert run_batch(items, POLICY) == [run_one(CALCULATOR, item, POLICY) for item in items]


def test_batch_path_restores_the_garbage_collector() -> None:
    assert gc.isenabled()
    run_batch([{"fs": FS, "ambulation_score": 0}, {"fs": FS}], POLICY)
    assert gc.isenabled()
    gc.disable()
    try:
        run_batch([{"fs": FS, "ambulation_score": 0}], POLICY)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_batch_path_on_every_plain_shape() -> None:
    items: list[Any] = [
        {"fs": {**FS, "pyramidal": g}, "ambulation_score": a} for g in range(7) for a in range(17)
    ]
    items += [
        {"fs": FS, "walking": {"aid": aid, "distance_m": d}}
        for aid in ("none", "unilateral", "bilateral")
        for d in (0, 4.9, 5, 49, 50, 99, 100, 119, 120, 199, 200, 299, 300, 499, 500, 100_000)
    ]
    items += [{"fs": FS, "walking": {"aid": "bed_chair"}}, {"fs": FS, "walking": {}}]
    items += [
        {"fs": FS, "walking": {"distance_m": d}}
        for d in (-1, math.inf, math.nan, True, "10", 100_001, None)
    ]
    items += [
        {"fs": FS, "walking": {"distance_m": 50, "aid": "crutch"}},
        {"fs": FS, "walking": {"distance_m": 50, "aid": 1}},
        {"fs": FS, "walking": {"distance_m": 600, "restricted": 1}},
        {"fs": FS, "walking": {"distance_m": 600, "restricted": True}},
    ]
    items += [
        {"fs": {**FS, "visual": 9}, "ambulation_score": 1},
        {"fs": FS, "ambulation_score": 99},
    ]
    assert run_batch(items, POLICY) == [run_one(CALCULATOR, item, POLICY) for item in items]
