"""EDSS by functional systems (computed live as the grades change) and visual acuity."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plexms.web import acuity_view, scores_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import PublicUser
from plexms.web.templating import is_htmx, render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _ctx(request: Request, **extra: object) -> dict[str, object]:
    units = getattr(getattr(request.state, "centre", None), "units", None) or "us"
    return {
        "nav": "scores",
        "acuity_notations": acuity_view.NOTATIONS,
        "acuity_default": acuity_view.default_notation(units),
        "acuity_eyes": acuity_view.EYES,
        "acuity_errors": {},
        "acuity": None,
        "fs_fields": scores_view.FS_FIELDS,
        "ambulation_choices": scores_view.AMBULATION_CHOICES,
        "aids": scores_view.WALKING_AID_LABELS,
        **extra,
    }


@router.get("/scores")
async def scores_form(request: Request, _: PublicUser) -> Response:
    """The EDSS form, all grades 0."""
    values = {f"fs_{name}": "0" for name, _, _ in scores_view.FS_FIELDS} | {"ambulation_score": "0"}
    result = await run_in_threadpool(scores_view.score_edss, FormReader(values))
    return render(request, "scores.html", _ctx(request, values=values, errors={}, edss=result))


@router.post("/scores/edss")
async def scores_edss(request: Request, _: PublicUser) -> Response:
    """The EDSS for the submitted grades (the result fragment for htmx)."""
    form = await request.form()
    reader = FormReader(form)
    result = await run_in_threadpool(scores_view.score_edss, reader)
    ctx = _ctx(request, values=dict(form), errors=reader.errors, edss=result)
    status = 200 if result is not None else 422
    if is_htmx(request):
        return render(request, "scores.html", ctx, block="edss_form", status_code=status)
    return render(request, "scores.html", ctx, status_code=status)


@router.post("/scores/acuity")
async def scores_acuity(request: Request, _: PublicUser) -> Response:
    """Both eyes' acuity in every notation (the result fragment for htmx)."""
    form = await request.form()
    reader = FormReader(form)
    eyes = await run_in_threadpool(acuity_view.read_eyes, reader)
    if reader.ok and not any(eyes.values()):
        reader.fail("va_right", "Enter the acuity of at least one eye.")
    values = {f"fs_{name}": "0" for name, _, _ in scores_view.FS_FIELDS} | dict(form)
    ctx = _ctx(
        request,
        values=values,
        errors={},
        edss=await run_in_threadpool(scores_view.score_edss, FormReader(values)),
        acuity=eyes if reader.ok else None,
        acuity_errors=reader.errors,
    )
    status = 200 if reader.ok else 422
    if is_htmx(request):
        return render(request, "scores.html", ctx, block="acuity_form", status_code=status)
    return render(request, "scores.html", ctx, status_code=status)
