"""The session sheet keeps everything (issue 16, item 1), in real Chromium, as the nurse of the
US seed centre: fill every field, save, reopen (exactly what was typed, in US units, the
patient named); sign off; reopen (the same); add an addendum; reopen (shown, old and new).
The sheet passes axe and does not scroll sideways at 1280 and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# What the nurse types (the centre is US: lb, °F). Times are earlier on the suite's frozen day
# (2026-11-26 04:00 in La Jolla), so the session has happened when it is signed off.
TYPED = {
    "actual_start": "2026-11-26T01:00",
    "actual_end": "2026-11-26T03:10",
    "pre_weight": "165.4",
    "post_weight": "166",
    "plasma_removed": "2750",
    "blood_processed": "5400",
    "inlet_flow": "55",
    "fluid_albumin_5": "2600",
    "acd_ml": "310",
    "calcium_ml": "25",
    "notes": "Tingling lips at 40 min, settled with calcium.",
}
VITALS = [
    {"at": "2026-11-26T01:15", "sbp": "118", "dbp": "74", "hr": "70", "temp": "98.2", "spo2": "98"},
    {"at": "2026-11-26T01:30", "sbp": "112", "dbp": "70", "hr": "76", "temp": "98.4", "spo2": "97"},
]


def _login(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")


def _first_sheet(page: Any) -> str:
    """A new patient (referral, triage) with a planned course: its first sheet's URL."""
    page.goto("/referral")
    page.fill("#f-referrer_name", "Dr C Neurologist")
    page.fill("#f-referrer_contact", "neuro-c@example.org")
    page.fill("#f-patient_given_name", "Sheet")
    page.fill("#f-patient_family_name", "Keepsynthetic")
    page.fill("#f-patient_birth_date", "1984-05-17")
    page.select_option("#f-patient_sex", "female")
    page.select_option("#f-presentation", "relapse")
    page.fill("#f-reason", "Relapse not recovering after IV methylprednisolone.")
    page.click("form button[type=submit]")
    page.get_by_text("has been received").wait_for()
    _login(page, "coordinator")
    page.goto("/referrals")
    page.get_by_role("link", name="Keepsynthetic").first.click()
    page.fill("#f-mrn", "E2E-SHEET-0001")
    page.fill("#f-birth_date", "1979-03-02")
    page.select_option("#f-sex", "female")
    page.click("button[value=accepted]")
    page.wait_for_url("**/patients/*")
    patient_url = page.url
    _login(page, "physician")
    page.goto(patient_url + "/plan")
    for field, value in (("height", "65"), ("weight", "140"), ("hematocrit", "40")):
        page.fill(f"#f-{field}", value)  # the record has none yet: inches, pounds, %
    page.click("#planner form button[type=submit]")
    page.locator("#commit").wait_for()
    page.click("#commit button[type=submit]")
    page.wait_for_url("**/courses/*")
    return str(page.locator("#sessions a[href^='/sessions/']").first.get_attribute("href"))


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def _check_layouts(page: Any, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        check_a11y(page)
        _no_sideways_scroll(page)
        shot(page, f"{name}-{width}")


def _assert_form_holds_what_was_typed(page: Any) -> None:
    for field, value in TYPED.items():
        expect(page.locator(f"#f-{field}")).to_have_value(value)
    expect(page.locator("#f-vascular_access")).to_have_value("peripheral")
    expect(page.locator("#f-status")).to_have_value("done")
    for i, row in enumerate(VITALS):
        expect(page.locator(f"#f-vit{i}_phase")).to_have_value("intra")
        for key, value in row.items():
            expect(page.locator(f"#f-vit{i}_{key}")).to_have_value(value)


def _summary(page: Any, key: str) -> str:
    return str(page.inner_text(f"#record-summary [data-k={key}]"))


def test_the_sheet_keeps_everything_through_save_sign_off_and_addendum(page: Any) -> None:
    sheet = _first_sheet(page)
    _login(page, "nurse")
    page.goto(sheet)
    expect(page.locator("h1")).to_contain_text("Keepsynthetic, Sheet")
    expect(page.locator("#targets")).to_be_visible()  # the prescription beside the sheet

    # Fill every field, two intra-procedure vitals rows (the second through "add a row").
    for field, value in TYPED.items():
        page.fill(f"#f-{field}", value)
    page.select_option("#f-vascular_access", "peripheral")
    page.select_option("#f-vit0_phase", "intra")
    for key, value in VITALS[0].items():
        page.fill(f"#f-vit0_{key}", value)
    page.click("#add-vitals-row")
    expect(page.locator("#f-vit1_at")).to_be_visible()
    page.select_option("#f-vit1_phase", "intra")
    for key, value in VITALS[1].items():
        page.fill(f"#f-vit1_{key}", value)
    page.click("#save-sheet")
    page.wait_for_load_state()

    # Reopen: exactly what was typed, in US units.
    page.goto(sheet)
    _assert_form_holds_what_was_typed(page)
    expect(page.locator("#targets [data-target='Plasma exchanged'] td").nth(1)).to_have_text(
        "2,750 mL"
    )
    _check_layouts(page, "sheet-saved")

    # Sign off: nothing re-entered, nothing lost.
    page.click("#sign-off")
    expect(page.locator("#signed-off")).to_be_visible()
    page.goto(sheet)
    expect(page.locator("#signed-off")).to_be_visible()
    assert "2,750 mL" in _summary(page, "plasma_removed")
    assert "5,400 mL" in _summary(page, "blood_processed")
    assert "2,600 mL" in _summary(page, "fluids")
    assert "310 mL" in _summary(page, "acd")
    assert "25.0 mL" in _summary(page, "calcium")
    assert "55 mL/min" in _summary(page, "inlet_flow")
    assert "165.4 lb" in _summary(page, "weights") and "166.0 lb" in _summary(page, "weights")
    assert "peripheral" in _summary(page, "access")
    vitals = _summary(page, "vitals")
    assert "118/74" in vitals and "112/70" in vitals and "98.2 °F" in vitals
    assert "Tingling lips" in _summary(page, "notes")
    times = _summary(page, "times")  # the centre's style: US dates, 12-hour clock
    assert "11/26/2026 1:00 AM" in times and "3:10 AM" in times
    expect(page.locator("#record-form")).to_have_count(0)  # a signed sheet is not edited
    _check_layouts(page, "sheet-signed")

    # Correct the signed sheet by an addendum: the old value stays visible.
    page.click("#addenda summary")
    page.select_option("#f-add_field", "plasma_removed_ml")
    page.fill("#f-add_value", "2700")
    page.fill("#f-add_reason", "Machine total read again after the run: 2700 mL.")
    page.click("#addendum-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(sheet)
    item = page.locator("#addenda-list li[data-field=plasma_removed_ml]")
    expect(item).to_contain_text("2,750 mL")
    expect(item).to_contain_text("2,700 mL")
    expect(page.locator("#addenda-list")).to_contain_text("nurse")
    expect(page.locator("#addenda-list")).to_contain_text("Machine total read again")
    assert "2,700 mL" in _summary(page, "plasma_removed")
    assert "5,400 mL" in _summary(page, "blood_processed")  # the rest as signed
    _check_layouts(page, "sheet-addendum")
