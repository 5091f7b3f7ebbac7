"""No side effects on GET; the API's cookie needs the CSRF token (issue 15, item 11).

The attacks: an ``<img src=".../reports/course-summary.pdf">`` on any page (or a link
prefetcher, or a crawler) made plexms store a new document in the patient's record on every
load; a page of another site that gets the signed-in browser to send a state-changing
request to ``/api`` with the session cookie (no token needed there). The defences: a GET of
a report renders and audits it but stores nothing (a POST files it); the API accepts the
session cookie for POST, PUT, PATCH and DELETE only with the page's CSRF token in
``X-CSRF-Token`` (a Bearer token needs none).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from plexms.services.admin import auth
from plexms.store.models import Document
from tests.conftest import PASSWORD
from tests.interop.conftest import seed_patient

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _documents(world) -> int:  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        return int(s.execute(select(func.count()).select_from(Document)).scalar_one())


@pytest.mark.parametrize("report", ["course-summary", "handout"])
def test_getting_a_report_stores_nothing(client, world, report: str) -> None:  # type: ignore[no-untyped-def]
    patient_id = seed_patient(world.db, world.centres["a"])
    before = _documents(world)
    url = f"/api/patients/{patient_id}/reports/{report}.pdf"
    for _ in range(3):
        r = client.get(url, headers=world.headers("physician"))
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert _documents(world) == before
    filed = client.post(url, headers=world.headers("physician"))
    assert filed.status_code == 201 and filed.content.startswith(b"%PDF")
    assert _documents(world) == before + 1


def _cookie_session(client, world) -> str:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", json={"username": "physician-a", "password": PASSWORD})
    assert r.status_code == 200
    return str(r.json()["token"])


def test_the_api_refuses_the_cookie_without_the_csrf_token(client, world) -> None:  # type: ignore[no-untyped-def]
    _cookie_session(client, world)
    forged = client.post(
        "/api/patients",
        json={
            "mrn": "CSRF-1",
            "family_name": "Forged",
            "given_name": "Request",
            "birth_date": "1980-01-01",
            "sex": "female",
        },
    )
    assert forged.status_code == 403, forged.text
    assert client.get("/api/patients").status_code == 200  # reading with the cookie is fine


def test_the_api_takes_the_cookie_with_the_pages_csrf_token(client, world, app) -> None:  # type: ignore[no-untyped-def]
    token = _cookie_session(client, world)
    page = client.get("/today")
    browser = client.cookies.get("plexms_csrf")
    assert page.status_code == 200 and browser
    csrf = auth.csrf_token_for(app.state.web.secret, browser, token)
    assert re.search(csrf, page.text), "the page carries the same token"
    r = client.post(
        "/api/patients",
        headers={"X-CSRF-Token": csrf},
        json={
            "mrn": "CSRF-2",
            "family_name": "Genuine",
            "given_name": "Request",
            "birth_date": "1980-01-01",
            "sex": "female",
        },
    )
    assert r.status_code == 201, r.text


def test_the_web_pages_and_pdfs_store_nothing_until_the_file_button(client, world) -> None:  # type: ignore[no-untyped-def]
    """The hand-back, letter, documents and both PDFs shown over and over: no document;
    the page's "File ... with the record" form (POST + CSRF token) files one."""
    from tests.web.conftest import csrf_of

    patient_id = seed_patient(world.db, world.centres["a"])
    login = client.get("/login")
    r = client.post(
        "/login",
        data={"username": "physician-a", "password": PASSWORD, "csrf_token": csrf_of(login.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    before = _documents(world)
    with world.db.read() as s:
        from plexms.store.models import Course

        course_id = s.scalars(select(Course.id).where(Course.patient_id == patient_id)).one()
    pages = (  # (the course page needs a planned prescription: tests/web/test_file_report.py)
        f"/patients/{patient_id}/handback",
        f"/patients/{patient_id}/letter",
        f"/patients/{patient_id}/documents",
        f"/patients/{patient_id}/reports/course-summary.pdf",
        f"/patients/{patient_id}/reports/handout.pdf",
        f"/patients/{patient_id}/reports/course-summary.pdf?course_id={course_id}",
    )
    for _ in range(2):
        for url in pages:
            assert client.get(url).status_code == 200, url
    assert _documents(world) == before
    page = client.get(f"/patients/{patient_id}/handback").text
    assert "File course summary with the record" in page
    filed = client.post(
        f"/patients/{patient_id}/reports/course-summary.pdf",
        data={"csrf_token": csrf_of(page), "course_id": str(course_id)},
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    assert _documents(world) == before + 1
