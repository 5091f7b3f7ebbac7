"""What the planner page shows, built from ``plexms calc plan`` answers (no arithmetic here).

:func:`compare` asks for the four plans (1.0 and 1.5 plasma volumes x 5 and 7 exchanges) in
one batch and returns them with the chosen one's charts; this module is the only place that
knows the shape of the calc's JSON answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request

from plexms.clock import local_today
from plexms.core.policy import CentrePolicy
from plexms.services import calc
from plexms.web import svg
from plexms.web.forms import FormReader, UnitConvention, errors_from_calc

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


def _today(request: Request) -> dt.date:
    return local_today(policy(request).hours.time_zone)


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
    """The four plans side by side, or ``None`` with ``reader.errors`` filled in."""
    base = _base_request(reader)
    chosen = (
        reader.choice("pv", ("1.0", "1.5")) or "1.0",
        reader.choice("exchanges", ("5", "7")) or "5",
    )
    if base is None or not reader.ok:
        return None
    payloads = [{**base, "plasma_volumes_per_exchange": pv, "exchanges": n} for pv, n in OPTIONS]
    centre_policy = policy(request)
    outcome = calc.run("plan", payloads, centre_policy)
    plans = []
    for (pv, n), body in zip(OPTIONS, outcome.body, strict=True):
        plans.append(
            {
                "pv": pv,
                "exchanges": n,
                "label": f"{pv:.1f} PV × {n}",
                "chosen": (f"{pv:.1f}", str(n)) == chosen,
                "ok": "error" not in body,
                "body": body,
            }
        )
    if not any(p["ok"] for p in plans):
        reader.errors.update(errors_from_calc(plans[0]["body"], _FIELDS))
        return None
    pick = next((p for p in plans if p["chosen"] and p["ok"]), next(p for p in plans if p["ok"]))
    pick["chosen"] = True
    return {
        "plans": plans,
        "chosen": pick,
        "charts": {key: _chart(plans, key) for key in ("igg", "fibrinogen")},
        "calendar": _calendar(pick["body"], centre_policy),
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
    for i, plan in enumerate(plans):
        if not plan["ok"]:
            continue
        body = plan["body"]
        first = dt.date.fromisoformat(body["schedule"][0]["date"])
        points: list[tuple[float, float]] = []
        for appt, level in zip(body["schedule"], body["predicted"][key], strict=True):
            day = (dt.date.fromisoformat(appt["date"]) - first).days
            points += [(day, 100 * level["pre"]), (day + 0.25, 100 * level["post"])]
        series.append(svg.Series(plan["label"], points, css=f"series-{i}", markers=False))
    return svg.line_chart(
        series,
        title=f"Predicted {_NAMES[key]} over the course, four plans",
        x_label="days since the first exchange",
        y_label=f"{_NAMES[key]}, % of pre-course level",
        y_min=0,
        y_max=100,
        css_id=f"chart-{key}",
    )


def _calendar(body: dict[str, Any], centre_policy: CentrePolicy) -> list[list[dict[str, Any]]]:
    """Weeks (Monday first) from the first to the last exchange, each day open/closed/booked."""
    booked = {a["date"]: a for a in body["schedule"]}
    holidays = {h["date"]: h["name"] for h in body["course"]["holidays"]}
    first = dt.date.fromisoformat(body["course"]["first_date"])
    last = dt.date.fromisoformat(body["course"]["last_date"])
    day = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    weeks: list[list[dict[str, Any]]] = []
    while day <= end:
        iso = day.isoformat()
        hours = centre_policy.hours.hours_on(day) if iso not in holidays else None
        cell = {
            "date": day,
            "appointment": booked.get(iso),
            "holiday": holidays.get(iso),
            "hours": f"{hours[0]:%H:%M}–{hours[1]:%H:%M}"
            if hours and iso not in holidays
            else None,
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
