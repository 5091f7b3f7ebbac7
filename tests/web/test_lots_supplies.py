"""Lots on the web session sheet (typed or scanned, reopened as saved, kept on sign-off,
corrected by addendum), the recall page, the supplies page and the shortage on Today."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, sign_in
from tests.web.test_session_sheet import RECORD, _value, first_sheet

SCAN = "(01)09506000134352(17)271231(10)ALB-7"
LOTS = {
    "lot_albumin": f"{SCAN} ALB-8",
    "lot_acd_a": "ACD-31",
    "lot_tubing_set": "TS-2026-9",
    "lot_machine": "OPT-12345",
}


def test_sheet_lots_reopen_as_typed_and_follow_sign_off_and_addenda(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    data = {"csrf_token": csrf_of(sheet), "version": "1", **RECORD, **LOTS}
    saved = clinic.post(f"{url}/record", data=data)
    assert saved.status_code == 200, saved.text
    page = clinic.get(url).text
    for name, typed in LOTS.items():
        assert _value(page, name) == typed, name
    assert _value(page, "lot_saline") == ""
    # saved again unchanged: the scanned lot keeps its GTIN and expiry
    again = clinic.post(f"{url}/record", data={**data, "csrf_token": csrf_of(page), "version": "2"})
    assert again.status_code == 200
    assert _value(clinic.get(url).text, "lot_albumin") == f"{SCAN} ALB-8"

    signed = clinic.post(f"{url}/sign-off", data={"csrf_token": csrf_of(page), "version": "3"})
    assert signed.status_code == 200, signed.text
    summary = signed.text[signed.text.index('data-k="lots"') :]
    assert "Albumin ALB-7; Albumin ALB-8; ACD-A ACD-31" in summary and "OPT-12345" in summary
    fix = {
        "csrf_token": csrf_of(signed.text),
        "add_field": "lot_acd_a",
        "add_value": "ACD-32",
        "add_reason": "Bag label read again",
    }
    added = clinic.post(f"{url}/addenda", data=fix)
    assert added.status_code == 200, added.text
    listed = added.text[added.text.index('id="addenda-list"') :]
    assert "<del>" in listed and "ACD-31" in listed and "ACD-32" in listed

    sign_in(clinic, "coordinator")
    recall = clinic.get("/lots?lot=acd-32").text
    assert "1 patient(s) to contact" in recall and "MRN-0100" in recall
    assert "0 patient(s)" in clinic.get("/lots?lot=ACD-31").text
    sign_in(clinic, "viewer")
    assert clinic.get("/lots?lot=ACD-32").status_code == 403


def test_a_bad_barcode_is_shown_beside_its_field(clinic: TestClient) -> None:
    url, sheet = first_sheet(clinic)
    data = {
        "csrf_token": csrf_of(sheet),
        "version": "1",
        **RECORD,
        "lot_calcium": "(01)09506000134353(10)CA-1",
    }
    refused = clinic.post(f"{url}/record", data=data)
    assert refused.status_code == 422
    assert 'id="e-lot_calcium"' in refused.text and "check digit" in refused.text


def test_stock_count_forecast_and_shortage_on_today(clinic: TestClient) -> None:
    first_sheet(clinic)  # a planned course of five sessions from the next days
    page = clinic.get("/supplies")
    assert page.status_code == 200
    assert "No shortage" in clinic.get("/today").text
    form = {"csrf_token": csrf_of(page.text), "item": "tubing_set", "quantity": "2"}
    counted = clinic.post("/supplies/stock", data=form)
    assert counted.status_code == 200, counted.text
    row = counted.text[counted.text.index('id="item-tubing_set"') :]
    assert re.search(r"<td>2</td>", row)
    board = clinic.get("/today").text
    assert 'id="supplies-short"' in board and "Tubing sets: 5 needed" in board
    bad = clinic.post("/supplies/stock", data={**form, "quantity": "-3"})
    assert bad.status_code == 422 and 'id="e-quantity"' in bad.text
    sign_in(clinic, "physician")
    assert clinic.post("/supplies/stock", data=form).status_code == 403
    assert 'action="/supplies/stock"' not in clinic.get("/supplies").text
