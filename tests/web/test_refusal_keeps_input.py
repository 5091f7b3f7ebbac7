"""A refused form post (403: the role may not; 409: it conflicts with the record) is never a
dead end: the page shows what was typed, read-only, and the way back (issue 16, item 8)."""

from __future__ import annotations

import re

from tests.web.conftest import TestClient, csrf_of, sign_in
from tests.web.test_referrals import FORM, _form


def _referral(clinic: TestClient) -> str:
    clinic.post("/referral", data={**_form(clinic), **FORM})
    sign_in(clinic, "coordinator")
    links = re.findall(r'href="/referrals/(\d+)"', clinic.get("/referrals").text)
    assert links
    return max(links, key=int)


def _accept(mrn: str, token: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "version": "1",
        "status": "accepted",
        "mrn": mrn,
        "given_name": "Test",
        "family_name": "Synthetic",
        "birth_date": "1980-02-03",
        "sex": "female",
        "triage_note": "Seen in clinic; plan five exchanges.",
    }


def test_a_conflicting_form_keeps_what_was_typed(clinic: TestClient) -> None:
    first = _referral(clinic)
    token = csrf_of(clinic.get(f"/referrals/{first}").text)
    done = clinic.post(f"/referrals/{first}/triage", data=_accept("MRN-0001", token))
    assert done.status_code == 200
    second = _referral(clinic)
    token = csrf_of(clinic.get(f"/referrals/{second}").text)
    refused = clinic.post(
        f"/referrals/{second}/triage",
        data=_accept("MRN-0001", token),
        headers={"referer": f"http://testserver/referrals/{second}"},
    )
    assert refused.status_code == 409 and "MRN exists" in refused.text
    kept = refused.text.split('id="kept-input"')[1].split("</section>")[0]
    assert ">MRN-0001</textarea>" in kept and "Seen in clinic; plan five exchanges." in kept
    assert token not in kept and "readonly" in kept
    assert f'href="/referrals/{second}" id="back-link"' in refused.text


def test_a_foreign_referer_is_not_offered_as_the_way_back(clinic: TestClient) -> None:
    referral = _referral(clinic)
    sign_in(clinic, "viewer")
    token = csrf_of(clinic.get(f"/referrals/{referral}").text)
    refused = clinic.post(
        f"/referrals/{referral}/triage",
        data={"csrf_token": token, "version": "1", "status": "declined", "triage_note": "No."},
        headers={"referer": "https://elsewhere.example/phish"},
    )
    assert refused.status_code == 403 and 'id="kept-input"' in refused.text
    assert "elsewhere.example" not in refused.text and 'id="back-link"' not in refused.text
