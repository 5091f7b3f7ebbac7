"""What the planner page shows, built from ``plexms calc plan`` answers (no arithmetic here).

:func:`compare` asks for the four plans (1.0 and 1.5 plasma volumes x 5 and 7 exchanges) in
one batch and returns them with the chosen one's charts; this module is the only place that
knows the shape of the calc's JSON answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

from plexms.core.policy import CentrePolicy
from plexms.services import calc
from plexms.web.forms import FormReader, UnitConvention

__all__ = ["OPTIONS", "compare", "convention", "default_values", "policy"]

OPTIONS: tuple[tuple[float, int], ...] = ((1.0, 5), (1.0, 7), (1.5, 5), (1.5, 7))
_FIELDS = {
    "sex": "sex",
    "height_cm": "height",
    "weight_kg": "weight",
    "hematocrit": "hematocrit",
    "start_date": "start_date",
    "igg_g_l": "igg",
    "fibrinogen_g_l": "fibrinogen",
}


def convention(request: Request) -> UnitConvention:
    """The signed-in user's centre's unit convention (the seed clinic's when signed out)."""
    centre = getattr(request.state, "centre", None)
    return UnitConvention(getattr(centre, "unit_system", None) or "us")


def policy(request: Request) -> CentrePolicy:
    """The centre's settings (the defaults when signed out)."""
    centre_policy = getattr(request.state, "policy", None)
    return centre_policy if isinstance(centre_policy, CentrePolicy) else CentrePolicy()


def _today(request: Request) -> dt.date:
    zone = ZoneInfo(policy(request).hours.time_zone)
    return dt.datetime.now(zone).date()


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
    }


def compare(request: Request, reader: FormReader) -> dict[str, Any] | None:
    """The four plans side by side, or ``None`` with ``reader.errors`` filled in."""
    base = _base_request(reader)
    if base is None:
        return None
    payloads = [{**base, "plasma_volumes_per_exchange": pv, "exchanges": n} for pv, n in OPTIONS]
    outcome = calc.run("plan", payloads, policy(request))
    return {"plans": outcome.body, "ok": outcome.ok}


def _base_request(reader: FormReader) -> dict[str, Any] | None:
    sex = reader.choice("sex", ("female", "male"), required=True)
    height = reader.quantity("height", "height", required=True)
    weight = reader.quantity("weight", "weight", required=True)
    hct = reader.quantity("hematocrit", "hematocrit", required=True)
    start = reader.date("start_date", required=True)
    igg = reader.quantity("igg", "igg")
    fibrinogen = reader.quantity("fibrinogen", "fibrinogen")
    if not reader.ok:
        return None
    body: dict[str, Any] = {
        "sex": sex,
        "height_cm": height,
        "weight_kg": weight,
        "hematocrit": hct,
        "start_date": start.isoformat() if start else None,
    }
    if igg is not None:
        body["igg_g_l"] = igg
    if fibrinogen is not None:
        body["fibrinogen_g_l"] = fibrinogen
    return body
