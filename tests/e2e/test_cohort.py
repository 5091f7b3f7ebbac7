"""The protocol comparison page in real Chromium: the form submitted (htmx), the chart and the
table appear, axe-core finds no serious or critical violation, a screenshot is saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_cohort_compares_protocols_in_the_browser(page: Any) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", "physician")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Protocols").click()
    page.wait_for_url("**/cohort")
    page.fill("input[name=n]", "5000")
    page.get_by_role("button", name="Compare protocols").click()
    page.locator("#cohort-table").wait_for()
    assert page.locator("svg#chart-cohort").count() == 1
    rows = page.locator("#cohort-table tbody tr")
    assert rows.count() == 4
    assert "5 x 1.0 PV, daily" in rows.nth(3).inner_text()
    check_a11y(page)
    shot(page, "cohort")
