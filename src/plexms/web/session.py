"""Who is signed in: the session cookie, the permission each page declares, the context.

Every web route depends on exactly one :func:`requires` (the route-table test reads its
``permission`` attribute, as for the API). The dependency opens the request through
:mod:`plexms.services.request_context`, as the API does: it resolves the ``plexms_session``
cookie (applying the idle and absolute timeouts), loads the user's centre (name, time zone,
unit convention, policy) and leaves them on ``request.state`` for the templates, then checks
the permission once (refused: the "Not allowed" page and a ``denied`` audit row); the
route's use cases get that context from :func:`service_context` and do not check it again.
``PUBLIC`` pages work signed out too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from plexms.clock import utcnow
from plexms.core.policy import DEFAULT_TIME_ZONE, CentrePolicy
from plexms.services import request_context
from plexms.services.admin import auth
from plexms.services.context import Actor, ServiceContext
from plexms.services.errors import Unauthenticated
from plexms.services.permissions import Permission
from plexms.services.request_context import RequestContext
from plexms.services.schemas import CentreOut
from plexms.settings import Settings, get_settings
from plexms.web.forms import UnitConvention

__all__ = [
    "PublicUser",
    "WebUser",
    "cookie_secure",
    "has_database",
    "local_now",
    "open_session",
    "requires",
    "service_context",
]


@dataclass(frozen=True)
class WebUser:
    """The signed-in user of this request with their centre and settings."""

    actor: Actor
    centre: CentreOut | None
    policy: CentrePolicy
    units: UnitConvention
    token: str
    ctx: ServiceContext


def has_database(request: Request) -> bool:
    """Whether the app has a database (the calc-only pages also run without one)."""
    return getattr(request.app.state, "db", None) is not None


def _open(request: Request, token: str | None = None) -> RequestContext:
    state = request.app.state
    settings = getattr(state, "settings", None) or getattr(state, "web_settings", None)
    clock = getattr(state, "clock", utcnow)
    return request_context.open_request(
        state.db,
        settings if isinstance(settings, Settings) else get_settings(),
        now=clock(),
        # the server's own id (the API's middleware), never a header the client sent
        request_id=getattr(request.state, "request_id", "") or uuid.uuid4().hex,
        token=token,
        client=request.client.host if request.client else "",
    )


def open_session(request: Request, token: str) -> RequestContext:
    """The request context of session ``token`` (Unauthenticated when it is not valid)."""
    return _open(request, token)


def service_context(request: Request, actor: Actor | None = None) -> ServiceContext:
    """This request's :class:`ServiceContext`: the one its page's :func:`requires` opened
    (and checked) for ``actor``, else one without an actor (clock read once per request)."""
    opened: ServiceContext | None = getattr(request.state, "service_context", None)
    if opened is None:
        opened = _open(request).ctx
        request.state.service_context = opened
    if opened.actor == actor:
        return opened
    return dataclasses.replace(opened, actor=actor, authorized=None)


def cookie_secure(request: Request) -> bool:
    """Whether the session cookie gets ``Secure`` (setting ``cookie_secure``: auto/always/never)."""
    mode = getattr(request.app.state.web, "cookie_secure", "auto")
    if mode == "always":
        return True
    if mode == "never":
        return False
    return request.url.scheme == "https"


def requires(permission: Permission) -> Any:
    """The dependency of a page needing ``permission`` (``PUBLIC``: signed in or not)."""

    def dependency(request: Request) -> WebUser | None:
        token = request.cookies.get(auth.SESSION_COOKIE)
        opened: RequestContext | None = None
        if token and has_database(request):
            try:
                opened = _open(request, token)
            except Unauthenticated:
                if permission is not Permission.PUBLIC:
                    raise
        if token is None or opened is None or opened.ctx.actor is None:
            if permission is not Permission.PUBLIC:
                raise Unauthenticated("sign in first")
            return None
        units = UnitConvention(opened.centre.units if opened.centre else "us")
        # on request.state for the templates, the refusal page included
        request.state.actor = opened.ctx.actor
        request.state.user_id = opened.ctx.actor.user_id  # the access log; read-your-writes
        request.state.centre = opened.centre
        request.state.policy = opened.policy
        request.state.units = units
        patient = str(request.path_params.get("patient_id") or "")
        checked = request_context.grant(
            opened,
            permission,
            where={"route": str(getattr(request.scope.get("route"), "path", ""))[:200]},
            patient_id=int(patient) if patient.isdigit() else None,
        )
        request.state.service_context = checked.ctx
        return WebUser(
            actor=opened.ctx.actor,
            centre=opened.centre,
            policy=opened.policy,
            units=units,
            token=token,
            ctx=checked.ctx,
        )

    dependency.permission = permission  # type: ignore[attr-defined]
    return Depends(dependency)


def local_now(user: WebUser | None) -> dt.datetime:
    """Now in the user's centre's time zone (the seed clinic's when signed out)."""
    from zoneinfo import ZoneInfo

    zone = user.centre.time_zone if user and user.centre else DEFAULT_TIME_ZONE
    return (user.ctx.now if user else utcnow()).astimezone(ZoneInfo(zone))


PublicUser = Annotated[WebUser | None, requires(Permission.PUBLIC)]
