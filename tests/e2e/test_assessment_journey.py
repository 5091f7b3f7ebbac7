"""Forms that respect the clinician (issue 16, items 6 and 8), in real Chromium: a physician
assesses a male patient (no pregnancy question), assesses again (the answers kept) and agrees
with the advice; a viewer posting a form gets the refusal page with what was typed and the way
back. Every page passes axe and does not scroll sideways at 1280 and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import check_a11y, shot
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

ANSWERS = {
    "onset_date": "2026-11-12",
    "edss_pre_relapse": "2",
    "edss_now": "4.5",
    "steroid_dose": "1000",
    "steroid_start": "2026-11-13",
    "steroid_days": "5",
}
CHOICES = {
    "diagnosis": "relapsing_ms",
    "presentation": "relapse",
    "steroids_given": "yes",
    "steroid_route": "iv",
    "steroid_response": "none",
    **{
        f"c_{name}": "no"
        for name in (
            "hemodynamic_instability",
            "active_infection",
            "active_bleeding",
            "albumin_allergy",
            "ace_inhibitor",
            "poor_venous_access",
        )
    },
}


def _login(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")


def _male_patient(page: Any) -> str:
    page.goto("/referral")
    page.fill("#f-referrer_name", "Dr D Neurologist")
    page.fill("#f-referrer_contact", "neuro-d@example.org")
    page.fill("#f-patient_given_name", "Assess")
    page.fill("#f-patient_family_name", "Malesynthetic")
    page.fill("#f-patient_birth_date", "1980-06-01")
    page.select_option("#f-patient_sex", "male")
    page.select_option("#f-presentation", "relapse")
    page.fill("#f-reason", "Relapse not recovering after IV methylprednisolone.")
    page.click("form button[type=submit]")
    page.get_by_text("has been received").wait_for()
    _login(page, "coordinator")
    page.goto("/referrals")
    page.get_by_role("link", name="Malesynthetic").first.click()
    page.fill("#f-mrn", "E2E-ASSESS-0001")
    page.fill("#f-birth_date", "1980-06-01")
    page.select_option("#f-sex", "male")
    page.click("button[value=accepted]")
    page.wait_for_url("**/patients/*")
    return str(page.url)


def _check_layouts(page: Any, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        check_a11y(page)
        width_now = page.evaluate("() => document.documentElement.scrollWidth")
        assert width_now <= width, (name, width_now)
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_assess_a_male_patient_again_and_agree(page: Any) -> None:
    patient_url = _male_patient(page)
    _login(page, "physician")
    page.goto(patient_url + "/assessment")
    expect(page.locator("#f-c_pregnant")).to_have_count(0)
    expect(page.locator("#pregnancy-not-asked")).to_contain_text("not asked: male")
    _check_layouts(page, "assessment-form")
    for name, value in ANSWERS.items():
        page.fill(f"#f-{name}", value)
    for name, value in CHOICES.items():
        page.select_option(f"#f-{name}", value)
    page.click("#assessment-form button[type=submit]")
    page.wait_for_url("**/assessments/*")
    expect(page.locator("#recommendation")).to_have_text("Indicated")
    expect(page.locator("#inputs")).to_contain_text("not asked: male")
    _check_layouts(page, "assessment-result")

    page.click("#assess-again")
    page.wait_for_url("**/assessment")
    for name, value in ANSWERS.items():
        expect(page.locator(f"#f-{name}")).to_have_value(value)
    for name, value in CHOICES.items():
        expect(page.locator(f"#f-{name}")).to_have_value(value)
    page.click("#assessment-form button[type=submit]")
    page.wait_for_url("**/assessments/*")
    result_url = str(page.url)
    page.get_by_role("button", name="Agree with the advice (Indicated)").click()
    expect(page.locator("#agreement")).to_contain_text("Agreed with the advice (Indicated)")
    _check_layouts(page, "assessment-agreed")

    # a viewer whose tab still holds the decision form: refused, with the input kept
    _login(page, "viewer")
    page.goto(result_url)
    expect(page.locator("#agree-form")).to_have_count(0)
    page.evaluate(
        """() => {
        const f = document.createElement('form');
        f.method = 'post';
        f.action = location.pathname + '/override';
        const add = (n, v) => { const i = document.createElement('input');
          i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); };
        add('csrf_token', document.querySelector('meta[name=csrf-token]').content);
        add('version', '2'); add('final', 'defer'); add('reason', 'Fever 38.4 on the ward');
        document.body.appendChild(f); f.submit(); }"""
    )
    page.wait_for_url("**/override")
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator("#kept-input textarea").last).to_have_value("Fever 38.4 on the ward")
    path = "/" + result_url.split("//", 1)[1].split("/", 1)[1]
    expect(page.locator("#back-link")).to_have_attribute("href", path)
    _check_layouts(page, "refusal")
