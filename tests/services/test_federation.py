"""The federated registry over real HTTP (issue 19, item 3): three plexms nodes, each its own
app and database on a loopback port, answer a hub's signed query; a fourth node is down and
a fifth never answers. The hub answers with what it has, names the missing nodes, pools the
rates with Wilson intervals, and no node publishes a cell below k."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.live import LiveServer

from plexms.core.adverse_events import wilson_interval
from plexms.core.disclosure import suppress
from plexms.services import ops
from plexms.services.admin import centres, users
from plexms.services.context import Actor, ServiceContext
from plexms.services.schemas import CentreIn, UserIn
from plexms.services.sharing import federation, registry_demo
from plexms.settings import FederationNode, Settings
from plexms.store.migrate import upgrade
from plexms.store.models import AuditEvent

pytestmark = pytest.mark.xdist_group("federation")
KEY = "hub-and-node-shared-key"
SIZES = {"north": 60, "south": 40, "tiny": 3}  # "tiny" is below k almost everywhere


def _settings(tmp: Path, name: str) -> Settings:
    url = f"sqlite:///{tmp / f'{name}.sqlite3'}"
    return Settings(
        database_url=url,
        data_dir=tmp / name,
        secret_key=f"secret-{name}",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        auto_migrate=False,
        log_json=True,
        federation_node_name=name,
        federation_hub_keys={"hub": KEY},
    )


def _seed(settings: Settings, name: str, patients: int) -> None:
    upgrade(settings.database_url)
    ctx = ops.system_context(settings, migrate_first=False)
    try:
        centre = centres.create_centre(
            ctx, CentreIn(code=name, name=name.title(), time_zone="America/Los_Angeles", units="us")
        )
        users.create_user(
            ctx,
            UserIn(username=f"admin-{name}", password="correct horse battery staple", role="admin"),
            centre_code=name,
        )
        admin = ServiceContext(
            db=ctx.db,
            actor=Actor(1, f"admin-{name}", "admin", centre.id),
            settings=settings,
        )
        registry_demo.load_registry(admin, patients, centre_id=centre.id, seed=len(name))
    finally:
        ctx.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Silent:
    """A node that accepts the connection and never answers (a hung server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from plexms.app import create_app

    tmp = tmp_path_factory.mktemp("federation")
    apps, servers, found = {}, [], {}
    silent = _Silent()
    try:
        for name, size in SIZES.items():
            settings = _settings(tmp, name)
            _seed(settings, name, size)
            apps[name] = create_app(settings)
            server = LiveServer(apps[name], log_level="warning")
            server.__enter__()
            servers.append(server)
            found[name] = (server.url, settings)
        found["down"] = (f"http://127.0.0.1:{_free_port()}", None)
        found["hung"] = (f"http://127.0.0.1:{silent.port}", None)
        yield found
    finally:
        for server in servers:
            server.__exit__(None, None, None)
        for app in apps.values():
            app.state.db.dispose()
        silent.close()


def _hub(tmp: Path, nodes: dict[str, Any], timeout: float = 6.0) -> ServiceContext:
    settings = _settings(tmp, "hub").model_copy(
        update={
            "federation_node_name": "hub",
            "federation_nodes": [
                FederationNode(name=name, url=url, key=KEY) for name, (url, _) in nodes.items()
            ],
            "federation_timeout_seconds": timeout,
        }
    )
    upgrade(settings.database_url)
    return ops.system_context(settings, migrate_first=False)


def _local(settings: Settings) -> Any:
    ctx = ops.system_context(settings, migrate_first=False)
    try:
        from plexms.services.sharing.registry import dashboard_of
        from plexms.store.registry_dashboard import RegistryFilter

        return dashboard_of(ctx, None, RegistryFilter())
    finally:
        ctx.db.dispose()


def test_hub_pools_what_the_nodes_say_and_names_the_missing(nodes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hub = _hub(tmp_path, nodes)
    try:
        answer = federation.federated_dashboard(hub)
    finally:
        hub.db.dispose()
    assert answer.asked == 5
    assert {n.name for n in answer.missing} == {"down", "hung"}, answer.missing
    reasons = {n.name: n.reason for n in answer.missing}
    assert reasons["down"] == "not reachable" and "no answer within" in reasons["hung"]

    # the pooled numbers are the sums of what each node published (no hidden cells used)
    local = {name: _local(nodes[name][1]) for name in SIZES}
    by_node = {n.name: n for n in answer.nodes}
    for name in ("north", "south"):
        assert by_node[name].courses == local[name].courses
        assert by_node[name].procedures == local[name].procedures
    overall = answer.overall_ae
    assert overall is not None
    expected_num = sum(
        n.events for n in answer.nodes if n.answered and n.events is not None and n.procedures
    )
    assert overall.numerator == expected_num
    low, high = wilson_interval(overall.numerator, overall.denominator)
    assert (overall.low, overall.high) == (round(100 * low, 2), round(100 * high, 2))
    for pooled in answer.response_by_indication:
        assert pooled.denominator >= 5 and pooled.low is not None
        assert pooled.low <= (pooled.percent or 0) <= (pooled.high or 0)


def test_no_node_publishes_a_small_cell_and_every_query_is_audited(nodes) -> None:  # type: ignore[no-untyped-def]
    url, settings = nodes["tiny"]
    envelope = {
        "hub": "hub",
        "issued_at": dt.datetime.now(dt.UTC).isoformat(),
        "nonce": secrets.token_hex(16),
        "query": {"kind": "summary", "filters": {}},
        "version": federation.FEDERATION_VERSION,
    }
    signed = {**envelope, "signature": federation.sign(envelope, KEY)}
    answer = httpx.post(f"{url}/api/federation/query", json=signed, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    counts = [body["courses"], body["procedures"]]
    for group in body["response_by_indication"] + body["response_by_onset_band"]:
        counts += [group["courses"], group["assessed"], group["responders"]]
    counts += [e["events"] for e in body["events_by_type"]]
    assert all(c is None or c == 0 or c >= 5 for c in counts), counts
    assert body["suppressed_cells"] > 0
    text = json.dumps(body)
    assert "MRN" not in text and "patient_id" not in text

    # replaying the same signed query is refused; a wrong key or an old query too
    assert httpx.post(f"{url}/api/federation/query", json=signed, timeout=10).status_code == 409
    forged = {**envelope, "nonce": secrets.token_hex(16)}
    forged["signature"] = federation.sign(forged, "not-the-key")
    assert httpx.post(f"{url}/api/federation/query", json=forged, timeout=10).status_code == 401
    old = {**envelope, "nonce": secrets.token_hex(16), "issued_at": "2020-01-01T00:00:00+00:00"}
    old["signature"] = federation.sign(old, KEY)
    assert httpx.post(f"{url}/api/federation/query", json=old, timeout=10).status_code == 401
    stranger = {**envelope, "hub": "stranger", "nonce": secrets.token_hex(16)}
    stranger["signature"] = federation.sign(stranger, KEY)
    assert httpx.post(f"{url}/api/federation/query", json=stranger, timeout=10).status_code == 401
    for bad in ({}, {"hub": "hub"}, [1, 2], "x" * 20000):
        status = httpx.post(f"{url}/api/federation/query", json=bad, timeout=10).status_code
        assert 400 <= status < 500, (bad if len(str(bad)) < 50 else "huge", status)

    ctx = ops.system_context(settings, migrate_first=False)
    try:
        with ctx.db.read() as session:
            rows = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "federated_query")
            ).all()
    finally:
        ctx.db.dispose()
    assert rows and all(r.actor == "hub:hub" for r in rows)


def test_suppression_rules() -> None:
    assert suppress({"a": 0, "b": 0}, 5) == {"a": 0, "b": 0}
    assert suppress({"a": 4, "b": 9, "c": 6}, 5) == {"a": None, "b": 9, "c": None}
    assert suppress({"a": 4, "b": 1}, 5) == {"a": None, "b": None}
    assert suppress({"a": 4}, 5) == {"a": None}
    assert suppress({"a": 1}, 1) == {"a": 1}
    for bad_k in (0, -1, True, 2.5):
        with pytest.raises(Exception, match="k"):
            suppress({"a": 1}, bad_k)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"cells\.a"):
        suppress({"a": -1}, 5)


def test_hub_refuses_a_bad_filter_before_asking(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hub = _hub(tmp_path, {})
    try:
        with pytest.raises(Exception, match=r"query\.filters"):
            federation.federated_dashboard(hub, {"start_from": "yesterday"})
        empty = federation.federated_dashboard(hub)
    finally:
        hub.db.dispose()
    assert empty.asked == 0 and empty.overall_ae is None and empty.missing == ()
    assert dataclasses.asdict(empty)["nodes"] == ()
