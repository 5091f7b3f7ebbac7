"""Protocols compared on a virtual cohort (``/cohort``, issue 18 item 2): the form, and the
chart and table of ``calc cohort``'s answer (the whole page, or the result block for htmx)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from plexms.services.permissions import Permission, allowed
from plexms.web import cohort_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import WebUser, requires, service_context
from plexms.web.templating import is_htmx, render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Calc = Annotated[WebUser, requires(Permission.CALC)]


def _ctx(user: WebUser, **extra: object) -> dict[str, object]:
    return {
        "nav": "cohort",
        "rows": range(cohort_view.ROWS),
        "max_n": cohort_view.WEB_MAX_N,
        "can_use_registry": allowed(user.actor.role, Permission.PATIENT_READ),
        "errors": {},
        "view": None,
        **extra,
    }


@router.get("/cohort")
async def cohort_form(request: Request, user: Calc) -> Response:
    """The form with the four usual protocols."""
    return render(request, "cohort.html", _ctx(user, values=cohort_view.default_values()))


@router.post("/cohort")
async def cohort_compare(request: Request, user: Calc) -> Response:
    """The comparison of the submitted protocols."""
    form = await request.form()
    reader = FormReader(form)
    ctx = service_context(request, user.actor)
    view = await run_in_threadpool(cohort_view.compare, ctx, reader)
    context = _ctx(user, values=dict(form), errors=reader.errors, view=view)
    status = 200 if view is not None else 422
    if is_htmx(request):
        return render(request, "cohort.html", context, block="cohort", status_code=status)
    return render(request, "cohort.html", context, status_code=status)
