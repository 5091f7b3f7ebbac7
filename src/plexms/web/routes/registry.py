"""The centre's registry page: courses with filters, response and adverse-event rates, a chart
and the CSV download, over :mod:`plexms.services.sharing.registry` (the database does the counting).

Filters travel in the query string (indication, start dates, response: no patient data), so
a filtered view can be bookmarked and the CSV link carries the same filter. An htmx request
gets only the ``registry`` block (filters and results) of the page.
"""

from __future__ import annotations

import asyncio
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
from plexms.services.sharing import benchmark, federation, registry
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


def _nice_top(value: float) -> float:
    """The smallest round tick at or above ``value`` (so the axis covers it)."""
    ticks = svg.nice_ticks(0.0, value)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return ticks[-1] if ticks[-1] >= value else ticks[-1] + step


def funnel_chart(b: benchmark.Benchmark) -> Markup:
    """Each centre's procedures with an adverse event (%) against its procedures, with the
    95% and 99.8% control limits around the pooled rate (SPIEGELHALTER_2005)."""
    points = b.funnel.points
    if not points:
        return Markup("")
    most = max(p.procedures for p in points)
    least = max(1, min(p.procedures for p in points) // 2)
    xs = sorted({least, most, *[least + (most - least) * i / 40 for i in range(41)]})
    curve = b.funnel.curve(xs)
    top = _nice_top(100 * min(1.0, max(max(p.rate for p in points), 2.5 * b.funnel.target)))
    series = [  # each limit drawn up the upper side and back along the lower one
        svg.Series(
            f"{name} limits",
            [(x, min(top, 100 * v)) for x, v in zip(xs, curve[name][1], strict=True)]
            + [(x, 100 * v) for x, v in reversed(list(zip(xs, curve[name][0], strict=True)))],
            css="series-2" if name == "95%" else "series-3",
            markers=False,
        )
        for name in curve
    ]
    own = [p for p in points if p.label == b.own_label]
    others = [p for p in points if p.label != b.own_label]
    series.append(
        svg.Series("other centres", [(p.procedures, 100 * p.rate) for p in others], line=False)
    )
    if own:
        series.append(
            svg.Series(
                own[0].label,
                [(own[0].procedures, 100 * own[0].rate)],
                css="series-1",
                line=False,
            )
        )
    target = 100 * b.funnel.target
    return svg.line_chart(
        [s for s in series if s.points],
        title="Funnel plot: procedures with an adverse event, by centre",
        x_label="procedures done",
        y_label="with an adverse event (%)",
        lines=[svg.Line(f"all centres {target:.2f} %", y=target)],
        y_min=0.0,
        y_max=top,
        css_id="chart-funnel",
    )


def cusum_chart(b: benchmark.Benchmark, points: int = 400) -> Markup:
    """The Bernoulli CUSUM over the centre's procedures (the highest value of each stretch of
    procedures when there are many), the threshold h and each signal."""
    values = b.cusum.values
    if not values.size:
        return Markup("")
    step = max(1, -(-values.size // points))
    pts = [
        (float(min(i + step, values.size)), float(values[i : i + step].max()))
        for i in range(0, values.size, step)
    ]
    lines = [svg.Line(f"h = {b.cusum.h:g}", y=b.cusum.h)]
    lines += [  # the latest signals (each also in the summary line above the chart)
        svg.Line(f"signal at procedure {i + 1}", x=float(i + 1)) for i in b.cusum.signals[-20:]
    ]
    return svg.line_chart(
        [svg.Series("CUSUM", pts, markers=False)],
        title="CUSUM of procedures with an adverse event (signals a rise)",
        x_label="procedure (oldest first)",
        y_label="CUSUM",
        lines=lines,
        y_min=0.0,
        y_max=_nice_top(max(b.cusum.h * 1.2, float(values.max()))),
        css_id="chart-cusum",
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
        bench = benchmark.benchmark(ctx, f)
        return {"dash": view.dashboard, "page": view.courses, "bench": bench}

    data = await run_in_threadpool(load)
    page = data["page"]
    context = {
        "nav": "registry",
        "raw": raw,
        "errors": errors,
        "chart": onset_chart(data["dash"]),
        "funnel_chart": funnel_chart(data["bench"]),
        "cusum_chart": cusum_chart(data["bench"]),
        "sources": [
            SOURCES[k]
            for k in dict.fromkeys((*data["dash"].sources, *data["bench"].sources))
            if k in SOURCES
        ],
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
    """The registry nodes' pooled answer and kinetic priors (the hub's view) and which nodes
    are missing."""
    ctx = service_context(request, user.actor)
    # the two queries go out together: a slow node costs one timeout, not two
    answer, priors = await asyncio.gather(
        run_in_threadpool(federation.federated_dashboard, ctx, None),
        run_in_threadpool(federation.federated_priors, ctx),
    )
    context = {
        "nav": "registry",
        "answer": answer,
        "priors": priors,
        "prior_labels": {**_PRIOR_LABELS, "intravascular_fraction": "Intravascular fraction"},
    }
    if request.query_params.get("fragment") or is_htmx(request):
        return render(request, "registry_federated.html", context, block="federated")
    return render(request, "registry_federated.html", context)


@router.get("/registry/benchmark.csv")
async def benchmark_csv(request: Request, user: Exporter) -> Response:
    """The adverse-event benchmark as CSV (counts and rates, no patient data), audited."""
    f, _raw, errors = read_filter(request)
    if errors:
        field, message = next(iter(errors.items()))
        raise InputError(field, message)
    ctx = service_context(request, user.actor)
    body = await run_in_threadpool(lambda: benchmark.benchmark_csv(ctx, f))
    stamp = ctx.now.strftime("%Y%m%d")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="registry-benchmark-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
