"""User text never becomes style, markup or a fetch in a PDF (issue 15, item 3).

The attack: a patient name holding a newline and CSS, placed by the course summary inside its
footer rule (``content: "{{ footer }}"``), closed the string and made WeasyPrint fetch an
attacker URL (and could hide every table). The defences, each tried here:

- the report stylesheet holds no user text (the footer is an escaped HTML element moved into the
  page margin), so a name already in the database (written before the rule, or by another
  path) renders as literal text and fetches nothing;
- WeasyPrint's ``url_fetcher`` serves only packaged assets and ``data:`` URIs; http, https and
  file URLs are refused, whatever the HTML asks for;
- names and single-line fields refuse control characters (newline, NUL, C0/C1, bidi overrides)
  at every front: API, web forms, public referral form; notes keep newlines and tabs only.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from plexms.store.models import Patient
from tests.security.test_injection import _pdf_text, _squeeze

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class _Trap(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """An attacker's web server on 127.0.0.1: its base URL and the paths requested."""
    hits: list[str] = []
    handler = type("Trap", (_Trap,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def _css_payload(base: str) -> str:
    return (
        f"Evil\n}} }}\nhtml {{ background: url({base}/bg) }} table {{ display: none }} "
        "@page { @bottom-left { content: x"
    )


@SQLITE
def test_a_stored_name_cannot_style_the_report_or_fetch(client, world, trap) -> None:  # type: ignore[no-untyped-def]
    base, hits = trap
    doc = world.headers("physician")
    pid = world.patient(mrn="CSS-1").id
    r = client.post(
        f"/api/patients/{pid}/courses",
        headers=doc,
        json={"plan": {"exchanges": 5, "start_date": "2026-11-30"}},
    )
    assert r.status_code == 201, r.text
    payload = _css_payload(base)
    with world.db.write() as session:  # as if written before the rule, or by an import
        session.execute(update(Patient).where(Patient.id == pid).values(family_name=payload))
    r = client.get(f"/api/patients/{pid}/reports/course-summary.pdf", headers=doc)
    assert r.status_code == 200, r.text[:300]
    assert hits == [], f"the report fetched {hits}"
    text = _pdf_text(r.content)
    assert _squeeze("table { display: none }") in text  # shown as literal text
    assert _squeeze("TPE course summary") in text  # the running footer is still there


def test_the_pdf_renderer_fetches_only_packaged_assets(trap) -> None:  # type: ignore[no-untyped-def]
    from plexms.reports.render import html_to_pdf, svg_data_uri

    base, hits = trap
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
        '<rect width="4" height="4"/></svg>'
    )
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/style.css">'
        f'<style>@import url("{base}/import.css"); body {{ background: url("{base}/bg") }}</style>'
        f'</head><body><img src="{base}/img.png"><img src="file:///etc/passwd">'
        f'<img src="{svg_data_uri(svg)}"><iframe src="{base}/frame"></iframe>'
        f'<object data="{base}/object"></object>text</body></html>'
    )
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert hits == [], f"WeasyPrint fetched {hits}"


def test_the_report_stylesheet_holds_no_template_variables() -> None:
    from importlib.resources import files

    css = files("plexms.reports").joinpath("templates/_style.css").read_text()
    assert "{{" not in css and "{%" not in css


BAD_SINGLE_LINE = {
    "newline": "Smith\nJones",
    "carriage return": "Smith\rJones",
    "tab": "Smith\tJones",
    "NUL": "Smith\x00",
    "escape": "Smith\x1b[31m",
    "DEL": "Smith\x7f",
    "C1 NEL": "Smith\x85Jones",
    "bidi override RLO": "Smith\u202egnp.exe",
    "bidi embedding LRE": "\u202aSmith",
    "bidi isolate RLI": "Smith\u2067x",
    "pop isolate": "Smith\u2069",
    "line separator": "Smith\u2028Jones",
}


