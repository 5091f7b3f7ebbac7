"""Course planner: 1.0 vs 1.5 plasma volumes and 5 vs 7 exchanges side by side.

Every number comes from ``plexms calc plan`` (:mod:`plexms.services.calc`); this page only
reads the form, asks for the four plans in one batch and lays the answers out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from plexms.web import planner_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import PublicUser
from plexms.web.templating import is_htmx, render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/planner")
async def planner_form(request: Request, _: PublicUser) -> Response:
    """The planner with the demo patient's values filled in."""
    values = planner_view.default_values(request)
    ctx = {
        "nav": "planner",
        "values": values,
        "errors": {},
        "units": planner_view.convention(request),
    }
    return render(request, "planner.html", ctx)


@router.post("/planner")
async def planner_compare(request: Request, _: PublicUser) -> Response:
    """The side-by-side comparison (the whole page, or the result fragment for htmx)."""
    form = await request.form()
    reader = FormReader(form, planner_view.convention(request))
    view = planner_view.compare(request, reader)
    ctx = {
        "nav": "planner",
        "values": dict(form),
        "errors": reader.errors,
        "view": view,
        "units": reader.convention,
    }
    status = 200 if view is not None and not reader.errors else 422
    if is_htmx(request):
        return render(request, "planner.html", ctx, block="planner", status_code=status)
    return render(request, "planner.html", ctx, status_code=status)
