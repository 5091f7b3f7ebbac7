"""Browser tests: Playwright for Python driving Debian's chromium against a live server.

One live server (``tests/live.py``: uvicorn on 127.0.0.1, a free port, a temporary SQLite
database) and one browser per session; each test gets a fresh browser context (cookies).
axe-core (vendored under ``tests/web/vendor``) is injected into every page by an init script,
which the page's CSP does not apply to; :func:`check_a11y` fails on serious or critical
violations. Every page's console is watched for CSP violations. Screenshots go to
``var/artifacts/screenshots``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PLEXMS_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "tests" / "web" / "vendor" / "axe.min.js"
SHOTS = ROOT / "var" / "artifacts" / "screenshots"
DEMO_PASSWORD = "demo-password-for-tests"


def build_app(tmp: Path) -> Any:
    """The real application on a fresh SQLite database, seeded with the demo clinic."""
    os.environ["PLEXMS_DEMO_PASSWORD"] = DEMO_PASSWORD
    from plexms.app import create_app
    from plexms.settings import Settings
    from tests.web.conftest import seed_clinic

    settings = Settings(
        database_url=f"sqlite:///{tmp / 'e2e.sqlite3'}",
        data_dir=tmp,
        secret_key="e2e-secret-key-not-for-production",
        demo_password=DEMO_PASSWORD,
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        log_json=False,
        log_level="WARNING",
    )
    app = create_app(settings)  # migrates the new database (auto_migrate), as `plexms serve`
    seed_clinic(settings)  # the seed clinic (US units) and one user per role
    app.state.web = dataclasses.replace(app.state.web, referral_min_fill_seconds=0.0)
    return app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running plexms."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser`")
    app = build_app(tmp_path_factory.mktemp("e2e"))
    with LiveServer(app, log_level="warning") as server:
        yield server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", autouse=True)
def _screenshot_dir() -> None:
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh tab (own cookies) at tablet width, failing on any CSP violation."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1024, "height": 900}, locale="en-US"
    )
    context.add_init_script(path=str(AXE))
    context.set_default_timeout(30_000)  # a deadline for a busy machine, not a speed claim
    tab = context.new_page()
    problems: list[str] = []
    tab.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield tab
    context.close()
    assert not problems, problems


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot of this step."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check_a11y(page: Any) -> None:
    """Fail on serious or critical axe-core violations on the current page."""
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
