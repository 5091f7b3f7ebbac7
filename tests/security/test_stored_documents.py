"""Stored documents never run as plexms pages (issue 15, item 1).

The attack: a coordinator uploads ``text/html`` (or ``image/svg+xml``) holding a script; an
admin who opens ``GET /api/documents/{id}/content`` runs it in plexms's origin. The defence:
an allow-list of media types whose bytes are sniffed on upload (415 for a type outside the
list, 422 for bytes that are not what the type says), content served as an attachment with
``nosniff`` and a ``sandbox`` CSP (also for documents stored before the allow-list), and the
pages' security headers plus ``Cache-Control: no-store`` on every ``/api`` response.
"""

from __future__ import annotations

import base64

import pytest

from plexms.store.models import Document

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SCRIPT = b"<html><script>fetch('/api/admin/users',{method:'POST'})</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24


def _upload(client, world, media_type: str, content: bytes):  # type: ignore[no-untyped-def]
    pid = world.patient().id
    return client.post(
        f"/api/patients/{pid}/documents",
        headers=world.headers("coordinator"),
        json={
            "kind": "letter",
            "title": "Letter",
            "media_type": media_type,
            "content_base64": base64.b64encode(content).decode(),
        },
    )


@pytest.mark.parametrize(
    "media_type",
    ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/javascript"],
)
def test_active_media_types_are_refused_on_upload(client, world, media_type: str) -> None:  # type: ignore[no-untyped-def]
    r = _upload(client, world, media_type, SCRIPT)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "media_type"


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        ("application/pdf", SCRIPT),
        ("image/png", SVG),
        ("image/jpeg", PNG),
        ("image/png", PDF),
        ("text/plain", b"text with a NUL \x00 byte"),
        ("text/plain", b"\xff\xfe not UTF-8"),
        ("text/plain", b"escape \x1b[31m sequence"),
    ],
)
def test_bytes_that_are_not_the_declared_type_are_refused(  # type: ignore[no-untyped-def]
    client, world, media_type: str, content: bytes
) -> None:
    r = _upload(client, world, media_type, content)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "content_base64"


@pytest.mark.parametrize(
    ("media_type", "content"),
    [
        ("application/pdf", PDF),
        ("image/png", PNG),
        ("image/jpeg", JPEG),
        ("text/plain", "Letter: Zoë, <b>not markup</b>\r\n\tindented\n".encode()),
        ("text/plain", b""),
    ],
)
def test_allowed_documents_are_served_as_inert_attachments(  # type: ignore[no-untyped-def]
    client, world, media_type: str, content: bytes
) -> None:
    r = _upload(client, world, media_type, content)
    assert r.status_code == 201, r.text
    got = client.get(f"/api/documents/{r.json()['id']}/content", headers=world.headers("admin"))
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert "default-src 'none'" in got.headers["content-security-policy"]
    assert got.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("media_type", ["text/html", "image/svg+xml"])
def test_a_document_stored_before_the_allow_list_is_not_served_as_markup(  # type: ignore[no-untyped-def]
    client, world, media_type: str
) -> None:
    """A row written before the allow-list (or by another path) still cannot run."""
    patient = world.patient()
    with world.db.write() as session:
        row = Document(
            centre_id=patient.centre_id,
            patient_id=patient.id,
            kind="letter",
            title="old",
            media_type=media_type,
            content=SCRIPT,
            sha256="0" * 64,
            created_by="test",
            created_at=world.system.now,
            updated_at=world.system.now,
        )
        session.add(row)
        session.flush()
        doc_id = row.id
    got = client.get(f"/api/documents/{doc_id}/content", headers=world.headers("admin"))
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]


API_PATHS = (
    ("GET", "/api/health", None),
    ("GET", "/api/patients", "physician"),
    ("GET", "/api/patients/999999", "physician"),  # 404 problem+json
    ("GET", "/api/patients", None),  # 401
    ("POST", "/api/calc/edss", "viewer"),  # 422 calc error
    ("GET", "/api/nothing-here", None),  # 404 unrouted
)


@pytest.mark.parametrize(("method", "path", "role"), API_PATHS)
def test_every_api_response_has_the_security_headers(  # type: ignore[no-untyped-def]
    client, world, method: str, path: str, role: str | None
) -> None:
    headers = world.headers(role) if role else {}
    r = client.request(method, path, headers=headers, json={} if method == "POST" else None)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_signed_in_pages_are_not_cached(app, client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.security.test_injection import _web

    pid = world.patient().id
    browser = _web(app)
    try:
        r = browser.get(f"/patients/{pid}")
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-store"
    finally:
        browser.close()
