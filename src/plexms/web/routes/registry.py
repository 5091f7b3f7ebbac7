"""The centre's registry page: courses with filters, response and adverse-event rates, a chart
and the CSV download, over :mod:`plexms.services.sharing.registry` (the database does the counting).

Filters travel in the query string (indication, start dates, response: no patient data), so
a filtered view can be bookmarked and the CSV link carries the same filter. An htmx request
gets only the ``registry`` block (filters and results) of the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plexms.core.errors import InputError
from plexms.core.sources import SOURCES
from plexms.services.clinical import course_fit
from plexms.services.permissions import Permission, allowed
from plexms.services.sharing import federation, registry
from plexms.web import svg
from plexms.web.errors import WebRoute
from plexms.web.session import WebUser, requires, service_context
from plexms.web.templating import is_htmx, render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Exporter = Annotated[WebUser, requires(Permission.EXPORT)]
PAGE_SIZE = 50
_FIELDS = ("indication", "start_from", "start_to", "response")
BAND_LABELS = {
    "0-7": "0-7 days",
    "8-14": "8-14 days",
    "15-28": "15-28 days",
    ">28": "> 28 days",
    "unknown": "onset unknown",
}
RESPONSE_LABELS = {
    "responder": "responder (TND moderate or marked)",
    "non_responder": "non-responder",
    "not_assessed": "not assessed",
}


def _date(raw: str, field: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = f"{raw!r} is not a date: use YYYY-MM-DD (e.g. 2026-03-31)"
        return None


def read_filter(request: Request) -> tuple[registry.RegistryFilter, dict[str, str], dict[str, str]]:
    """The filter of the query string, the raw values (for the form) and messages per field."""
    raw = {name: request.query_params.get(name, "").strip()[:32] for name in _FIELDS}
    errors: dict[str, str] = {}
    start_from = _date(raw["start_from"], "start_from", errors)
    start_to = _date(raw["start_to"], "start_to", errors)
    for name, known in (("indication", registry.INDICATIONS), ("response", registry.RESPONSES)):
        if raw[name] and raw[name] not in known:
            errors[name] = f"{raw[name]!r} is unknown: choose one of the list"
    try:
        f = registry.RegistryFilter(
            indication=None if "indication" in errors else raw["indication"] or None,
            start_from=start_from,
            start_to=start_to,
            response=None if "response" in errors else raw["response"] or None,
        )
    except InputError as exc:
        errors[exc.field] = f"{exc.message} (allowed: {exc.allowed})"
        f = registry.RegistryFilter(
            indication=None if "indication" in errors else raw["indication"] or None,
            response=None if "response" in errors else raw["response"] or None,
        )
    return f, raw, errors


def _offset(request: Request) -> int:
    try:
        return max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        return 0


def onset_chart(dash: registry.Dashboard) -> Markup:
    """Response rate (%) by days-from-onset band, with the overall rate as a reference."""
    bands = [
        g for g in dash.by_onset_band if g.key in registry.BANDS and g.rate_percent is not None
    ]
    order = {band: i for i, band in enumerate(registry.BANDS)}
    points = [(float(order[g.key]), float(g.rate_percent or 0.0)) for g in bands]
    overall = dash.overall.rate_percent
    lines = [svg.Line(f"all courses {overall:.1f} %", y=overall)] if overall is not None else []
    return svg.line_chart(
        [svg.Series("responders among assessed courses", points)],
        title="Response rate by days from onset to the first exchange",
        x_label="days from onset to the first exchange (band, days)",
        y_label="responders (%)",
        lines=lines,
        x_ticks=[(float(i), b.replace(">", "> ")) for i, b in enumerate(registry.BANDS)],
        y_min=0.0,
        y_max=100.0,
        css_id="chart-onset",
    )


def _query(raw: dict[str, str], **extra: Any) -> str:
    items = {k: v for k, v in raw.items() if v} | {k: v for k, v in extra.items() if v}
    return urlencode(items)


@router.get("/registry")
async def registry_page(request: Request, user: Reader) -> Response:
    """The centre's courses (filtered), response rates and adverse-event rates."""
    f, raw, errors = read_filter(request)
    offset = _offset(request)
    ctx = service_context(request, user.actor)

    def load() -> dict[str, Any]:
        view = registry.registry_view(ctx, f, limit=PAGE_SIZE, offset=offset)
        return {"dash": view.dashboard, "page": view.courses}

    data = await run_in_threadpool(load)
    page = data["page"]
    context = {
        "nav": "registry",
        "raw": raw,
        "errors": errors,
        "chart": onset_chart(data["dash"]),
        "sources": [SOURCES[k] for k in data["dash"].sources if k in SOURCES],
        "band_labels": BAND_LABELS,
        "response_labels": RESPONSE_LABELS,
        "indication_options": [(i, i.replace("_", " ")) for i in registry.INDICATIONS],
        "response_options": list(RESPONSE_LABELS.items()),
        "csv_query": _query(raw),
        "prev_query": _query(raw, offset=str(max(0, offset - PAGE_SIZE))) if offset else None,
        "next_query": (
            _query(raw, offset=str(offset + PAGE_SIZE)) if offset + PAGE_SIZE < page.total else None
        ),
        "can_export": allowed(user.actor.role, Permission.EXPORT),
        **data,
    }
    status = 422 if errors else 200
    if is_htmx(request):
        return render(request, "registry.html", context, block="registry", status_code=status)
    return render(request, "registry.html", context, status_code=status)


