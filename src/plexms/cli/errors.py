"""Exit statuses of the ``plexms`` command line: one per kind of failure.

A script calling ``plexms`` tells the failures apart by the status alone; standard output
still carries one JSON value, ``{"error": {"field", "message", ...}}``, saying what went wrong.
The kinds follow the error tree drawn in :mod:`plexms.services.errors`; :func:`exit_status`
is the one mapping from an exception to its status, used by every command and by the root
command for anything a command does not catch itself.

0, 2 and 3 are the ``calc`` contract (:mod:`plexms.cli_io`) and never change meaning; the
others are named below (:data:`EXIT_STATUSES` says what each means; ``plexms --help`` and
docs/cli.md show that table). Styled on smart-on-fhir/cumulus-etl's ``errors.py``.
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from plexms.cli_io import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, emit_json
from plexms.core.errors import InputError
from plexms.services.errors import (
    Conflict,
    DatabaseUnavailable,
    Gone,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    ServiceError,
    StaleVersion,
    Unauthenticated,
)

__all__ = [
    "EXIT_CONFLICT",
    "EXIT_DATABASE_UNAVAILABLE",
    "EXIT_INPUT",
    "EXIT_INTEGRITY",
    "EXIT_IO",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_PERMISSION",
    "EXIT_STATUSES",
    "EXIT_UNEXPECTED",
    "epilog",
    "exit_status",
    "fail",
]

# EXIT_OK = 0, EXIT_INPUT = 2, EXIT_PARTIAL = 3: the calc contract, defined in cli_io
EXIT_UNEXPECTED = 1  # Python's own status for an uncaught exception (and click's for Ctrl-C)
EXIT_NOT_FOUND = 4  # NotFound, Gone
EXIT_PERMISSION = 5  # PermissionDenied, Unauthenticated
EXIT_CONFLICT = 6  # Conflict, StaleVersion, PreconditionRequired
EXIT_DATABASE_UNAVAILABLE = 7  # DatabaseUnavailable
EXIT_IO = 8  # BackupError, OSError (a file named on the command line)
EXIT_INTEGRITY = 9  # audit verify found a break in the hash chain

EXIT_STATUSES: tuple[tuple[int, str, str], ...] = (
    (EXIT_OK, "EXIT_OK", "done; every request answered"),
    (EXIT_UNEXPECTED, "EXIT_UNEXPECTED", "a bug: an unexpected error, traceback on stderr"),
    (EXIT_INPUT, "EXIT_INPUT", "bad input: an option, the request or a value out of range"),
    (EXIT_PARTIAL, "EXIT_PARTIAL", "calc batch: some elements answered with an error"),
    (EXIT_NOT_FOUND, "EXIT_NOT_FOUND", "no such patient, course, user or centre"),
    (EXIT_PERMISSION, "EXIT_PERMISSION", "not signed in, or the role lacks the permission"),
    (EXIT_CONFLICT, "EXIT_CONFLICT", "clashes with the current state, e.g. a taken username"),
    (
        EXIT_DATABASE_UNAVAILABLE,
        "EXIT_DATABASE_UNAVAILABLE",
        "the database cannot be reached or opened",
    ),
    (EXIT_IO, "EXIT_IO", "backup, restore or a file read or written failed"),
    (EXIT_INTEGRITY, "EXIT_INTEGRITY", "audit verify, restore: the audit hash chain is broken"),
)
"""``(status, name, meaning)`` of every exit status: the --help epilog and docs/cli.md."""

# First match wins: the subclasses before ServiceError, their base.
_KINDS: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
    ((DatabaseUnavailable,), EXIT_DATABASE_UNAVAILABLE),
    ((NotFound, Gone), EXIT_NOT_FOUND),
    ((PermissionDenied, Unauthenticated), EXIT_PERMISSION),
    ((Conflict, StaleVersion, PreconditionRequired), EXIT_CONFLICT),
    ((InputError, ServiceError), EXIT_INPUT),
    ((OSError,), EXIT_IO),
)


def exit_status(exc: BaseException) -> int:
    """The exit status of ``exc``'s kind of failure (:data:`EXIT_UNEXPECTED` for a bug).

    >>> exit_status(NotFound("no patient 9"))
    4
    """
    from pydantic import ValidationError

    from plexms.services.ops import BackupError, BackupRejected

    if isinstance(exc, BackupRejected) and exc.audit_broken:
        return EXIT_INTEGRITY
    if isinstance(exc, BackupError):
        return EXIT_IO
    if isinstance(exc, ValidationError):
        return EXIT_INPUT
    for kinds, status in _KINDS:
        if isinstance(exc, kinds):
            return status
    return EXIT_UNEXPECTED


def _error_body(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, InputError):
        return exc.to_dict()
    if isinstance(exc, ServiceError):
        return {"field": exc.field or "request", "message": exc.detail}
    if isinstance(exc, OSError):
        return {"field": "file", "message": str(exc)}
    return {"field": "request", "message": str(exc)}


def fail(exc: BaseException, field: str | None = None, message: str | None = None) -> NoReturn:
    """Answer ``{"error": {"field", "message"}}`` for ``exc`` and exit with its kind's status.

    ``field`` and ``message`` default to the exception's own.
    """
    body = _error_body(exc)
    if field is not None or message is not None:
        body = {
            "field": body["field"] if field is None else field,
            "message": body["message"] if message is None else message,
        }
    emit_json({"error": body})
    raise typer.Exit(exit_status(exc))


def epilog() -> str:
    """The exit statuses, one a line, for the end of ``plexms --help``."""
    rows = [f"{status}  {meaning}" for status, _, meaning in EXIT_STATUSES]
    return "\n".join(["Exit status (docs/cli.md):", *rows])
