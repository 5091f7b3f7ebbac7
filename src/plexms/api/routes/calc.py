"""``POST /api/calc/{name}``: each ``plexms calc`` calculator over HTTP (signed-in users).

One explicit route per calculator, same JSON contract as the command line (one object or an
array; errors ``{"error": {"field", "message", "allowed"}}``) through ``calc.run`` with the
centre's policy and the request's clock. A bad single request answers 422; a batch always
200 (errors in place).

Work per request is bounded here, at the API's edge (the command line keeps unlimited
batches): a batch holds at most :data:`BATCH_LIMITS` requests (422 problem+json naming
``request`` beyond, before any calculation) and the body at most :data:`MAX_CALC_BODY_BYTES`
(413, enforced by ``BodyLimitMiddleware`` as the body streams in).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from plexms.api.deps import requires
from plexms.api.problems import PROBLEM_JSON, Problem, problem
from plexms.services import calc as calc_service
from plexms.services.admin import centres
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission

__all__ = [
    "BATCH_LIMITS",
    "DEFAULT_BATCH_LIMIT",
    "FIELD_LIMITS",
    "MAX_CALC_BODY_BYTES",
    "batch_limit",
    "build_router",
]

Calc = Annotated[ServiceContext, requires(Permission.CALC)]

#: Largest request body a calculator reads over HTTP (413 beyond).
MAX_CALC_BODY_BYTES = 1024 * 1024
#: Most requests in one batch over HTTP, per calculator (local policy: a plan is a schedule
#: and two curves, ~1.5 ms and ~9 kB an answer; the others answer in microseconds).
DEFAULT_BATCH_LIMIT = 1000
BATCH_LIMITS: dict[str, int] = {
    "acuity": 1000,
    "assess": 1000,
    "cohort": 4,
    "dmt": 1000,
    "edss": 1000,
    "fit": 20,  # ~5-20 ms a fit; up to ~1.5 s for 200 samples with 3 flagged per substance
    "plan": 100,
    "precheck": 1000,
    "response": 1000,
}

#: Largest value of a work-sized field per request over HTTP, per calculator (local policy:
#: a cohort of 100,000 patients x 8 protocols is ~0.2 s; the command line takes 10,000,000).
FIELD_LIMITS: dict[str, dict[str, int]] = {"cohort": {"n": 100_000}}


def batch_limit(name: str) -> int:
    """The most requests one batch to calculator ``name`` may hold over the API."""
    return BATCH_LIMITS.get(name, DEFAULT_BATCH_LIMIT)


def _route(calc: calc_service.Calculator[Any, Any]) -> Any:
    limit = batch_limit(calc.name)

    def endpoint(ctx: Calc, request: Request, payload: Annotated[Any, Body()]) -> JSONResponse:
        if isinstance(payload, list) and len(payload) > limit:
            return problem(
                request,
                422,
                "Invalid input",
                f"request: a batch of {len(payload)} requests; at most {limit} per call "
                "(split it, or use `plexms calc` for large batches)",
                field="request",
                errors=[
                    {"field": "request", "message": "batch too long", "allowed": f"<= {limit}"}
                ],
            )
        over = _over_field_limit(calc.name, payload)
        if over is not None:
            field, cap = over
            return problem(
                request,
                422,
                "Invalid input",
                f"{field}: at most {cap} over the API (use `plexms calc {calc.name}` for more)",
                field=field,
                errors=[{"field": field, "message": "too much work", "allowed": f"<= {cap}"}],
            )
        policy = centres.centre_policy(ctx)
        outcome = calc_service.run(calc.name, payload, policy, now=ctx.now)
        status = 200 if outcome.ok or outcome.batch else 422
        return JSONResponse(outcome.body, status_code=status)

    endpoint.__name__ = f"calc_{calc.name}"
    caps = "".join(
        f"; `{field}` at most {cap} per request"
        for field, cap in FIELD_LIMITS.get(calc.name, {}).items()
    )
    endpoint.__doc__ = (
        f"{calc.summary}\n\n{calc.help}\n\nLimits over HTTP: a batch of at most {limit} "
        f"requests (422, field `request`, beyond) and a body of at most {MAX_CALC_BODY_BYTES} "
        f"bytes (413){caps}; `plexms calc` takes batches of any length."
    )
    return endpoint


def _over_field_limit(name: str, payload: Any) -> tuple[str, int] | None:
    """The first capped field over its cap in a request or batch (checked before any work)."""
    caps = FIELD_LIMITS.get(name)
    if not caps:
        return None
    items = payload if isinstance(payload, list) else [payload]
    for item in items:
        if not isinstance(item, dict):
            continue
        for field, cap in caps.items():
            value = item.get(field)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > cap:
                return field, cap
    return None


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
        "body is not JSON or the batch is too long (problem+json, field `request`)",
        "content": {
            "application/json": {"schema": _CALC_ERROR},
            PROBLEM_JSON: {"schema": Problem.model_json_schema()},
        },
    },
    413: {
        "description": f"The body is over {MAX_CALC_BODY_BYTES} bytes",
        "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
    },
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
