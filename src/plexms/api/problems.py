"""RFC 9457 problem+json for every error: the field and the reason, never a stack trace."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plexms.core.errors import InfeasibleError, InputError
from plexms.services.errors import BookingConflict, ServiceError, StaleVersion

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem", "problem_responses"]

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, with the field at fault and the request id."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="every invalid field: {field, message}"
    )
    alternatives: list[Any] | None = Field(
        default=None,
        description="the nearest options that fit (an infeasible plan: text; a booking that "
        "does not fit, 409: {kind, description, start_at, change})",
    )


_STATUSES = {
    400: "The request body could not be parsed (not JSON, or not the declared media type)",
    401: "Not signed in, or the session ended",
    403: "The role does not allow this",
    404: "No such record in your centre",
    409: "Conflicts with the record's state",
    410: "The record was deleted",
    412: "If-Match is out of date: reload and retry",
    413: "The request body is over the limit (field `body`)",
    422: "Invalid input: the field and the reason",
    428: "If-Match is required",
    503: "The database does not answer",
}


def problem_responses(*, validation: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a router: every error status the API answers, as
    problem+json (``validation=False`` leaves 422 to the route, e.g. the calc contract)."""
    content = {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}
    return {
        status: {"description": text, "content": content}
        for status, text in _STATUSES.items()
        if validation or status != 422
    }


_log = structlog.get_logger("plexms.api")


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", ""),
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        item: dict[str, Any] = {"field": _loc(err.get("loc", ())), "message": err.get("msg", "")}
        ctx = err.get("ctx") or {}
        bounds = [
            f"{sym} {ctx[k]}"
            for k, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
            if k in ctx
        ]
        if bounds:
            item["allowed"] = ", ".join(bounds)
        elif "expected" in ctx:
            item["allowed"] = str(ctx["expected"])
        elif "pattern" in ctx:
            item["allowed"] = f"matching {ctx['pattern']}"
        elif "max_length" in ctx:
            item["allowed"] = f"at most {ctx['max_length']} characters"
        out.append(item)
    return out


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error to problem+json."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem(
            request,
            422,
            "Invalid input",
            f"{first['field']}: {first['message']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        item = exc.to_dict()
        extra: dict[str, Any] = {}
        if isinstance(exc, InfeasibleError):
            extra["alternatives"] = exc.alternatives
        return problem(
            request, 422, "Invalid input", str(exc), field=exc.field, errors=[item], **extra
        )

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        extra: dict[str, Any] = {}
        if isinstance(exc, StaleVersion) and exc.current_version is not None:
            extra["current_version"] = exc.current_version
        if isinstance(exc, BookingConflict):
            extra["alternatives"] = [
                a.model_dump(mode="json") if hasattr(a, "model_dump") else a
                for a in exc.alternatives
            ]
        return problem(
            request, exc.status, exc.title, exc.detail, field=exc.field, headers=headers, **extra
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return problem(
            request, exc.status_code, detail, detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        _log.warning("data_error", error=type(exc.orig).__name__)
        return problem(
            request,
            422,
            "Invalid input",
            "a value is out of the range the database can store",
            field="body",
        )

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        _log.error("database_unavailable", error=type(exc.orig).__name__)
        return problem(
            request,
            503,
            "Service unavailable",
            "the database cannot take this request now; nothing was saved; retry",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled_error", error=type(exc).__name__)
        return problem(
            request, 500, "Internal error", "something went wrong on our side; quote the request id"
        )
