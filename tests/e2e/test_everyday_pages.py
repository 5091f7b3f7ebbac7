"""Everyday pages in real Chromium, as the roles that use them: patient search (coordinator),
the Today board naming its patients (nurse), the labs page (physician) and the 404 page; axe
and the no-horizontal-overflow check at 1280 px and 390 px on each."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

_MRN = itertools.count(1)
WIDTHS = (1280, 390)


def _api(live_server: str) -> httpx.Client:
    client = httpx.Client(base_url=live_server, timeout=30)
    token = client.post("/api/auth/login", json={"username": "physician", "password": PASSWORD})
    token.raise_for_status()
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


@pytest.fixture(scope="module")
def story(live_server: str) -> dict[str, Any]:
    """A patient with IgG results, a course starting tomorrow and an adverse event."""
    api = _api(live_server)
    try:
        mrn = f"E2E-DAY-{next(_MRN):04d}"
        patient = api.post(
            "/api/patients",
            json={
                "mrn": mrn,
                "family_name": "Everydaysynthetic",
                "given_name": "Rosa",
                "birth_date": "1979-03-04",
                "sex": "female",
            },
        ).json()
        pid = patient["id"]
        now = dt.datetime.now(dt.UTC)
        api.post(
            f"/api/patients/{pid}/measurements",
            json={
                "measured_at": now.isoformat(),
                "height_cm": 165,
                "weight_kg": 63.5,
                "hematocrit": 0.4,
            },
        ).raise_for_status()
        for days, mg_dl in ((9, 1010), (5, 480), (1, 300)):
            api.post(
                f"/api/patients/{pid}/labs",
                json={
                    "taken_at": (now - dt.timedelta(days=days)).isoformat(),
                    "analyte": "igg",
                    "value": mg_dl,
                    "unit": "mg/dL",
                },
            ).raise_for_status()
        course = api.post(
            f"/api/patients/{pid}/courses",
            json={"plan": {"start_date": (now.date() + dt.timedelta(days=1)).isoformat()}},
        )
        course.raise_for_status()
        api.post(
            f"/api/patients/{pid}/adverse-events",
            json={"event_type": "hypotension", "onset_at": now.isoformat()},
        ).raise_for_status()
        return {"id": pid, "mrn": mrn, "name": "Everydaysynthetic, Rosa"}
    finally:
        api.close()


def _login(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")


def _check_widths(page: Any, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: {overflow}px horizontal overflow at {width}px"
        check_a11y(page)
        shot(page, f"everyday-{name}-{width}")


def test_coordinator_finds_a_patient_by_name_mrn_and_birth_date(
    page: Any, story: dict[str, Any]
) -> None:
    _login(page, "coordinator")
    page.goto("/patients")
    page.fill("#q", "everydaysynth")
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("#patient-table")).to_contain_text(story["name"])
    page.fill("#q", story["mrn"])
    page.press("#q", "Enter")
    expect(page.locator("#patient-table tbody tr")).to_have_count(1)
    page.goto("/patients?q=03/04/1979")  # the US centre writes month first
    expect(page.locator("#patient-table")).to_contain_text(story["name"])
    page.goto("/patients?q=no-such-person-here")
    expect(page.get_by_text("No patient found")).to_be_visible()
    page.goto("/patients?q=everydaysynth")
    _check_widths(page, "search")


def test_nurse_board_names_the_patient(page: Any, story: dict[str, Any]) -> None:
    _login(page, "nurse")
    page.goto("/today")
    board = page.locator("main")
    expect(board).to_contain_text(story["name"])
    expect(board).to_contain_text(f"MRN {story['mrn']}")
    expect(page.locator("#alerts")).to_contain_text(story["name"])
    _check_widths(page, "today")


def test_physician_labs_page_has_history_and_trend(page: Any, story: dict[str, Any]) -> None:
    _login(page, "physician")
    page.goto(f"/patients/{story['id']}")
    page.click("#labs-link")
    page.wait_for_url(f"**/patients/{story['id']}/labs")
    expect(page.locator("#trend-igg")).to_be_visible()
    expect(page.locator("#lab-igg tbody tr")).to_have_count(3)
    expect(page.locator("#lab-igg")).to_contain_text("300 mg/dL")
    expect(page.locator("#body-weight")).to_contain_text("140.0 lb")
    _check_widths(page, "labs")


def test_404_page_in_the_apps_look(page: Any) -> None:
    _login(page, "viewer")
    response = page.goto("/no-such-page-anywhere")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Patients")
    icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
    assert icon.endswith("/static/favicon.svg")
    _check_widths(page, "404")
