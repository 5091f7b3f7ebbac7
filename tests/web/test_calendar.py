"""Calendar links in the browser's pages: a coordinator makes a patient's link, the link
serves the appointments, revoking it stops it; a nurse makes her own; a viewer is offered
nothing to change (issue 17, item 6)."""

from __future__ import annotations

import re

import icalendar

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in
from tests.web.test_course import commit_plan


def _url(html: str) -> str:
    found = re.search(r'id="new-feed-url" aria-label="Calendar link" size="60"', html)
    assert found, "no new link shown"
    value = re.search(r'value="(http[^"]+\.ics)" id="new-feed-url"', html)
    assert value
    return value.group(1)


def test_coordinator_makes_and_revokes_a_patient_link(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    commit_plan(clinic, patient_id)
    sign_in(clinic, "coordinator")
    patient = clinic.get(f"/patients/{patient_id}").text
    assert f'href="/patients/{patient_id}/calendar"' in patient
    page = clinic.get(f"/patients/{patient_id}/calendar")
    assert page.status_code == 200 and "MRN" in page.text  # the patient is named
    made = clinic.post(f"/patients/{patient_id}/calendar", data={"csrf_token": csrf_of(page.text)})
    assert made.status_code == 201, made.text
    url = _url(made.text)
    feed = clinic.get(url.replace("http://testserver", ""))
    assert feed.status_code == 200
    assert len(list(icalendar.Calendar.from_ical(feed.content).walk("VEVENT"))) == 5
    reopened = clinic.get(f"/patients/{patient_id}/calendar").text
    assert url not in reopened and "(1×)" in reopened  # the secret is shown once; one read
    feed_id = re.search(r'/calendar/(\d+)/revoke"', reopened)
    assert feed_id
    revoked = clinic.post(
        f"/patients/{patient_id}/calendar/{feed_id.group(1)}/revoke",
        data={"csrf_token": csrf_of(reopened)},
    )
    assert revoked.status_code == 200 and 'id="revoked"' in revoked.text
    assert clinic.get(url.replace("http://testserver", "")).status_code == 404


def test_viewer_sees_links_but_is_offered_no_change(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "viewer")
    page = clinic.get(f"/patients/{patient_id}/calendar")
    assert page.status_code == 200
    assert 'id="make-feed"' not in page.text and "may not make calendar links" in page.text
    refused = clinic.post(
        f"/patients/{patient_id}/calendar", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403


def test_nurse_makes_her_own_link(clinic: TestClient) -> None:
    sign_in(clinic, "nurse")
    today = clinic.get("/today").text
    assert 'href="/my/calendar"' in today
    page = clinic.get("/my/calendar")
    made = clinic.post("/my/calendar", data={"csrf_token": csrf_of(page.text)})
    assert made.status_code == 201
    url = _url(made.text)
    assert clinic.get(url.replace("http://testserver", "")).status_code == 200
    again = clinic.get("/my/calendar").text
    feed_id = re.search(r'/my/calendar/(\d+)/revoke"', again)
    assert feed_id
    gone = clinic.post(
        f"/my/calendar/{feed_id.group(1)}/revoke", data={"csrf_token": csrf_of(again)}
    )
    assert gone.status_code == 200
    assert clinic.get(url.replace("http://testserver", "")).status_code == 404
