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


def test_measures_are_saved_and_shown_again_with_their_response(clinic: TestClient) -> None:
    """Save a baseline and a follow-up with measures beyond the EDSS, reopen the page: the
    values, the change from baseline, the verdict, the threshold and its source are there."""
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    assert 'id="f-m_t25fw"' in page and 'id="f-m_nhpt_non_dominant"' in page
    base = {f"fs_{g}": "0" for g in GRADES} | {
        "csrf_token": csrf_of(page),
        "timepoint": "baseline",
        "assessed_on": "2026-11-02",
        "ambulation_score": "0",
        "m_t25fw": "10",
        "m_nhpt_dominant": "20",
        "m_sdmt": "50",
        "m_lcla_2_5_right": "30",
        "m_msis29_psychological": "30",
    }
    saved = clinic.post(f"/patients/{patient_id}/outcomes", data=base)
    assert saved.status_code == 200, saved.text
    follow = base | {
        "timepoint": "1_month",
        "assessed_on": "2026-11-25",
        "m_t25fw": "12",
        "m_nhpt_dominant": "16",
        "m_sdmt": "53",
        "m_lcla_2_5_right": "23",
        "m_msis29_psychological": "38",
    }
    saved = clinic.post(f"/patients/{patient_id}/outcomes", data=follow)
    assert saved.status_code == 200, saved.text
    reopened = clinic.get(f"/patients/{patient_id}/outcomes").text
    assert "Measures beyond the EDSS" in reopened

    def row(key: str) -> str:
        start = reopened.rindex(f'data-measure="{key}"')
        return reopened[start : reopened.index("</tr>", start)]

    assert "12 s" in row("t25fw") and "+20.0%" in row("t25fw") and "worsened" in row("t25fw")
    assert "Kragt" in row("t25fw") and "20% of baseline" in row("t25fw")
    assert "improved" in row("nhpt-dominant")
    assert "unchanged" in row("sdmt")  # +3 of 50: neither 4 points nor 10%
    assert "worsened" in row("lcla_2_5-right") and "7 letters" in row("lcla_2_5-right")
    assert "Local policy (no published figure" in row("msis29_psychological")


def test_a_measure_out_of_range_is_flagged_beside_its_field(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    data = {f"fs_{g}": "0" for g in GRADES} | {
        "csrf_token": csrf_of(page),
        "timepoint": "baseline",
        "assessed_on": "2026-11-02",
        "ambulation_score": "0",
        "m_t25fw": "200",
        "m_sdmt": "45",
    }
    response = clinic.post(f"/patients/{patient_id}/outcomes", data=data)
    assert response.status_code == 422 and 'id="e-m_t25fw"' in response.text
    assert 'value="45"' in response.text  # the other values are kept


def test_an_edss_within_30_days_of_the_relapse_is_flagged(clinic: TestClient) -> None:
    import datetime as dt

    from plexms.services.clinical import outcomes, patients
    from plexms.services.schemas import EpisodeIn
    from plexms.services.schemas.clinical import OutcomeIn
    from tests.web.conftest import clinic_ctx

    patient_id = new_patient(clinic)
    physician = clinic_ctx(clinic)
    patients.add_episode(
        physician, patient_id, EpisodeIn(onset_date=dt.date(2026, 11, 10), presentation="relapse")
    )
    fs = dict.fromkeys(GRADES, 0) | {"pyramidal": 3}
    body = {"timepoint": "baseline", "assessed_on": dt.date(2026, 11, 20)}
    outcomes.record_outcome(
        physician,
        patient_id,
        OutcomeIn.model_validate(body | {"edss": {"fs": fs, "ambulation_score": 0}}),
    )
    sign_in(clinic, "physician")
    page = clinic.get(f"/patients/{patient_id}/outcomes").text
    assert 'data-k="edss-not-baseline"' in page
    flag = page[page.index('data-k="edss-not-baseline"') :]
    # new_patient's own episode began 2026-11-14, the latest relapse before the visit
    assert "6 days after the relapse began" in flag, flag[:400]
    assert "not a disability baseline" in flag
