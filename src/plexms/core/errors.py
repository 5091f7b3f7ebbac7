"""Domain errors. Each names the input field, what was wrong and the allowed range.

Fronts map them to fixed outcomes: the CLI to exit status 2 and
``{"error": {"field", "message"}}``, the API to RFC 9457 problem+json with status 422.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["InfeasibleError", "InputError", "PlexmsError"]


class PlexmsError(Exception):
    """Base class of every error plexms raises on purpose."""


class InputError(PlexmsError, ValueError):
    """An input is missing, of the wrong kind or outside its allowed range.

    >>> err = InputError("hematocrit", "must be a fraction", allowed="0.15-0.65")
    >>> str(err)
    'hematocrit: must be a fraction (allowed: 0.15-0.65)'
    """

    def __init__(self, field: str, message: str, *, allowed: str | None = None) -> None:
        self.field = field
        self.message = message
        self.allowed = allowed
        text = f"{field}: {message}"
        if allowed is not None:
            text += f" (allowed: {allowed})"
        super().__init__(text)

    def to_dict(self) -> dict[str, object]:
        """The JSON error body used by every front."""
        body: dict[str, object] = {"field": self.field, "message": self.message}
        if self.allowed is not None:
            body["allowed"] = self.allowed
        return body


class InfeasibleError(InputError):
    """Valid inputs that cannot be satisfied together; carries the nearest feasible options.

    >>> err = InfeasibleError("exchanges", "7 exchanges do not fit", alternatives=["6 exchanges"])
    >>> err.to_dict()["alternatives"]
    ['6 exchanges']
    """

    def __init__(
        self,
        field: str,
        message: str,
        *,
        alternatives: Sequence[str] = (),
        allowed: str | None = None,
    ) -> None:
        super().__init__(field, message, allowed=allowed)
        self.alternatives = list(alternatives)

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["alternatives"] = self.alternatives
        return body
