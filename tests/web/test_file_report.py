"""Filing a report PDF with the record from the web (issue 15, item 11).

A GET of a report renders it and stores nothing; the pages that offer a report (course page,
hand-back, letter) carry a "File ... with the record" form (POST with the CSRF token, shown
only to roles that may export), which files the PDF through the use case the API's POST
calls and then shows the patient's documents, the patient named.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from plexms.services.sharing import reports
from plexms.store.models import AuditEvent, Course, Document
from tests.web.conftest import TestClient, clinic_ctx, csrf_of, new_patient, sign_in
from tests.web.test_course import commit_plan

_FORM = re.compile(
    r'<form method="post" class="inline" action="(/patients/\d+/reports/([a-z-]+)\.pdf)">'
    r"(.*?)</form>",
    re.S,
)


def _documents(client: TestClient) -> list[tuple[str, str, int | None, str, str]]:
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.read() as s:
        rows = s.scalars(select(Document).order_by(Document.id)).all()
        return [(d.kind, d.title, d.course_id, d.media_type, d.created_by) for d in rows]


def _forms(page: str) -> dict[str, tuple[str, dict[str, str]]]:
    """The page's filing forms: report -> (action, fields)."""
    found = {}
    for action, report, body in _FORM.findall(page):
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))
        found[report] = (action, fields)
    return found


def _patient_with_course(clinic: TestClient) -> tuple[int, int]:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    commit_plan(clinic, patient_id)
    db = clinic.app.state.db  # type: ignore[attr-defined]
    with db.read() as s:
        course_id = s.scalars(select(Course.id).where(Course.patient_id == patient_id)).one()
    return patient_id, int(course_id)


@pytest.mark.parametrize(
    ("page", "reports_offered"),
    [
        ("/courses/{c}", {"course-summary"}),
        ("/patients/{p}/handback", {"course-summary", "handout"}),
        ("/patients/{p}/letter", {"course-summary"}),
    ],
)
def test_each_report_page_files_its_pdf_by_post_and_shows_the_documents(
    clinic: TestClient, page: str, reports_offered: set[str]
) -> None:
    patient_id, course_id = _patient_with_course(clinic)
    url = page.format(p=patient_id, c=course_id)
    html = clinic.get(url).text
    forms = _forms(html)
    assert set(forms) == reports_offered, forms
    assert _documents(clinic) == []  # showing the page (and its PDF links) stores nothing
    assert clinic.get(f"/patients/{patient_id}/reports/course-summary.pdf").status_code == 200
    assert _documents(clinic) == []
    for report, (action, fields) in sorted(forms.items()):
        assert fields["csrf_token"] and fields.get("course_id") == str(course_id)
        r = clinic.post(action, data=fields, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/patients/{patient_id}/documents#filed"
        shown = clinic.get(r.headers["location"])
        assert shown.status_code == 200
        assert "Documents of " in shown.text
        title = "Course summary" if report == "course-summary" else "Patient handout"
        assert title.lower() in shown.text.lower(), report
    filed = _documents(clinic)
    assert len(filed) == len(reports_offered)
    assert all(d[2] == course_id and d[3] == "application/pdf" for d in filed)


def test_the_web_files_what_the_api_use_case_files(clinic: TestClient) -> None:
    patient_id, course_id = _patient_with_course(clinic)
    action, fields = _forms(clinic.get(f"/courses/{course_id}").text)["course-summary"]
    assert clinic.post(action, data=fields, follow_redirects=False).status_code == 303
    reports.course_summary_pdf(
        clinic_ctx(clinic, "physician"), patient_id, course_id=course_id, store=True
    )  # what POST /api/patients/{id}/reports/course-summary.pdf calls
    web, api = _documents(clinic)
    assert web == api
    db = clinic.app.state.db  # type: ignore[attr-defined]
    with db.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "document")
        ).all()
        filed = [(r.detail["report"], r.detail["course_id"], r.entity_id) for r in rows]
    kinds = {kind for kind, _, _ in filed}
    assert len(filed) == 2 and len(kinds) == 1, filed  # the same audit row, twice
    assert all(course == course_id and document is not None for _, course, document in filed)


def test_the_documents_page_names_the_patient(clinic: TestClient) -> None:
    patient_id, course_id = _patient_with_course(clinic)
    action, fields = _forms(clinic.get(f"/patients/{patient_id}/handback").text)["handout"]
    clinic.post(action, data=fields, follow_redirects=False)
    page = clinic.get(f"/patients/{patient_id}/documents").text
    patient = clinic.get(f"/patients/{patient_id}").text
    name = re.search(r"<h1>([^<]+?) <span", patient)
    assert name, "the patient page names the patient"
    assert f"Documents of {name.group(1).strip()}" in page
    assert f'href="/patients/{patient_id}/documents"' in patient
    assert f'href="/courses/{course_id}"' in page


def test_filing_needs_the_csrf_token_and_the_right_role(clinic: TestClient) -> None:
    _patient_id, course_id = _patient_with_course(clinic)
    action, _fields = _forms(clinic.get(f"/courses/{course_id}").text)["course-summary"]
    forged = clinic.post(action, data={"course_id": str(course_id)}, follow_redirects=False)
    assert forged.status_code == 403
    assert _documents(clinic) == []
    clinic.cookies.clear()
    sign_in(clinic, "viewer")
    page = clinic.get(f"/courses/{course_id}").text
    assert _forms(page) == {}, "a viewer is not offered the button"
    token = csrf_of(page)
    refused = clinic.post(
        action, data={"csrf_token": token, "course_id": str(course_id)}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert _documents(clinic) == []
    db = clinic.app.state.db  # type: ignore[attr-defined]
    with db.read() as s:
        denied = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")
        ).scalar_one()
    assert denied >= 1
