"""The patient page's vascular access forms: the choices they offer (from the core
vocabularies) and the service bodies they read (a line put in, taken out, an event)."""

from __future__ import annotations

from typing import Any

from plexms.core import vocabulary
from plexms.web.forms import FormReader

__all__ = ["OPTIONS", "event_body", "line_body", "removal_body"]

OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "line_types": vocabulary.LINE_TYPES.options,
    "sites": vocabulary.LINE_SITES.options,
    "locks": vocabulary.LOCK_SOLUTIONS.options,
    "events": vocabulary.LINE_EVENTS.options,
    "removal_reasons": vocabulary.LINE_REMOVAL_REASONS.options,
    "dressing": vocabulary.LINE_DRESSING.options,
}


def line_body(reader: FormReader) -> dict[str, Any]:
    """``AccessLineIn`` from the "put a line in" form."""
    return {
        "line_type": reader.choice("line_type", vocabulary.LINE_TYPES.values, required=True),
        "site": reader.choice("site", vocabulary.LINE_SITES.values, required=True),
        "lumens": int(reader.number("lumens", lo=1, hi=4, integer=True, required=True) or 1),
        "inserted_on": reader.date("inserted_on", required=True),
        "lock_solution": reader.choice("lock_solution", vocabulary.LOCK_SOLUTIONS.values) or "",
        "notes": reader.text("line_notes", max_length=4000) or "",
    }


def removal_body(reader: FormReader) -> dict[str, Any]:
    """``AccessLineRemoveIn`` from a line's "taken out" form."""
    return {
        "removed_on": reader.date("removed_on", required=True),
        "removal_reason": reader.choice(
            "removal_reason", vocabulary.LINE_REMOVAL_REASONS.values, required=True
        ),
        "notes": reader.text("removal_notes", max_length=4000) or "",
    }


def event_body(reader: FormReader) -> dict[str, Any]:
    """``LineEventIn`` from a line's "record an event" form."""
    return {
        "event_type": reader.choice("event_type", vocabulary.LINE_EVENTS.values, required=True),
        "event_on": reader.date("event_on", required=True),
        "notes": reader.text("event_notes", max_length=4000) or "",
    }
