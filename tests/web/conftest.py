"""Web app under test: the real app factory when present, the web app alone otherwise."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    # starlette's TestClient warns that httpx is deprecated in favour of httpx2 (not installed).
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from plexms.web import WebConfig, install


def web_app(**config: object) -> FastAPI:
    """A bare FastAPI app with only the web app installed (no database)."""
    app = FastAPI()
    settings = type("S", (), {"secret_key": "test-secret", "session_idle_minutes": 30})()
    install(app, settings, WebConfig(secret=b"test-secret", **config))  # type: ignore[arg-type]
    return app


@pytest.fixture
def bare_client() -> Iterator[TestClient]:
    with TestClient(web_app(referral_min_fill_seconds=0.0)) as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token a page carries."""
    found = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', html)
    assert found, "page has no CSRF token"
    return found.group(1)
