"""The registry page's federated section: the hub asks a real node over loopback and shows
the pooled numbers and the node that is down, by name (issue 19, item 3)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plexms.settings import FederationNode
from tests.live import LiveServer
from tests.services.test_federation import KEY, _seed, _settings
from tests.services.test_federation_priors import DEMO_COURSES, _seed_demo
from tests.web.conftest import TestClient, clinic_app, sign_in

pytestmark = pytest.mark.xdist_group("federation")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[str]:
    from plexms.app import create_app

    settings = _settings(tmp_path, "west")
    _seed(settings, "west", 30)
    app = create_app(settings)
    with LiveServer(app, log_level="warning") as server:
        yield server.url
    app.state.db.dispose()


@pytest.fixture
def fitted_node(tmp_path: Path) -> Iterator[str]:
    """A node with the demo clinic's six fitted courses."""
    from plexms.app import create_app

    settings = _settings(tmp_path, "fitted")
    _seed_demo(settings)
    app = create_app(settings)
    with LiveServer(app, log_level="warning") as server:
        yield server.url
    app.state.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_registry_page_shows_the_nodes_answer(settings: Any, node: str) -> None:
    hub = settings.model_copy(
        update={
            "federation_node_name": "hub",
            "federation_nodes": [
                FederationNode(name="west", url=node, key=KEY),
                FederationNode(name="east", url=f"http://127.0.0.1:{_free_port()}", key=KEY),
            ],
            "federation_timeout_seconds": 3.0,
        }
    )
    app = clinic_app(hub)
    with TestClient(app) as clinic:
        sign_in(clinic, "viewer")
        page = clinic.get("/registry").text
        assert 'hx-get="/registry/federated?fragment=1"' in page
        answer = clinic.get("/registry/federated")
        assert answer.status_code == 200, answer.text
        assert "1 of 2 nodes answered" in answer.text
        assert 'id="missing-nodes"' in answer.text and "east (not reachable)" in answer.text
        assert "<td>west</td>" in answer.text and "per 100 procedures" in answer.text
    app.state.db.dispose()


def test_no_nodes_configured(clinic: TestClient) -> None:
    sign_in(clinic, "viewer")
    assert 'id="no-nodes"' in clinic.get("/registry/federated?fragment=1").text


def test_registry_page_shows_the_pooled_kinetic_priors(settings: Any, fitted_node: str) -> None:
    hub = settings.model_copy(
        update={
            "federation_node_name": "hub",
            "federation_nodes": [
                FederationNode(name="fitted", url=fitted_node, key=KEY),
                FederationNode(name="east", url=f"http://127.0.0.1:{_free_port()}", key=KEY),
            ],
            "federation_timeout_seconds": 30.0,
        }
    )
    app = clinic_app(hub)
    with TestClient(app) as clinic:
        sign_in(clinic, "viewer")
        answer = clinic.get("/registry/federated?fragment=1")
    app.state.db.dispose()
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert 'id="federated-priors"' in page and "Kinetic priors" in page
    assert "<td>IgG</td><td>Elimination half-life (h)</td>" in page
    assert f'<td class="num">1</td><td class="num">{DEMO_COURSES}</td>' in page
    assert "east (not reachable)" in page
