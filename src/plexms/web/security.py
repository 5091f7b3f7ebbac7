"""Security for the HTML routes: response headers and CSRF protection (pure ASGI middleware).

- Headers on every web response: a Content-Security-Policy without inline scripts or styles,
  ``X-Content-Type-Options: nosniff``, ``frame-ancestors 'none'`` (and ``X-Frame-Options``),
  ``Referrer-Policy: same-origin``, HSTS when the request came over TLS, and
  ``Cache-Control: no-store`` on every page (static files get a short public cache).
- CSRF: a random per-browser cookie (``plexms_csrf``) and a token derived from it AND the
  session cookie with HMAC, so a token is bound to the signed-in session and stops working at
  logout. Every unsafe method (POST, PUT, PATCH, DELETE) on an HTML route must carry the token,
  in the ``csrf_token`` form field or the ``X-CSRF-Token`` header (htmx sends the header, see
  ``static/plexms.js``); otherwise 403. The JSON API under ``/api`` is not an HTML route.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from plexms.services.admin import auth

__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CsrfMiddleware",
    "SecurityHeadersMiddleware",
    "csrf_token_for",
    "is_html_path",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "plexms_session"
CSRF_COOKIE = "plexms_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_MAX_FORM_BYTES = 1_000_000
_NOT_HTML_PREFIXES = ("/api/", "/api", "/metrics", "/openapi.json", "/docs", "/redoc")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def is_html_path(path: str) -> bool:
    """Whether ``path`` belongs to the web app (not the JSON API, metrics or API docs)."""
    return not any(path == p or path.startswith(p + "/") for p in _NOT_HTML_PREFIXES)


def csrf_token_for(secret: bytes, browser_id: str, session_token: str | None) -> str:
    """The CSRF token of one browser (``plexms_csrf`` cookie) in one session (or none); the
    derivation lives with sign-in (the API checks the same token)."""
    return auth.csrf_token_for(secret, browser_id, session_token)


def _is_asset(path: str) -> bool:
    return path.startswith("/static/") or path == "/favicon.ico"


def _cookies(scope: Scope) -> dict[str, str]:
    jar: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key and key not in jar:
                    jar[key] = val
    return jar


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _is_tls(scope: Scope) -> bool:
    return scope.get("scheme") in ("https", "wss")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response of an HTML route."""

    def __init__(self, app: ASGIApp, *, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_html_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(self.static_prefix)
        tls = _is_tls(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if tls:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                cache = b"public, max-age=3600" if static else b"no-store"
                extra.append((b"cache-control", cache))
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CsrfMiddleware:
    """Issues the per-browser CSRF cookie and checks the token on unsafe HTML requests.

    The token for the current request is put in ``scope["state"]["csrf_token"]`` for the
    templates. A rejected request gets ``on_reject(scope)``'s response (an HTML 403 page).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: bytes,
        on_reject: Callable[[Scope, str], Awaitable[tuple[int, list[tuple[bytes, bytes]], bytes]]],
    ) -> None:
        self.app = app
        self.secret = secret
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_html_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        browser_id = cookies.get(CSRF_COOKIE, "")
        new_cookie = not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", browser_id)
        if new_cookie and scope["method"] in _SAFE_METHODS and _is_asset(scope["path"]):
            # a stylesheet, script or icon fetched before the page's cookie was stored must
            # not issue a second browser id (it would replace the page's and void its form)
            await self.app(scope, receive, send)
            return
        if new_cookie:
            browser_id = secrets.token_urlsafe(32)
        expected = csrf_token_for(self.secret, browser_id, cookies.get(SESSION_COOKIE))
        scope.setdefault("state", {})["csrf_token"] = expected

        if scope["method"] not in _SAFE_METHODS:
            body, receive = await _buffer_body(receive)
            if body is None:
                await self._reject(scope, send, "The form is too large.")
                return
            sent = _header(scope, CSRF_HEADER.encode()) or _form_token(scope, body)
            if new_cookie or not sent or not hmac.compare_digest(sent, expected):
                await self._reject(scope, send, "missing or invalid CSRF token")
                return

        async def send_with_cookie(message: Message) -> None:
            if new_cookie and message["type"] == "http.response.start":
                attrs = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if _is_tls(scope) else "")
                cookie = f"{CSRF_COOKIE}={browser_id}; {attrs}".encode()
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _reject(self, scope: Scope, send: Send, reason: str) -> None:
        status, headers, body = await self.on_reject(scope, reason)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _buffer_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole request body (at most 1 MB) and a ``receive`` that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            if key == CSRF_FIELD:
                return value
        return None
    if content_type == "multipart/form-data":
        found = re.search(rb'name="csrf_token"\r\n\r\n([0-9a-f]{64})\r\n', body)
        return found.group(1).decode() if found else None
    return None
