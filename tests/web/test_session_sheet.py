"""The nurse's session sheet: go/no-go with reasons, the record with US units, adverse events,
validation messages beside fields and the stale-edit conflict."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in
from tests.web.test_course import commit_plan

PRE = {
    "pre_sbp": "122",
    "pre_dbp": "76",
    "pre_hr": "72",
    "pre_temp": "98.2",
    "pre_spo2": "98",
    "lab_fibrinogen": "250",
    "lab_ica": "4.7",
    "lab_ca": "9.2",
    "lab_hb": "13.2",
    "lab_plt": "240",
    "lab_k": "4.1",
    "access": "peripheral",
}


def first_sheet(client: TestClient) -> tuple[str, str]:
    patient_id = new_patient(client)
    sign_in(client, "physician")
    _, course = commit_plan(client, patient_id)
    url = re.findall(r'href="(/sessions/\d+)"', course)[0]
    sign_in(client, "nurse")
    return url, client.get(url).text


def test_precheck_proceeds_and_shows_reasons_with_thresholds(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    response = clinic.post(
        f"{url}/precheck", data={"csrf_token": csrf_of(sheet), "version": "1", **PRE}
    )
    assert response.status_code == 200, response.text
    page = response.text
    assert 'id="go-decision">proceed<' in page
    assert "hold &lt; 90" in page  # a threshold, with its band
    assert "98.2 °F" in page  # shown back in the centre's unit


def test_fainting_holds_the_session(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    assert 'name="sym_syncope"' in sheet and 'name="fluid_albumin_25"' in sheet
    data = {"csrf_token": csrf_of(sheet), "version": "1", **PRE, "sym_syncope": "on"}
    response = clinic.post(f"{url}/precheck", data=data)
    assert response.status_code == 200, response.text
    assert 'id="go-decision">hold<' in response.text


def test_low_fibrinogen_in_mg_dl_gives_caution_and_an_action(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    data = {"csrf_token": csrf_of(sheet), "version": "1", **PRE, "lab_fibrinogen": "0.9 g/L"}
    page = clinic.post(f"{url}/precheck", data=data).text
    assert "proceed with caution" in page and "Fibrinogen 0.9 g/L" in page


def test_invalid_values_beside_their_fields(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    data = {
        "csrf_token": csrf_of(sheet),
        "version": "1",
        **PRE,
        "pre_sbp": "abc",
        "pre_temp": "98 kg",
    }
    response = clinic.post(f"{url}/precheck", data=data)
    assert response.status_code == 422
    assert 'id="e-pre_sbp"' in response.text and 'id="e-pre_temp"' in response.text


def test_record_sign_off_and_stale_version_conflict(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    token = csrf_of(sheet)
    start = re.search(r'name="actual_start" type="datetime-local" value="([^"]+)"', sheet)
    end = re.search(r'name="actual_end" type="datetime-local" value="([^"]+)"', sheet)
    assert start and end
    record = {
        "csrf_token": token,
        "version": "1",
        "status": "done",
        "actual_start": start.group(1),
        "actual_end": end.group(1),
        "plasma_removed": "2300",
        "fluid_albumin_5": "2300",
        "acd_ml": "250",
        "calcium_ml": "10",
        "intra_at": start.group(1),
        "intra_sbp": "118",
        "intra_temp": "98.6",
        "sign_off": "on",
    }
    done = clinic.post(f"{url}/record", data=record)
    assert done.status_code == 200 and 'id="signed-off"' in done.text
    assert "2,300 mL" in done.text and "98.6 °F" in done.text
    stale = clinic.post(f"{url}/record", data=record)
    assert stale.status_code == 412 and "Someone else changed this record" in stale.text


def test_adverse_event_with_waa_severity(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    start = re.search(r'name="actual_start" type="datetime-local" value="([^"]+)"', sheet)
    assert start
    data = {
        "csrf_token": csrf_of(sheet),
        "event_type": "hypotension",
        "ae_onset": start.group(1),
        "ae_medication": "on",
        "ae_action": "Fluid bolus",
    }
    page = clinic.post(f"{url}/adverse-events", data=data).text
    assert ">moderate<" in page and "CTCAE-style grade 2" in page
    missing = clinic.post(f"{url}/adverse-events", data={"csrf_token": csrf_of(page)})
    assert missing.status_code == 422 and 'id="e-event_type"' in missing.text


def test_today_board_shows_the_adverse_event_as_an_alert(clinic: TestClient) -> None:
    test_adverse_event_with_waa_severity(clinic)
    board = clinic.get("/today").text
    assert 'id="alerts"' in board and "hypotension (moderate)" in board


def test_header_shows_start_and_end_in_the_centres_time_zone(clinic: TestClient) -> None:
    _, sheet = first_sheet(clinic)
    # The US centre's style (12/04/2026 9:00 AM); the footer names the zone.
    clock = r"(\d{1,2}):(\d\d) ([AP]M)"
    found = re.search(rf"Planned \d\d/\d\d/\d{{4}} {clock} – {clock}", sheet)
    assert found, sheet[:2000]
    assert "times in America/Los_Angeles" in sheet  # the seed clinic's zone, named

    def minutes(hour: str, minute: str, half: str) -> int:
        return (int(hour) % 12 + (12 if half == "PM" else 0)) * 60 + int(minute)

    start, end = minutes(*found.groups()[:3]), minutes(*found.groups()[3:])
    # Both ends of the appointment are wall-clock times of the clinic, inside its hours.
    assert 9 * 60 <= start < end <= 17 * 60, (start, end)
