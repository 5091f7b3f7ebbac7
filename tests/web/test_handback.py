"""Hand-back: DMT timing relative to the last exchange, the letter and the PDF link."""

from __future__ import annotations

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in
from tests.web.test_course import commit_plan


def test_dmt_plan_and_letter(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    commit_plan(clinic, patient_id)
    page = clinic.get(f"/patients/{patient_id}/handback").text
    data = {"csrf_token": csrf_of(page), "dmt": "ocrelizumab", "plan": "Resume in clinic."}
    saved = clinic.post(f"/patients/{patient_id}/handback", data=data)
    assert saved.status_code == 200, saved.text
    assert "DMT plan: Ocrelizumab" in saved.text and 'id="removed">yes<' in saved.text
    assert "not before the last exchange" in saved.text
    letter = clinic.get(f"/patients/{patient_id}/letter").text
    assert "Dear colleague" in letter and "Ocrelizumab" in letter
    assert "/reports/course-summary.pdf" in letter


def test_viewer_may_not_write_the_handback(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "viewer")
    page = clinic.get(f"/patients/{patient_id}/handback").text
    response = clinic.post(
        f"/patients/{patient_id}/handback", data={"csrf_token": csrf_of(page), "dmt": "ocrelizumab"}
    )
    assert response.status_code == 403
