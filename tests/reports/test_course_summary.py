"""The report HTML: sections from the record, fallbacks, and escaping of typed text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.interop.conftest import NOW, add_centre, make_db, seed_patient

from plexms.core.policy import CentrePolicy
from plexms.reports.course_summary import course_summary_html
from plexms.reports.handout import handout_html, ivig_comparison
from plexms.reports.inputs import CANONICAL, pick_course
from plexms.reports.levels import course_levels
from plexms.reports.summary import build_course_summary
from plexms.store.models import (
    Assessment,
    Course,
    Episode,
    LabResult,
    OutcomeAssessment,
    Patient,
)
from plexms.store.patient_records import load_record

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def db(tmp_path: Path):
    database = make_db(tmp_path / "r.sqlite")
    centre_id = add_centre(database)
    patient_id = seed_patient(database, centre_id)
    yield database, centre_id, patient_id
    database.dispose()


def _summary(database, patient_id: int, centre_id: int, assessment=None) -> str:
    with database.read() as s:
        record = load_record(s, patient_id, centre_id)
        course = pick_course(record, None)
        assert course is not None
        summary = build_course_summary(record, course, assessment=assessment, display=CANONICAL)
        return course_summary_html(
            record, course, summary, assessment=assessment, display=CANONICAL, now=NOW
        )


def test_typed_text_is_escaped(db) -> None:
    database, centre_id, patient_id = db
    with database.write() as s:
        s.get(Patient, patient_id).given_name = HOSTILE
        s.scalars(select(Episode)).one().description = HOSTILE
    html = _summary(database, patient_id, centre_id)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    with database.read() as s:
        record = load_record(s, patient_id, centre_id)
        handout = handout_html(record, pick_course(record, None), policy=CentrePolicy(), now=NOW)
    assert "<script>" not in handout and "&lt;script&gt;" in handout


def test_stored_assessment_gives_the_basis(db) -> None:
    database, centre_id, patient_id = db
    result = {
        "asfa": {
            "edition": "asfa-2016",
            "indication": "MS relapse",
            "category": "II",
            "grade": "1B",
        },
        "reasons": [{"text": "Steroid-refractory relapse."}],
        "sources": [{"key": "ASFA_2016"}],
    }
    assessment = Assessment(
        assessed_at=dt.datetime(2025, 2, 28, 18, tzinfo=dt.UTC),
        assessed_by="physician",
        inputs={},
        result=result,
        recommendation="tpe_recommended",
        rule_version="eligibility/1",
    )
    html = _summary(database, patient_id, centre_id, assessment)
    assert "ASFA category II, grade 1B" in html and "Steroid-refractory relapse." in html
    assert "eligibility assessment of 2025-02-28" in html and "tpe recommended" in html
    assert "Schwartz J et al." in html  # ASFA 2016 cited


def test_without_plasma_volume_or_baseline_the_chart_says_why(db) -> None:
    database, centre_id, patient_id = db
    with database.write() as s:
        s.scalars(select(Course)).one().prescription = {}
    html = _summary(database, patient_id, centre_id)
    assert "No predicted levels: no plasma volume in the prescription." in html
    assert "data:image/svg+xml" not in html
    with database.write() as s:
        s.scalars(select(Course)).one().prescription = {"plasma_volume_ml": 2950}
        for lab in s.scalars(select(LabResult).where(LabResult.analyte == "fibrinogen")):
            s.delete(lab)
    with database.read() as s:
        record = load_record(s, patient_id, centre_id)
        figure = course_levels(record, record.courses[0])
    igg, fibrinogen = figure.panels
    assert igg.unit == "g/L" and igg.measured[0] == pytest.approx((0.0, 10.2), abs=0.01)
    assert fibrinogen.unit == "% of pre-course level" and fibrinogen.measured == ()
    assert fibrinogen.predicted[0][1] == pytest.approx(100.0)
    assert figure.notes == ("Fibrinogen: no pre-course level measured; predicted as a percentage.",)


def test_predicted_igg_falls_with_each_exchange(db) -> None:
    database, centre_id, patient_id = db
    with database.read() as s:
        record = load_record(s, patient_id, centre_id)
        figure = course_levels(record, record.courses[0])
    assert "REVERBERI_2007" in figure.sources
    curve = dict(figure.panels[0].predicted)
    # The first exchange (about 1 plasma volume) leaves well under half the IgG in plasma.
    after_first = min(v for t, v in curve.items() if t < 1.0)
    assert 0.25 * 10.2 < after_first < 0.5 * 10.2


def test_handout_without_a_course_and_the_ivig_rows(db) -> None:
    database, centre_id, patient_id = db
    with database.read() as s:
        record = load_record(s, patient_id, centre_id)
        html = handout_html(record, None, policy=CentrePolicy(), now=NOW)
    assert "Your appointments have not been booked yet." in html
    rows, keys = ivig_comparison()
    assert rows[0][0] == "Mechanism" and "SEED_ARTICLE" in keys
    assert "Often within the first 2 or 3 sessions." in html


def test_response_not_classified_when_a_score_is_invalid_or_no_follow_up(db) -> None:
    database, centre_id, patient_id = db
    with database.write() as s:
        visits = list(s.scalars(select(OutcomeAssessment).order_by(OutcomeAssessment.id)))
        visits[1].edss = 3.25  # not an EDSS step
    html = _summary(database, patient_id, centre_id)
    assert "not classified:" in html and "followup.edss" in html
    with database.write() as s:
        s.delete(s.scalars(select(OutcomeAssessment).order_by(OutcomeAssessment.id.desc())).first())
    html = _summary(database, patient_id, centre_id)
    assert "No visit after the course with an EDSS yet: response not classified." in html
