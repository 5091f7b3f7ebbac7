"""Failure paths in real Chromium: a stale edit is shown as a conflict (and the first save
survives), and invalid input gets messages beside the fields with nothing saved."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

_MRN = itertools.count(1)


def _login(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")


@pytest.fixture(scope="module")
def session_urls(browser: Any, live_server: str) -> list[str]:
    """A fresh patient with a committed 5-exchange course: its session sheets' URLs."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1024, "height": 900})
    context.set_default_timeout(30_000)  # a deadline for a busy machine, not a speed claim
    page = context.new_page()
    try:
        page.goto("/referral")
        page.fill("#f-referrer_name", "Dr B Neurologist")
        page.fill("#f-referrer_contact", "neuro-b@example.org")
        page.fill("#f-patient_given_name", "Failure")
        page.fill("#f-patient_family_name", "Pathsynthetic")
        page.fill("#f-patient_birth_date", "1984-05-17")
        page.select_option("#f-patient_sex", "female")
        page.select_option("#f-presentation", "relapse")
        page.fill("#f-reason", "Relapse not recovering after IV methylprednisolone.")
        page.click("form button[type=submit]")
        page.get_by_text("has been received").wait_for()

        _login(page, "coordinator")
        page.goto("/referrals")
        page.get_by_role("link", name="Pathsynthetic").first.click()
        page.fill("#f-mrn", f"E2E-FAIL-{next(_MRN):04d}")
        page.fill("#f-birth_date", "1980-02-11")
        page.select_option("#f-sex", "female")
        page.click("button[value=accepted]")
        page.wait_for_url("**/patients/*")
        patient_url = page.url

        _login(page, "physician")
        page.goto(patient_url + "/plan")
        for field, value in (("height", "65"), ("weight", "140"), ("hematocrit", "40")):
            page.fill(f"#f-{field}", value)  # not on record: the planner asks
        page.click("#planner form button[type=submit]")
        page.locator("#commit").wait_for()
        page.click("#commit button[type=submit]")
        page.wait_for_url("**/courses/*")
        links = page.locator("#sessions a[href^='/sessions/']")
        expect(links).to_have_count(5)
        return [str(links.nth(i).get_attribute("href")) for i in range(5)]
    finally:
        context.close()


def _fill_record(page: Any, plasma_ml: str) -> None:
    page.fill("#f-plasma_removed", plasma_ml)
    page.fill("#f-fluid_albumin_5", plasma_ml)
    page.fill("#f-acd_ml", "250")
    page.fill("#f-calcium_ml", "10")
    # earlier on the suite's frozen day: the session has happened and can be signed off
    page.fill("#f-actual_start", "2026-11-26T01:00")
    page.fill("#f-actual_end", "2026-11-26T03:00")


def test_stale_edit_shows_conflict_and_keeps_first_save(page: Any, session_urls: list[str]) -> None:
    sheet = session_urls[0]
    _login(page, "nurse")
    other = page.context.new_page()  # the same nurse, the same sheet, in a second tab
    page.goto(sheet)
    other.goto(sheet)
    expect(page.locator("#f-plasma_removed")).to_be_visible()
    expect(other.locator("#f-plasma_removed")).to_be_visible()

    _fill_record(page, "2300")
    page.click("#save-sheet")
    page.click("#sign-off")
    expect(page.locator("#signed-off")).to_be_visible()
    expect(page.locator("#record-summary [data-k=plasma_removed]")).to_contain_text("2,300")

    _fill_record(other, "1800")  # the second tab still holds the first version
    with other.expect_response(lambda r: r.request.method == "POST") as answer:
        other.click("#save-sheet")
    assert answer.value.status == 412  # StaleVersion, not a silent overwrite
    conflict = other.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_have_attribute("role", "alert")
    expect(conflict).to_contain_text("Not saved.")
    expect(conflict).to_contain_text("Someone else changed this record after you opened it")
    # The page with the conflict already shows the stored (first) version.
    expect(other.locator("#record-summary [data-k=plasma_removed]")).to_contain_text("2,300")
    # axe-core comes with the context's init script, so the second tab has it too
    check_a11y(other)
    shot(other, "failure-01-stale-edit-conflict")
    other.close()

    page.reload()  # the first save survived the stale one
    expect(page.locator("#record-summary [data-k=plasma_removed]")).to_contain_text("2,300")
    expect(page.locator("#record-summary")).not_to_contain_text("1,800")
    expect(page.locator("#conflict")).to_have_count(0)


def test_invalid_input_messages_beside_fields_and_nothing_saved(
    page: Any, session_urls: list[str]
) -> None:
    sheet = session_urls[1]
    _login(page, "nurse")
    page.goto(sheet)
    expect(page.locator("#session-status")).to_have_text("planned")
    expect(page.locator("body")).to_contain_text("version 1")

    page.fill("#f-pre_sbp", "400")  # out of range (40-300 mmHg)
    page.fill("#f-pre_dbp", "76")
    page.fill("#f-pre_hr", "seventy")  # not a number
    page.fill("#f-pre_temp", "98.2")
    page.fill("#f-pre_spo2", "98")
    page.select_option("#f-access", "peripheral")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#precheck button[type=submit]")
    assert answer.value.status == 422

    sbp_error = page.locator("#e-pre_sbp")
    expect(sbp_error).to_have_text("Must be between 40 and 300.")
    expect(page.locator("#f-pre_sbp")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-pre_sbp")).to_have_attribute("aria-describedby", "e-pre_sbp")
    # beside the field: in the same field box as the input it describes
    field = page.locator(".field.invalid", has=page.locator("#f-pre_sbp"))
    expect(field.locator(".error")).to_have_text("Must be between 40 and 300.")
    expect(page.locator("#e-pre_hr")).to_contain_text("is not a number")
    expect(page.locator("#e-pre_dbp")).to_have_count(0)
    expect(page.locator("#precheck .flash.error")).to_contain_text("Please correct the fields")
    # what was typed is kept, so the nurse only fixes the marked fields
    expect(page.locator("#f-pre_sbp")).to_have_value("400")
    expect(page.locator("#f-pre_temp")).to_have_value("98.2")
    check_a11y(page)
    shot(page, "failure-02-invalid-input")

    page.goto(sheet)  # nothing was saved: no decision, still version 1 and planned
    expect(page.locator("#go-decision")).to_have_count(0)
    expect(page.locator("#session-status")).to_have_text("planned")
    expect(page.locator("#e-pre_sbp")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("version 1")
