"""Vascular access on the patient page (issue 17 item 3), through the real web app over the
seed clinic: a nurse puts a line in and it reopens exactly as typed; a refused form comes
back with what was typed and the message beside the field; a viewer sees no forms; the
pre-session check takes the access from the record; the session sheet keeps the post-run
line care as typed."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in
from tests.web.test_session_sheet import first_sheet

LINE = {
    "line_type": "tunnelled_cvc",
    "site": "right_internal_jugular",
    "lumens": "2",
    "inserted_on": "2026-11-16",
    "lock_solution": "heparin_1000",
    "line_notes": "Tip at the cavo-atrial junction <ok>",
}


def _add_line(client: TestClient, patient_id: int, **changes: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/patients/{patient_id}").text
    data = {"csrf_token": csrf_of(page), **LINE, **changes}
    return client.post(f"/patients/{patient_id}/access-lines", data=data)


def test_a_line_reopens_exactly_as_typed(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    response = _add_line(clinic, patient_id)
    assert response.status_code == 200, response.text
    page = response.text
    row = re.search(r'<tr id="line-\d+" data-kind="central">(.*?)</tr>', page, re.S)
    assert row is not None, page
    cells = row.group(1)
    for shown in (
        "Tunnelled central venous catheter",
        "Right internal jugular",
        "<td>2</td>",
        "Heparin 1,000 units/mL",
        "Tip at the cavo-atrial junction &lt;ok&gt;",
        "in place",
        "<td>11</td>",  # line-days, the 16th to the 26th
    ):
        assert shown in cells, shown
    assert "takes <strong>central</strong> access" in page

    line_id = re.search(r'id="line-(\d+)"', page).group(1)  # type: ignore[union-attr]
    event = {
        "csrf_token": csrf_of(page),
        "patient_id": str(patient_id),
        "event_type": "exit_site_infection",
        "event_on": "2026-11-24",
        "event_notes": "Erythema 1 cm, swabbed",
    }
    after = clinic.post(f"/access-lines/{line_id}/events", data=event)
    assert after.status_code == 200, after.text
    assert "Exit-site infection (Erythema 1 cm, swabbed)" in after.text
    assert re.search(r"infections: <strong>1</strong>", after.text)
    assert "infections per 1,000 line-days" in after.text

    out = {
        "csrf_token": csrf_of(after.text),
        "patient_id": str(patient_id),
        "version": "1",
        "removed_on": "2026-11-25",
        "removal_reason": "infection",
    }
    removed = clinic.post(f"/access-lines/{line_id}/removal", data=out)
    assert removed.status_code == 200, removed.text
    assert "(Infection)" in removed.text and "No line in place" in removed.text


def test_a_refused_line_keeps_what_was_typed(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    response = _add_line(clinic, patient_id, inserted_on="2026-12-02")
    assert response.status_code == 422
    page = response.text
    assert 'id="e-inserted_on"' in page and "future" in page
    assert 'value="2026-12-02"' in page
    assert '<option value="tunnelled_cvc" selected>' in page
    assert 'value="Tip at the cavo-atrial junction &lt;ok&gt;"' in page
    assert _add_line(clinic, patient_id).status_code == 200
    second = _add_line(clinic, patient_id, inserted_on="2026-11-20")
    assert second.status_code == 409 and 'id="access-conflict"' in second.text


def test_a_viewer_reads_and_has_no_forms(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    _add_line(clinic, patient_id)
    sign_in(clinic, "viewer")
    page = clinic.get(f"/patients/{patient_id}").text
    assert 'id="access-lines"' in page
    assert 'id="line-form"' not in page and "/events" not in page
    token = csrf_of(page)
    refused = clinic.post(
        f"/patients/{patient_id}/access-lines", data={"csrf_token": token, **LINE}
    )
    assert refused.status_code == 403


def test_the_precheck_form_takes_the_access_from_the_record(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    assert "No line in place on record" in sheet
    assert '<option value="" selected>Not stated</option>' in sheet
    patient_id = int(re.search(r'href="/patients/(\d+)"', sheet).group(1))  # type: ignore[union-attr]
    _add_line(clinic, patient_id)
    again = clinic.get(url).text
    assert '<option value="central" selected>' in again
    assert "From the record: Tunnelled central venous catheter" in again


def test_post_run_line_care_reopens_as_typed(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    data = {
        "csrf_token": csrf_of(sheet),
        "version": "1",
        "status": "done",
        "actual_start": "2026-11-26T01:00",
        "actual_end": "2026-11-26T03:10",
        "plasma_removed": "2750",
        "vital_rows": "0",
        "line_lock": "citrate_4",
        "line_lock_ml": "2.6",
        "line_flush_ml": "20",
        "line_dressing": "changed",
    }
    saved = clinic.post(f"{url}/record", data=data)
    assert saved.status_code == 200, saved.text
    page = saved.text
    assert '<option value="citrate_4" selected>' in page
    assert 'name="line_lock_ml" type="text" value="2.6"' in page
    assert 'name="line_flush_ml" type="text" value="20"' in page
    assert '<option value="changed" selected>' in page
    token = csrf_of(page)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    signed = clinic.post(f"{url}/sign-off", data={"csrf_token": token, "version": version})
    assert signed.status_code == 200, signed.text
    assert "lock Trisodium citrate 4% 2.6 mL; flush 20 mL; dressing Changed" in signed.text


def test_the_registry_page_shows_line_infections_per_1000_line_days(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    page = _add_line(clinic, patient_id).text
    line_id = re.search(r'id="line-(\d+)"', page).group(1)  # type: ignore[union-attr]
    event = {
        "csrf_token": csrf_of(page),
        "patient_id": str(patient_id),
        "event_type": "clabsi",
        "event_on": "2026-11-25",
    }
    assert clinic.post(f"/access-lines/{line_id}/events", data=event).status_code == 200
    registry = clinic.get("/registry").text
    row = re.search(r'<tr data-key="central">(.*?)</tr>', registry, re.S)
    assert row is not None, registry
    assert "<td>1</td>" in row.group(1)  # one infection
    assert "Line infections per 1,000 line-days" in registry


def test_a_stale_removal_is_not_saved(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "nurse")
    page = _add_line(clinic, patient_id).text
    line_id = re.search(r'id="line-(\d+)"', page).group(1)  # type: ignore[union-attr]
    out = {
        "csrf_token": csrf_of(page),
        "patient_id": str(patient_id),
        "version": "7",
        "removed_on": "2026-11-25",
        "removal_reason": "infection",
    }
    stale = clinic.post(f"/access-lines/{line_id}/removal", data=out)
    assert stale.status_code == 412 and 'id="access-conflict"' in stale.text
    assert 'value="2026-11-25"' in stale.text  # what was typed is shown again


def test_line_care_is_corrected_by_a_web_addendum(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    data = {
        "csrf_token": csrf_of(sheet),
        "version": "1",
        "status": "done",
        "actual_start": "2026-11-26T01:00",
        "actual_end": "2026-11-26T03:10",
        "plasma_removed": "2750",
        "vital_rows": "0",
        "line_lock": "heparin_1000",
        "line_lock_ml": "2.6",
    }
    page = clinic.post(f"{url}/record", data=data).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    signed = clinic.post(f"{url}/sign-off", data={"csrf_token": csrf_of(page), "version": version})
    assert 'id="addendum-form"' in signed.text
    for field, value, shown in (
        ("line_lock_solution", "citrate_4", "Trisodium citrate 4%"),
        ("line_lock_volume_ml", "2.8", "2.8 mL"),
        ("line_dressing", "changed", "changed"),
        ("line_flush_ml", "20", "20 mL"),
    ):
        body = {
            "csrf_token": csrf_of(signed.text),
            "add_field": field,
            "add_value": value,
            "add_reason": "Entered late",
        }
        after = clinic.post(f"{url}/addenda", data=body)
        assert after.status_code == 200, after.text
        assert f'data-field="{field}"' in after.text and shown in after.text
