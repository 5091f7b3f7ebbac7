"""Request ids, access logs without patient data, and Prometheus metrics (pure ASGI)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "RequestMiddleware"]

_log = structlog.get_logger("plexms.access")


class Metrics:
    """The app's own registry (one per app, so tests can build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "plexms_http_requests_total",
            "HTTP requests",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "plexms_http_request_duration_seconds",
            "HTTP request latency",
            ("method", "route"),
            registry=self.registry,
        )


def _clean_request_id(value: str) -> str:
    value = value.strip()[:64]
    return value if value and all(c.isalnum() or c in "-_." for c in value) else ""


class RequestMiddleware:
    """Gives each request the server's own id (``X-Request-ID`` out), logs it and counts it.

    The id on audit rows and in the logs is always ours: a client's ``X-Request-ID`` is only
    logged beside it (``client_request_id``, when it is a plain token of up to 64 characters),
    so a client cannot choose the id that audit rows are traced by.
    Logged: method, route template (never the concrete path or query), status, duration, user
    id. Never names, MRNs, bodies or query strings.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        client_request_id = _clean_request_id(incoming) or None
        request_id = uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            _log.info(
                "request",
                request_id=request_id,
                client_request_id=client_request_id,
                method=method,
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
                user_id=state.get("user_id"),
            )
