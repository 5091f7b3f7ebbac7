"""Service errors; each front maps them to one outcome (API status in brackets).

``InputError`` from :mod:`plexms.core.errors` (422) is also raised by services for bad input.
"""

from __future__ import annotations

from plexms.core.errors import InputError, PlexmsError

__all__ = [
    "Conflict",
    "Gone",
    "InputError",
    "NotFound",
    "PermissionDenied",
    "PreconditionRequired",
    "ServiceError",
    "StaleVersion",
    "Unauthenticated",
    "UnsupportedMediaType",
]


class ServiceError(PlexmsError):
    """Base of the errors a use case raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Unauthenticated(ServiceError):
    """No valid session or token [401]."""

    status = 401
    title = "Not signed in"


class PermissionDenied(ServiceError):
    """The actor's role lacks the permission [403]."""

    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    """No such record in the actor's centre [404] (other centres' records are not revealed)."""

    status = 404
    title = "Not found"


class Conflict(ServiceError):
    """The request clashes with the current state, e.g. a duplicate MRN [409]."""

    status = 409
    title = "Conflict"


class Gone(ServiceError):
    """The record was deleted (soft delete keeps its history) [410]."""

    status = 410
    title = "Gone"


class StaleVersion(ServiceError):
    """The client's version is not the current one: reload and retry [412]."""

    status = 412
    title = "Precondition failed"

    def __init__(self, detail: str, *, current_version: int | None = None) -> None:
        super().__init__(detail, field="If-Match")
        self.current_version = current_version


class PreconditionRequired(ServiceError):
    """An update without the version it was based on [428]."""

    status = 428
    title = "Precondition required"


class UnsupportedMediaType(ServiceError):
    """A document's media type is outside the allow-list [415]."""

    status = 415
    title = "Unsupported media type"
