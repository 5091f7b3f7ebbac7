"""calc fit's refusals (each names its field) and the explicit priors a stored course passes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from plexms.core.errors import InputError
from plexms.services.calc import fit

DATA = Path(__file__).parent.parent / "data" / "calc" / "fit"
BASE: dict[str, Any] = json.loads((DATA / "typical_igg_fibrinogen.request.json").read_text())
DRUG: dict[str, Any] = json.loads((DATA / "natalizumab_drug_level.request.json").read_text())


def _field(payload: dict[str, Any]) -> str:
    with pytest.raises(InputError) as err:
        fit.CALCULATOR.evaluate(payload, now=None)
    return err.value.field


def test_refusals_name_the_field() -> None:
    assert _field({**BASE, "priors": "registry"}) == "priors"
    bad_prior = {"igg": {"half_life": {"median": 400.0, "sd_log": 0.2}}}
    assert _field({**BASE, "priors": "centre", "prior_parameters": bad_prior}) == (
        "prior_parameters.igg.half_life"
    )
    drug = copy.deepcopy(DRUG)
    drug["measurements"][2]["unit"] = "ng/mL"
    assert _field(drug) == "measurements[2].unit"
    assert _field({**BASE, "predict_at": ["2026-11-01T00:00:00+00:00"]}) == "predict_at[0]"
    unit = copy.deepcopy(BASE)
    unit["measurements"][5]["unit"] = "mmol/L"
    assert _field(unit) == "measurements[5].unit"


def test_explicit_priors_move_the_fit() -> None:
    slow = {"elimination_half_life_h": {"median": 900.0, "sd_log": 0.05}}
    answer = fit.CALCULATOR.evaluate(
        {**BASE, "priors": "registry", "prior_parameters": {"igg": slow}}, now=None
    )
    body = fit.fit_json(answer)
    igg = body["substances"]["igg"]
    assert body["priors"] == "registry" and igg["prior"] == "registry"
    assert igg["population_parameters"]["elimination_half_life_h"]["median"] == 900.0
    assert igg["parameters"]["elimination_half_life_h"]["value"] > 800
    assert body["substances"]["fibrinogen"]["prior"] == "population"


def test_default_curve_runs_past_the_course() -> None:
    payload = {k: v for k, v in BASE.items() if k != "predict_at"}
    body = fit.fit_json(fit.CALCULATOR.evaluate(payload, now=None))
    times = [p["at"] for p in body["substances"]["igg"]["predicted"]]
    assert times[0] == body["time_zero"] and times[-1] >= "2026-11-28"
    assert len(times) == len(set(times)) > 40
