"""Route dependencies: every route declares its permission with ``requires(Permission.X)``.

``requires`` opens the request through :mod:`plexms.services.request_context`, as the web
does: it authenticates (Bearer token, else the ``plexms_session`` cookie), checks the role
once (403 and a ``denied`` audit row when missing; the use cases of the request do not check
it again) and hands the route a :class:`ServiceContext`. The route table test finds the
permission through the dependency's ``permission`` attribute.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from plexms.services import request_context
from plexms.services.admin import auth
from plexms.services.context import ServiceContext
from plexms.services.errors import (
    PermissionDenied,
    PreconditionRequired,
    StaleVersion,
    Unauthenticated,
)
from plexms.services.permissions import Permission

__all__ = [
    "IfMatch",
    "Limit",
    "Offset",
    "PathId",
    "RequirePermission",
    "etag",
    "expected_version",
    "requires",
]

_bearer = HTTPBearer(auto_error=False, description="a session or API token from /api/auth")
_cookie = APIKeyCookie(name=auth.SESSION_COOKIE, auto_error=False)

PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="rows to skip")]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description='the ETag you read, e.g. "v3"'),
]


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_COOKIE = "plexms_csrf"
CSRF_HEADER = "X-CSRF-Token"


def token_of(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
) -> str | None:
    """The Bearer token, else the session cookie; a state-changing request signed in by the
    cookie alone must also carry the web's CSRF token (``X-CSRF-Token``), else 403: a page of
    another site cannot make the browser change anything through the API."""
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    if cookie and request.method not in _SAFE_METHODS:
        web = getattr(request.app.state, "web", None)
        secret = getattr(web, "secret", None)
        browser = request.cookies.get(CSRF_COOKIE, "")
        sent = request.headers.get(CSRF_HEADER, "")
        expected = auth.csrf_token_for(secret, browser, cookie) if secret and browser else ""
        if not expected or not hmac.compare_digest(sent, expected):
            raise PermissionDenied(
                "a change signed in by the session cookie needs the page's CSRF token "
                f"({CSRF_HEADER}); scripts use a Bearer token",
                field="csrf_token",
            )
    return cookie or None


class RequirePermission:
    """The dependency behind :func:`requires`; ``permission`` is what the route declares."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(
        self,
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        cookie: Annotated[str | None, Depends(_cookie)],
    ) -> ServiceContext:
        state = request.app.state
        token = None
        if self.permission is not Permission.PUBLIC:
            token = token_of(request, bearer, cookie)
            if token is None:
                raise Unauthenticated("sign in first (Bearer token or session cookie)")
        opened = request_context.open_request(
            state.db,
            state.settings,
            now=state.clock(),
            request_id=getattr(request.state, "request_id", ""),
            token=token,
            client=request.client.host if request.client else "",
        )
        actor = opened.ctx.actor
        if actor is not None:
            request.state.user_id = actor.user_id
        patient = str(request.path_params.get("patient_id") or "")
        return request_context.grant(
            opened,
            self.permission,
            where={"route": _route_path(request)},
            patient_id=int(patient) if patient.isdigit() else None,
            refusal=f"the {actor.role} role may not do this ({self.permission})" if actor else None,
        ).ctx


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", ""))[:200]


def requires(permission: Permission) -> Any:
    """``Depends`` that authenticates and checks ``permission``; yields a ServiceContext."""
    return Depends(RequirePermission(permission))


def etag(version: int) -> str:
    """The ETag of a record at ``version``."""
    return f'"v{version}"'


def expected_version(if_match: str | None) -> int:
    """The version in an If-Match header (428 when missing, 412 when unreadable)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "send If-Match with the ETag you read, so a concurrent change is not overwritten",
            field="If-Match",
        )
    first = if_match.split(",")[0].strip()
    if first.startswith("W/"):
        first = first[2:]
    value = first.strip('"').lstrip("v")
    if not value.isdigit() or len(value) > 9:
        raise StaleVersion("If-Match does not name a version of this record")
    return int(value)
