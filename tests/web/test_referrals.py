"""The public referral form (spam guards) and the coordinator's triage of what it sends."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, sign_in

FORM = {
    "referrer_name": "Dr A Neurologist",
    "referrer_contact": "clinic@example.org",
    "patient_given_name": "Test",
    "patient_family_name": "Synthetic",
    "patient_birth_date": "1980-02-03",
    "patient_sex": "female",
    "presentation": "relapse",
    "onset_date": "2026-11-01",
    "reason": "Relapse not recovering after IV methylprednisolone.",
}


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/referral").text
    stamp = re.search(r'name="form_ts" value="([^"]+)"', page)
    assert stamp
    return {"csrf_token": csrf_of(page), "form_ts": stamp.group(1)}


def test_form_shows_the_clinic_address_and_hours(clinic: TestClient) -> None:
    page = clinic.get("/referral").text
    assert "3262 Holiday Ct. Suite 210" in page and "760-944-9200" in page
    assert "Friday" in page and "16:00" in page and "Saturday" in page


def test_referral_lands_in_the_triage_queue(clinic: TestClient) -> None:
    response = clinic.post("/referral", data={**_form(clinic), **FORM})
    assert response.status_code == 200 and "has been received" in response.text
    sign_in(clinic, "coordinator")
    queue = clinic.get("/referrals").text
    assert "Synthetic" in queue
    assert "Synthetic" in clinic.get("/today").text


def test_missing_fields_are_flagged_beside_them(clinic: TestClient) -> None:
    response = clinic.post("/referral", data={**_form(clinic), **FORM, "reason": ""})
    assert response.status_code == 422 and 'id="e-reason"' in response.text


def test_honeypot_is_thanked_and_dropped(clinic: TestClient) -> None:
    data = {**_form(clinic), **FORM, "website": "http://spam.example"}
    assert "has been received" in clinic.post("/referral", data=data).text
    sign_in(clinic, "coordinator")
    assert "Synthetic" not in clinic.get("/referrals").text


def test_forged_stamp_is_refused(clinic: TestClient) -> None:
    data = {**_form(clinic), **FORM, "form_ts": "1.0000"}
    response = clinic.post("/referral", data=data)
    assert response.status_code == 422 and "too quickly" in response.text


def test_rate_limit(clinic: TestClient) -> None:
    statuses = [
        clinic.post("/referral", data={**_form(clinic), **FORM}).status_code for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429


def test_triage_accept_creates_the_patient_and_stale_version_is_a_conflict(
    clinic: TestClient,
) -> None:
    clinic.post("/referral", data={**_form(clinic), **FORM})
    sign_in(clinic, "coordinator")
    link = re.search(r'href="/referrals/(\d+)"', clinic.get("/referrals").text)
    assert link
    detail = clinic.get(f"/referrals/{link.group(1)}").text
    token = csrf_of(detail)
    accept = {
        "csrf_token": token,
        "version": "1",
        "status": "accepted",
        "mrn": "MRN-0001",
        "given_name": "Test",
        "family_name": "Synthetic",
        "birth_date": "1980-02-03",
        "sex": "female",
    }
    response = clinic.post(
        f"/referrals/{link.group(1)}/triage", data=accept, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/patients/")
    patient = clinic.get(response.headers["location"]).text
    assert "MRN-0001" in patient and "Referral received" in patient
    again = clinic.post(f"/referrals/{link.group(1)}/triage", data=accept)
    assert again.status_code in (409, 412)


def test_viewer_may_not_triage(clinic: TestClient) -> None:
    clinic.post("/referral", data={**_form(clinic), **FORM})
    sign_in(clinic, "viewer")
    link = re.search(r'href="/referrals/(\d+)"', clinic.get("/referrals").text)
    assert link
    token = csrf_of(clinic.get(f"/referrals/{link.group(1)}").text)
    response = clinic.post(
        f"/referrals/{link.group(1)}/triage",
        data={"csrf_token": token, "version": "1", "status": "declined", "triage_note": "No."},
    )
    assert response.status_code == 403 and "does not allow" in response.text


def test_a_form_sent_faster_than_a_person_types_is_refused() -> None:
    from tests.web.conftest import web_app

    client = TestClient(web_app())  # the default minimum fill time (3 s)
    response = client.post("/referral", data={**_form(client), **FORM})
    assert response.status_code == 422 and "too quickly" in response.text


def test_the_form_asks_sex_and_date_of_birth(clinic: TestClient) -> None:
    form = {k: v for k, v in FORM.items() if k not in ("patient_sex", "patient_birth_date")}
    response = clinic.post("/referral", data={**_form(clinic), **form})
    assert response.status_code == 422
    assert 'name="patient_sex"' in response.text and 'name="patient_birth_date"' in response.text


def test_accepting_keeps_the_referrer_and_the_text_in_the_record_and_letter(
    clinic: TestClient,
) -> None:
    clinic.post("/referral", data={**_form(clinic), **FORM, "patient_sex": "male"})
    sign_in(clinic, "coordinator")
    link = re.search(r'href="/referrals/(\d+)"', clinic.get("/referrals").text)
    assert link
    detail = clinic.get(f"/referrals/{link.group(1)}").text
    assert '<option value="male" selected' in detail  # the sex the referrer gave
    accept = {
        "csrf_token": csrf_of(detail),
        "version": "1",
        "status": "accepted",
        "mrn": "MRN-0002",
        "given_name": "Test",
        "family_name": "Synthetic",
        "birth_date": "1980-02-03",
        "sex": "male",
    }
    response = clinic.post(f"/referrals/{link.group(1)}/triage", data=accept)
    assert response.status_code == 200
    patient_id = re.search(r"/patients/(\d+)", str(response.url))
    assert patient_id
    letter = clinic.get(f"/patients/{patient_id.group(1)}/letter").text
    assert "To: Dr A Neurologist" in letter and "clinic@example.org" in letter
    assert FORM["reason"] in letter


def test_declining_needs_a_reason_lists_it_and_drafts_a_reply(clinic: TestClient) -> None:
    clinic.post("/referral", data={**_form(clinic), **FORM})
    sign_in(clinic, "coordinator")
    link = re.search(r'href="/referrals/(\d+)"', clinic.get("/referrals").text)
    assert link
    url = f"/referrals/{link.group(1)}"
    token = csrf_of(clinic.get(url).text)
    bare = {"csrf_token": token, "version": "1", "status": "declined", "mrn": "kept"}
    refused = clinic.post(f"{url}/triage", data=bare)
    assert refused.status_code == 422 and "Say why" in refused.text
    assert 'value="kept"' in refused.text  # what was typed stays
    reason = "Outside our catchment area; please refer to the regional unit."
    done = clinic.post(f"{url}/triage", data={**bare, "triage_note": reason})
    assert done.status_code == 200 and 'id="reply-draft"' in done.text
    assert "Dear Dr A Neurologist" in done.text and reason in done.text
    queue = clinic.get("/referrals").text
    assert 'id="declined"' in queue and reason in queue


def test_triage_is_not_offered_to_a_viewer(clinic: TestClient) -> None:
    clinic.post("/referral", data={**_form(clinic), **FORM})
    sign_in(clinic, "viewer")
    link = re.search(r'href="/referrals/(\d+)"', clinic.get("/referrals").text)
    assert link
    page = clinic.get(f"/referrals/{link.group(1)}").text
    assert 'id="triage-readonly"' in page and 'value="declined"' not in page
