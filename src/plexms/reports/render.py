"""HTML from the report templates (Jinja2, autoescaped) and PDF from HTML (WeasyPrint).

Everything a patient or a clinician typed is escaped: the environment autoescapes every
template, and only the chart (our own SVG, embedded as a data URI) bypasses it. User text is
never placed in CSS (the stylesheet is static; the running footer is an HTML element), and
WeasyPrint fetches nothing but ``data:`` URIs and files shipped in this package: http(s),
other files and every other scheme are refused, whatever the HTML asks for.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = [
    "ASSET_DIR",
    "allowed_url",
    "html_to_pdf",
    "local_time",
    "render_html",
    "svg_data_uri",
    "zone_label",
]

#: The only directory WeasyPrint may read files from (the report templates and assets).
ASSET_DIR = Path(str(files("plexms.reports").joinpath("templates"))).resolve()

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


def allowed_url(url: str) -> bool:
    """Whether the PDF renderer may fetch ``url``: a ``data:`` URI or a packaged file."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(url2pathname(parts.path)).resolve()
    return path.is_relative_to(ASSET_DIR) and path.is_file()


@cache
def _fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher, URLFetchingError

    class PackagedOnly(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher, for packaged assets and ``data:`` URIs only."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not allowed_url(url):
                raise URLFetchingError(f"not a packaged asset: {url[:60]}")
            return super().fetch(url, headers)

    return PackagedOnly


def _fetcher() -> Any:
    return _fetcher_class()(allowed_protocols=("data", "file"), allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint; the stylesheet is part of the template); relative
    URLs resolve in the package's templates, and nothing outside it is fetched."""
    from weasyprint import HTML

    document = HTML(
        string=html, base_url=ASSET_DIR.as_uri() + "/", url_fetcher=_fetcher()
    )  # one per render: a fetcher keeps per-request state
    pdf: bytes = document.write_pdf()
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
