"""ASGI application factory: composes the API and the web app (no engine at import time).

``uvicorn --factory plexms.app:create_app`` serves it; ``plexms serve`` does the same.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from plexms import __version__
from plexms.api import install as install_api
from plexms.api.logs import configure_logging
from plexms.clock import utcnow
from plexms.services import ops
from plexms.settings import Settings, get_settings
from plexms.store.database import Database

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
) -> FastAPI:
    """The plexms service: API under ``/api``, the web app (when installed) at ``/``.

    The database opens when the app starts serving (lifespan) or, for in-process tests, on
    first use of ``app.state.db``; ``auto_migrate`` applies migrations at start-up.
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_warm_up, app)
        yield
        app.state.db.dispose()

    app = FastAPI(
        title="plexms",
        version=__version__,
        summary="Therapeutic plasma exchange (TPE) programme for multiple sclerosis",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.db = ops.prepare_database(settings, migrate_first=settings.auto_migrate)
    install_api(app)
    _install_web(app, settings)
    return app


def _warm_up(app: FastAPI) -> None:
    """Before the first request: compile the page templates and open the pool's database
    connections (the first visitors of a freshly started worker would otherwise pay for it,
    all at once when many arrive together). Never fatal:
    a database that is down is reported by ``/api/health``, not by a worker that won't start."""
    importlib.import_module("plexms.web.templating").warm_up()
    db: Database = app.state.db
    settings: Settings = app.state.settings
    try:
        with ExitStack() as stack:  # the pool's connections opened now, then kept
            for _ in range(settings.db_pool_size):
                stack.enter_context(db.engine.connect()).exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        structlog.get_logger("plexms.app").warning(
            "warm_up_database_unavailable", error=type(exc).__name__
        )


def _install_web(app: FastAPI, settings: Settings) -> None:
    try:
        web = importlib.import_module("plexms.web")
    except ImportError:  # pragma: no cover - the web package ships with plexms
        return
    install = getattr(web, "install", None)
    if callable(install):
        install(app, settings)
