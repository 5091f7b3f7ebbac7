"""Every error plexms raises on purpose, and what each front makes of it.

The classes live where they are raised (the core's in :mod:`plexms.core.errors`, a FHIR
bundle's in :mod:`plexms.interop.fhir_in.reading`, a backup's in :mod:`plexms.store.backup`);
this is the one drawing of the whole tree. In brackets: the API's HTTP status (RFC 9457
problem+json) and the command line's exit status (named in :mod:`plexms.cli.errors`).

* PlexmsError                    core.errors: base of every error raised on purpose
  * InputError (ValueError)      core.errors: a field missing, wrong or out of range [422, exit 2]
    * InfeasibleError            core.errors: valid inputs that cannot be met together, with
                                 the nearest feasible options [422, exit 2]
      * NoCapacityError          core.booking: a booking does not fit the unit's capacity;
                                 the booking services answer it as BookingConflict [409]
    * BundleRejected             interop.fhir_in.reading: a FHIR Bundle not imported, every
                                 problem listed [422, exit 2]
  * ServiceError                 services.errors: a use case refused the request [400, exit 2]
    * Unauthenticated            no valid session or token [401, exit 5]
    * PermissionDenied           the actor's role lacks the permission [403, exit 5]
    * NotFound                   no such record in the actor's centre [404, exit 4]
    * Conflict                   clashes with the current state [409, exit 6]
      * BookingConflict          services.errors: a booking does not fit the unit's places,
                                 machines or nurses, with the nearest alternatives [409, exit 6]
    * Gone                       the record was deleted [410, exit 4]
    * UnsupportedMediaType       a document's media type is outside the allow-list [415, exit 2]
    * StaleVersion               the client's version is not the current one [412, exit 6]
    * PreconditionRequired       an update without its version [428, exit 6]
    * DatabaseUnavailable        the database cannot be reached or opened [503, exit 7]
  * BackupError (RuntimeError)   store.backup: a backup or restore failed, file or tool
                                 [exit 8]
    * BackupRejected             store.backup: restore refused the file before replacing
                                 anything: not a plexms backup of a known schema [exit 8],
                                 or its audit chain does not verify [exit 9]

Outside the tree: a pydantic ``ValidationError`` is bad input too [422, exit 2]; an
``OSError`` reading or writing a file named on the command line [exit 8]; anything else is a
bug [500, exit 1 with the traceback].
"""

from __future__ import annotations

from typing import Any

from plexms.core.errors import InfeasibleError, InputError, PlexmsError

__all__ = [
    "BookingConflict",
    "Conflict",
    "DatabaseUnavailable",
    "Gone",
    "InfeasibleError",
    "InputError",
    "NotFound",
    "PermissionDenied",
    "PlexmsError",
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


class BookingConflict(Conflict):
    """A booking that does not fit (place, machine, nurse, interval) [409]; ``alternatives``
    are the nearest options that do (objects with ``kind``, ``description``, ``start_at``,
    ``change``), carried into the problem+json body."""

    def __init__(self, detail: str, *, field: str | None = None, alternatives: Any = ()) -> None:
        super().__init__(detail, field=field)
        self.alternatives = list(alternatives)


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


class DatabaseUnavailable(ServiceError):
    """The database cannot be reached or opened: server down, wrong URL, not a database [503].

    Raised where a front opens the database (:mod:`plexms.services.ops`); the message names
    the driver's error, never the URL (it may hold a password).
    """

    status = 503
    title = "Service unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="database")


class UnsupportedMediaType(ServiceError):
    """A document's media type is outside the allow-list [415]."""

    status = 415
    title = "Unsupported media type"
