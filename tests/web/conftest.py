"""Web app under test: the real app factory when present, the web app alone otherwise."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Iterator
from typing import Any

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


PASSWORD = "web-test-password"  # synthetic users only
ROLES = ("admin", "physician", "nurse", "coordinator", "viewer")


def seed_clinic(settings: Any) -> None:
    """The seed clinic (US units, La Jolla) and one user per role, through the services."""
    from plexms.services import centres, users
    from plexms.services.context import SYSTEM, ServiceContext
    from plexms.services.schemas import CentreIn, UserIn
    from plexms.store.database import Database

    db = Database(settings.database_url)
    try:
        ctx = ServiceContext(db=db, actor=SYSTEM, settings=settings)
        centres.create_centre(
            ctx,
            CentreIn(
                code="lajolla",
                name="Age Reversal MD",
                address_line="3262 Holiday Ct. Suite 210",
                city="La Jolla",
                region="CA",
                postal_code="92037",
                phone="760-944-9200",
                time_zone="America/Los_Angeles",
                units="us",
            ),
        )
        for role in ROLES:
            users.create_user(
                ctx, UserIn(username=role, password=PASSWORD, role=role), centre_code="lajolla"
            )
    finally:
        db.dispose()


def clinic_app(settings: Any) -> FastAPI:
    """The web app over a real database holding the seed clinic (app factory when present)."""
    from plexms import app as app_module
    from plexms.store.database import Database

    seed_clinic(settings)
    create_app = getattr(app_module, "create_app", None)
    if create_app is not None:
        app: FastAPI = create_app(settings)
    else:
        app = FastAPI()
        app.state.db = Database(settings.database_url)
        app.state.settings = settings
        install(app, settings)
    # Tests post the referral form at once; the minimum fill time has its own test.
    app.state.web = dataclasses.replace(app.state.web, referral_min_fill_seconds=0.0)
    return app


@pytest.fixture
def clinic(settings: Any) -> Iterator[TestClient]:
    """A client of the web app over the seed clinic's database (both backends)."""
    app = clinic_app(settings)
    with TestClient(app) as client:
        yield client
    db = getattr(app.state, "db", None)
    if db is not None:
        db.dispose()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form (GET for the CSRF token, then POST)."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
