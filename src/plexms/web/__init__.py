"""Server-rendered web app: Jinja2 templates and htmx fragments over the services.

:func:`install` mounts it on the application that :func:`plexms.app.create_app` builds: the
HTML routes, the static files (htmx vendored, one stylesheet, one small script) and the
security-header and CSRF middleware for the HTML routes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from plexms.web.security import CsrfMiddleware, SecurityHeadersMiddleware
from plexms.web.spam import RateLimiter

__all__ = ["STATIC_DIR", "WebConfig", "install"]

STATIC_DIR = Path(__file__).with_name("static")


@dataclass(frozen=True)
class WebConfig:
    """Web-only knobs (the rest comes from :class:`plexms.settings.Settings`)."""

    secret: bytes
    idle_seconds: int = 30 * 60
    cookie_secure: str = "auto"
    referral_min_fill_seconds: float = 3.0
    referral_max_per_window: int = 5
    referral_window_seconds: int = 600


def _secret(settings: Any) -> bytes:
    raw = getattr(settings, "secret_key", "") or ""
    if hasattr(raw, "get_secret_value"):
        raw = raw.get_secret_value()
    # No configured key: a random one per process (tokens then do not survive a restart).
    return raw.encode() if raw else secrets.token_bytes(32)


def install(app: FastAPI, settings: Any, config: WebConfig | None = None) -> None:
    """Mount the web app on ``app``: routes, static files, CSRF and security headers."""
    from plexms.web.errors import install_html_errors, reject_csrf
    from plexms.web.routes import ROUTERS

    if config is None:
        config = WebConfig(
            secret=_secret(settings),
            idle_seconds=int(getattr(settings, "session_idle_minutes", 30)) * 60,
            cookie_secure=str(getattr(settings, "cookie_secure", "auto")),
        )
    app.state.web = config
    app.state.web_referral_limiter = RateLimiter(
        config.referral_max_per_window, config.referral_window_seconds
    )
    app.state.web_settings = settings
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_html_errors(app)
    # Added last = outermost: the headers also go on CSRF rejections.
    app.add_middleware(CsrfMiddleware, secret=config.secret, on_reject=reject_csrf)
    app.add_middleware(SecurityHeadersMiddleware)