@SQLITE
@pytest.mark.parametrize("value", BAD_SINGLE_LINE.values(), ids=BAD_SINGLE_LINE.keys())
def test_api_refuses_control_characters_in_names(client, world, value: str) -> None:  # type: ignore[no-untyped-def]
    doc = world.headers("physician")
    r = client.post(
        "/api/patients",
        headers=doc,
        json={
            "mrn": "CTL-1",
            "family_name": value,
            "given_name": "Ada",
            "birth_date": "1981-04-04",
            "sex": "female",
        },
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "family_name"
    pid = world.patient(mrn="CTL-2").id
    r = client.patch(
        f"/api/patients/{pid}",
        headers={**doc, "If-Match": '"1"'},
        json={"given_name": value},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "given_name"


@SQLITE
@pytest.mark.parametrize(
    ("path", "role", "field", "extra"),
    [
        ("/api/referrals", "coordinator", "patient_family_name", {"reason": "r"}),
        (
            "/api/referrals",
            "coordinator",
            "referrer_name",
            {"reason": "r", "patient_family_name": "Smith", "patient_given_name": "Ann"},
        ),
        ("/api/users", "admin", "display_name", {"username": "newuser", "role": "viewer"}),
    ],
)
def test_api_refuses_newlines_in_other_single_line_fields(  # type: ignore[no-untyped-def]
    client, world, path: str, role: str, field: str, extra: dict[str, str]
) -> None:
    body = {**extra, field: "Line one\nLine two"}
    if "username" in extra:
        body["password"] = "a long enough password 123"
    r = client.post(path, headers=world.headers(role), json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


@SQLITE
def test_notes_keep_newlines_but_refuse_other_controls(client, world) -> None:  # type: ignore[no-untyped-def]
    doc = world.headers("physician")
    base = {"given_name": "Ada", "birth_date": "1981-04-04", "sex": "female"}
    ok = {**base, "mrn": "NOTE-1", "family_name": "Ok", "notes": "line one\r\nline two\n\tthree"}
    r = client.post("/api/patients", headers=doc, json=ok)
    assert r.status_code == 201, r.text
    assert r.json()["notes"] == ok["notes"]
    for bad in ("bell \x07", "NUL \x00", "escape \x1b[2J", "vertical tab \x0b", "C1 \x9b"):
        body = {**base, "mrn": "NOTE-2", "family_name": "Bad", "notes": bad}
        r = client.post("/api/patients", headers=doc, json=body)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["field"] == "notes"


@SQLITE
def test_public_referral_form_refuses_control_characters(app, client) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from tests.conftest import SyncClient

    app.state.web = dataclasses.replace(app.state.web, referral_min_fill_seconds=0.0)
    browser = SyncClient(app)
    try:
        page = browser.get("/referral").text
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page)
        stamp = re.search(r'name="form_ts" value="([^"]+)"', page)
        assert token and stamp
        form = {
            "csrf_token": token.group(1),
            "form_ts": stamp.group(1),
            "referrer_name": "Dr Who",
            "referrer_contact": "who@example.org",
            "patient_family_name": "Smith\u202eJones",
            "presentation": "relapse",
            "reason": "Relapse,\nnot recovering.",
        }
        r = browser.post("/referral", data=form)
        assert r.status_code == 422, r.text[:500]
        assert "patient_family_name" in r.text or "e-patient_family_name" in r.text
    finally:
        browser.close()


def test_the_web_triage_model_refuses_a_newline_in_a_name() -> None:
    """The web triage form (web/routes/referrals.py) builds this same model as the API."""
    from plexms.services.schemas import PatientIn

    with pytest.raises(ValueError, match="family_name"):
        PatientIn.model_validate(
            {
                "mrn": "W-1",
                "family_name": "Smith\nJones",
                "given_name": "Ada",
                "birth_date": "1981-04-04",
                "sex": "female",
            }
        )
