"""The pages that need only the calculations: planner and live EDSS, in real Chromium."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, SHOTS, check_a11y, shot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_planner_compares_four_plans(page: Any) -> None:
    page.goto("/planner")
    check_a11y(page)
    page.fill("#f-start_date", "2026-12-07")
    page.click("button[type=submit]")
    page.wait_for_selector("#result table.compare-table")
    volumes = page.locator('[data-k="exchange_volume_ml"]').all_inner_texts()
    assert volumes[0] == "2,260 mL" and volumes[2] == "3,390 mL"
    assert page.locator("svg.chart").count() == 2
    assert page.get_by_text("Exchange 5").is_visible()
    check_a11y(page)
    shot(page, "planner")
    shutil.copyfile(SHOTS / "planner.png", ROOT / "docs" / "images" / "planner.png")


def test_planner_shows_invalid_input_beside_the_field(page: Any) -> None:
    page.goto("/planner")
    page.fill("#f-hematocrit", "forty")
    page.click("button[type=submit]")
    message = page.locator("#e-hematocrit")
    message.wait_for()
    assert "not a number" in message.inner_text()
    check_a11y(page)
    shot(page, "planner-invalid")


def test_edss_is_computed_live_as_grades_change(page: Any) -> None:
    page.goto("/scores")
    assert page.locator("#edss-value").inner_text() == "0.0"
    for name, grade in (
        ("visual", "1"),
        ("brainstem", "2"),
        ("pyramidal", "1"),
        ("cerebellar", "3"),
        ("sensory", "1"),
        ("bowel_bladder", "4"),
        ("cerebral", "2"),
    ):
        page.select_option(f"#f-fs_{name}", grade)
    page.select_option("#f-ambulation_score", "1")
    expect(page.locator("#edss-value")).to_have_text("4.0", timeout=15_000)
    check_a11y(page)
    shot(page, "edss")
