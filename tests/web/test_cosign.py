"""The co-sign button on the course page (issue 14 item 14): shown to a second physician or a
pharmacist while the prescription awaits its second signature; the prescriber is refused with
a clear message; nurses see the state but no button."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, TestClient, clinic_ctx, csrf_of, new_patient, sign_in
from tests.web.test_course import commit_plan


def _require_cosign(client: TestClient) -> None:
    from plexms.services.admin import centres, users
    from plexms.services.schemas import CentreUpdate, UserIn

    ctx = clinic_ctx(client, "admin")
    centre = centres.get_centre(ctx)
    policy = {**(centre.policy or {}), "prescription": {"cosign_required": True}}
    centres.update_centre(ctx, CentreUpdate(policy=policy), centre.version)
    users.create_user(ctx, UserIn(username="pharmacist", password=PASSWORD, role="pharmacist"))


def _course_url(page: str) -> str:
    found = re.search(r'action="(/courses/\d+)/cosign"', page)
    assert found, "no co-sign form"
    return found.group(1)


def _cosign(client: TestClient, page: str) -> tuple[str, object]:
    url = _course_url(page)
    version = re.search(r'name="version" value="(\d+)"', page.split('id="cosign"', 1)[1])
    assert version
    data = {"csrf_token": csrf_of(page), "version": version.group(1)}
    return url, client.post(f"{url}/cosign", data=data, follow_redirects=False)


def test_pharmacist_co_signs_on_the_course_page(clinic: TestClient) -> None:
    _require_cosign(clinic)
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    _, course_page = commit_plan(clinic, patient_id)
    assert "Awaiting co-signature" in course_page and "prescribed by physician" in course_page
    # the prescriber sees the button but is refused, with the reason on the page
    url, refused = _cosign(clinic, course_page)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "prescriber cannot co-sign" in refused.text  # type: ignore[attr-defined]
    clinic.cookies.clear()
    sign_in(clinic, "nurse")
    nurse_view = clinic.get(url).text
    assert "Awaiting co-signature" in nurse_view and 'id="cosign-button"' not in nurse_view
    clinic.cookies.clear()
    sign_in(clinic, "pharmacist")
    page = clinic.get(url).text
    assert 'id="cosign-button"' in page
    _, signed = _cosign(clinic, page)
    assert signed.status_code == 303  # type: ignore[attr-defined]
    after = clinic.get(url).text
    assert "co-signed by pharmacist" in after and "Awaiting co-signature" not in after
    assert 'id="cosign-button"' not in after


def test_no_second_signature_section_without_the_setting(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    _, course_page = commit_plan(clinic, patient_id)
    assert 'id="cosign"' not in course_page
