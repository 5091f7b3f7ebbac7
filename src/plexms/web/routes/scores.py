"""EDSS by functional systems (computed live as the grades change) and visual acuity."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plexms.web import scores_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import PublicUser
from plexms.web.templating import is_htmx, render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _ctx(**extra: object) -> dict[str, object]:
    return {
        "nav": "scores",
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
    return render(request, "scores.html", _ctx(values=values, errors={}, edss=result))


@router.post("/scores/edss")
async def scores_edss(request: Request, _: PublicUser) -> Response:
    """The EDSS for the submitted grades (the result fragment for htmx)."""
    form = await request.form()
    reader = FormReader(form)
    result = await run_in_threadpool(scores_view.score_edss, reader)
    ctx = _ctx(values=dict(form), errors=reader.errors, edss=result)
    status = 200 if result is not None else 422
    if is_htmx(request):
        return render(request, "scores.html", ctx, block="edss_form", status_code=status)
    return render(request, "scores.html", ctx, status_code=status)
