"""The federated registry's kinetic priors over real HTTP (issue 19, item 3): plexms nodes on
loopback, each with the demo clinic's fitted courses in its own database, answer the hub's
signed ``priors`` query with moments only; a node whose estimates come from fewer than k
patients withholds them, a node that is down or refuses is named, and the hub's pooled
log-normal is the one it would have learned from every estimate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from tests.conftest import FROZEN_NOW
from tests.live import LiveServer
from tests.services.test_federation import KEY, _free_port, _hub, _settings
from typer.testing import CliRunner

from plexms.core.kinetics.prior_moments import moments
from plexms.core.kinetics.priors import PARAMETERS, pool_priors, population_prior
from plexms.services import ops
from plexms.services.admin import demo
from plexms.services.clinical import course_fit
from plexms.services.sharing import federation
from plexms.settings import FederationNode, Settings
from plexms.store.migrate import upgrade
from plexms.store.models import AuditEvent, Course, LabResult

pytestmark = pytest.mark.xdist_group("federation")
DEMO_COURSES = 6  # the demo clinic's courses with exchanges done, each its own patient


def _seed_demo(settings: Settings, drop_courses: int = 0) -> None:
    """The demo clinic (six fitted courses); ``drop_courses`` of them lose their labs."""
    upgrade(settings.database_url)
    ctx = ops.system_context(settings, migrate_first=False)
    try:
        demo.seed(dataclasses.replace(ctx, now=FROZEN_NOW), "demo-password-123")
        if drop_courses:
            with ctx.db.write() as session:
                fitted = [
                    c
                    for c in session.scalars(select(Course).order_by(Course.id))
                    if course_fit._course_data(session, c)[1]
                ][:drop_courses]
                session.execute(
                    update(LabResult)
                    .where(LabResult.patient_id.in_([c.patient_id for c in fitted]))
                    .values(deleted_at=FROZEN_NOW)
                )
    finally:
        ctx.db.dispose()


def _estimates(settings: Settings) -> course_fit.Estimates:
    ctx = ops.system_context(settings, migrate_first=False)
    try:
        with ctx.db.read() as session:
            return course_fit.registry_estimates(session)
    finally:
        ctx.db.dispose()


@pytest.fixture(scope="module")
def prior_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """east: 6 courses (k 5, shown); west: 5 courses (= k, shown); small: 6 courses with
    k 7 (= k - 1, withheld); down: nothing listening."""
    from plexms.app import create_app

    tmp = tmp_path_factory.mktemp("federation-priors")
    apps, servers, found = {}, [], {}
    try:
        for name, drop, k in (("east", 0, 5), ("west", 1, 5), ("small", 0, DEMO_COURSES + 1)):
            settings = _settings(tmp, name).model_copy(update={"federation_k": k})
            _seed_demo(settings, drop)
            apps[name] = create_app(settings)
            server = LiveServer(apps[name], log_level="warning")
            server.__enter__()
            servers.append(server)
            found[name] = (server.url, settings)
        found["down"] = (f"http://127.0.0.1:{_free_port()}", None)
        yield found
    finally:
        for server in servers:
            server.__exit__(None, None, None)
        for app in apps.values():
            app.state.db.dispose()


def _envelope(**query: Any) -> dict[str, Any]:
    envelope = {
        "hub": "hub",
        "issued_at": dt.datetime.now(dt.UTC).isoformat(),
        "nonce": secrets.token_hex(16),
        "query": {"kind": "priors", **query},
        "version": federation.FEDERATION_VERSION,
    }
    return {**envelope, "signature": federation.sign(envelope, KEY)}


def test_a_node_answers_moments_only_signed_fresh_once_and_audited(prior_nodes) -> None:  # type: ignore[no-untyped-def]
    url, settings = prior_nodes["west"]
    signed = _envelope()
    answer = httpx.post(f"{url}/api/federation/query", json=signed, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kind"] == "priors" and body["k"] == 5 and body["suppressed_cells"] == 0
    cells = {(c["substance"], c["parameter"]): c for c in body["priors"]}
    assert set(cells) == {(s, p) for s in course_fit.FITTED for p in PARAMETERS}
    assert all(
        set(c) == {"substance", "parameter", "n", "mean", "m2", "noise"} for c in cells.values()
    )
    # n = k: shown, and exactly the moments of the node's own estimates
    local = _estimates(settings)
    for (substance, name), cell in cells.items():
        m = moments([e[name] for _, e in local[substance]])
        assert cell["n"] == m.n == DEMO_COURSES - 1
        assert cell["mean"] == pytest.approx(m.mean) and cell["m2"] == pytest.approx(m.m2)
    text = json.dumps(body)
    assert "MRN" not in text and "patient" not in text

    # replayed, forged, stale, filtered or unknown kinds are refused
    assert httpx.post(f"{url}/api/federation/query", json=signed, timeout=10).status_code == 409
    forged = {**signed, "nonce": secrets.token_hex(16)}
    assert httpx.post(f"{url}/api/federation/query", json=forged, timeout=10).status_code == 401
    filtered = httpx.post(
        f"{url}/api/federation/query", json=_envelope(filters={"indication": "x"}), timeout=10
    )
    assert 400 <= filtered.status_code < 500 and "query.filters" in filtered.text
    other = _envelope()
    other["query"] = {"kind": "rows"}
    other["signature"] = federation.sign(other, KEY)
    refused = httpx.post(f"{url}/api/federation/query", json=other, timeout=10)
    assert 400 <= refused.status_code < 500 and "summary, priors" in refused.text

    ctx = ops.system_context(settings, migrate_first=False)
    try:
        with ctx.db.read() as session:
            rows = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "federated_query")
            ).all()
    finally:
        ctx.db.dispose()
    priors = [r for r in rows if (r.detail or {}).get("kind") == "priors"]
    assert len(priors) == 1 and priors[0].actor == "hub:hub"
    assert priors[0].detail["suppressed"] == 0


@pytest.mark.parametrize(("k", "shown"), [(DEMO_COURSES, True), (DEMO_COURSES + 1, False)])
def test_k_boundary_n_equal_k_shown_n_below_k_withheld(prior_nodes, k: int, shown: bool) -> None:  # type: ignore[no-untyped-def]
    _, settings = prior_nodes["east"]
    ctx = ops.system_context(settings.model_copy(update={"federation_k": k}), migrate_first=False)
    try:
        body = federation.answer_query(dataclasses.replace(ctx, actor=None), _envelope())
    finally:
        ctx.db.dispose()
    for cell in body["priors"]:
        if shown:
            assert cell["n"] == DEMO_COURSES and cell["mean"] is not None
        else:
            assert cell == {
                "substance": cell["substance"],
                "parameter": cell["parameter"],
                "n": None,
                "mean": None,
                "m2": None,
                "noise": None,
            }
    assert body["suppressed_cells"] == (0 if shown else len(body["priors"]))


def test_hub_pools_the_nodes_exactly_and_names_the_missing(prior_nodes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    nodes = {**prior_nodes, "refusing": (prior_nodes["east"][0], None)}
    hub = _hub(tmp_path, nodes, timeout=30.0)
    hub = dataclasses.replace(
        hub,
        settings=hub.settings.model_copy(
            update={
                "federation_nodes": [
                    n
                    if n.name != "refusing"
                    else FederationNode(name=n.name, url=n.url, key="wrong")
                    for n in hub.settings.federation_nodes
                ]
            }
        ),
    )
    try:
        answer = federation.federated_priors(hub)
        with hub.db.read() as session:
            audited = session.scalars(
                select(AuditEvent).where(AuditEvent.entity == "federated_registry")
            ).all()
    finally:
        hub.db.dispose()
    assert answer.asked == 5
    assert {n.name: n.reason for n in answer.missing} == {
        "down": "not reachable",
        "refusing": "refused (401)",
    }
    assert [a.detail for a in audited] == [{"kind": "priors", "nodes": 5, "answered": 3}]

    # pooled = the moments of east's and west's estimates put together; small withheld
    rows = {
        s: [e for node in ("east", "west") for _, e in _estimates(prior_nodes[node][1])[s]]
        for s in course_fit.FITTED
    }
    assert [(p.substance, p.parameter) for p in answer.priors] == [
        (s, name) for s in course_fit.FITTED for name in PARAMETERS
    ]
    for p in answer.priors:
        m = moments([e[p.parameter] for e in rows[p.substance]])
        assert (p.nodes, p.n, p.withheld_by) == (2, 2 * DEMO_COURSES - 1, ("small",))
        assert p.mean == pytest.approx(m.mean, abs=1e-6) and p.sd == pytest.approx(m.sd, abs=1e-6)
        assert p.low is not None and p.high is not None and p.median is not None
        assert p.low <= p.median <= p.high
        # the hub learns the prior the registry would have learned from every estimate
        learned = pool_priors(population_prior(p.substance), rows[p.substance], origin="registry")
        want = learned.get(p.parameter)
        assert want is not None and p.learned_median == pytest.approx(want.median, rel=1e-5)
        assert p.learned_sd_log == pytest.approx(want.sd_log, abs=1e-4)

    body = answer.to_dict()
    assert body["missing"] == ["down", "refusing"] and len(body["priors"]) == 8


def test_the_api_answers_through_the_same_service(prior_nodes, world, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SyncClient

    from plexms.app import create_app

    hub = settings.model_copy(
        update={
            "federation_node_name": "hub",
            "federation_nodes": [
                FederationNode(name=name, url=prior_nodes[name][0], key=KEY)
                for name in ("east", "small", "down")
            ],
            "federation_timeout_seconds": 30.0,
        }
    )
    app = create_app(hub)
    client = SyncClient(app)
    try:
        answer = client.get("/api/registry/federated/priors", headers=world.headers("viewer"))
        anonymous = client.get("/api/registry/federated/priors")
    finally:
        client.close()
        app.state.db.dispose()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["asked"], body["k"], body["missing"]) == (3, 5, ["down"])
    first = body["priors"][0]
    assert (first["substance"], first["parameter"]) == ("igg", "baseline")
    assert (first["nodes"], first["n"], first["withheld_by"]) == (1, DEMO_COURSES, ["small"])
    assert anonymous.status_code == 401


def test_the_command_line_answers_through_the_same_service(
    prior_nodes, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from plexms.cli import app as cli
    from plexms.settings import get_settings

    hub = _hub(tmp_path, {"east": prior_nodes["east"], "down": prior_nodes["down"]})
    url = hub.settings.database_url
    hub.db.dispose()
    nodes = [{"name": n, "url": prior_nodes[n][0], "key": KEY} for n in ("east", "down")]
    monkeypatch.setenv("PLEXMS_DATABASE_URL", url)
    monkeypatch.setenv("PLEXMS_SECRET_KEY", "cli-test-secret-key-0123")
    monkeypatch.setenv("PLEXMS_FEDERATION_NODES", json.dumps(nodes))
    monkeypatch.setenv("PLEXMS_FEDERATION_TIMEOUT_SECONDS", "30")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["registry", "federate", "--kind", "priors"])
        bad = CliRunner().invoke(cli, ["registry", "federate", "--kind", "rows"])
        mixed = CliRunner().invoke(
            cli, ["registry", "federate", "--kind", "priors", "--indication", "ms_relapse"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    # the in-process nodes log their requests to the same stdout, one line each
    printed = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert printed["missing"] == ["down"] and printed["priors"][0]["n"] == DEMO_COURSES
    assert bad.exit_code == 2 and json.loads(bad.stdout)["error"]["field"] == "kind"
    assert mixed.exit_code == 2 and json.loads(mixed.stdout)["error"]["field"] == "indication"