@router.get("/registry.csv")
async def registry_csv(request: Request, user: Exporter) -> Response:
    """The filtered courses as CSV (ids, no names), audited as an export."""
    f, _raw, errors = read_filter(request)
    if errors:
        field, message = next(iter(errors.items()))
        raise InputError(field, message)
    ctx = service_context(request, user.actor)
    body = await run_in_threadpool(lambda: registry.export_courses_csv(ctx, f))
    stamp = ctx.now.strftime("%Y%m%d")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="registry-courses-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


_PRIOR_LABELS = {
    "baseline": "Pre-course level (g/L)",
    "intravascular_fraction": "Intravascular fraction (SD on the logit scale)",
    "redistribution_half_time_h": "Redistribution half-time (h)",
    "elimination_half_life_h": "Elimination half-life (h)",
}


@router.get("/registry/priors")
async def registry_priors(request: Request, user: Reader) -> Response:
    """The literature priors of the kinetic fit beside those learned from the registry."""
    ctx = service_context(request, user.actor)
    learned = await run_in_threadpool(course_fit.learn_priors, ctx, "registry")
    body = learned.to_json()
    rows = []
    for key, sub in body["substances"].items():
        for name, old in sub["population"].items():
            new = sub["learned"][name]
            rows.append(
                {
                    "substance": "IgG" if key == "igg" else key.capitalize(),
                    "courses": sub["courses"],
                    "parameter": _PRIOR_LABELS[name],
                    "old": f"{old['median']:.3g} ({old['sd_log']:.2f})",
                    "new": f"{new['median']:.3g} ({new['sd_log']:.2f})",
                }
            )
    context = {"nav": "registry", "learned": learned, "rows": rows}
    if request.query_params.get("fragment") or is_htmx(request):
        return render(request, "registry_priors.html", context, block="priors")
    return render(request, "registry_priors.html", context)


@router.get("/registry/federated")
async def registry_federated(request: Request, user: Reader) -> Response:
    """The registry nodes' pooled answer (the hub's view) and which nodes are missing."""
    ctx = service_context(request, user.actor)
    answer = await run_in_threadpool(federation.federated_dashboard, ctx, None)
    context = {"nav": "registry", "answer": answer}
    if request.query_params.get("fragment") or is_htmx(request):
        return render(request, "registry_federated.html", context, block="federated")
    return render(request, "registry_federated.html", context)
