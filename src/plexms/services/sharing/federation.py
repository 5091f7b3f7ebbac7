"""The federated registry (issue 19, item 3): nodes answer signed aggregate queries, a hub
asks many nodes at once and pools what they say. No row-level data leaves a node.

**Node.** :func:`answer_query` checks the query's signature (HMAC-SHA256 with the key this
node shares with that hub), its age (``federation_max_skew_seconds``) and that its nonce was
never used (the ``throttle`` table, so it holds across app instances), computes the
registry's aggregates over every centre of this instance (courses, procedures, response by
indication and by onset band, adverse events by type), withholds every cell below
``federation_k`` (:func:`plexms.core.disclosure.suppress`, with complementary suppression)
and writes one audit row per query. A ``priors`` query (no filters) answers instead, per
fitted substance and kinetic parameter, the moments of the courses' estimates
(:mod:`plexms.core.kinetics.prior_moments`: n, mean and sum of squared deviations on the
prior's scale, mean posterior variance), withheld where they come from fewer than
``federation_k`` patients.

**Hub.** :func:`federated_dashboard` sends one signed query to every configured node at once
(threads; ``federation_timeout_seconds`` each), and answers with what it has: pooled
response rates and adverse events per 100 procedures with Wilson intervals over the nodes
that published both numbers, a funnel point per node, and the nodes that are missing with
the reason (down, slow, refused). :func:`federated_priors` sends the ``priors`` query the same
way and pools the nodes' moments exactly (as if it had every estimate): per parameter the
pooled log-normal (median and 90% range), the empirical-Bayes prior learned from it, the nodes
that contributed and those that withheld.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from plexms.core.adverse_events import wilson_interval
from plexms.core.disclosure import suppress
from plexms.core.errors import InputError
from plexms.core.kinetics.prior_moments import Moments
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.admin import throttle
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, Unauthenticated
from plexms.services.permissions import Permission
from plexms.services.sharing import federation_priors
from plexms.services.sharing.federation_priors import PooledPrior
from plexms.services.sharing.registry import dashboard_of
from plexms.settings import FederationNode
from plexms.store.registry_dashboard import RegistryFilter

__all__ = [
    "FEDERATION_VERSION",
    "QUERY_KINDS",
    "FederatedAnswer",
    "FederatedPriors",
    "NodeStatus",
    "PooledPrior",
    "PooledRate",
    "answer_query",
    "federated_dashboard",
    "federated_priors",
    "sign",
]

FEDERATION_VERSION = "1"
QUERY_KINDS = ("summary", "priors")
_NONCE = "fed_nonce"


def _canonical(envelope: dict[str, Any]) -> bytes:
    body = {k: envelope[k] for k in ("hub", "issued_at", "nonce", "query", "version")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(envelope: dict[str, Any], key: str) -> str:
    """The HMAC-SHA256 signature of ``envelope`` (hub, issued_at, nonce, query, version)."""
    return hmac.new(key.encode(), _canonical(envelope), hashlib.sha256).hexdigest()


def _filters(query: dict[str, Any]) -> RegistryFilter:
    raw = query.get("filters") or {}
    if not isinstance(raw, dict) or set(raw) - {"indication", "start_from", "start_to"}:
        raise InputError(
            "query.filters", "unknown filter", allowed="indication, start_from, start_to"
        )
    try:
        return RegistryFilter(
            indication=raw.get("indication"),
            start_from=dt.date.fromisoformat(raw["start_from"]) if raw.get("start_from") else None,
            start_to=dt.date.fromisoformat(raw["start_to"]) if raw.get("start_to") else None,
        )
    except (TypeError, ValueError):
        raise InputError("query.filters", "dates must be YYYY-MM-DD", allowed="ISO dates") from None


def _check_envelope(ctx: ServiceContext, envelope: dict[str, Any]) -> str:
    """The hub's name once the envelope is well formed, signed, fresh and not replayed."""
    for field in ("hub", "issued_at", "nonce", "query", "version", "signature"):
        if field not in envelope:
            raise InputError(field, "is missing", allowed="a signed federation query")
    hub = envelope["hub"]
    keys = ctx.settings.federation_hub_keys
    if not isinstance(hub, str) or hub not in keys:
        raise Unauthenticated("this node does not answer that hub")
    expected = sign(envelope, keys[hub].get_secret_value())
    if not isinstance(envelope["signature"], str) or not hmac.compare_digest(
        expected, envelope["signature"]
    ):
        raise Unauthenticated("the query's signature does not verify")
    try:
        issued = dt.datetime.fromisoformat(str(envelope["issued_at"]))
    except ValueError:
        raise InputError("issued_at", "is not a time", allowed="ISO 8601 with offset") from None
    if issued.tzinfo is None:
        raise InputError("issued_at", "has no offset", allowed="ISO 8601 with offset")
    skew = dt.timedelta(seconds=ctx.settings.federation_max_skew_seconds)
    if abs(ctx.now - issued) > skew:
        raise Unauthenticated("the query is too old (or from the future): send a fresh one")
    nonce = str(envelope["nonce"])
    if not 16 <= len(nonce) <= 64:
        raise InputError("nonce", "is not a nonce", allowed="16-64 characters")
    with ctx.db.write() as session:
        fresh = throttle.spend_once(session, f"{hub}:{nonce}", ctx.now, 2 * skew, kind=_NONCE)
    if not fresh:
        raise Conflict("this query was answered before (replayed nonce)", field="nonce")
    return hub


