"""Jinja2 (+ jinja2-fragments) environment: one template can render whole or one block of it.

A page template has named blocks; an htmx request asks for one block (``render(...,
block="result")``) and gets just that fragment, so the same template serves both.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from plexms.core.policy import DEFAULT_TIME_ZONE
from plexms.core.sources import SOURCES
from plexms.core.vocabulary import VOCABULARIES
from plexms.interop.display import Display, age_years
from plexms.services.permissions import Permission, allowed
from plexms.web import svg

__all__ = [
    "TEMPLATES",
    "display_for",
    "fmt_date",
    "fmt_datetime",
    "fmt_num",
    "is_htmx",
    "render",
    "warm_up",
]

TEMPLATES_DIR = Path(__file__).with_name("templates")
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES = Jinja2Blocks(env=_ENV)


def warm_up() -> int:
    """Compile every template now (Jinja compiles on first use otherwise); how many."""
    names = _ENV.list_templates(extensions=("html", "svg", "txt"))
    for name in names:
        _ENV.get_template(name)
    return len(names)


def is_htmx(request: Request) -> bool:
    """Whether the request came from htmx (and wants a fragment)."""
    return request.headers.get("hx-request") == "true"


def fmt_num(value: Any, places: int = 1, unit: str = "") -> str:
    """A number with a fixed number of decimals (and its unit); an em dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{float(value):,.{places}f}"
    return f"{text} {unit}".rstrip()


def _zone(tz: str | None) -> ZoneInfo | None:
    return ZoneInfo(tz) if tz else None


def fmt_datetime(value: Any, tz: str | None = None) -> str:
    """An aware datetime in the centre's time zone, with the zone shown."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    zone = _zone(tz)
    if zone is not None and value.tzinfo is not None:
        value = value.astimezone(zone)
    return str(value.strftime("%a %d %b %Y %H:%M %Z").strip())


def fmt_clock(value: Any, tz: str | None = None) -> str:
    """The wall-clock time (HH:MM) of an aware datetime in the centre's time zone."""
    if value is None:
        return "—"
    zone = _zone(tz)
    if zone is not None and value.tzinfo is not None:
        value = value.astimezone(zone)
    return str(value.strftime("%H:%M"))


