"""Registry page: the centre's courses with filters, rates that match the registry service,
the onset chart, CSV download (export permission), filter validation beside the fields."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import escape as html_escape

import pytest

from plexms.services.sharing import registry, registry_demo
from tests.web.conftest import TestClient, clinic_ctx, sign_in

N_PATIENTS = 40


@pytest.fixture
def loaded(clinic: TestClient) -> TestClient:
    """The seed clinic with a small synthetic registry (seeded: the same rows every run)."""
    ctx = clinic_ctx(clinic, "admin")
    registry_demo.load_registry(ctx, N_PATIENTS, centre_id=ctx.actor.centre_id, seed=7)
    return clinic


def _cell(html: str, table: str, key: str, column: int) -> str:
    """The text of one cell (0 = the row header) of a row of a table on the page."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    row = body.split(f'data-key="{html_escape(key)}"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
    return cells[column]


def test_page_shows_the_service_figures(loaded: TestClient) -> None:
    sign_in(loaded, "viewer")
    response = loaded.get("/registry")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    expected = registry.dashboard(clinic_ctx(loaded, "viewer"))
    assert expected.courses > N_PATIENTS  # 1-3 courses per patient
    assert f'id="n-courses">{expected.courses:,}<' in html
    assert f'id="n-procedures">{expected.procedures:,}<' in html
    for g in expected.by_indication:
        assert _cell(html, "by-indication", g.key, 1) == f"{g.courses:,}"
        rate = "—" if g.rate_percent is None else f"{g.rate_percent:.1f}"
        assert _cell(html, "by-indication", g.key, 4) == rate
    for g in expected.by_onset_band:
        assert _cell(html, "by-band", g.key, 3) == f"{g.responders:,}"
    for e in expected.events_by_type:
        assert _cell(html, "events-by-type", e.event_type, 2) == f"{e.per_100:.2f}"
    assert expected.waa is not None
    for r in expected.waa.rows:
        assert _cell(html, "events-by-severity", r.severity, 2) == f"{r.per_100:.2f}"
        low, high = r.ci95_per_100
        assert _cell(html, "events-by-severity", r.severity, 3) == f"{low:.2f} to {high:.2f}"
    # the registry's rates are over all procedure types, and the table says so
    assert "WAA registry, all procedure types (per 100)" in html
    assert 'id="chart-onset"' in html and "days from onset" in html
    assert 'aria-current="page"' in html.split('href="/registry"', 1)[1][:30]
    assert f'id="n-listed">{expected.courses:,}<' in html
    assert "Next 50" in html if expected.courses > 50 else "Next 50" not in html
    assert 'id="csv-link"' not in html  # a viewer may not export


def test_filters_narrow_the_courses_and_keep_the_form(loaded: TestClient) -> None:
    sign_in(loaded, "physician")
    ctx = clinic_ctx(loaded, "physician")
    everything = registry.dashboard(ctx)
    f = registry.RegistryFilter(
        indication="relapse", start_from=dt.date(2020, 1, 1), response="responder"
    )
    expected = registry.list_courses(ctx, f, limit=500)
    assert 0 < expected.total < everything.courses
    html = loaded.get(
        "/registry",
        params={"indication": "relapse", "start_from": "2020-01-01", "response": "responder"},
    ).text
    assert f'id="n-listed">{expected.total:,}<' in html
    assert '<option value="relapse" selected>' in html
    assert 'value="2020-01-01"' in html
    listed = set(re.findall(r'<a href="/courses/(\d+)">', html))
    assert listed == {str(c.course_id) for c in expected.items[:50]}
    assert "optic neuritis</td>" not in html.split('id="courses"', 1)[1]


def test_htmx_gets_the_fragment_only(loaded: TestClient) -> None:
    sign_in(loaded, "nurse")
    response = loaded.get(
        "/registry", params={"indication": "optic_neuritis"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="registry">')
    assert "<html" not in response.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_from": "31/12/2025"}, "start_from"),
        ({"start_from": "2026-02-01", "start_to": "2026-01-01"}, "start_to"),
        ({"indication": "flu"}, "indication"),
        ({"response": "maybe"}, "response"),
    ],
)
def test_bad_filter_is_flagged_beside_the_field(
    loaded: TestClient, params: dict[str, str], field: str
) -> None:
    sign_in(loaded, "viewer")
    response = loaded.get("/registry", params=params)
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert loaded.get("/registry.csv", params=params).status_code in (403, 422)


def test_csv_download_matches_the_filter(loaded: TestClient) -> None:
    sign_in(loaded, "coordinator")
    page = loaded.get("/registry", params={"indication": "relapse"}).text
    link = re.search(r'id="csv-link" href="([^"]+)"', page)
    assert link and link.group(1) == "/registry.csv?indication=relapse"
    response = loaded.get(link.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = registry.list_courses(
        clinic_ctx(loaded, "coordinator"), registry.RegistryFilter(indication="relapse"), limit=500
    )
    assert len(rows) == expected.total > 0
    assert {r["indication"] for r in rows} == {"relapse"}
    assert tuple(rows[0]) == registry.CSV_COLUMNS
    assert "family_name" not in response.text


def test_csv_needs_the_export_permission(loaded: TestClient) -> None:
    sign_in(loaded, "viewer")
    assert loaded.get("/registry.csv").status_code == 403


def test_signed_out_goes_to_the_sign_in_form(clinic: TestClient) -> None:
    response = clinic.get("/registry", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]


def test_empty_registry_says_so(clinic: TestClient) -> None:
    sign_in(clinic, "viewer")
    html = clinic.get("/registry").text
    assert 'id="n-courses">0<' in html
    assert "No courses match these filters." in html
    assert "No procedures done in these courses yet." in html
