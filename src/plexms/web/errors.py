"""HTML error pages for the web routes (the API answers JSON; the browser gets a page).

Service errors map to the same statuses as the API (``services/errors.py``): NotFound 404,
PermissionDenied 403, Unauthenticated -> the sign-in form, StaleVersion 412 (shown as an
edit conflict), Gone 410, Conflict 409, InputError 422. An unexpected error is a 500 page that
says so without any detail (the log has the request id).

A refused form post (403: the role cannot submit it; 409: it conflicts with the record) is never
a dead end: the page shows what was typed, read-only and copyable, and links back to the page
the form was on (the same-origin ``Referer``), so nothing typed is lost.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from plexms.core.errors import InputError
from plexms.services.admin.auth import SESSION_COOKIE
from plexms.services.errors import (
    Conflict,
    Gone,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleVersion,
    Unauthenticated,
)
from plexms.services.schemas.common import MAX_ID
from plexms.web.templating import TEMPLATES

__all__ = [
    "STALE_MESSAGE",
    "WebRoute",
    "error_page",
    "install_html_errors",
    "reject_csrf",
    "service_error_response",
]

_log = logging.getLogger("plexms.web")

_HEADINGS: dict[type[ServiceError], str] = {
    NotFound: "Not found",
    PermissionDenied: "Not allowed",
    Gone: "Deleted",
    Conflict: "Conflict",
    StaleVersion: "Edit conflict",
}
STALE_MESSAGE = (
    "Someone else changed this record after you opened it, so your changes were not saved. "
    "Reload the page to see their version, then enter your changes again."
)


_HIDDEN_FIELDS = frozenset(
    {"csrf_token", "version", "password", "new_password", "current_password"}
)
_KEPT_STATUSES = frozenset({403, 409})


def error_page(
    request: Request,
    status: int,
    heading: str,
    message: str,
    *,
    back: str | None = None,
    kept: list[tuple[str, str]] | None = None,
) -> Response:
    """A full HTML error page (or just its message for an htmx request); ``kept``: what the
    refused form held, shown read-only so it can be copied."""
    ctx = {
        "request": request,
        "heading": heading,
        "message": message,
        "back": back,
        "kept": kept or [],
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "actor": getattr(request.state, "actor", None),
        "centre": getattr(request.state, "centre", None),
        "web": getattr(request.app.state, "web", None),
    }
    return TEMPLATES.TemplateResponse(request, "error.html", ctx, status_code=status)


async def reject_csrf(scope: Any, reason: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The 403 page for a request without a valid CSRF token."""
    _log.warning("csrf rejected: %s %s (%s)", scope.get("method"), scope.get("path"), reason)
    body = TEMPLATES.get_template("error.html").render(
        request=None,
        heading="Form expired",
        message=(
            "This form could not be accepted: it has expired or was not sent from this site "
            "(missing or invalid CSRF token). Reload the page and submit it again."
        ),
        back=None,
        kept=[],
        csrf_token="",
        actor=None,
        centre=None,
        web=None,
    )
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    return 403, headers, body.encode()


