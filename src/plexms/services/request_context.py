"""One request's context, built the same way for the API and the web.

:func:`open_request` turns what a front knows about a request (the session or API token, the
clock's reading, the server's request id) into a :class:`RequestContext`: the
:class:`ServiceContext` every use case of the request receives, and the signed-in user's
centre and settings (the pages show them; the planners use them). :func:`grant` then runs
the one check of the permission the route declares
(:func:`plexms.services.access.authorize`), so the use cases of the request do not check it
again. (Two steps, so a front can show who is signed in on its refusal page.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plexms.core.policy import CentrePolicy
from plexms.services.access import authorize
from plexms.services.admin import auth
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import CentreOut
from plexms.settings import Settings
from plexms.store.database import Database

__all__ = ["RequestContext", "grant", "open_request"]


@dataclass(frozen=True)
class RequestContext:
    """The context of one request: who (``ctx.actor``), their centre and its settings."""

    ctx: ServiceContext
    centre: CentreOut | None = None
    policy: CentrePolicy = field(default_factory=CentrePolicy)


def open_request(
    db: Database,
    settings: Settings,
    *,
    now: dt.datetime,
    request_id: str,
    token: str | None = None,
    client: str = "",
) -> RequestContext:
    """The context of a request at ``now`` with the server's ``request_id``.

    Without ``token``: nobody is signed in. With one: its user (:class:`Unauthenticated`
    when the session or token is unknown, ended or idle), their centre and its settings, read
    together (no centre: ``None`` and the default settings).
    """
    ctx = ServiceContext(
        db=db, actor=None, now=now, request_id=request_id, settings=settings, client=client
    )
    if token is None:
        return RequestContext(ctx)
    actor, centre, policy = auth.authenticate_in_centre(ctx, token)
    return RequestContext(dataclasses.replace(ctx, actor=actor), centre, policy)


def grant(
    opened: RequestContext,
    permission: Permission,
    *,
    where: dict[str, Any] | None = None,
    patient_id: int | None = None,
    refusal: str | None = None,
) -> RequestContext:
    """``opened`` with ``permission`` checked (once) and noted on its context.

    ``where`` names the route in a ``denied`` audit row, ``patient_id`` the patient it
    concerns; ``refusal`` is the front's wording of the refusal.
    """
    ctx = authorize(
        opened.ctx, permission, where=where or {}, patient_id=patient_id, refusal=refusal
    )
    return dataclasses.replace(opened, ctx=ctx)
