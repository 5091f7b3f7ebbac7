"""Sign in and out, API tokens, one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from plexms.api.deps import PathId, requires
from plexms.services.admin import auth
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import (
    ApiTokenOut,
    LoginIn,
    PasswordChangeIn,
    TokenIn,
    TokenOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["auth"])
Public = Annotated[ServiceContext, requires(Permission.PUBLIC)]
Signed = Annotated[ServiceContext, requires(Permission.AUTHENTICATED)]


class Me(BaseModel):
    user_id: int | None
    username: str
    role: str
    centre_id: int | None


def _secure(request: Request) -> bool:
    mode = request.app.state.settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


@router.post("/login", response_model=TokenOut)
def login(ctx: Public, body: LoginIn, request: Request, response: Response) -> TokenOut:
    """Sign in: answers the token and sets the session cookie (HttpOnly, SameSite=Strict)."""
    token = auth.login(ctx, body.username, body.password)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token.token,
        max_age=ctx.settings.session_absolute_hours * 3600,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"
    return token


@router.post("/logout", status_code=204)
def logout(ctx: Signed, request: Request) -> Response:
    """End this session (or revoke this API token); clears the cookie."""
    bearer = request.headers.get("authorization", "")
    token = bearer[7:] if bearer.lower().startswith("bearer ") else None
    token = token or request.cookies.get(auth.SESSION_COOKIE)
    if token:
        auth.logout(ctx, token)
    response = Response(status_code=204)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
def me(ctx: Signed) -> Me:
    """Who is signed in."""
    assert ctx.actor is not None  # noqa: S101 - requires() signed in
    return Me(
        user_id=ctx.actor.user_id,
        username=ctx.actor.username,
        role=ctx.actor.role,
        centre_id=ctx.actor.centre_id,
    )


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(ctx: Signed, body: TokenIn, response: Response) -> TokenOut:
    """An API token for scripts (shown once)."""
    response.headers["Cache-Control"] = "no-store"
    return auth.create_api_token(ctx, body.name)


@router.get("/tokens", response_model=list[ApiTokenOut])
def list_tokens(ctx: Signed) -> list[ApiTokenOut]:
    """Your API tokens (live and revoked or expired), never their secrets."""
    return auth.list_api_tokens(ctx)


@router.delete("/tokens/{token_id}", response_model=ApiTokenOut)
def revoke_token(ctx: Signed, token_id: PathId) -> ApiTokenOut:
    """Revoke one of your API tokens (an admin: any API token of the centre's users)."""
    return auth.revoke_api_token(ctx, token_id)


@router.post("/password", status_code=204)
def change_password(ctx: Signed, body: PasswordChangeIn) -> Response:
    """Change your password; every session ends (sign in again)."""
    auth.change_password(ctx, body.current_password, body.new_password)
    return Response(status_code=204)
