"""One course summary: the course page, the letter and both PDFs show the same figures, and the
course moves to completed (last exchange signed) and closed (hand-back)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

from pypdf import PdfReader

from plexms.services.admin.demo import _FS, _FS_BETTER
from plexms.services.clinical import courses, outcomes, sessions
from plexms.services.schemas.clinical import (
    AdverseEventIn,
    HandBackIn,
    LabIn,
    OutcomeIn,
    SessionRecordIn,
)
from plexms.services.sharing import reports
from tests.web.conftest import TestClient, clinic_ctx, new_patient, sign_in
from tests.web.test_course import commit_plan


def _pdf_text(pdf: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def _page_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _complete_course(client: TestClient, patient_id: int) -> int:
    """Five exchanges done and signed off, a lab, an adverse event and two visits."""
    nurse, doc = clinic_ctx(client, "nurse"), clinic_ctx(client, "physician")
    course = courses.list_courses(doc, patient_id=patient_id).items[0]
    rows = courses.list_course_sessions(doc, course.id)
    for row in rows:
        start = row.planned_start - dt.timedelta(days=20)
        sessions.record_session(
            nurse,
            row.id,
            SessionRecordIn(
                status="done",
                actual_start=start,
                actual_end=start + dt.timedelta(hours=2),
                plasma_removed_ml=2900,
                sign_off=True,
            ),
            row.version,
        )
        expected = "completed" if row is rows[-1] else "active"
        assert courses.get_course(doc, course.id).status == expected
    first = rows[0].planned_start - dt.timedelta(days=20)
    sessions.add_lab(
        nurse,
        patient_id,
        LabIn(taken_at=first, analyte="fibrinogen", value=250, unit="mg/dL", timing="pre"),
    )
    sessions.report_adverse_event(
        nurse,
        patient_id,
        AdverseEventIn(
            session_id=rows[1].id,
            event_type="hypocalcaemia",
            severity="mild",
            onset_at=first + dt.timedelta(days=2, minutes=50),
            action="Oral calcium.",
            outcome="Resolved",
        ),
    )
    for timepoint, fs, day in (("baseline", _FS, first), ("end_of_course", _FS_BETTER, None)):
        outcomes.record_outcome(
            doc,
            patient_id,
            OutcomeIn(
                course_id=course.id,
                timepoint=timepoint,  # type: ignore[arg-type]
                assessed_on=(day or rows[-1].planned_start).date()
                - dt.timedelta(days=20 if day is None else 0),
                edss={"fs": fs, "ambulation_score": 0},
                va_right_logmar=0.2,
                va_left_logmar=0.0,
            ),
        )
    return course.id


def test_page_letter_and_pdfs_agree_and_the_course_closes(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    commit_plan(clinic, patient_id)
    course_id = _complete_course(clinic, patient_id)
    doc = clinic_ctx(clinic, "physician")
    outcomes.record_handback(
        doc,
        patient_id,
        HandBackIn(
            course_id=course_id,
            planned_dmt="Ocrelizumab",
            earliest_dose_date=clinic_ctx(clinic).now.date(),
            plan="Resume in clinic.",
        ),
    )
    summary = reports.course_summary(doc, patient_id)
    assert courses.get_course(doc, course_id).status == "closed"
    assert summary.status_label == "Closed"
    assert summary.exchanges_text == "5 of 5 exchanges done"
    assert summary.edss_before.value is not None and summary.edss_after.value is not None
    assert "—" not in summary.edss_text and "change" in summary.edss_text
    assert summary.response and not summary.response_note
    assert [lab.analyte for lab in summary.labs] == ["fibrinogen"]
    page = _page_text(clinic.get(f"/courses/{course_id}").text)
    letter = _page_text(clinic.get(f"/patients/{patient_id}/letter").text)
    pdf = _pdf_text(clinic.get(f"/patients/{patient_id}/reports/course-summary.pdf").content)
    handout = _pdf_text(clinic.get(f"/patients/{patient_id}/reports/handout.pdf").content)
    for shown in (
        summary.exchanges_text,
        summary.edss_text,
        summary.labs[0].value,
        summary.hand_back.planned_dmt if summary.hand_back else "",
        summary.response[0].result,
    ):
        for name, text in (("page", page), ("letter", letter), ("pdf", pdf)):
            assert shown in text, (name, shown)
    assert summary.status_label in page and summary.status_label in pdf
    assert summary.status_label.lower() in letter and summary.status_label.lower() in handout
    assert summary.exchanges_text in handout and "Ocrelizumab" in handout
    assert "America/Los_Angeles" not in handout and "PST" not in handout
    assert "Hypocalcaemia" in page and "Hypocalcaemia" in letter and "Hypocalcaemia" in pdf
    for text in (page, letter, pdf):
        assert "not classified" not in text and "No laboratory results" not in text


def test_measures_beyond_the_edss_in_the_page_letter_and_pdf(clinic: TestClient) -> None:
    """The measures' response (the latest follow-up against the baseline visit, with the
    threshold and its source) is in the one summary, and so on the page, letter and PDF."""
    from plexms.services.clinical import measures
    from plexms.services.schemas.clinical import MeasuresIn

    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    commit_plan(clinic, patient_id)
    course_id = _complete_course(clinic, patient_id)
    doc = clinic_ctx(clinic, "physician")
    visits = sorted(outcomes.list_outcomes(doc, patient_id), key=lambda o: o.assessed_on)
    for visit, walk, sdmt in ((visits[0], 10.0, 50), (visits[-1], 7.5, 51)):
        body = {
            "measures": [{"measure": "t25fw", "value": walk}, {"measure": "sdmt", "value": sdmt}]
        }
        measures.add_measures(doc, visit.id, MeasuresIn.model_validate(body))
    summary = reports.course_summary(doc, patient_id)
    assert [(m.name, m.result) for m in summary.measures] == [
        ("Timed 25-foot walk", "improved"),
        ("Symbol Digit Modalities Test", "unchanged"),
    ]
    walk = summary.measures[0]
    assert (walk.before, walk.after, walk.change) == ("10 s", "7.5 s", "-2.5 s (-25.0%)")
    assert walk.threshold == "20% of baseline" and walk.source is not None
    assert walk.source.short in [c.short for c in summary.sources]
    page = _page_text(clinic.get(f"/courses/{course_id}").text)
    letter = _page_text(clinic.get(f"/patients/{patient_id}/letter").text)
    pdf = _pdf_text(clinic.get(f"/patients/{patient_id}/reports/course-summary.pdf").content)
    for name, text in (("page", page), ("letter", letter), ("pdf", pdf)):
        assert "Timed 25-foot walk" in text and "improved" in text, name
        assert walk.source.short in text, name
    assert "Measures beyond the EDSS" in pdf and "-2.5 s (-25.0%)" in pdf
