"""Route dependencies: every route declares its permission with ``requires(Permission.X)``.

``requires`` authenticates (Bearer token, else the ``plexms_session`` cookie), checks the role
(403 and an audit row when missing) and hands the route a :class:`ServiceContext`. The route
table test finds the permission through the dependency's ``permission`` attribute.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from plexms.services import audit
from plexms.services.admin import auth
from plexms.services.context import ServiceContext
from plexms.services.errors import PermissionDenied, PreconditionRequired, StaleVersion
from plexms.services.permissions import Permission, allowed
from plexms.store.database import Database

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


def base_context(request: Request) -> ServiceContext:
    """A context without an actor (public routes)."""
    state = request.app.state
    db: Database = state.db
    return ServiceContext(
        db=db,
        actor=None,
        now=state.clock(),
        request_id=getattr(request.state, "request_id", ""),
        settings=state.settings,
    )


def token_of(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
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
        ctx = base_context(request)
        if self.permission is Permission.PUBLIC:
            return ctx
        token = token_of(request, bearer, cookie)
        if token is None:
            from plexms.services.errors import Unauthenticated

            raise Unauthenticated("sign in first (Bearer token or session cookie)")
        actor = auth.authenticate(ctx, token)
        request.state.user_id = actor.user_id
        ctx = ServiceContext(
            db=ctx.db, actor=actor, now=ctx.now, request_id=ctx.request_id, settings=ctx.settings
        )
        if not allowed(actor.role, self.permission):
            patient = request.path_params.get("patient_id")
            audit.record_alone(
                ctx,
                "denied",
                patient_id=int(str(patient)) if str(patient or "").isdigit() else None,
                outcome="denied",
                detail={"route": _route_path(request), "permission": str(self.permission)},
            )
            raise PermissionDenied(f"the {actor.role} role may not do this ({self.permission})")
        return ctx


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
