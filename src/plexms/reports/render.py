"""HTML from the report templates (Jinja2, autoescaped) and PDF from HTML (WeasyPrint).

Everything a patient or a clinician typed is escaped: the environment autoescapes every
template, and only the chart (our own SVG, embedded as a data URI) bypasses it.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["html_to_pdf", "local_time", "render_html", "svg_data_uri", "zone_label"]

_ENV = Environment(
    loader=PackageLoader("plexms.reports", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: float | None, places: int = 0, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.{places}f}"
    return f"{text} {unit}".strip()


_ENV.filters["num"] = _number


def render_html(template: str, **context: Any) -> str:
    """Render ``template`` (a file under ``reports/templates``) with ``context``."""
    return _ENV.get_template(template).render(**context)


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint; the stylesheet is part of the template)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=".").write_pdf()
    return pdf


def svg_data_uri(svg: str) -> str:
    """``data:`` URI of an SVG document (an ``<img>`` source WeasyPrint draws as vectors)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def local_time(moment: dt.datetime, zone: str) -> dt.datetime:
    """``moment`` (aware) on the wall clock of IANA time zone ``zone``."""
    return moment.astimezone(ZoneInfo(zone))


def zone_label(zone: str, at: dt.datetime) -> str:
    """``"America/Los_Angeles (PST, UTC-08:00)"``: the zone named, with its offset at ``at``."""
    local = local_time(at, zone)
    offset = local.strftime("%z")
    return f"{zone} ({local.tzname()}, UTC{offset[:3]}:{offset[3:]})"
