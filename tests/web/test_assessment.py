"""Eligibility assessment in the browser's forms: recommendation, ASFA basis, reasons with
sources, inputs shown, missing inputs flagged, and the clinician's override."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in

SAFE = {
    f"c_{n}": "no"
    for n in (
        "hemodynamic_instability",
        "active_infection",
        "active_bleeding",
        "albumin_allergy",
        "ace_inhibitor",
        "pregnant",
        "poor_venous_access",
    )
}


def _assess(client: TestClient, patient_id: int, **fields: str) -> str:
    form = client.get(f"/patients/{patient_id}/assessment").text
    data = {"csrf_token": csrf_of(form), "diagnosis": "relapsing_ms", "presentation": "relapse"}
    for name in ("onset_date", "assessment_date", "steroid_start", "steroid_days"):
        found = re.search(rf'name="{name}" type="\w+" value="([^"]*)"', form)
        data[name] = found.group(1) if found else ""
    data |= {
        "steroids_given": "yes",
        "steroid_drug": "methylprednisolone",
        "steroid_route": "iv",
        "steroid_dose": "1000",
        "steroid_response": "none",
        "edss_pre_relapse": "2.0",
        "edss_now": "4.5",
        **fields,
    }
    response = client.post(f"/patients/{patient_id}/assessment", data=data)
    assert response.status_code == 200, response.text
    return response.text


def test_complete_assessment_is_indicated_with_asfa_basis(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = _assess(clinic, patient_id, **SAFE)
    assert 'id="recommendation">Indicated<' in page
    assert "category II, grade 1A" in page
    assert "American Society for Apheresis" in page or "ASFA" in page
    assert "EDSS now" in page and "4.5" in page  # the inputs used are shown, in words
    assert "edss_now" not in page and "MARRODAN_2025" not in page


def test_missing_inputs_are_flagged(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = _assess(clinic, patient_id, **{**SAFE, "c_poor_venous_access": ""})
    assert ">Incomplete<" in page and "Safety: Poor peripheral venous access" in page
    assert "conditions.poor_venous_access" not in page
    assert 'class="missing"' in page


def test_override_needs_a_reason_and_a_stale_page_is_a_conflict(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = _assess(clinic, patient_id, **SAFE)
    aid = re.search(r'action="/assessments/(\d+)/override"', page)
    assert aid
    url = f"/assessments/{aid.group(1)}/override"
    token = csrf_of(page)
    empty = clinic.post(url, data={"csrf_token": token, "version": "1", "final": "defer"})
    assert empty.status_code == 422 and 'id="e-reason"' in empty.text
    done = clinic.post(
        url,
        data={"csrf_token": token, "version": "1", "final": "defer", "reason": "infection"},
    )
    assert done.status_code == 200 and "Clinician decided: Defer" in done.text
    stale = clinic.post(
        url,
        data={"csrf_token": token, "version": "1", "final": "consider", "reason": "again"},
    )
    assert stale.status_code == 412 and "Someone else changed this record" in stale.text


def test_nurse_may_not_assess(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    assert clinic.get(f"/patients/{patient_id}/assessment").status_code == 403


def test_relapse_confirmation_and_targeted_deficit_from_the_form(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    confirmed = {
        "relapse_hours": "48",
        "relapse_fever": "no",
        "relapse_infection": "no",
        "relapse_on_natalizumab": "no",
    }
    page = _assess(clinic, patient_id, **SAFE, **confirmed)
    assert 'id="recommendation">Indicated<' in page and "ELIG-RELAPSE-CONFIRMED" in page
    fever = _assess(clinic, patient_id, **SAFE, **{**confirmed, "relapse_fever": "yes"})
    assert 'id="recommendation">Defer<' in fever and "ELIG-PSEUDO-RELAPSE" in fever
    natalizumab = _assess(
        clinic, patient_id, **SAFE, **{**confirmed, "relapse_on_natalizumab": "yes"}
    )
    assert ">Incomplete<" in natalizumab and "Relapse: JC virus antibody status" in natalizumab
    small_rise = {"edss_pre_relapse": "3.0", "edss_now": "3.5", "deficit_new_walking_aid": "yes"}
    aid = _assess(clinic, patient_id, **SAFE, **confirmed, **small_rise)
    assert 'id="recommendation">Indicated<' in aid and "ELIG-DEFICIT-TARGETED" in aid


def test_edss_10_is_refused_in_the_form(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    form = clinic.get(f"/patients/{patient_id}/assessment").text
    response = clinic.post(
        f"/patients/{patient_id}/assessment",
        data={"csrf_token": csrf_of(form), "edss_now": "10"},
    )
    assert response.status_code == 422 and 'id="e-edss_now"' in response.text


def _yes_no_fields(page: str) -> dict[str, str]:
    """The selected option of every select on the form."""
    found = re.findall(r'<select id="f-(\w+)" name="\w+"[^>]*>(.*?)</select>', page, re.S)
    chosen = {}
    for name, options in found:
        hit = re.search(r'<option value="([^"]*)" selected', options)
        chosen[name] = hit.group(1) if hit else ""
    return chosen


def test_a_male_patient_is_not_asked_about_pregnancy(clinic: TestClient) -> None:
    patient_id = new_patient(clinic, sex="male")
    sign_in(clinic, "physician")
    form = clinic.get(f"/patients/{patient_id}/assessment").text
    assert 'name="c_pregnant"' not in form and "not asked: male" in form
    safe = {k: v for k, v in SAFE.items() if k != "c_pregnant"}
    page = _assess(clinic, patient_id, **safe)
    assert 'id="recommendation">Indicated<' in page  # not left incomplete
    assert "not asked: male" in page


def test_a_female_patient_is_asked_about_pregnancy(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    form = clinic.get(f"/patients/{patient_id}/assessment").text
    assert 'name="c_pregnant"' in form and "not asked" not in form


def test_assess_again_starts_from_the_last_answers(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    _assess(clinic, patient_id, **{**SAFE, "c_ace_inhibitor": "yes", "mri_gd": "3"})
    again = clinic.get(f"/patients/{patient_id}/assessment").text
    chosen = _yes_no_fields(again)
    assert chosen["c_ace_inhibitor"] == "yes" and chosen["c_active_bleeding"] == "no"
    assert chosen["steroid_route"] == "iv" and chosen["steroid_response"] == "none"
    assert 'name="mri_gd" type="text" value="3"' in again or 'value="3"' in again
    assert 'value="2"' in again  # EDSS before the attack
    assert "answers of the last assessment" in again


def test_agreement_with_the_advice_is_recorded(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = _assess(clinic, patient_id, **SAFE)
    aid = re.search(r'action="/assessments/(\d+)/agree"', page)
    assert aid
    done = clinic.post(
        f"/assessments/{aid.group(1)}/agree", data={"csrf_token": csrf_of(page), "version": "1"}
    )
    assert done.status_code == 200 and 'id="agreement"' in done.text
    assert "Agreed with the advice (Indicated) by" in done.text
    assert 'action="/assessments/' + aid.group(1) + '/agree"' not in done.text
    stale = clinic.post(
        f"/assessments/{aid.group(1)}/agree", data={"csrf_token": csrf_of(page), "version": "1"}
    )
    assert stale.status_code == 412


def test_a_refused_form_keeps_what_was_typed(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    page = _assess(clinic, patient_id, **SAFE)
    aid = re.search(r'action="/assessments/(\d+)/override"', page)
    assert aid
    sign_in(clinic, "viewer")
    viewer_page = clinic.get(f"/assessments/{aid.group(1)}").text
    refused = clinic.post(
        f"/assessments/{aid.group(1)}/override",
        data={
            "csrf_token": csrf_of(viewer_page),
            "version": "1",
            "final": "defer",
            "reason": "Fever 38.4 on the ward",
        },
        headers={"referer": f"http://testserver/assessments/{aid.group(1)}"},
    )
    assert refused.status_code == 403
    assert 'id="kept-input"' in refused.text and "Fever 38.4 on the ward</textarea>" in refused.text
    assert f'href="/assessments/{aid.group(1)}" id="back-link"' in refused.text
    assert "csrf" not in refused.text.split('id="kept-input"')[1].split("</section>")[0]
