"""A coordinator's rebooking journey in real Chromium (issue 17 items 1-2): the unit is set
up over the API (places, machines, a nurse on shifts), a course is planned and so booked; the
coordinator opens the calendar, rebooks the first exchange to a free slot, and the reopened
calendar shows the patient at the new time and place. (Named to run after the other browser
tests: from here on the shared live server's centre is resourced.)"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
LA = ZoneInfo("America/Los_Angeles")


def _api(live_server: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=live_server, timeout=30)
    token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    token.raise_for_status()
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


@pytest.fixture(scope="module")
def booked(live_server: str) -> dict[str, Any]:
    """Two chairs, two machines, the nurse on shifts for six weeks; a course from next Monday."""
    admin = _api(live_server, "admin")
    doctor = _api(live_server, "physician")
    try:
        for k in (1, 2):
            admin.post("/api/resources/places", json={"name": f"Chair {k}"}).raise_for_status()
            admin.post(
                "/api/resources/machines", json={"name": f"Optia {k}", "serial": f"E2E-{k}"}
            ).raise_for_status()
        nurse = next(u for u in admin.get("/api/users").json() if u["username"] == "nurse")
        admin.put(
            f"/api/resources/nurses/{nurse['id']}", json={"apheresis_competent": True}
        ).raise_for_status()
        today = dt.datetime.now(LA).date()
        monday = today + dt.timedelta(days=7 - today.weekday())
        for k in range(-7, 42):
            day = today + dt.timedelta(days=k)
            admin.post(
                "/api/shifts",
                json={
                    "nurse_user_id": nurse["id"],
                    "start_at": dt.datetime.combine(day, dt.time(7), LA).isoformat(),
                    "end_at": dt.datetime.combine(day, dt.time(18), LA).isoformat(),
                },
            ).raise_for_status()
        patient = doctor.post(
            "/api/patients",
            json={
                "mrn": "E2E-GRID-0001",
                "family_name": "Gridsynthetic",
                "given_name": "Ada",
                "birth_date": "1981-05-06",
                "sex": "female",
            },
        ).json()
        doctor.post(
            f"/api/patients/{patient['id']}/measurements",
            json={
                "measured_at": dt.datetime.now(dt.UTC).isoformat(),
                "height_cm": 165,
                "weight_kg": 63.5,
                "hematocrit": 0.4,
            },
        ).raise_for_status()
        course = doctor.post(
            f"/api/patients/{patient['id']}/courses",
            json={"plan": {"start_date": monday.isoformat(), "exchanges": 5}},
        )
        course.raise_for_status()
        first = doctor.get(f"/api/courses/{course.json()['id']}/sessions").json()[0]
        return {"monday": monday, "session": first["id"], "name": "Gridsynthetic, Ada"}
    finally:
        admin.close()
        doctor.close()


def test_coordinator_rebooks_a_session_from_the_calendar(page: Any, booked: dict[str, Any]) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
    day = booked["monday"].isoformat()
    page.goto(f"/calendar?day={day}")
    grid = page.locator("#calendar-grid")
    entry = grid.locator(f'li.booking[data-session="{booked["session"]}"]')
    expect(entry).to_contain_text(booked["name"])
    before = entry.locator("xpath=ancestor::tr/th").inner_text()
    check_a11y(page)
    shot(page, "calendar-day-before")
    entry.get_by_role("link", name="Rebook").click()
    page.wait_for_url(re.compile(r".*/sessions/\d+/rebook\?day=.*"))
    slots = page.locator("#free-slots button.book-slot")
    expect(slots.first).to_be_visible()
    check_a11y(page)
    last = slots.last
    label = last.get_attribute("aria-label") or ""  # "Book here: 2:30 PM in Chair 1"
    found = re.match(r"Book here: (.+) in (.+)", label)
    assert found, label
    new_time, new_place = found.groups()
    assert new_time != before
    shot(page, "calendar-rebook-slots")
    last.click()
    page.wait_for_url(re.compile(r".*/calendar\?day=.*"))
    page.goto(f"/calendar?day={day}")  # reopen
    moved = page.locator(f'#calendar-grid li.booking[data-session="{booked["session"]}"]')
    expect(moved).to_contain_text(booked["name"])
    expect(moved.locator("xpath=ancestor::tr/th")).to_have_text(new_time)
    heads = page.locator("#calendar-grid thead th").all_inner_texts()
    column = moved.locator("xpath=ancestor::td").evaluate("td => td.cellIndex")
    assert heads[column] == new_place
    shot(page, "calendar-day-after")
    page.goto(f"/calendar?day={day}&view=week")
    expect(page.locator("#calendar-grid")).to_contain_text(booked["name"])
    check_a11y(page)
