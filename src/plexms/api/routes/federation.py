"""The federated registry: a node's signed-query endpoint and the hub's pooled view."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from plexms.api.deps import requires
from plexms.core.errors import InputError
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.sharing import federation

__all__ = ["router"]

router = APIRouter(tags=["federated registry"])
Public = Annotated[ServiceContext, requires(Permission.PUBLIC)]
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]


@router.post("/api/federation/query")
async def federation_query(ctx: Public, request: Request) -> dict[str, Any]:
    """Answer a hub's signed aggregate query (no sign-in: the HMAC signature with the key
    this node shares with that hub is the credential; at most 16 KiB). Small cells are
    withheld; every query is audited."""
    try:
        envelope = json.loads(await request.body())
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        raise InputError("body", "is not a JSON object", allowed="a signed federation query")
    answer: dict[str, Any] = await run_in_threadpool(federation.answer_query, ctx, envelope)
    return answer


class PooledOut(BaseModel):
    key: str
    numerator: int
    denominator: int
    percent: float | None
    low: float | None
    high: float | None
    nodes: int


class NodeOut(BaseModel):
    name: str
    answered: bool
    reason: str
    courses: int | None
    procedures: int | None
    events: int | None
    ae_per_100: float | None
    response_percent: float | None
    assessed: int | None


class FederatedOut(BaseModel):
    asked: int
    k: int
    nodes: list[NodeOut]
    missing: list[str]
    response_by_indication: list[PooledOut]
    events_per_100: list[PooledOut]
    overall_ae: PooledOut | None


def federated_out(answer: federation.FederatedAnswer) -> FederatedOut:
    """The JSON form of a federated answer (also the CLI's)."""
    return FederatedOut(**answer.to_dict())


@router.get("/api/registry/federated", response_model=FederatedOut)
def federated(
    ctx: Read,
    indication: Annotated[str | None, Query(max_length=40)] = None,
    start_from: Annotated[str | None, Query(max_length=10)] = None,
    start_to: Annotated[str | None, Query(max_length=10)] = None,
) -> FederatedOut:
    """Ask every configured registry node and pool their answers; names the nodes missing."""
    filters = {
        k: v
        for k, v in (("indication", indication), ("start_from", start_from), ("start_to", start_to))
        if v
    }
    return federated_out(federation.federated_dashboard(ctx, filters))


class PooledPriorOut(BaseModel):
    substance: str
    parameter: str
    nodes: int
    n: int
    mean: float | None
    sd: float | None
    median: float | None
    low: float | None
    high: float | None
    learned_median: float | None
    learned_sd_log: float | None
    withheld_by: list[str]


class PriorNodeOut(BaseModel):
    name: str
    answered: bool
    reason: str


class FederatedPriorsOut(BaseModel):
    asked: int
    k: int
    nodes: list[PriorNodeOut]
    missing: list[str]
    priors: list[PooledPriorOut]


@router.get("/api/registry/federated/priors", response_model=FederatedPriorsOut)
def federated_priors(ctx: Read) -> FederatedPriorsOut:
    """Ask every configured registry node for its kinetic-prior moments and pool them
    exactly: per substance and parameter the pooled log-normal (median, 90% range; ``mean`` and
    ``sd`` on the log scale, logit for the intravascular fraction), the empirical-Bayes prior
    learned from it, the nodes withholding (fewer than k patients) and the nodes missing."""
    return FederatedPriorsOut(**federation.federated_priors(ctx).to_dict())
