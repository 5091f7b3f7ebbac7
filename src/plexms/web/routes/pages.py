"""Entry points: ``/`` goes to the Today board when signed in, otherwise to the sign-in form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from plexms.web.errors import WebRoute
from plexms.web.session import PublicUser

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/")
async def index(request: Request, user: PublicUser) -> Response:
    """Signed in: the Today board; signed out: the sign-in form."""
    target = "/today" if user is not None else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/favicon.ico")
async def favicon(_: PublicUser) -> Response:
    """Browsers ask for /favicon.ico before reading the page's icon link: send them there."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
