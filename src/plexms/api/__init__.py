"""FastAPI JSON routers, problem+json errors, request ids, metrics; ``install(app)``."""

from __future__ import annotations

from fastapi import FastAPI

from plexms.api.middleware import (
    BodyLimitMiddleware,
    Metrics,
    RequestMiddleware,
    WriteNoteMiddleware,
)
from plexms.api.problems import install_problem_handlers, problem_responses
from plexms.api.routes import admin, auth, calc, patients, system
from plexms.services import ops

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add the API's routes, error handlers and middleware to ``app``."""
    install_problem_handlers(app)
    errors = problem_responses()
    for router in (system.router, auth.router, patients.router, admin.router):
        app.include_router(router, responses=errors)
    app.include_router(calc.build_router(), responses=problem_responses(validation=False))
    for module in _optional_routers():
        app.include_router(module.router, responses=errors)
    app.state.metrics = Metrics()
    # inner to outer: the body limit answers with the request id RequestMiddleware assigns
    app.add_middleware(
        BodyLimitMiddleware,
        limits={"/api/calc/": calc.MAX_CALC_BODY_BYTES, "/api/federation/": 16 * 1024},
    )
    if app.state.settings.database_replica_url:
        # read-your-writes: inside RequestMiddleware, which keeps the request's user id
        app.add_middleware(WriteNoteMiddleware, note=lambda user_id: _note_write(app, user_id))
    app.add_middleware(RequestMiddleware, metrics=app.state.metrics)


def _note_write(app: FastAPI, user_id: int) -> None:
    ops.note_write(app.state.db, user_id, app.state.clock())


def _optional_routers() -> list:  # type: ignore[type-arg]
    from plexms.api import routes_interop
    from plexms.api.routes import (
        access,
        clinical,
        federation,
        feeds,
        kinetics,
        records,
        referrals,
        resources,
        supplies,
    )

    return [
        referrals,
        clinical,
        kinetics,
        records,
        access,
        resources,
        supplies,
        routes_interop,
        feeds,
        federation,
    ]
