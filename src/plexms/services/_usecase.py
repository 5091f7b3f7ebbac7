"""The ``use_case`` decorator: permission check, denial audit, error translation.

Every public service function is wrapped: it declares its permission (read back by the route
table test through the ``permission`` attribute), refuses and audits callers without it
(:func:`plexms.services.access.authorize`, unless the request was already granted that
permission), audits not-found lookups, and turns database races into service errors.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from plexms.services import audit
from plexms.services.access import authorize
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, NotFound, StaleVersion
from plexms.services.permissions import Permission

__all__ = ["use_case"]

P = ParamSpec("P")
R = TypeVar("R")


def _patient_of(sig: inspect.Signature, args: Any, kwargs: Any) -> int | None:
    try:
        bound = sig.bind_partial(*args, **kwargs).arguments
    except TypeError:
        return None
    value = bound.get("patient_id")
    return value if isinstance(value, int) else None


def use_case(permission: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare ``permission`` for a service function ``fn(ctx, ...)`` and enforce it."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        sig = inspect.signature(fn)
        name = fn.__name__

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            ctx = args[0]
            if not isinstance(ctx, ServiceContext):  # pragma: no cover - programming error
                raise TypeError(f"{name}: first argument must be a ServiceContext")
            detail = {"use_case": name, "permission": str(permission)}
            authorize(
                ctx,
                permission,
                where={"use_case": name},
                patient_id=_patient_of(sig, args, kwargs),
                refusal=f"your role may not {name.replace('_', ' ')}",
            )
            try:
                return fn(*args, **kwargs)
            except NotFound:
                audit.record_alone(
                    ctx,
                    name,
                    patient_id=_patient_of(sig, args, kwargs),
                    outcome="not_found",
                    detail=detail,
                )
                raise
            except StaleDataError:
                raise StaleVersion("the record was changed by someone else: reload") from None
            except IntegrityError as exc:
                raise Conflict(f"conflicts with an existing record ({_constraint(exc)})") from None

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _constraint(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "duplicate"
    if "foreign key" in text:
        return "refers to a missing record"
    return "constraint"
