from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from tests.interop.conftest import NOW, add_centre, seed_patient

from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.errors import NotFound, PermissionDenied
from plexms.services.sharing import reports
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import AuditEvent, Document


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):
    """One database, both PDFs rendered once (rendering takes about a second each)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'r.sqlite'}"
    upgrade(url)
    db = Database(url)
    centre_id = add_centre(db)
    patient_id = seed_patient(db, centre_id)
    nurse = ServiceContext(db=db, actor=Actor(7, "nurse", "nurse", centre_id), now=NOW)
    course = reports.course_summary_pdf(nurse, patient_id)
    handout = reports.patient_handout_pdf(nurse, patient_id)
    yield db, centre_id, patient_id, course, handout
    db.dispose()


def _text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), len(reader.pages)  # line breaks fall where the page wraps


def test_course_summary_has_every_section_and_the_numbers(rendered) -> None:
    _, _, _, pdf, _ = rendered
    assert pdf.startswith(b"%PDF-")
    text, pages = _text(pdf)
    assert pages == 4  # the seed patient's measures beyond the EDSS add a table
    for heading in (
        "Plasma exchange (TPE) course summary",
        "1. Indication and basis",
        "2. Prescription",
        "3. Sessions",
        "4. Laboratory results",
        "Predicted vs measured IgG and fibrinogen",
        "5. Outcome: EDSS and visual acuity",
        "6. Disease-modifying therapy: hand-back plan",
        "Sources",
    ):
        assert heading in text, heading
    assert "ASFA category II, grade 1A" in text
    assert "2,950 mL" in text  # plasma volume of the prescription
    assert "2,900 mL" in text and "2,904 mL" in text  # exchanged in sessions 1 and 5
    assert "03/03/2025" in text and "8:05 AM" in text  # 16:05 UTC on the Los Angeles clock
    assert "Hypocalcaemia" in text and "Mild" in text
    assert "1020 mg/dL" in text  # IgG in the centre's US convention (10.2 g/L)
    assert "5.5" in text and "3.5" in text and "change -2.0" in text
    assert "EDSS change improved" in text and "Weinshenker" in text
    assert "Targeted neurological deficit responder" in text
    assert "_2007" not in text and "WEINSHENKER_1999" not in text  # citations, not keys
    assert "ocrelizumab" in text and "3 days after the last exchange on 03/11/2025" in text
    assert "Reverberi" in text  # the kinetic model's source
    assert "Measures beyond the EDSS" in text and "Timed 25-foot walk" in text
    assert "-2 s (-22.2%)" in text and "improved" in text


def test_handout_has_the_patients_dates_in_clinic_time(rendered) -> None:
    _, _, _, _, pdf = rendered
    text, pages = _text(pdf)
    assert pages == 3
    for heading in (
        "What is plasma exchange?",
        "Your appointments",
        "How to prepare",
        "Common side effects",
        "When to call us",
        "Plasma exchange or IVIG?",
        "Contact us",
    ):
        assert heading in text, heading
    assert "America/Los_Angeles" not in text and "PST" not in text  # the patient's own clock
    assert "Monday 03 March 2025" in text and "8:05 AM to 10:05 AM" in text
    assert "9:05 AM to 11:05 AM" in text  # after the switch to daylight time on 9 March
    assert "ASFA_2023" not in text and "SEED_PROTOCOL" not in text  # no source keys
    assert "+1 555 0100" in text and "clinic@example.org" in text
    assert "Call 911" in text
    assert "Monday: 9:00 AM" in text and "Sunday: closed" in text
    assert "24 hours" in text  # ACE inhibitor hold from the centre's precheck settings


def test_reports_are_kept_and_audited_without_patient_data(rendered) -> None:
    db, _, patient_id, course_pdf, handout_pdf = rendered
    with db.read() as s:
        docs = [
            (d.kind, d.media_type, d.sha256, d.content)
            for d in s.scalars(select(Document).order_by(Document.id))
        ]
        events = [
            (e.action, e.entity, e.outcome, e.patient_id, e.detail)
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        ]
    kept = [d for d in docs if d[0] in ("report", "handout") and d[3] != b"%PDF-1.4 synthetic"]
    assert [(k, m) for k, m, _, _ in kept] == [
        ("report", "application/pdf"),
        ("handout", "application/pdf"),
    ]
    assert kept[0][3] == course_pdf and kept[0][2] == hashlib.sha256(course_pdf).hexdigest()
    assert kept[1][3] == handout_pdf
    assert [(a, e, o, p) for a, e, o, p, _ in events] == [
        ("export", "document", "ok", patient_id),
        ("export", "document", "ok", patient_id),
    ]
    details = json.dumps([d for *_, d in events])
    assert "Testperson" not in details and "MRN" not in details
    assert events[0][4]["report"] == "report" and events[0][4]["format"] == "pdf"


def test_denied_other_centre_and_missing_course(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    upgrade(url)
    db = Database(url)
    try:
        centre_id = add_centre(db)
        patient_id = seed_patient(db, centre_id)
        viewer = ServiceContext(db=db, actor=Actor(8, "viewer", "viewer", centre_id), now=NOW)
        with pytest.raises(PermissionDenied):
            reports.course_summary_pdf(viewer, patient_id)
        other = add_centre(db, code="OTHER")
        stranger = ServiceContext(db=db, actor=Actor(9, "phys", "physician", other), now=NOW)
        with pytest.raises(NotFound):
            reports.patient_handout_pdf(stranger, patient_id)
        system = ServiceContext(db=db, actor=SYSTEM, now=NOW)
        with pytest.raises(NotFound):
            reports.course_summary_pdf(system, patient_id, course_id=999)
        with db.read() as s:
            assert s.scalars(select(Document).where(Document.kind == "handout")).first() is None
    finally:
        db.dispose()


def test_episode_assessment_and_pre_relapse_edss_feed_the_summary(tmp_path: Path) -> None:
    import datetime as dt

    from plexms.store.models import Assessment, Episode

    url = f"sqlite:///{tmp_path / 'e.sqlite'}"
    upgrade(url)
    db = Database(url)
    try:
        centre_id = add_centre(db)
        patient_id = seed_patient(db, centre_id)
        with db.write() as s:
            episode = s.scalars(select(Episode)).one()
            episode.edss_pre_relapse = 3.0
            s.add(
                Assessment(
                    centre_id=centre_id,
                    patient_id=patient_id,
                    episode_id=episode.id,
                    created_at=NOW,
                    updated_at=NOW,
                    created_by="test",
                    assessed_at=dt.datetime(2025, 2, 27, 17, tzinfo=dt.UTC),
                    assessed_by="physician",
                    inputs={},
                    result={
                        "asfa": {
                            "edition": "asfa-2023",
                            "indication": "Multiple sclerosis, acute attack/relapse",
                            "category": "II",
                            "grade": "1A",
                        },
                        "reasons": [{"text": "Steroid-refractory disabling relapse."}],
                        "sources": [{"key": "ASFA_2023"}],
                    },
                    recommendation="tpe_recommended",
                    rule_version="eligibility/test",
                )
            )
        ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
        text, _ = _text(reports.course_summary_pdf(ctx, patient_id, store=False))
        assert "eligibility assessment of 02/27/2025" in text
        assert "Steroid-refractory disabling relapse." in text
        assert "Recovery to the pre-relapse EDSS partial" in text.replace(
            "pre- relapse", "pre-relapse"
        )
        assert "Relapse severity severe" in text
        with db.read() as s:  # store=False keeps no document, the export is still audited
            assert [d.content for d in s.scalars(select(Document))] == [b"%PDF-1.4 synthetic"]
            assert s.scalars(select(AuditEvent).where(AuditEvent.entity == "document")).one()
    finally:
        db.dispose()
