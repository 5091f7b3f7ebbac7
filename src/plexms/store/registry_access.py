"""The registry page's line infections per 1,000 line-days, counted by the database (both
backends): line-days and infections per line kind over a date window
(definitions: :mod:`plexms.core.access_lines`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from plexms.core.access_lines import INFECTION_EVENTS
from plexms.store.models import AccessLine, LineEvent

__all__ = ["LineCounts", "line_counts"]

_EPOCH = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class LineCounts:
    """One line kind's lines, line-days and infections in the window."""

    kind: str
    lines: int
    line_days: int
    infections: int


def _days(dialect: str, column: Any) -> Any:
    """Whole days since 2000-01-01 (an integer on both backends)."""
    if dialect == "sqlite":
        return cast(func.julianday(column) - 2451544.5, Integer)
    return type_coerce(column - _EPOCH, Integer)


def line_counts(
    session: Session, centre_id: int | None, first: dt.date | None, last: dt.date
) -> dict[str, LineCounts]:
    """Per kind: lines in place some day of [first, last], their line-days inside it (both
    ends counted), and infections dated inside it. ``first`` None: from each insertion."""
    dialect = session.get_bind().dialect.name
    last_n = (last - _EPOCH).days
    inserted = _days(dialect, AccessLine.inserted_on)
    removed = _days(dialect, AccessLine.removed_on)
    end = case(
        (AccessLine.removed_on.is_(None), literal(last_n)),
        (removed > last_n, literal(last_n)),
        else_=removed,
    )
    start: Any = inserted
    if first is not None:
        first_n = (first - _EPOCH).days
        start = case((inserted < first_n, literal(first_n)), else_=inserted)
    span = end - start + 1
    live = [AccessLine.deleted_at.is_(None), AccessLine.inserted_on <= last]
    if first is not None:
        live.append((AccessLine.removed_on.is_(None)) | (AccessLine.removed_on >= first))
    if centre_id is not None:
        live.append(AccessLine.centre_id == centre_id)
    days_rows = session.execute(
        select(AccessLine.kind, func.count(), func.coalesce(func.sum(span), 0))
        .where(*live)
        .group_by(AccessLine.kind)
    ).all()
    events = [
        LineEvent.deleted_at.is_(None),
        LineEvent.event_type.in_(INFECTION_EVENTS),
        LineEvent.event_on <= last,
    ]
    if first is not None:
        events.append(LineEvent.event_on >= first)
    infection_rows = session.execute(
        select(AccessLine.kind, func.count())
        .select_from(LineEvent)
        .join(AccessLine, AccessLine.id == LineEvent.line_id)
        .where(*live, *events)
        .group_by(AccessLine.kind)
    ).all()
    infections = {kind: int(n) for kind, n in infection_rows}
    return {
        kind: LineCounts(kind, int(n), int(days), infections.get(kind, 0))
        for kind, n, days in days_rows
    }
