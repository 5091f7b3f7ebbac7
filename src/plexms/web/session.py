"""Who is signed in: the session cookie, the permission each page declares, the context.

Every web route depends on exactly one :func:`requires` (the route-table test reads its
``permission`` attribute, as for the API). The dependency resolves the ``plexms_session``
cookie with :func:`plexms.services.admin.auth.authenticate` (which applies the idle and absolute
timeouts), loads the user's centre (name, time zone, unit convention, policy) and leaves them
on ``request.state`` for the templates. ``PUBLIC`` pages work signed out too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from plexms.clock import utcnow
from plexms.core.policy import DEFAULT_TIME_ZONE, CentrePolicy
from plexms.services.admin import auth
from plexms.services.context import Actor, ServiceContext
from plexms.services.errors import PermissionDenied, Unauthenticated
from plexms.services.permissions import Permission, allowed
from plexms.services.schemas import CentreOut
from plexms.settings import Settings
from plexms.web.forms import UnitConvention

__all__ = [
    "PublicUser",
    "WebUser",
    "cookie_secure",
    "has_database",
    "local_now",
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


def has_database(request: Request) -> bool:
    """Whether the app has a database (the calc-only pages also run without one)."""
    return getattr(request.app.state, "db", None) is not None


def service_context(request: Request, actor: Actor | None = None) -> ServiceContext:
    """A :class:`ServiceContext` for this request (clock read here, once)."""
    state = request.app.state
    settings = getattr(state, "settings", None) or getattr(state, "web_settings", None)
    clock = getattr(state, "clock", utcnow)
    kwargs: dict[str, Any] = {"db": state.db, "actor": actor, "now": clock()}
    if isinstance(settings, Settings):
        kwargs["settings"] = settings
    request_id = request.headers.get("x-request-id")
    if request_id:
        kwargs["request_id"] = request_id[:64]
    return ServiceContext(**kwargs)


def cookie_secure(request: Request) -> bool:
    """Whether the session cookie gets ``Secure`` (setting ``cookie_secure``: auto/always/never)."""
    mode = getattr(request.app.state.web, "cookie_secure", "auto")
    if mode == "always":
        return True
    if mode == "never":
        return False
    return request.url.scheme == "https"


def _load_user(request: Request, token: str) -> WebUser:
    actor, centre, policy = auth.authenticate_in_centre(service_context(request), token)
    units = UnitConvention(centre.units if centre else "us")
    return WebUser(actor=actor, centre=centre, policy=policy, units=units, token=token)


def requires(permission: Permission) -> Any:
    """The dependency of a page needing ``permission`` (``PUBLIC``: signed in or not)."""

    def dependency(request: Request) -> WebUser | None:
        token = request.cookies.get(auth.SESSION_COOKIE)
        user: WebUser | None = None
        if token and has_database(request):
            try:
                user = _load_user(request, token)
            except Unauthenticated:
                if permission is not Permission.PUBLIC:
                    raise
        if user is None and permission is not Permission.PUBLIC:
            raise Unauthenticated("sign in first")
        if user is not None:
            request.state.actor = user.actor
            request.state.centre = user.centre
            request.state.policy = user.policy
            request.state.units = user.units
            if not allowed(user.actor.role, permission):
                raise PermissionDenied(
                    f"Your role ({user.actor.role}) does not allow this ({permission.value})."
                )
        return user

    dependency.permission = permission  # type: ignore[attr-defined]
    return Depends(dependency)


def local_now(user: WebUser | None) -> dt.datetime:
    """Now in the user's centre's time zone (the seed clinic's when signed out)."""
    from zoneinfo import ZoneInfo

    zone = user.centre.time_zone if user and user.centre else DEFAULT_TIME_ZONE
    return utcnow().astimezone(ZoneInfo(zone))


PublicUser = Annotated[WebUser | None, requires(Permission.PUBLIC)]
