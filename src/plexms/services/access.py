"""The one permission check: every front and every use case goes through :func:`authorize`.

A request is checked once. The API and the web check the permission their route declares
as soon as the request is opened (so a refused request answers 403 before its body is
read), and :func:`authorize` notes it on the context (``ServiceContext.authorized``, for
that actor); the ``use_case`` decorator then checks only a permission not noted there. The
command line and tests, which call use cases directly, get the same check from the
decorator. A refusal is an audit row (``denied``) and :class:`PermissionDenied`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plexms.services import audit
from plexms.services.context import Grant, ServiceContext
from plexms.services.errors import PermissionDenied, Unauthenticated
from plexms.services.permissions import Permission, allowed

__all__ = ["authorize"]


def authorize(
    ctx: ServiceContext,
    permission: Permission,
    *,
    where: dict[str, Any],
    patient_id: int | None = None,
    refusal: str | None = None,
) -> ServiceContext:
    """``ctx`` noted as holding ``permission``, or :class:`Unauthenticated` (no actor) or
    :class:`PermissionDenied` (the role lacks it; audited as ``denied``).

    ``where`` names the caller in the audit row (``{"route": ...}`` or ``{"use_case": ...}``);
    ``refusal`` is the message shown on a refusal. ``PUBLIC`` and a permission the context
    already holds pass without a second check.
    """
    if permission is Permission.PUBLIC:
        return ctx
    if ctx.actor is None:
        raise Unauthenticated("sign in first")
    grant = Grant(ctx.actor, permission)
    if ctx.authorized == grant:
        return ctx
    if not allowed(ctx.actor.role, permission):
        audit.record_alone(
            ctx,
            "denied",
            patient_id=patient_id,
            outcome="denied",
            detail={**where, "permission": str(permission)},
        )
        raise PermissionDenied(
            refusal or f"Your role ({ctx.actor.role}) does not allow this ({permission.value})."
        )
    return dataclasses.replace(ctx, authorized=grant)
