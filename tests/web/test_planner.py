"""The planner asks calc plan for four plans and lays them side by side."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, web_app

FORM = {
    "sex": "female",
    "height": "65",  # in (the seed clinic's units)
    "weight": "132",  # lb
    "hematocrit": "40",  # %
    "start_date": "2026-12-07",
    "pv": "1.0",
    "exchanges": "5",
    "course_days": "16",
    "interval_days": "2",
}


def _post(**changes: str) -> tuple[int, str]:
    client = TestClient(web_app())
    token = csrf_of(client.get("/planner").text)
    response = client.post("/planner", data={**FORM, **changes, "csrf_token": token})
    return response.status_code, response.text


def test_four_plans_side_by_side_with_schedule_and_charts() -> None:
    status, html = _post()
    assert status == 200
    for label in ("1.0 PV × 5", "1.0 PV × 7", "1.5 PV × 5", "1.5 PV × 7"):
        assert label in html
    volumes = re.findall(r'data-k="exchange_volume_ml">([\d,]+) mL<', html)
    assert len(volumes) == 4
    one, _, one_and_half, _ = (int(v.replace(",", "")) for v in volumes)
    assert abs(one_and_half - 1.5 * one) <= 1
    assert html.count('class="chart"') == 2 and "Calendar" in html
    assert "09:00" in html and "America/Los_Angeles" in html


def test_values_typed_in_other_units_are_understood() -> None:
    _, us = _post()
    _, si = _post(height="5 ft 5 in", weight="59.87419 kg", hematocrit="0.40 L/L")
    pick = re.compile(r'data-k="exchange_volume_ml">([\d,]+) mL<')
    assert pick.findall(us)[0] == pick.findall(si)[0]


def test_invalid_input_is_shown_beside_the_field() -> None:
    status, html = _post(hematocrit="abc")
    assert status == 422 and 'id="e-hematocrit"' in html and "not a number" in html
    status, html = _post(weight="9000 lb")  # refused by the calculation, shown by the field
    assert status == 422 and 'id="e-weight"' in html and "adult range" in html
