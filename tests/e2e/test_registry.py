"""The registry page in real Chromium: filter by keyboard, the table and chart update (htmx),
axe-core finds no serious or critical violation, a screenshot is saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


@pytest.fixture
def registry_loaded(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """30 synthetic registry patients in the live server's seed clinic (once per session).

    The live server's SQLite file sits in the session's ``e2e*`` temporary directory
    (``tests/e2e/conftest.build_app``); the rows go in through the registry service.
    """
    from plexms.services.context import Actor, ServiceContext
    from plexms.services.sharing import registry, registry_demo
    from plexms.store.database import Database

    files = sorted(
        Path(tmp_path_factory.getbasetemp()).glob("e2e*/e2e.sqlite3"),
        key=lambda p: p.stat().st_mtime,
    )
    assert files, "live server database not found"
    db = Database(f"sqlite:///{files[-1]}")
    try:
        from sqlalchemy import select

        from plexms.store.models import User

        with db.read() as session:
            user = session.execute(select(User).where(User.username == "admin")).scalar_one()
            ctx = ServiceContext(db=db, actor=Actor(user.id, "admin", "admin", user.centre_id))
        if registry.dashboard(ctx).courses < 30:
            registry_demo.load_registry(ctx, 30, centre_id=user.centre_id, seed=11)
    finally:
        db.dispose()


def test_registry_filters_by_keyboard(page: Any, registry_loaded: None) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", "physician")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registry").click()
    page.wait_for_url("**/registry")
    total = int(page.locator("#n-listed").inner_text().replace(",", ""))
    assert total >= 30
    assert page.locator("svg#chart-onset").count() == 1
    check_a11y(page)
    # keyboard only: choose an indication and a response, submit with Enter
    page.focus("#f-indication")
    page.keyboard.press("ArrowDown")  # first indication after "all indications": relapse
    page.select_option("#f-response", "responder")
    page.focus("#f-start_from")
    page.keyboard.press("Enter")
    page.wait_for_url("**/registry?*indication=relapse*")
    page.wait_for_function(
        f"Number(document.querySelector('#n-listed').textContent.replace(/,/g, '')) < {total}"
    )
    indications = page.locator("#courses tbody td:nth-child(3)").all_inner_texts()
    assert indications and set(indications) == {"relapse"}
    responses = page.locator("#courses tbody td:nth-child(8)").all_inner_texts()
    assert set(responses) == {"responder (TND moderate or marked)"}
    assert page.locator("#f-indication").input_value() == "relapse"
    assert "indication=relapse" in (page.locator("#csv-link").get_attribute("href") or "")
    check_a11y(page)
    shot(page, "registry")
