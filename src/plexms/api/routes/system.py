"""Health and metrics (no sign-in; neither carries patient data)."""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from plexms import __version__
from plexms.api.deps import requires
from plexms.services import ops
from plexms.services.context import ServiceContext
from plexms.services.errors import Unauthenticated
from plexms.services.permissions import Permission

__all__ = ["router"]

router = APIRouter(tags=["system"])
Public = Annotated[ServiceContext, requires(Permission.PUBLIC)]


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    database: str
    version: str
    migration: str | None = None
    writes: str | None = Field(
        default=None, description='"ok", or "failing (<error>)" when a write probe fails'
    )
    replica: str | None = Field(
        default=None,
        description=(
            'the read replica: "ok (<lag> s behind)", "lagging (...)" or "down (<error>)"'
            " (its reads then go to the primary); null without one"
        ),
    )
    replica_lag_seconds: float | None = None


@router.get("/api/health", response_model=Health, responses={503: {"model": Health}})
def health(ctx: Public, response: Response) -> Health:
    """Whether the service and its database answer and take writes: 503 with ``unavailable``
    when the database does not answer, ``degraded`` when it reads but a committed write probe
    fails (read-only file or directory, full disk); ``degraded`` with 200 when only the read
    replica is down or too far behind (the service answers in full from the primary)."""
    report = ops.health(ctx)
    if not report["ok"]:
        response.status_code = 503
    return Health(
        status=report["status"],
        database=report["database"],
        version=__version__,
        migration=report.get("migration"),
        writes=report.get("writes"),
        replica=report.get("replica"),
        replica_lag_seconds=report.get("replica_lag_seconds"),
    )


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(ctx: Public, request: Request) -> Response:
    """Prometheus text exposition of request counts and latencies (and the read replica's
    lag, ``plexms_replica_lag_seconds``, and ``plexms_replica_up``, when there is one); when
    ``PLEXMS_METRICS_TOKEN`` is set, only for ``Authorization: Bearer <that token>``."""
    expected = ctx.settings.metrics_token
    if expected is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        secret = expected.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), secret):
            raise Unauthenticated("the metrics token is needed (Authorization: Bearer ...)")
    metrics = request.app.state.metrics
    status = ops.replica_status(ctx.db)
    if status.replica is not None:
        metrics.observe_replica(status.replica.usable, status.replica.lag_seconds)
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
