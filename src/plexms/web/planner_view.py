"""What the planner page shows, built from the typed plans of ``plexms calc plan`` (no
arithmetic here).

:func:`compare` asks for the four plans (1.0 and 1.5 plasma volumes x 5 and 7 exchanges) and
returns them (each a :class:`~plexms.core.plan.Plan`) with the chosen one's charts and calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from plexms.clock import local_today, utcnow
from plexms.core.errors import InputError
from plexms.core.plan import PREDICTION_MODEL, Plan
from plexms.core.policy import CentrePolicy
from plexms.core.sources import source_dict
from plexms.services.calc import plan as plan_calc
from plexms.web import svg
from plexms.web.forms import FormReader, UnitConvention, field_errors

__all__ = ["OPTIONS", "compare", "convention", "default_values", "policy"]

OPTIONS: tuple[tuple[float, int], ...] = ((1.0, 5), (1.0, 7), (1.5, 5), (1.5, 7))
_FIELDS = {
    "sex": "sex",
    "height_cm": "height",
    "weight_kg": "weight",
    "hematocrit": "hematocrit",
    "start_date": "start_date",
    "exchanges": "exchanges",
    "plasma_volumes_per_exchange": "pv",
    "course_days": "course_days",
    "interval_days": "interval_days",
}


def convention(request: Request) -> UnitConvention:
    """The signed-in user's centre's unit convention (the seed clinic's when signed out)."""
    centre = getattr(request.state, "centre", None)
    return UnitConvention(getattr(centre, "units", None) or "us")


def policy(request: Request) -> CentrePolicy:
    """The centre's settings (the defaults when signed out)."""
    centre_policy = getattr(request.state, "policy", None)
    return centre_policy if isinstance(centre_policy, CentrePolicy) else CentrePolicy()


def _now(request: Request) -> dt.datetime:
    # The app's clock (as for the request's ServiceContext); the wall clock in a bare web app.
    clock: Callable[[], dt.datetime] = getattr(request.app.state, "clock", utcnow)
    return clock()


def _today(request: Request) -> dt.date:
    return local_today(policy(request).hours.time_zone, _now(request))


def default_values(request: Request) -> dict[str, str]:
    """A worked example to start from: the demo patient, starting next Monday."""
    today = _today(request)
    start = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
    units = convention(request)
    return {
        "sex": "female",
        "height": f"{round(units.show(165.0, 'height') or 0)}",
        "weight": f"{round(units.show(60.0, 'weight') or 0)}",
        "hematocrit": "40",
        "start_date": start.isoformat(),
        "pv": "1.0",
        "exchanges": "5",
        "course_days": "16",
        "interval_days": str(policy(request).schedule.interval_days),
    }


def compare(request: Request, reader: FormReader) -> dict[str, Any] | None:
    """The four plans side by side, or ``None`` with ``reader.errors`` filled in.

    Each entry of ``plans`` has the typed ``plan`` (:class:`~plexms.core.plan.Plan`) or the
    ``error`` that refused it.
    """
    base = _base_request(reader)
    chosen = (
        reader.choice("pv", ("1.0", "1.5")) or "1.0",
        reader.choice("exchanges", ("5", "7")) or "5",
    )
    if base is None or not reader.ok:
        return None
    centre_policy = policy(request)
    now = _now(request)
    plans = []
    for pv, n in OPTIONS:
        payload = {**base, "plasma_volumes_per_exchange": pv, "exchanges": n}
        plan: Plan | None = None
        error: InputError | None = None
        try:
            plan = plan_calc.CALCULATOR.evaluate(payload, centre_policy, now=now)
        except InputError as exc:
            error = exc
        plans.append(
            {
                "pv": pv,
                "exchanges": n,
                "label": f"{pv:.1f} PV × {n}",
                "chosen": (f"{pv:.1f}", str(n)) == chosen,
                "ok": plan is not None,
                "plan": plan,
                "error": error,
            }
        )
    if not any(p["ok"] for p in plans):
        first_error = plans[0]["error"]
        assert isinstance(first_error, InputError)  # noqa: S101 - no plan: each has its error
        reader.errors.update(field_errors(first_error, _FIELDS))
        return None
    pick = next((p for p in plans if p["chosen"] and p["ok"]), next(p for p in plans if p["ok"]))
    pick["chosen"] = True
    picked = pick["plan"]
    assert isinstance(picked, Plan)  # noqa: S101 - an ok entry has its plan
    return {
        "plans": plans,
        "chosen": pick,
        "model": PREDICTION_MODEL,
        "sources": [source_dict(key) for key in picked.sources],
        "charts": {key: _chart(plans, key) for key in ("igg", "fibrinogen")},
        "calendar": _calendar(picked, centre_policy),
        "payload": {
            **base,
            "plasma_volumes_per_exchange": pick["pv"],
            "exchanges": pick["exchanges"],
        },
    }


_NAMES = {"igg": "IgG", "fibrinogen": "Fibrinogen"}


def _chart(plans: list[dict[str, Any]], key: str) -> Any:
    """Predicted level (% of the pre-course level) against days since the first exchange."""
    series = []
    for i, entry in enumerate(plans):
        plan: Plan | None = entry["plan"]
        if plan is None:
            continue
        levels = plan.predicted[key]
        points: list[tuple[float, float]] = []
        for appt, pre, post in zip(plan.course.appointments, levels.pre, levels.post, strict=True):
            day = (appt.date - plan.first_date).days
            points += [(day, 100 * pre), (day + 0.25, 100 * post)]
        series.append(svg.Series(entry["label"], points, css=f"series-{i}", markers=False))
    return svg.line_chart(
        series,
        title=f"Predicted {_NAMES[key]} over the course, four plans",
        x_label="days since the first exchange",
        y_label=f"{_NAMES[key]}, % of pre-course level",
        y_min=0,
        y_max=100,
        css_id=f"chart-{key}",
    )


def _calendar(plan: Plan, centre_policy: CentrePolicy) -> list[list[dict[str, Any]]]:
    """Weeks (Monday first) from the first to the last exchange, each day open/closed/booked."""
    booked = {a.date: a for a in plan.course.appointments}
    day = plan.first_date - dt.timedelta(days=plan.first_date.weekday())
    end = plan.last_date + dt.timedelta(days=6 - plan.last_date.weekday())
    weeks: list[list[dict[str, Any]]] = []
    while day <= end:
        holiday = plan.holidays.get(day)
        hours = centre_policy.hours.hours_on(day) if holiday is None else None
        cell = {
            "date": day,
            "appointment": booked.get(day),
            "holiday": holiday,
            "hours": hours,  # (opens, closes) wall-clock times, written by the template
        }
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(cell)
        day += dt.timedelta(days=1)
    return weeks


def _base_request(reader: FormReader) -> dict[str, Any] | None:
    sex = reader.choice("sex", ("female", "male"), required=True)
    height = reader.quantity("height", "height", required=True)
    weight = reader.quantity("weight", "weight", required=True)
    hct = reader.quantity("hematocrit", "hematocrit", required=True)
    start = reader.date("start_date", required=True)
    course_days = reader.number("course_days", lo=1, hi=28, integer=True)
    interval_days = reader.number("interval_days", lo=1, hi=7, integer=True)
    if not reader.ok or start is None:
        return None
    body: dict[str, Any] = {
        "sex": sex,
        "height_cm": height,
        "weight_kg": weight,
        "hematocrit": hct,
        "start_date": start.isoformat(),
    }
    if course_days is not None:
        body["course_days"] = int(course_days)
    if interval_days is not None:
        body["interval_days"] = int(interval_days)
    return body
