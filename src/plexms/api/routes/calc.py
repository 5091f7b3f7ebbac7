"""``POST /api/calc/{name}``: each ``plexms calc`` calculator over HTTP (signed-in users).

One explicit route per calculator, same JSON contract as the command line (one object or an
array; errors ``{"error": {"field", "message", "allowed"}}``) through ``calc.run`` with the
centre's policy and the request's clock. A bad single request answers 422; a batch always 200
(errors in place).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from plexms.api.deps import requires
from plexms.api.problems import PROBLEM_JSON, Problem
from plexms.services import calc as calc_service
from plexms.services.admin import centres
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission

__all__ = ["build_router"]

Calc = Annotated[ServiceContext, requires(Permission.CALC)]


def _route(calc: calc_service.Calculator[Any, Any]) -> Any:
    def endpoint(ctx: Calc, payload: Annotated[Any, Body()]) -> JSONResponse:
        policy = centres.centre_policy(ctx)
        outcome = calc_service.run(calc.name, payload, policy, now=ctx.now)
        status = 200 if outcome.ok or outcome.batch else 422
        return JSONResponse(outcome.body, status_code=status)

    endpoint.__name__ = f"calc_{calc.name}"
    endpoint.__doc__ = f"{calc.summary}\n\n{calc.help}"
    return endpoint


def _request_schema(calc: calc_service.Calculator[Any, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = calc.request_model.model_json_schema()
    if "$defs" in schema:  # nested models: keep the document valid, describe loosely
        schema = {"type": "object"}
    body = {"oneOf": [schema, {"type": "array", "items": {"type": "object"}}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


_CALC_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["field", "message"],
            "properties": {
                "field": {"type": "string"},
                "message": {"type": "string"},
                "allowed": {"type": "string"},
            },
        }
    },
}

# 422 has two shapes: the calc contract's {"error": ...} for a request the calculator refuses,
# and problem+json when the body is not JSON at all (refused before the calculator sees it).
_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "The calculator refused the request (field, message, allowed), or the "
        "body is not JSON (problem+json)",
        "content": {
            "application/json": {"schema": _CALC_ERROR},
            PROBLEM_JSON: {"schema": Problem.model_json_schema()},
        },
    }
}


def build_router() -> APIRouter:
    """A router with one route per calculator found at start-up."""
    router = APIRouter(prefix="/api/calc", tags=["calc"])
    for calc in calc_service.calculators().values():
        router.add_api_route(
            f"/{calc.name}",
            _route(calc),
            methods=["POST"],
            summary=calc.summary,
            name=f"calc_{calc.name}",
            openapi_extra=_request_schema(calc),
            responses=_RESPONSES,
        )
    return router