def fmt_date(value: Any) -> str:
    """A date written out unambiguously (weekday, day, month name, year)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return str(value.strftime("%a %d %b %Y"))


def display_for(centre: Any) -> Display:
    """The display convention of ``centre`` (a ``CentreOut``; the seed clinic's when None)."""
    if centre is None:
        return Display.for_centre("us", time_zone=DEFAULT_TIME_ZONE)
    return Display.for_centre(
        getattr(centre, "units", None) or "us", time_zone=getattr(centre, "time_zone", None)
    )


def _display(context: Context) -> Display:
    shown = context.get("display")
    if isinstance(shown, Display):
        return shown
    centre = context.get("centre")
    if centre is None:
        request = context.get("request")
        centre = getattr(getattr(request, "state", None), "centre", None)
    return display_for(centre)


@pass_context
def _f_qty(context: Context, value: Any, quantity: str) -> str:
    """``{{ weight_kg | qty('weight') }}`` -> ``150.0 lb`` at a US centre, ``68.0 kg`` at SI."""
    return _display(context).quantity(value, quantity)


@pass_context
def _f_qty_number(context: Context, value: Any, quantity: str) -> str:
    """The shown number only (for a table whose header names the unit)."""
    return _display(context).number(value, quantity)


@pass_context
def _f_unit(context: Context, quantity: str) -> str:
    return _display(context).unit(quantity)


@pass_context
def _f_datetime(context: Context, value: Any, tz: str | None = None) -> str:
    return _display(context).datetime(value, tz)


@pass_context
def _f_clock(context: Context, value: Any, tz: str | None = None) -> str:
    return _display(context).time(value, tz)


@pass_context
def _f_date(context: Context, value: Any) -> str:
    return _display(context).date(value)


@pass_context
def _f_long_date(context: Context, value: Any) -> str:
    return _display(context).long_date(value)


@pass_context
def _f_short_date(context: Context, value: Any) -> str:
    return _display(context).short_date(value)


@pass_context
def _f_dates_in(context: Context, text: Any) -> str:
    """ISO dates inside a calculator's or service's message, in the centre's style."""
    return _display(context).dates_in(str(text))


@pass_context
def _f_rule_text(context: Context, text: Any, rule: str, threshold: bool = False) -> str:
    """A go/no-go check's text or threshold in the centre's units (for the session sheet:
    ``{{ r.text | rule_text(r.rule) }}``, ``{{ r.threshold | rule_text(r.rule, true) }}``)."""
    return _display(context).rule_text(
        None if text is None else str(text), rule, threshold=threshold
    )


@pass_context
def _f_time(context: Context, value: Any) -> str:
    return _display(context).time(value)


@pass_context
def _f_age(context: Context, birth: Any) -> str:
    """Age in years today in the centre's zone (``41 y``), an em dash when unknown."""
    if birth is None:
        return "—"
    if isinstance(birth, str):
        birth = dt.date.fromisoformat(birth[:10])
    now = context.get("now")
    today = now.date() if isinstance(now, dt.datetime) else _today(context)
    years = age_years(birth, today)
    return f"{years} y"


def _today(context: Context) -> dt.date:
    request = context.get("request")
    clock = getattr(getattr(getattr(request, "app", None), "state", None), "clock", None)
    now = clock() if callable(clock) else dt.datetime.now(dt.UTC)
    zone = _display(context).time_zone
    return now.astimezone(ZoneInfo(zone)).date() if zone else now.date()


def _f_vocab(value: Any, name: str) -> str:
    """A stored word as its label in the core vocabulary ``name`` (the word when unknown)."""
    found = next((v for v in VOCABULARIES if v.name == name), None)
    return found.label(str(value)) if found is not None else str(value)


def cite(key: Any) -> Markup:
    """A source key as a reader sees it: author and year, linked to the paper when known, with
    the full citation as the tooltip ("Puisset F et al. 2013", never ``PUISSET_2013``)."""
    source = SOURCES.get(str(key)) if key else None
    if source is None:
        return Markup("—") if not key else Markup.escape(str(key).replace("_", " ").title())
    link = source.link()
    title = Markup.escape(source.citation)
    if link:
        return Markup('<a href="{}" title="{}" rel="noopener noreferrer">{}</a>').format(
            link, title, source.short()
        )
    return Markup('<span title="{}">{}</span>').format(title, source.short())


TEMPLATES.env.filters["num"] = fmt_num
TEMPLATES.env.filters["qty"] = _f_qty
TEMPLATES.env.filters["qty_number"] = _f_qty_number
TEMPLATES.env.filters["datetime"] = _f_datetime
TEMPLATES.env.filters["clock"] = _f_clock
TEMPLATES.env.filters["date"] = _f_date
TEMPLATES.env.filters["long_date"] = _f_long_date
TEMPLATES.env.filters["short_date"] = _f_short_date
TEMPLATES.env.filters["dates_in"] = _f_dates_in
TEMPLATES.env.filters["rule_text"] = _f_rule_text
TEMPLATES.env.filters["time"] = _f_time
TEMPLATES.env.filters["age"] = _f_age
TEMPLATES.env.globals["unit_of"] = _f_unit
TEMPLATES.env.globals["units_label"] = pass_context(lambda context: _display(context).label)
TEMPLATES.env.globals["svg"] = svg
TEMPLATES.env.filters["cite"] = cite
TEMPLATES.env.filters["vocab"] = _f_vocab
TEMPLATES.env.globals["default_time_zone"] = DEFAULT_TIME_ZONE


@pass_context
def can(context: Any, permission: str) -> bool:
    """``can('handback:write')``: whether the signed-in user's role may take the action
    (``services.permissions.allowed``, the one source the routes check too)."""
    actor = context.get("actor")
    role = getattr(actor, "role", None)
    return role is not None and allowed(str(role), Permission(permission))


TEMPLATES.env.globals["can"] = can
TEMPLATES.env.globals["Permission"] = Permission


def _local_today(request: Request) -> dt.date | None:
    """The signed-in user's day in their centre (``None`` when signed out)."""
    service_ctx = getattr(request.state, "service_context", None)
    if service_ctx is None:
        return None
    centre = getattr(request.state, "centre", None)
    zone = ZoneInfo(centre.time_zone if centre else DEFAULT_TIME_ZONE)
    return service_ctx.now.astimezone(zone).date()  # type: ignore[no-any-return]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render ``template`` (or only ``block`` of it) with the request's common context."""
    ctx: dict[str, Any] = {
        "request": request,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "actor": getattr(request.state, "actor", None),
        "centre": getattr(request.state, "centre", None),
        "web": getattr(request.app.state, "web", None),
        "today": _local_today(request),
    }
    ctx.update(context or {})
    if block is not None:
        return TEMPLATES.TemplateResponse(
            request, template, ctx, block_name=block, status_code=status_code, headers=headers
        )
    return TEMPLATES.TemplateResponse(
        request, template, ctx, status_code=status_code, headers=headers
    )


def markup(text: str) -> Markup:
    """Mark trusted, already-escaped HTML (our own SVG) safe for the templates."""
    return Markup(text)  # noqa: S704 - only our own escaped SVG goes through here