def _groups(groups: Any, k: int) -> tuple[list[dict[str, Any]], int]:
    """Rate groups with small cells withheld: the courses of a group (complementary over the
    groups), and assessed/responders unless both they and the non-responders are >= k."""
    courses = suppress({g.key: g.courses for g in groups}, k)
    out, withheld = [], sum(1 for v in courses.values() if v is None)
    for g in groups:
        safe = (
            courses[g.key] is not None
            and g.assessed >= k
            and (g.responders == 0 or g.responders >= k)
            and (g.assessed - g.responders == 0 or g.assessed - g.responders >= k)
        )
        withheld += 0 if safe else 2
        out.append(
            {
                "key": g.key,
                "courses": courses[g.key],
                "assessed": g.assessed if safe else None,
                "responders": g.responders if safe else None,
            }
        )
    return out, withheld


@use_case(Permission.PUBLIC)
def answer_query(ctx: ServiceContext, envelope: dict[str, Any]) -> dict[str, Any]:
    """A node's answer to a signed aggregate query (no row-level data; small cells withheld)."""
    hub = _check_envelope(ctx, envelope)
    query = envelope["query"]
    if not isinstance(query, dict) or query.get("kind") not in QUERY_KINDS:
        raise InputError(
            "query.kind", "is not a query this node answers", allowed=", ".join(QUERY_KINDS)
        )
    if query["kind"] == "priors":
        return _answer_priors(ctx, hub, query)
    f = _filters(query)
    k = ctx.settings.federation_k
    board = dashboard_of(ctx, None, f)
    by_indication, w1 = _groups(board.by_indication, k)
    by_band, w2 = _groups(board.by_onset_band, k)
    events = suppress({e.event_type: e.events for e in board.events_by_type}, k)
    totals = suppress(
        {
            "courses": board.courses,
            "procedures": board.procedures,
            "events": sum(e.events for e in board.events_by_type),
        },
        k,
    )
    answer = {
        "node": ctx.settings.federation_node_name or "node",
        "version": FEDERATION_VERSION,
        "k": k,
        "generated_at": ctx.now.isoformat(),
        "filters": f.to_dict(),
        "courses": totals["courses"],
        "procedures": totals["procedures"],
        "events": totals["events"],
        "response_by_indication": by_indication,
        "response_by_onset_band": by_band,
        "events_by_type": [{"event_type": key, "events": n} for key, n in sorted(events.items())],
        "suppressed_cells": w1
        + w2
        + sum(1 for v in [*events.values(), *totals.values()] if v is None),
    }
    audit.record_alone(
        ctx,
        "federated_query",
        entity="registry",
        actor=f"hub:{hub}",
        detail={
            "kind": query["kind"],
            "filters": f.to_dict(),
            "suppressed": answer["suppressed_cells"],
        },
    )
    return answer


def _answer_priors(ctx: ServiceContext, hub: str, query: dict[str, Any]) -> dict[str, Any]:
    """The ``priors`` query's answer (:func:`federation_priors.node_cells`), audited."""
    if query.get("filters"):
        raise InputError("query.filters", "the priors query takes no filters", allowed="{}")
    k = ctx.settings.federation_k
    with ctx.db.read() as session:
        cells, withheld = federation_priors.node_cells(session, k)
    answer = {
        "node": ctx.settings.federation_node_name or "node",
        "version": FEDERATION_VERSION,
        "kind": "priors",
        "k": k,
        "generated_at": ctx.now.isoformat(),
        "scale": federation_priors.SCALE,
        "priors": cells,
        "suppressed_cells": withheld,
    }
    audit.record_alone(
        ctx,
        "federated_query",
        entity="registry",
        actor=f"hub:{hub}",
        detail={"kind": "priors", "filters": {}, "suppressed": withheld},
    )
    return answer


