"""The registry page's benchmarking section (funnel, CUSUM, CSV report) over two centres, and
the protocol comparison page (/cohort): chart, table, reproducibility, refusals, own patients."""

from __future__ import annotations

import csv
import io
import re

import pytest

from plexms.services.admin import centres
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.schemas import CentreIn
from plexms.services.sharing import benchmark, registry_demo
from plexms.web import cohort_view
from tests.web.conftest import TestClient, clinic_ctx, csrf_of, sign_in

N_PATIENTS = 40


@pytest.fixture
def two_centres(clinic: TestClient) -> TestClient:
    ctx = clinic_ctx(clinic, "admin")
    registry_demo.load_registry(ctx, N_PATIENTS, centre_id=ctx.actor.centre_id, seed=7)
    system = ServiceContext(db=ctx.db, actor=SYSTEM, settings=ctx.settings)
    other = centres.create_centre(
        system, CentreIn(code="peer", name="Peer Centre", time_zone="UTC", units="si")
    )
    registry_demo.load_registry(system, N_PATIENTS, centre_id=other.id, seed=8)
    return clinic


def test_the_registry_page_benchmarks_the_centre(two_centres: TestClient) -> None:
    sign_in(two_centres, "viewer")
    html = two_centres.get("/registry").text
    expected = benchmark.benchmark(clinic_ctx(two_centres, "viewer"))
    assert 'id="chart-funnel"' in html and 'id="chart-cusum"' in html
    assert "Peer Centre" not in html and "peer" not in html.split('id="benchmark"', 1)[1]
    table = html.split('id="benchmark-funnel"', 1)[1].split("</table>", 1)[0]
    assert "your centre" in table and "centre 1" in table
    for r in expected.by_type:
        row = html.split('id="benchmark-by-type"', 1)[1].split(f'data-key="{r.event_type}"', 1)[1]
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.split("</tr>", 1)[0])
        assert cells[2] == f"{r.per_100:.2f}"
        assert cells[3] == f"{r.ci95_per_100[0]:.2f} to {r.ci95_per_100[1]:.2f}"
    assert f"CUSUM over the {expected.cusum.values.size:,} most recent procedures" in html
    assert 'id="benchmark-csv-link"' not in html  # a viewer may not export
    assert two_centres.get("/registry/benchmark.csv").status_code == 403


def test_the_benchmark_report_downloads_as_csv(two_centres: TestClient) -> None:
    sign_in(two_centres, "nurse")
    assert 'id="benchmark-csv-link"' in two_centres.get("/registry").text
    r = two_centres.get("/registry/benchmark.csv?indication=relapse")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:5] == ["section", "item", "count", "procedures", "per_100"]
    assert {row[0] for row in rows[1:]} >= {"funnel", "cusum", "severity"}
    bad = two_centres.get("/registry/benchmark.csv?start_from=yesterday")
    assert bad.status_code == 422


def _form(client: TestClient, **values: str) -> dict[str, str]:
    token = csrf_of(client.get("/cohort").text)
    return {"csrf_token": token, **cohort_view.default_values(), **values}


def test_the_cohort_page_compares_the_usual_protocols(clinic: TestClient) -> None:
    sign_in(clinic, "viewer")
    page = clinic.get("/cohort")
    assert page.status_code == 200 and 'aria-current="page">Protocols' in page.text
    first = clinic.post("/cohort", data=_form(clinic, n="3000"))
    assert first.status_code == 200
    html = first.text
    assert 'id="chart-cohort"' in html and 'id="cohort-table"' in html
    for name, *_ in cohort_view.DEFAULT_ROWS:
        assert name in html
    assert "3,000 virtual patients" in html and "Local policy" in html
    again = clinic.post("/cohort", data=_form(clinic, n="3000"), headers={"HX-Request": "true"})
    table = html.split('id="cohort-table"', 1)[1].split("</table>", 1)[0]
    assert table in again.text  # same seed, same numbers
    assert "<html" not in again.text  # htmx gets the block only


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"pv_0": "3"}, "pv_0"),
        ({"n": "200001"}, "n"),
        ({"exchanges_1": "2.5"}, "exchanges_1"),
        ({"name_0": "", "name_1": "", "name_2": "", "name_3": ""}, "name_0"),
        ({"name_1": "5 x 1.0 PV, every other day"}, "name_0"),  # two with one name
    ],
)
def test_the_cohort_page_refuses_bad_input_beside_the_field(
    clinic: TestClient, values: dict[str, str], field: str
) -> None:
    sign_in(clinic, "viewer")
    r = clinic.post("/cohort", data=_form(clinic, **values))
    assert r.status_code == 422
    assert f'id="e-{field}"' in r.text


def test_the_cohort_page_can_draw_the_centres_own_patients(clinic: TestClient) -> None:
    sign_in(clinic, "physician")
    r = clinic.post("/cohort", data=_form(clinic, n="2000", own_patients="1"))
    if "has no patients yet" in r.text:  # an empty clinic says so beside the box
        assert r.status_code == 422 and 'id="e-own_patients"' not in r.text
        ctx = clinic_ctx(clinic, "admin")
        registry_demo.load_registry(ctx, N_PATIENTS, centre_id=ctx.actor.centre_id, seed=7)
    r = clinic.post("/cohort", data=_form(clinic, n="2000", own_patients="1"))
    assert r.status_code == 200, r.text[-500:]
    assert "of your patients resampled" in r.text and "registry" in r.text


def test_the_cohort_page_needs_sign_in(clinic: TestClient) -> None:
    r = clinic.get("/cohort", follow_redirects=False)
    assert r.status_code in (303, 401)
