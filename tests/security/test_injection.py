"""Injection and escaping: SQL/HTML/JS/template payloads in every free-text field.

Each payload goes in through the API (patient names, notes, referring neurologist, episode
description, referral reason and referrer, assessment notes, document title), comes back
verbatim from the API, is shown escaped (never as markup) on the web pages that display it,
and appears as literal text in the PDF reports (a few in ``make test``, every payload in both
reports under ``make fuzz``). Searching for it is harmless.
"""

from __future__ import annotations

import base64
import re

import pytest
from markupsafe import escape

from plexms.store import audit_chain
from tests.reliability.support import LONG, row_counts

pytestmark = [pytest.mark.fuzz]

PAYLOADS = (
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE patient; --",
    "Robert'); DELETE FROM audit_event;--",
    "{{7*7}} {% raw %}${7*7}",
    "</textarea><svg onload=alert(1)>",
    "javascript:alert(document.cookie)",
    "1' OR '1'='1",
    "Zoë Ünïcödé Ωμέγα \\ %s %n",
)


# WeasyPrint takes seconds a PDF: the short form renders a few, make fuzz all of them.
REPORTS = {0: ("course-summary.pdf", "handout.pdf"), 4: ("course-summary.pdf",)}


def _create(client, doc, payload: str, n: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    name = payload[:100]
    r = client.post(
        "/api/patients",
        headers=doc,
        json={
            "mrn": f"INJ-{n}",
            "family_name": name,
            "given_name": name,
            "birth_date": "1981-04-04",
            "sex": "female",
            "notes": payload,
            "referring_neurologist": payload,
        },
    )
    assert r.status_code == 201, r.text[:300]
    pid = r.json()["id"]
    posts = {
        "measurements": {
            "measured_at": "2026-11-20T10:00:00+00:00",
            "height_cm": 168,
            "weight_kg": 66,
            "hematocrit": 0.4,
        },
        "episodes": {"onset_date": "2026-11-10", "presentation": "relapse", "description": payload},
        "documents": {
            "kind": "letter",
            "title": payload[:200],
            "media_type": "text/plain",
            "content_base64": base64.b64encode(payload.encode()).decode(),
        },
    }
    out = {"patient_id": pid}
    for path, body in posts.items():
        r = client.post(f"/api/patients/{pid}/{path}", headers=doc, json=body)
        assert r.status_code == 201, (path, r.text[:300])
        out[path] = r.json()["id"]
    r = client.post(
        "/api/referrals",
        headers=doc,
        json={"patient_id": pid, "reason": payload, "referrer_name": payload[:200]},
    )
    assert r.status_code == 201, r.text[:300]
    out["referral_id"] = r.json()["id"]
    r = client.post(
        f"/api/patients/{pid}/assessments",
        headers=doc,
        json={"episode_id": out["episodes"], "notes": payload},
    )
    assert r.status_code == 201, r.text[:300]
    r = client.post(
        f"/api/patients/{pid}/courses",
        headers=doc,
        json={"plan": {"exchanges": 5, "start_date": "2026-11-30"}},
    )
    assert r.status_code == 201, r.text[:300]
    out["course_id"] = r.json()["id"]
    return out


def _web(app):  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD, SyncClient

    browser = SyncClient(app)
    token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', browser.get("/login").text)
    assert token
    r = browser.post(
        "/login",
        data={"username": "physician-a", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303
    return browser


def _pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return _squeeze("".join(page.extract_text() or "" for page in reader.pages))


def _squeeze(text: str) -> str:
    """Text without spaces and NULs (pypdf pads some fonts' text with NULs)."""
    return "".join(c for c in text if not c.isspace() and c != "\x00")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_payloads_stored_verbatim_and_rendered_escaped(app, client, world) -> None:  # type: ignore[no-untyped-def]
    doc = world.headers("physician")
    browser = _web(app)
    failures: list[str] = []
    try:
        for n, payload in enumerate(PAYLOADS):
            ids = _create(client, doc, payload, n)
            pid = ids["patient_id"]
            record = client.get(f"/api/patients/{pid}/record", headers=doc)
            assert record.status_code == 200, record.text[:300]
            patient = client.get(f"/api/patients/{pid}", headers=doc).json()
            for field in ("family_name", "given_name", "notes", "referring_neurologist"):
                expected = payload[:100] if field.endswith("_name") else payload
                if patient[field] != expected:
                    failures.append(f"{payload!r}: {field} stored as {patient[field]!r}")
            if payload not in record.text and payload not in record.json().__repr__():
                body = record.json()
                episode = body.get("episodes", [{}])[0].get("description")
                if episode != payload:
                    failures.append(f"{payload!r}: episode description not verbatim")
            found = client.get("/api/patients", headers=doc, params={"q": payload[:100]})
            if found.status_code != 200:
                failures.append(f"{payload!r}: search answered {found.status_code}")
            pages = [
                f"/patients/{pid}",
                "/patients",
                f"/referrals/{ids['referral_id']}",
                "/referrals",
                f"/courses/{ids['course_id']}",
                f"/patients/{pid}/outcomes",
            ]
            for page in pages:
                r = browser.get(page)
                if r.status_code != 200:
                    failures.append(f"{payload!r}: {page} answered {r.status_code}")
                    continue
                raw = any(c in payload for c in "<>\"'&")
                if raw and payload in r.text:
                    failures.append(f"{payload!r}: rendered unescaped on {page}")
                if "{{7*7}}" in payload and "49" in r.text and str(escape(payload)) not in r.text:
                    failures.append(f"{payload!r}: template expression evaluated on {page}")
            shown = browser.get(f"/patients/{pid}").text
            if str(escape(payload[:100])) not in shown:
                failures.append(f"{payload!r}: patient page does not show the escaped name")
            for report in REPORTS[0] if LONG else REPORTS.get(n, ()):
                r = client.get(f"/api/patients/{pid}/reports/{report}", headers=doc)
                if r.status_code != 200:
                    failures.append(f"{payload!r}: {report} answered {r.status_code}")
                    continue
                text = _pdf_text(r.content)
                if _squeeze(payload[:100]) not in text:
                    failures.append(f"{payload!r}: {report} does not show the literal name")
    finally:
        browser.close()
    assert failures == [], "\n".join(failures)
    counts = row_counts(world.db.engine)
    assert counts["patient"] == len(PAYLOADS) and counts["audit_event"] > 0
    with world.db.read() as s:
        assert audit_chain.verify(s).ok