# --- the hub -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeStatus:
    """One node's part in a federated answer."""

    name: str
    answered: bool
    reason: str = ""
    courses: int | None = None
    procedures: int | None = None
    events: int | None = None
    ae_per_100: float | None = None
    response_percent: float | None = None
    assessed: int | None = None


@dataclass(frozen=True)
class PooledRate:
    """A rate pooled over the nodes that published both of its numbers."""

    key: str
    numerator: int
    denominator: int
    percent: float | None
    low: float | None
    high: float | None
    nodes: int


@dataclass(frozen=True)
class FederatedAnswer:
    """What the hub shows: pooled rates, a funnel point per node, who is missing."""

    asked: int
    nodes: tuple[NodeStatus, ...]
    response_by_indication: tuple[PooledRate, ...]
    events_per_100: tuple[PooledRate, ...]
    overall_ae: PooledRate | None
    k: int

    @property
    def missing(self) -> tuple[NodeStatus, ...]:
        return tuple(n for n in self.nodes if not n.answered)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the API's and the command line's)."""
        return {**dataclasses.asdict(self), "missing": [n.name for n in self.missing]}


def _pooled(key: str, num: int, den: int, nodes: int, scale: float = 100.0) -> PooledRate:
    if den < 1:
        return PooledRate(key, num, den, None, None, None, nodes)
    low, high = wilson_interval(num, den)
    return PooledRate(
        key,
        num,
        den,
        round(scale * num / den, 2),
        round(scale * low, 2),
        round(scale * high, 2),
        nodes,
    )


def _ask(
    node: FederationNode,
    envelope: dict[str, Any],
    timeout: float,
    check: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    signed = {**envelope, "signature": sign(envelope, node.key.get_secret_value())}
    with httpx.Client(timeout=timeout) as client:
        answer = client.post(node.url.rstrip("/") + "/api/federation/query", json=signed)
    if answer.status_code != 200:
        raise RuntimeError(f"refused ({answer.status_code})")
    body = answer.json()
    if not isinstance(body, dict) or body.get("version") != FEDERATION_VERSION:
        raise RuntimeError("answered in another version")
    if check is not None:
        check(body)
    return body


def _ask_all(
    ctx: ServiceContext,
    query: dict[str, Any],
    check: Callable[[dict[str, Any]], Any] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Every configured node's answer to ``query`` (asked at once), and why the others gave
    none."""
    nodes = ctx.settings.federation_nodes
    envelope = {
        "hub": ctx.settings.federation_node_name or "hub",
        "issued_at": ctx.now.isoformat(),
        "query": query,
        "version": FEDERATION_VERSION,
    }
    timeout = ctx.settings.federation_timeout_seconds
    answers: dict[str, dict[str, Any]] = {}
    reasons: dict[str, str] = {}
    if nodes:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(nodes))) as pool:
            futures = {
                pool.submit(
                    _ask, node, {**envelope, "nonce": secrets.token_hex(16)}, timeout, check
                ): node.name
                for node in nodes
            }
            for future, name in futures.items():
                try:
                    answers[name] = future.result()
                except httpx.TimeoutException:
                    reasons[name] = f"no answer within {timeout:g} s"
                except httpx.TransportError:
                    reasons[name] = "not reachable"
                except (RuntimeError, ValueError, KeyError, TypeError) as exc:
                    reasons[name] = str(exc) or type(exc).__name__
    return answers, reasons


def _status(name: str, body: dict[str, Any]) -> NodeStatus:
    known_events = body["events"]
    procedures = body["procedures"]
    groups = [g for g in body["response_by_indication"] if g["assessed"] is not None]
    assessed = sum(g["assessed"] for g in groups) if groups else None
    responders = sum(g["responders"] for g in groups) if groups else None
    return NodeStatus(
        name=name,
        answered=True,
        courses=body["courses"],
        procedures=procedures,
        events=known_events,
        ae_per_100=(
            round(100.0 * known_events / procedures, 2)
            if procedures and known_events is not None
            else None
        ),
        response_percent=(
            round(100.0 * responders / assessed, 1) if assessed and responders is not None else None
        ),
        assessed=assessed,
    )


