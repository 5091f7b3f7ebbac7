"""Which labs are current for a pre-session check, and the model's prediction for a stale one.

A lab drawn before the end of the patient's last completed exchange is never current (issue 14
item 7): the exchange has removed part of what it measured. The pre-session check lists it as
stale with its time and asks for a new sample; where the centre allows
(``precheck.predicted_labs_allowed``, local policy) a stale fibrinogen is replaced by the
two-compartment model's prediction over the exchanges done since, labelled as a prediction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.core.kinetics import ExchangeEvent, predict_course
from plexms.store.models import Course, ExchangeSession

__all__ = ["calendar_days_between", "plasma_in_replacement", "predict_stale_fibrinogen"]


def calendar_days_between(earlier: dt.datetime, later: dt.datetime, time_zone: str) -> int:
    """Calendar days from ``earlier`` to ``later`` in the centre's zone (Mon then Wed: 2).

    >>> utc = dt.timezone.utc
    >>> calendar_days_between(
    ...     dt.datetime(2026, 11, 30, 19, 30, tzinfo=utc),
    ...     dt.datetime(2026, 12, 2, 17, 0, tzinfo=utc),
    ...     "America/Los_Angeles",
    ... )
    2
    """
    zone = ZoneInfo(time_zone)
    return (_aware(later).astimezone(zone).date() - _aware(earlier).astimezone(zone).date()).days


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def plasma_in_replacement(session: Session, row: ExchangeSession) -> bool:
    """True when the course's prescription gives plasma for part of the replacement."""
    course = session.get(Course, row.course_id)
    prescription = (course.prescription or {}) if course is not None else {}
    replacement = prescription.get("replacement") or {}
    try:
        return float(replacement.get("plasma_ml") or 0.0) > 0.0
    except (TypeError, ValueError):
        return False


def predict_stale_fibrinogen(
    session: Session,
    row: ExchangeSession,
    value_g_l: float,
    taken_at: dt.datetime,
    at: dt.datetime,
) -> tuple[float, dict[str, Any]] | None:
    """Fibrinogen at ``at`` predicted from ``value_g_l`` measured at ``taken_at`` over the
    patient's completed exchanges since (volumes as recorded, else as planned), or None when
    the record lacks a plasma volume or an exchange volume."""
    course = session.get(Course, row.course_id)
    pv = (course.prescription or {}).get("plasma_volume_ml") if course is not None else None
    if not isinstance(pv, int | float) or pv <= 0:
        return None
    done = session.execute(
        select(ExchangeSession)
        .where(
            ExchangeSession.patient_id == row.patient_id,
            ExchangeSession.status == "done",
            ExchangeSession.actual_start.is_not(None),
            ExchangeSession.actual_start >= taken_at,
            ExchangeSession.actual_start <= at,
            ExchangeSession.deleted_at.is_(None),
        )
        .order_by(ExchangeSession.actual_start)
    ).scalars()
    events = []
    for ex in done:
        volume = ex.plasma_removed_ml or ex.planned_plasma_volume_ml
        if not volume or ex.actual_start is None:
            return None
        start_h = (ex.actual_start - taken_at).total_seconds() / 3600
        end = ex.actual_end or ex.actual_start + dt.timedelta(hours=2)
        events.append(
            ExchangeEvent(
                start_h, max((end - ex.actual_start).total_seconds(), 60) / 3600, float(volume)
            )
        )
    if not events:
        return None
    until_h = (at - taken_at).total_seconds() / 3600
    prediction = predict_course(
        "fibrinogen", plasma_volume_ml=float(pv), exchanges=events, until_h=until_h
    )
    fraction = prediction.curve[-1][1]
    predicted = round(value_g_l * fraction, 2)
    basis = {
        "predicted": True,
        "model": "two-compartment kinetic model (plexms.core.kinetics)",
        "from_value": value_g_l,
        "from_taken_at": taken_at.isoformat(),
        "exchanges_since": len(events),
        "sources": list(prediction.sources),
    }
    return predicted, basis
