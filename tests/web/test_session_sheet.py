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


def test_low_fibrinogen_holds_an_albumin_only_exchange_with_an_action(clinic: TestClient) -> None:
    # Wodajo 2024, issue 14 item 6: below 1.0 g/L an albumin-only exchange is held.
    url, sheet = first_sheet(clinic)
    data = {"csrf_token": csrf_of(sheet), "version": "1", **PRE, "lab_fibrinogen": "0.9 g/L"}
    page = clinic.post(f"{url}/precheck", data=data).text
    assert "Fibrinogen 90 mg/dL" in page and "plasma" in page
    assert "proceed with caution" not in page


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


# Earlier on the suite's frozen day (2026-11-26 04:00 in La Jolla): the session has happened.
RECORD = {
    "status": "done",
    "actual_start": "2026-11-26T01:00",
    "actual_end": "2026-11-26T03:10",
    "plasma_removed": "2300",
    "blood_processed": "5400",
    "inlet_flow": "55",
    "fluid_albumin_5": "2300",
    "acd_ml": "250",
    "calcium_ml": "10",
    "pre_weight": "165.4",
    "post_weight": "166",
    "vascular_access": "peripheral",
    "notes": "Uneventful.",
    "vital_rows": "3",
    "vit0_phase": "intra",
    "vit0_at": "2026-11-26T01:15",
    "vit0_sbp": "118",
    "vit0_temp": "98.6",
    "vit1_phase": "intra",
    "vit1_at": "2026-11-26T01:30",
    "vit1_sbp": "112",
    "vit1_dbp": "70",
    "vit1_hr": "76",
    "vit1_spo2": "97",
}


def _value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="[\w-]+" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def saved_sheet(client: TestClient, **changes: str) -> tuple[str, str]:
    url, sheet = first_sheet(client)
    data = {"csrf_token": csrf_of(sheet), "version": "1", **RECORD, **changes}
    saved = client.post(f"{url}/record", data=data)
    assert saved.status_code == 200, saved.text
    return url, saved.text


def test_a_saved_sheet_reopens_with_every_value_as_typed(clinic: TestClient) -> None:
    url, _ = saved_sheet(clinic)
    page = clinic.get(url).text
    for name, typed in RECORD.items():
        if name in ("status", "vascular_access", "vital_rows") or name.endswith("_phase"):
            continue
        assert _value(page, name) == typed, name
    assert '<option value="peripheral" selected>' in page
    assert 'name="vital_rows" value="3"' in page  # two rows and a blank one for the next
    assert 'id="sign-off"' in page and 'name="sign_off"' not in page


def test_sign_off_locks_the_sheet_as_saved_and_a_stale_sign_off_is_refused(
    clinic: TestClient,
) -> None:
    url, page = saved_sheet(clinic)
    token = csrf_of(page)
    done = clinic.post(f"{url}/sign-off", data={"csrf_token": token, "version": "2"})
    assert done.status_code == 200 and 'id="signed-off"' in done.text
    for shown in ("2,300 mL", "5,400 mL", "165.4 lb", "98.6 °F", "112/70", "Uneventful."):
        assert shown in done.text, shown
    assert 'id="record-form"' not in done.text
    stale = clinic.post(f"{url}/sign-off", data={"csrf_token": token, "version": "2"})
    assert stale.status_code == 412 and "Someone else changed this record" in stale.text
    again = clinic.post(f"{url}/record", data={"csrf_token": token, "version": "3", **RECORD})
    assert again.status_code == 409 and "addendum" in again.text


def test_a_session_in_the_future_is_not_signed_off(clinic: TestClient) -> None:
    url, page = saved_sheet(clinic, actual_start="2026-12-30T09:00", actual_end="2026-12-30T11:00")
    refused = clinic.post(f"{url}/sign-off", data={"csrf_token": csrf_of(page), "version": "2"})
    assert refused.status_code == 422 and "actual_start" in refused.text
    assert "is in the future" in refused.text
    assert 'id="signed-off"' not in clinic.get(url).text


def test_an_addendum_corrects_a_signed_sheet_and_keeps_the_old_value(clinic: TestClient) -> None:
    url, page = saved_sheet(clinic)
    signed = clinic.post(f"{url}/sign-off", data={"csrf_token": csrf_of(page), "version": "2"})
    data = {
        "csrf_token": csrf_of(signed.text),
        "add_field": "post_weight_kg",
        "add_value": "165",
        "add_reason": "Scale re-zeroed; weighed again.",
    }
    added = clinic.post(f"{url}/addenda", data=data)
    assert added.status_code == 200, added.text
    listed = added.text[added.text.index('id="addenda-list"') :]
    assert "Scale re-zeroed" in listed and "nurse" in listed
    assert "<del>166.0 lb</del> → <ins>165.0 lb</ins>" in listed
    assert "165.0 lb" in added.text and "corrected" in added.text
    missing = clinic.post(f"{url}/addenda", data={**data, "add_reason": ""})
    assert missing.status_code == 422 and 'id="e-add_reason"' in missing.text


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
