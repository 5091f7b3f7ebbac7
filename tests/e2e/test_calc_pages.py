"""The pages that need only the calculations: planner, EDSS and visual acuity."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import check_a11y, shot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_planner_page_is_accessible(page: Any) -> None:
    page.goto("/planner")
    assert page.get_by_role("heading", name="Course planner").is_visible()
    check_a11y(page)
    shot(page, "planner-form")
