"""Outcome visits: EDSS from the grades, acuity in the clinic's notation, response against the
assessment's baseline under every definition, charts."""

from __future__ import annotations

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in
from tests.web.test_assessment import SAFE, _assess

GRADES = ("visual", "brainstem", "pyramidal", "cerebellar", "sensory", "bowel_bladder", "cerebral")


def test_visit_is_scored_and_classified_against_the_baseline(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    _assess(clinic, patient_id, **SAFE, va_notation="snellen", va_right="20/63", va_left="20/20")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    assert "Baseline: eligibility assessment" in page and "EDSS 4.5" in page
    data = {f"fs_{g}": "0" for g in GRADES} | {"fs_pyramidal": "2", "fs_sensory": "2"}
    data |= {
        "csrf_token": csrf_of(page),
        "timepoint": "end_of_course",
        "assessed_on": "2026-01-05",
        "ambulation_score": "0",
        "va_notation": "snellen",
        "va_right": "20/25",
        "va_left": "20/20",
        "targeted_deficit": "moderate",
    }
    live = clinic.post(
        f"/patients/{patient_id}/outcomes/edss", data=data, headers={"HX-Request": "true"}
    )
    assert 'id="edss-value">2.5<' in live.text
    saved = clinic.post(f"/patients/{patient_id}/outcomes", data=data)
    assert saved.status_code == 200, saved.text
    page = saved.text
    assert ">2.5<" in page and "20/25" in page
    assert 'data-criterion="edss_standard"' in page and "improved" in page
    assert 'data-criterion="tnd"' in page and "responder" in page
    assert 'id="chart-edss"' in page and 'id="chart-acuity"' in page


def test_bad_acuity_is_flagged_beside_the_field(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    data = {f"fs_{g}": "0" for g in GRADES} | {
        "csrf_token": csrf_of(page),
        "timepoint": "baseline",
        "assessed_on": "2026-01-05",
        "ambulation_score": "0",
        "va_notation": "decimal",
        "va_right": "seven",
    }
    response = clinic.post(f"/patients/{patient_id}/outcomes", data=data)
    assert response.status_code == 422 and 'id="e-va_right"' in response.text


def test_course_review_after_exchange_3_is_shown(clinic: TestClient) -> None:
    import datetime as dt

    from plexms.services.clinical import courses, outcomes, sessions
    from plexms.services.schemas.clinical import CoursePlanIn, OutcomeIn, SessionRecordIn
    from tests.web.conftest import clinic_ctx

    patient_id = new_patient(clinic)
    physician, nurse = clinic_ctx(clinic), clinic_ctx(clinic, "nurse")
    course = courses.plan_course(
        physician, patient_id, CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-16"})
    )
    sheets = courses.list_course_sessions(nurse, course.id)

    def visit(timepoint: str, on: dt.date, **values: object) -> None:
        body = {"timepoint": timepoint, "assessed_on": on, "course_id": course.id, **values}
        outcomes.record_outcome(nurse, patient_id, OutcomeIn.model_validate(body))

    visit("baseline", dt.date(2026, 11, 15), va_right_logmar=1.0, va_left_logmar=0.1)
    for sheet in sheets[:3]:
        start = sheet.planned_start
        record = SessionRecordIn(
            status="done",
            actual_start=start,
            actual_end=start + dt.timedelta(hours=2),
            plasma_removed_ml=2500,
        )
        sessions.record_session(nurse, sheet.id, record, sheet.version)
    day = sheets[2].planned_start.date() + dt.timedelta(days=1)
    visit("during_course", day, va_right_logmar=1.0, va_left_logmar=0.1, targeted_deficit="worse")
    sign_in(clinic, "physician")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    assert 'class="review"' in page and "Course review after 3 exchange(s)" in page
    assert "<strong>stop</strong>" in page and "RESP-REVIEW-WORSE" in page


def test_a_visit_in_the_future_is_refused_beside_its_date(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    data = {f"fs_{g}": "0" for g in GRADES} | {
        "csrf_token": csrf_of(page),
        "timepoint": "baseline",
        "assessed_on": "2026-12-05",
        "ambulation_score": "0",
        "notes": "Walked 100 m unaided",
    }
    response = clinic.post(f"/patients/{patient_id}/outcomes", data=data)
    assert response.status_code == 422 and 'id="e-assessed_on"' in response.text
    assert "in the future" in response.text and "Walked 100 m unaided" in response.text
