"""A patient's course: planner prefilled from the record, committed through the course service."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in


def commit_plan(client: TestClient, patient_id: int) -> tuple[str, str]:
    """Open the patient's planner, commit the default 1.0 PV x 5 plan; (planner, course page)."""
    page = client.get(f"/patients/{patient_id}/plan").text
    commit = re.search(
        r'<form method="post" action="(/patients/\d+/plan/commit)".*?</form>', page, re.S
    )
    assert commit, "no commit form"
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', commit.group(0)))
    data["indication"] = "relapse"
    response = client.post(commit.group(1), data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return page, client.get(response.headers["location"]).text


def test_planner_prefills_from_the_record_in_us_units(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = clinic.get(f"/patients/{patient_id}/plan").text
    assert 'value="65.0 in"' in page and 'value="140.0 lb"' in page and 'value="40"' in page
    assert "from the record" in page and "compare-table" in page


def test_commit_creates_the_course_and_its_five_sessions(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    _, course = commit_plan(clinic, patient_id)
    assert 'id="course-status">Planned<' in course
    assert course.count('href="/sessions/') == 5
    again = clinic.get(f"/patients/{patient_id}/plan").text
    commit = re.search(
        r'<form method="post" action="(/patients/\d+/plan/commit)".*?</form>', again, re.S
    )
    assert commit
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', commit.group(0)))
    second = clinic.post(commit.group(1), data=data)
    assert second.status_code == 409 and "already has a planned or active course" in second.text


def test_nurse_may_not_plan(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    token = csrf_of(clinic.get("/today").text)
    response = clinic.post(f"/patients/{patient_id}/plan/commit", data={"csrf_token": token})
    assert response.status_code == 403


def test_a_course_starting_in_the_past_is_a_warning_not_a_refusal(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = clinic.get(f"/patients/{patient_id}/plan").text
    assert 'id="start-in-the-past"' not in page  # prefilled with a day to come
    data = dict(re.findall(r'name="(\w+)" type="\w+" value="([^"]*)"', page))
    data |= {"csrf_token": csrf_of(page), "sex": "female", "pv": "1.0", "exchanges": "5"}
    past = clinic.post(f"/patients/{patient_id}/plan", data={**data, "start_date": "2026-11-20"})
    assert past.status_code == 200, past.text
    assert 'id="start-in-the-past"' in past.text and "compare-table" in past.text
    ahead = clinic.post(f"/patients/{patient_id}/plan", data={**data, "start_date": "2026-12-07"})
    assert ahead.status_code == 200 and 'id="start-in-the-past"' not in ahead.text
