"""FHIR $everything, FHIR import and the PDF reports over HTTP (in-process ASGI)."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from tests.interop.conftest import seed_patient

from plexms.api.routes_interop import MAX_IMPORT_BYTES
from plexms.store.models import AuditEvent, Patient


@pytest.fixture
def record(world) -> int:  # type: ignore[no-untyped-def]
    """A full synthetic record (5 sessions, labs, an adverse event, outcomes) in centre A."""
    return seed_patient(world.db, world.centres["a"], mrn="FHIR-1")


def _patients(world, centre: str) -> int:  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        query = select(func.count()).select_from(Patient)
        return int(s.scalar(query.where(Patient.centre_id == world.centres[centre])))


def test_everything_is_a_fhir_bundle(client, world, record: int) -> None:
    url = f"/api/patients/{record}/$everything"
    r = client.get(url, headers=world.headers("nurse"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.headers["cache-control"] == "no-store"
    bundle = r.json()
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Procedure", "Observation", "AdverseEvent"} <= kinds
    r = client.get(url, params={"type": "transaction"}, headers=world.headers("nurse"))
    assert r.json()["type"] == "transaction"
    assert client.get(url, params={"type": "x"}, headers=world.headers("nurse")).status_code == 422


def test_other_centre_gets_404_without_data_and_roles_are_enforced(
    client, world, record: int
) -> None:
    paths = (
        f"/api/patients/{record}/$everything",
        f"/api/patients/{record}/reports/course-summary.pdf",
        f"/api/patients/{record}/reports/handout.pdf",
    )
    for path in paths:
        r = client.get(path, headers=world.headers("physician", "b"))
        assert r.status_code == 404, path
        assert "Testperson" not in r.text and "FHIR-1" not in r.text
        assert client.get(path, headers=world.headers("viewer")).status_code == 403
        assert client.get(path).status_code == 401
    with world.db.read() as s:
        outcomes = [
            e.outcome for e in s.scalars(select(AuditEvent).where(AuditEvent.patient_id == record))
        ]
    assert outcomes.count("not_found") == 3 and outcomes.count("denied") == 3


def test_pdf_reports_download(client, world, record: int) -> None:
    r = client.get(
        f"/api/patients/{record}/reports/course-summary.pdf", headers=world.headers("physician")
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="course-summary-{record}.pdf"'
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 4 and "3. Sessions" in reader.pages[0].extract_text()
    r = client.get(
        f"/api/patients/{record}/reports/handout.pdf",
        params={"course_id": 999},
        headers=world.headers("coordinator"),
    )
    assert r.status_code == 404 and r.json()["field"] == "course_id"
    r = client.get(f"/api/patients/{record}/reports/handout.pdf", headers=world.headers("nurse"))
    assert (
        r.status_code == 200
        and "Your appointments" in PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    )


def test_import_into_own_centre_and_rejections(client, world, record: int) -> None:
    bundle = client.get(
        f"/api/patients/{record}/$everything", headers=world.headers("physician")
    ).json()
    before = _patients(world, "b")
    broken = json.loads(json.dumps(bundle))
    broken["entry"][0]["resource"]["birthDate"] = "not-a-date"
    r = client.post(
        "/api/fhir/import",
        content=json.dumps(broken),
        headers={**world.headers("physician", "b"), "Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert _patients(world, "b") == before
    r = client.post("/api/fhir/import", json=bundle, headers=world.headers("physician", "b"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] and _patients(world, "b") == before + 1
    assert client.post("/api/fhir/import", json=bundle).status_code == 401
    r = client.post("/api/fhir/import", json=bundle, headers=world.headers("viewer", "b"))
    assert r.status_code == 403 and _patients(world, "b") == before + 1
    huge = b" " * (MAX_IMPORT_BYTES + 1)
    r = client.post("/api/fhir/import", content=huge, headers=world.headers("physician", "b"))
    assert r.status_code == 422 and r.json()["field"] == "body"