@use_case(Permission.PATIENT_READ)
def federated_dashboard(
    ctx: ServiceContext, filters: dict[str, Any] | None = None
) -> FederatedAnswer:
    """Ask every configured node at once and pool their answers (audited once)."""
    nodes = ctx.settings.federation_nodes
    query = {"kind": "summary", "filters": filters or {}}
    _filters(query)  # refuse a bad filter here, not at every node
    answers, reasons = _ask_all(ctx, query)
    statuses = tuple(
        _status(n.name, answers[n.name])
        if n.name in answers
        else NodeStatus(n.name, False, reasons.get(n.name, "not asked"))
        for n in nodes
    )
    pooled_response: dict[str, tuple[int, int, int]] = {}
    for body in answers.values():
        for g in body["response_by_indication"]:
            if g["assessed"] is None:
                continue
            num, den, count = pooled_response.get(g["key"], (0, 0, 0))
            pooled_response[g["key"]] = (num + g["responders"], den + g["assessed"], count + 1)
    pooled_events: dict[str, tuple[int, int, int]] = {}
    for body in answers.values():
        if body["procedures"] is None:
            continue
        for e in body["events_by_type"]:
            if e["events"] is None:
                continue
            num, den, count = pooled_events.get(e["event_type"], (0, 0, 0))
            pooled_events[e["event_type"]] = (
                num + e["events"],
                den + body["procedures"],
                count + 1,
            )
    with_totals = [s for s in statuses if s.events is not None and s.procedures]
    overall = (
        _pooled(
            "all",
            sum(s.events or 0 for s in with_totals),
            sum(s.procedures or 0 for s in with_totals),
            len(with_totals),
        )
        if with_totals
        else None
    )
    audit.record_alone(
        ctx,
        "search",
        entity="federated_registry",
        detail={"nodes": len(nodes), "answered": len(answers), "filters": query["filters"]},
    )
    return FederatedAnswer(
        asked=len(nodes),
        nodes=statuses,
        response_by_indication=tuple(
            _pooled(key, *pooled_response[key]) for key in sorted(pooled_response)
        ),
        events_per_100=tuple(_pooled(key, *pooled_events[key]) for key in sorted(pooled_events)),
        overall_ae=overall,
        k=ctx.settings.federation_k,
    )


# --- the hub: kinetic priors ---------------------------------------------------------------


@dataclass(frozen=True)
class FederatedPriors:
    """The hub's pooled kinetic priors and who is missing."""

    asked: int
    nodes: tuple[NodeStatus, ...]
    priors: tuple[PooledPrior, ...]
    k: int

    @property
    def missing(self) -> tuple[NodeStatus, ...]:
        return tuple(n for n in self.nodes if not n.answered)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the API's and the command line's)."""
        return {
            "asked": self.asked,
            "k": self.k,
            "nodes": [
                {"name": n.name, "answered": n.answered, "reason": n.reason} for n in self.nodes
            ],
            "missing": [n.name for n in self.missing],
            "priors": [dataclasses.asdict(p) for p in self.priors],
        }


@use_case(Permission.PATIENT_READ)
def federated_priors(ctx: ServiceContext) -> FederatedPriors:
    """Send the ``priors`` query to every configured node at once and pool their moments
    exactly; names the nodes missing (down, slow, refused, answering badly). Audited once."""
    nodes = ctx.settings.federation_nodes
    check = federation_priors.read_cells
    answers, reasons = _ask_all(ctx, {"kind": "priors", "filters": {}}, check=check)
    by_key: dict[tuple[str, str], dict[str, Moments | None]] = {}
    for node in nodes:  # in the configured order, so withheld_by reads the same every time
        if node.name in answers:
            for key, m in check(answers[node.name]).items():
                by_key.setdefault(key, {})[node.name] = m
    audit.record_alone(
        ctx,
        "search",
        entity="federated_registry",
        detail={"kind": "priors", "nodes": len(nodes), "answered": len(answers)},
    )
    return FederatedPriors(
        asked=len(nodes),
        nodes=tuple(
            NodeStatus(n.name, True)
            if n.name in answers
            else NodeStatus(n.name, False, reasons.get(n.name, "not asked"))
            for n in nodes
        ),
        priors=tuple(
            federation_priors.pooled_prior(*key, by_key[key])
            for key in sorted(by_key, key=federation_priors.order)
        ),
        k=ctx.settings.federation_k,
    )
