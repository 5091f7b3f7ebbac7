"""A worker warms up before its first request: every template compiled, database connections
open; a database that is down does not stop the worker from starting."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from plexms.app import create_app
from plexms.settings import Settings
from plexms.web import templating


def _lifespan(app) -> int:  # type: ignore[no-untyped-def]
    """Start and stop ``app``; the connections waiting in its pool while it served."""

    async def go() -> int:
        async with app.router.lifespan_context(app):
            return int(app.state.db.engine.pool.checkedin())

    # in a thread of its own: another test (Playwright's sync API) may leave this thread's
    # event loop marked as running
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


def test_every_template_compiles_at_warm_up() -> None:
    names = sorted(p.name for p in templating.TEMPLATES_DIR.glob("*.html"))
    assert templating.warm_up() == len(names) > 20
    cached = {key[1] for key in templating._ENV.cache}  # (loader, name)
    assert set(names) <= cached


def test_lifespan_opens_the_pool(settings: Settings) -> None:
    app = create_app(settings)
    assert _lifespan(app) >= 2


def test_a_database_that_is_down_does_not_stop_the_worker(tmp_path: Path) -> None:
    down = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1",
        data_dir=tmp_path,
        secret_key="test-secret",
        auto_migrate=False,
    )
    assert _lifespan(create_app(down)) == 0
