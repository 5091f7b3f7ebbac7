"""Web app under test: the real application over the seed clinic, or the web app alone."""

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
#: Every field of the public referral form, filled in acceptably.
FORM_FIELDS_OK = {
    "referrer_name": "Dr A Neurologist",
    "referrer_organisation": "Example Neurology",
    "referrer_contact": "clinic@example.org",
    "patient_given_name": "Test",
    "patient_family_name": "Synthetic",
    "patient_contact": "+1 555 0100",
    "patient_birth_date": "1980-02-03",
    "patient_sex": "female",
    "presentation": "relapse",
    "onset_date": "2026-11-01",
    "reason": "Relapse not recovering after IV methylprednisolone.",
}
ROLES = ("admin", "physician", "nurse", "coordinator", "viewer")


def seed_clinic(settings: Any) -> None:
    """The seed clinic (US units, La Jolla) and one user per role, through the services."""
    from plexms.services import ops
    from plexms.services.admin import centres, users
    from plexms.services.schemas import CentreIn, UserIn

    ctx = ops.system_context(settings, migrate_first=False)  # the database is migrated
    try:
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
        ctx.db.dispose()


def clinic_app(settings: Any) -> FastAPI:
    """The application over a real database holding the seed clinic."""
    from plexms.app import create_app

    seed_clinic(settings)
    app = create_app(settings)
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


def clinic_ctx(client: TestClient, role: str = "physician") -> Any:
    """A service context acting as ``role`` of the seed clinic (for setting up records)."""
    from sqlalchemy import select

    from plexms.services.context import Actor, ServiceContext
    from plexms.store.models import User

    db = client.app.state.db  # type: ignore[attr-defined]
    with db.read() as session:
        user = session.execute(select(User).where(User.username == role)).scalar_one()
        actor = Actor(user.id, user.username, user.role, user.centre_id)
    return ServiceContext(db=db, actor=actor, settings=client.app.state.settings)  # type: ignore[attr-defined]


def new_patient(client: TestClient, mrn: str = "MRN-0100", sex: str = "female") -> int:
    """A patient with a relapse episode, steroid course and measurements (US values)."""
    import datetime as dt

    from plexms.services.clinical import patients
    from plexms.services.schemas import EpisodeIn, MeasurementIn, PatientIn, SteroidIn

    ctx = clinic_ctx(client)
    p = patients.create_patient(
        ctx,
        PatientIn(
            mrn=mrn,
            family_name="Synthetic",
            given_name="Test",
            birth_date=dt.date(1984, 5, 17),
            sex=sex,
        ),
    )
    patients.add_measurement(
        ctx,
        p.id,
        MeasurementIn(measured_at=ctx.now, height_cm=165.1, weight_kg=63.5, hematocrit=0.40),
    )
    today = ctx.now.date()
    episode = patients.add_episode(
        ctx,
        p.id,
        EpisodeIn(onset_date=today - dt.timedelta(days=12), presentation="relapse"),
    )
    patients.add_steroid_course(
        ctx,
        p.id,
        SteroidIn(
            episode_id=episode.id,
            dose_mg_per_day=1000,
            start_date=today - dt.timedelta(days=10),
            end_date=today - dt.timedelta(days=6),
            response="none",
        ),
    )
    return p.id
