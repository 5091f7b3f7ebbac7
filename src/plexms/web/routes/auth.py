"""Sign in and out. The session token from the auth service is the ``plexms_session`` cookie
(HttpOnly, SameSite=Lax, Secure over TLS); the idle and absolute timeouts are the service's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.services.admin import auth
from plexms.services.errors import Unauthenticated
from plexms.web.errors import WebRoute
from plexms.web.session import PublicUser, cookie_secure, has_database, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_EXPIRED = (
    "Your session ended (30 minutes without activity, or 12 hours after signing in). Sign in again."
)


def _login_page(
    request: Request, *, message: str = "", username: str = "", status: int = 200
) -> Response:
    expired = request.query_params.get("expired") == "1"
    idle = getattr(request.app.state.web, "idle_seconds", 1800) // 60
    ctx = {
        "nav": "login",
        "message": message,
        "notice": _EXPIRED.replace("30", str(idle)) if expired and not message else "",
        "username": username,
        "available": has_database(request),
    }
    return render(request, "login.html", ctx, status_code=status)


@router.get("/login")
async def login_form(request: Request, user: PublicUser) -> Response:
    """The sign-in form (signed-in users go straight to the Today board)."""
    if user is not None:
        return RedirectResponse("/today", status_code=303)
    return _login_page(request)


@router.post("/login")
async def login_submit(request: Request, _: PublicUser) -> Response:
    """Check the credentials with the auth service and set the session cookie."""
    form = await request.form()
    username = str(form.get("username", ""))[:200]
    password = str(form.get("password", ""))[:1024]
    if not username or not password:
        return _login_page(
            request, message="Enter your username and password.", username=username, status=422
        )
    try:
        token = await run_in_threadpool(auth.login, service_context(request), username, password)
    except Unauthenticated:
        return _login_page(request, message=auth.LOGIN_FAILED, username=username, status=401)
    response = RedirectResponse("/today", status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token.token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, user: PublicUser) -> Response:
    """End the session on the server and drop the cookie."""
    if user is not None:
        await run_in_threadpool(auth.logout, service_context(request, user.actor), user.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response