def back_link(request: Request) -> str | None:
    """The page the form was on (a same-origin ``Referer``'s path and query), if known."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def kept_input(request: Request) -> list[tuple[str, str]]:
    """The text fields of a posted form (not the token, version or any password)."""
    if request.method != "POST":
        return []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return []
    try:
        form = await request.form()
    except Exception:  # a form that cannot be parsed has nothing to keep
        return []
    return [
        (str(name), value)
        for name, value in form.multi_items()
        if isinstance(value, str) and value.strip() and name not in _HIDDEN_FIELDS
    ]


def service_error_response(request: Request, exc: Exception) -> Response | None:
    """The page for a service error (``None`` for anything else: a real bug, re-raised)."""
    if isinstance(exc, Unauthenticated):
        target = "/login?expired=1"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(exc, StaleVersion):
        return error_page(request, 412, "Edit conflict", STALE_MESSAGE)
    if isinstance(exc, ServiceError):
        heading = next((h for cls, h in _HEADINGS.items() if isinstance(exc, cls)), exc.title)
        return error_page(request, exc.status, heading, exc.detail)
    if isinstance(exc, InputError):
        return error_page(request, 422, "Invalid input", str(exc))
    return None


def _id_out_of_range(request: Request) -> str | None:
    """The name of a path id no record can have (beyond the database's integer), if any."""
    for name, value in request.path_params.items():
        if name.endswith("_id") and str(value).isdigit() and int(value) > MAX_ID:
            return name
    return None


async def _refused_form(request: Request, exc: Exception, response: Response) -> Response:
    """The refusal page of a form post, with what was typed and the way back."""
    kept = await kept_input(request)
    back = back_link(request)
    if not kept and back is None:
        return response
    assert isinstance(exc, ServiceError)  # noqa: S101 - only service errors are 403/409
    heading = next((h for cls, h in _HEADINGS.items() if isinstance(exc, cls)), exc.title)
    return error_page(request, response.status_code, heading, exc.detail, back=back, kept=kept)


class WebRoute(APIRoute):
    """A route whose service errors become HTML pages instead of JSON; a path id beyond any
    record's (e.g. 20 digits, which the database cannot even compare) is a 404 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if (name := _id_out_of_range(request)) is not None:
                return error_page(request, 404, "Not found", f"No record has this {name}.")
            try:
                return await handler(request)
            except Exception as exc:
                response = service_error_response(request, exc)
                if response is None:
                    raise
                if response.status_code in _KEPT_STATUSES and request.method == "POST":
                    return await _refused_form(request, exc, response)
                return response

        return handle


_MACHINE_PREFIXES = ("/api", "/fhir", "/metrics", "/health", "/static", "/openapi", "/docs")
_STATUS_PAGES: dict[int, tuple[str, str]] = {
    403: ("Not allowed", "Your role does not allow this page."),
    404: (
        "Page not found",
        "There is no page at this address. It may have been moved, or the link may be "
        "mistyped. Use the menu above, or search for the patient.",
    ),
    405: ("Not allowed", "This address does not take that kind of request."),
    500: (
        "Something went wrong",
        "Something went wrong on our side and nothing more was done. Try again; if it "
        "happens again, tell your administrator the time it happened.",
    ),
}


def _wants_html(request: Request) -> bool:
    """A browser page: not an API/FHIR path, and the client accepts HTML."""
    path = request.url.path
    if any(path == p or path.startswith(p + "/") for p in _MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


async def _call(handler: Any, request: Request, exc: Exception) -> Any:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def _signed_in(request: Request) -> None:
    """Put the signed-in user and centre on the request (for the menu and the centre's
    conventions) when the error happened before any page dependency did."""
    if getattr(request.state, "actor", None) is not None:
        return
    from plexms.web import session  # the page machinery imports this module

    token = request.cookies.get(SESSION_COOKIE)
    if not token or not session.has_database(request):
        return
    try:
        opened = session.open_session(request, token)
    except Exception:
        return
    if opened.ctx.actor is not None:
        request.state.actor = opened.ctx.actor
        request.state.centre = opened.centre


def install_html_errors(app: FastAPI) -> None:
    """Browser pages get the app's HTML error page for 404/403/405/500; everything else keeps
    the JSON problem handlers installed before (``plexms.api.problems``)."""
    json_http = app.exception_handlers.get(StarletteHTTPException)
    json_any = app.exception_handlers.get(Exception)

    async def http_error(request: Request, exc: Exception) -> Any:
        status = getattr(exc, "status_code", 500)
        if _wants_html(request) and status in _STATUS_PAGES:
            _signed_in(request)
            heading, message = _STATUS_PAGES[status]
            return error_page(request, status, heading, message, back="/")
        if json_http is None:  # pragma: no cover - the API always installs its handlers
            raise exc
        return await _call(json_http, request, exc)

    async def unexpected(request: Request, exc: Exception) -> Any:
        if _wants_html(request):
            _log.error("unhandled error on a page: %s", type(exc).__name__)
            heading, message = _STATUS_PAGES[500]
            return error_page(request, 500, heading, message, back="/")
        if json_any is None:  # pragma: no cover - the API always installs its handlers
            raise exc
        return await _call(json_any, request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
