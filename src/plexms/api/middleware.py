"""Request ids, access logs without patient data, Prometheus metrics, the API's security
headers, request-body limits and the read replica's read-your-writes notes (pure ASGI)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "API_CSP",
    "MAX_BODY_BYTES",
    "BodyLimitMiddleware",
    "Metrics",
    "RequestMiddleware",
    "WriteNoteMiddleware",
    "is_api_path",
]

_log = structlog.get_logger("plexms.access")

#: Largest request body the API reads (a 14 MB base64 document or a 20 MiB FHIR bundle fit);
#: routes may set a lower one (``BodyLimitMiddleware(limits=...)``, e.g. the calculators).
MAX_BODY_BYTES = 24 * 1024 * 1024

#: JSON is never a page: nothing may load, frame or run from an API response.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_API_PREFIXES = ("/api", "/openapi.json", "/metrics")
_DOCS_PATH = "/api/docs"  # Swagger UI: its own scripts, so no CSP (the other headers hold)


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the JSON API (or its schema and metrics), not a page."""
    return any(path == p or path.startswith(p + "/") for p in _API_PREFIXES)


def _api_headers(path: str, tls: bool) -> list[tuple[bytes, bytes]]:
    """The pages' security headers, for the API: ``no-store`` since answers carry patient
    data (and a stale health or token answer helps nobody)."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cache-control", b"no-store"),
    ]
    if path != _DOCS_PATH:
        headers.append((b"content-security-policy", API_CSP.encode()))
    if tls:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


class Metrics:
    """The app's own registry (one per app, so tests can build many apps).

    With ``PROMETHEUS_MULTIPROC_DIR`` set (``plexms serve --workers N`` sets it; several
    instances on one host may share it), prometheus_client's multiprocess mode writes every
    worker's counts to files there and :meth:`exposition` adds them all up, so ``/metrics``
    from any worker reports the whole host. Instances on other hosts are separate Prometheus
    scrape targets (the README's "Running at scale").
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
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
        self._replica: tuple[Gauge, Gauge] | None = None
        self._replica_lock = threading.Lock()

    def observe_replica(self, up: bool, lag_seconds: float | None) -> None:
        """Set the read replica's gauges, when ``/metrics`` is read (made on the first call:
        an installation without a replica shows none). In multiprocess mode the most recent
        value wins (every process measures the same replica)."""
        with self._replica_lock:
            if self._replica is None:
                self._replica = self._replica_gauges()
        lag, serving = self._replica
        serving.set(1 if up else 0)
        lag.set(float("nan") if lag_seconds is None else lag_seconds)

    def _replica_gauges(self) -> tuple[Gauge, Gauge]:
        return (
            Gauge(
                "plexms_replica_lag_seconds",
                "How far the read replica is behind the primary (NaN: down or unknown)",
                registry=self.registry,
                multiprocess_mode="mostrecent",
            ),
            Gauge(
                "plexms_replica_up",
                "1 when the read replica serves reads, 0 when they go to the primary",
                registry=self.registry,
                multiprocess_mode="mostrecent",
            ),
        )

    def exposition(self) -> bytes:
        """The Prometheus text of this app, or of every process writing to the shared
        multiprocess directory."""
        if self.multiprocess_dir:
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            return bytes(generate_latest(combined))
        return bytes(generate_latest(self.registry))


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
        path = scope.get("path", "")
        extra = _api_headers(path, scope.get("scheme") == "https") if is_api_path(path) else []

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                present = {name.lower() for name, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
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


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class WriteNoteMiddleware:
    """Read-your-writes for the read replica: after a request that may have written (any
    method but GET, HEAD, OPTIONS, TRACE) by a signed-in user, ``note(user_id)`` runs
    before the answer starts, so the user's next request, on any instance, reads the primary
    until the replica has replayed it (:meth:`plexms.store.database.Database.note_write`).
    Installed only when a replica is configured."""

    def __init__(self, app: ASGIApp, note: Callable[[int], None]) -> None:
        self.app = app
        self.note = note

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                user_id = state.get("user_id")
                if isinstance(user_id, int):
                    await run_in_threadpool(self.note, user_id)
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodyLimitMiddleware:
    """Refuses an API request body over its limit with 413 problem+json, as it streams in.

    A declared ``Content-Length`` over the limit is refused before anything is read; a
    chunked body is read until it passes the limit, then refused (the rest is never read).
    ``limits`` maps a path prefix to a lower limit (the longest matching prefix wins).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int = MAX_BODY_BYTES,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send, limit)
            return
        if declared.isdigit():  # the server reads no more than the declared length
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, send, limit)
                return
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

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    state = scope.get("state") or {}
    body = {
        "type": "about:blank",
        "title": "Content too large",
        "status": 413,
        "detail": f"the request body is over {limit} bytes",
        "instance": scope.get("path", ""),
        "request_id": state.get("request_id", ""),
        "field": "body",
        "allowed": f"<= {limit} bytes",
    }
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
