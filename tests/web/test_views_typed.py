"""The EDSS, acuity and outcome pages render byte for byte as golden HTML.

The goldens under ``tests/data/web/`` were written while these pages still read the
calculators' JSON; the views now take the typed results (``Calculator.evaluate``), and a page
that changes by one byte fails here. Only what differs between runs is masked: CSRF tokens
and today's date (the visit form's default and an eligibility assessment's label).

To write the expected files again after a deliberate change of a page:
``PLEXMS_REGENERATE_GOLDEN=1 pytest tests/web/test_views_typed.py`` (then read the diff).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plexms.clock import utcnow
from plexms.core.errors import InfeasibleError, InputError
from plexms.services import calc
from plexms.services.calc import response as response_calc
from plexms.services.schemas.clinical import OutcomeOut
from plexms.web import outcome_view
from plexms.web.forms import field_errors
from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in, web_app
from tests.web.test_assessment import SAFE, _assess

DATA = Path(__file__).parent.parent / "data" / "web"
REGENERATE = os.environ.get("PLEXMS_REGENERATE_GOLDEN") == "1"
GRADES = ("visual", "brainstem", "pyramidal", "cerebellar", "sensory", "bowel_bladder", "cerebral")
ZERO = {f"fs_{g}": "0" for g in GRADES}
_TOKEN = re.compile(r"[0-9a-f]{64}")


# record ids depend on what ran before on the database (PostgreSQL's sequences): the digits of
# the attributes that carry them (links, element ids) are masked, never the page's text
_IDS = re.compile(
    r'\b(id|for|href|action|aria-labelledby|aria-describedby|hx-get|hx-post|hx-target)="([^"]*)"'
)


def _masked(html: str) -> str:
    """The page without what differs between runs (CSRF tokens, today at the clinic)."""
    today = utcnow().astimezone(ZoneInfo("America/Los_Angeles")).date()
    html = _TOKEN.sub("CSRF", html)
    html = _IDS.sub(lambda m: f'{m.group(1)}="{re.sub(r"[0-9]+", "N", m.group(2))}"', html)
    html = html.replace(today.isoformat(), "TODAY-ISO")
    return html.replace(f"{today:%d %b %Y}", "TODAY")


def _check(name: str, status: int, html: str) -> None:
    actual = f"<!-- status {status} -->\n{_masked(html)}"
    path = DATA / f"{name}.html"
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.read_text(encoding="utf-8") == actual, f"{path} changed"


# --- the public EDSS and acuity page (no database) ------------------------------------------
EDSS_CASES: dict[str, dict[str, str]] = {
    "edss_score": ZERO | {"fs_pyramidal": "3", "fs_cerebellar": "2", "ambulation_score": "1"},
    "edss_not_assessable": ZERO
    | {"fs_visual": "X", "fs_pyramidal": "2", "not_ms_sensory": "on", "fs_sensory": "3"}
    | {"ambulation_score": "0"},
    "edss_walk": ZERO
    | {"fs_brainstem": "2", "ambulation_score": "", "walking_aid": "unilateral"}
    | {"walking_distance_m": "80"},
    "edss_restricted": ZERO
    | {"ambulation_score": "", "walking_aid": "none", "walking_distance_m": "600"}
    | {"walking_restricted": "on"},
    "edss_missing_distance": ZERO | {"ambulation_score": "", "walking_aid": "bilateral"},
    "edss_bad_grade": ZERO | {"fs_visual": "9", "ambulation_score": "0"},
}
ACUITY_CASES: dict[str, dict[str, str]] = {
    "acuity_snellen": {"va_notation": "snellen", "va_right": "20/40-2", "va_left": "CF"},
    "acuity_metres": {"va_notation": "snellen", "va_right": "6/12", "va_left": "NLP"},
    "acuity_decimal": {"va_notation": "decimal", "va_right": "0,5", "va_left": ""},
    "acuity_logmar": {"va_notation": "logmar", "va_right": "", "va_left": "1.8"},
    "acuity_etdrs": {"va_notation": "etdrs", "va_right": "55", "va_left": "85"},
    "acuity_bad": {"va_notation": "snellen", "va_right": "20/abc", "va_left": "seven"},
    "acuity_not_whole": {"va_notation": "etdrs", "va_right": "55.5", "va_left": "nan"},
    "acuity_out_of_range": {"va_notation": "logmar", "va_right": "4", "va_left": "-1"},
    "acuity_none": {"va_notation": "snellen", "va_right": "", "va_left": ""},
}


def test_scores_page_is_unchanged() -> None:
    with TestClient(web_app()) as client:
        response = client.get("/scores")
        _check("scores", response.status_code, response.text)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize("case", sorted(EDSS_CASES))
def test_edss_result_is_unchanged(case: str, htmx: bool) -> None:
    with TestClient(web_app()) as client:
        data = {"csrf_token": csrf_of(client.get("/scores").text), **EDSS_CASES[case]}
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post("/scores/edss", data=data, headers=headers)
        _check(f"{case}{'.fragment' if htmx else ''}", response.status_code, response.text)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize("case", sorted(ACUITY_CASES))
def test_acuity_result_is_unchanged(case: str, htmx: bool) -> None:
    with TestClient(web_app()) as client:
        data = {"csrf_token": csrf_of(client.get("/scores").text), **ACUITY_CASES[case]}
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post("/scores/acuity", data=data, headers=headers)
        _check(f"{case}{'.fragment' if htmx else ''}", response.status_code, response.text)


# --- the outcome pages of a patient (real database, both backends) -------------------------
def _visit(client: TestClient, patient_id: int, token: str, **fields: str) -> None:
    data = ZERO | {"csrf_token": token, "ambulation_score": "0", "va_notation": "snellen"}
    response = client.post(
        f"/patients/{patient_id}/outcomes", data=data | fields, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_outcome_pages_are_unchanged(clinic: TestClient) -> None:
    first = new_patient(clinic, "MRN-GOLD-1")
    second = new_patient(clinic, "MRN-GOLD-2")
    sign_in(clinic, "physician")
    url = f"/patients/{first}/outcomes"
    token = csrf_of(clinic.get(url).text)
    _visit(
        clinic,
        first,
        token,
        timepoint="baseline",
        assessed_on="2026-01-05",
        fs_pyramidal="3",
        fs_cerebellar="3",
        ambulation_score="3",
        va_right="20/200",
        va_left="20/25",
    )
    _visit(
        clinic,
        first,
        token,
        timepoint="end_of_course",
        assessed_on="2026-01-20",
        fs_pyramidal="2",
        fs_cerebellar="2",
        va_right="20/50-1",
        va_left="20/20",
        targeted_deficit="moderate",
    )
    _visit(
        clinic,
        first,
        token,
        timepoint="3_months",
        assessed_on="2026-04-02",
        fs_pyramidal="3",
        fs_cerebellar="3",
        ambulation_score="4",
        va_notation="logmar",
        va_right="1.5",
    )
    response = clinic.get(url)
    _check("outcome_page", response.status_code, response.text)
    live = ZERO | {"csrf_token": token, "fs_visual": "X", "fs_pyramidal": "4"}
    response = clinic.post(f"{url}/edss", data=live | {"ambulation_score": "2"})
    _check("outcome_edss_live", response.status_code, response.text)
    response = clinic.post(
        f"{url}/edss", data=live | {"ambulation_score": "", "walking_aid": "unilateral"}
    )
    _check("outcome_edss_live_error", response.status_code, response.text)
    bad = {"timepoint": "1_month", "assessed_on": "2026-02-20", "va_notation": "decimal"}
    response = clinic.post(url, data=ZERO | {"csrf_token": token, **bad, "va_right": "seven"})
    _check("outcome_record_error", response.status_code, response.text)
    response = clinic.get(f"/patients/{first}/letter")
    _check("outcome_letter", response.status_code, response.text)

    # The baseline from an eligibility assessment (with the pre-relapse EDSS).
    _assess(clinic, second, **SAFE, va_notation="snellen", va_right="20/63", va_left="20/20")
    url = f"/patients/{second}/outcomes"
    _visit(
        clinic,
        second,
        token,
        timepoint="1_month",
        assessed_on="2026-11-20",
        fs_pyramidal="2",
        ambulation_score="1",
        va_right="20/32",
        va_left="20/20",
        targeted_deficit="marked",
    )
    response = clinic.get(url)
    _check("outcome_page_assessment_baseline", response.status_code, response.text)


# --- the pieces --------------------------------------------------------------------------
def test_input_error_lands_beside_its_form_field() -> None:
    fields = {"walking.distance_m": "walking_distance_m", "fs": "fs_visual"}
    error = InputError("walking.distance_m", "too far", allowed="0-100000")
    assert field_errors(error, fields) == {"walking_distance_m": "too far (allowed: 0-100000)"}
    assert field_errors(InputError("fs.visual", "bad"), fields) == {"fs_visual": "bad"}
    assert field_errors(InputError("elsewhere[2]", "odd", allowed=""), fields) == {"form": "odd"}
    infeasible = InfeasibleError("exchanges", "do not fit", alternatives=["4", "3"], allowed="1-9")
    assert field_errors(infeasible, {"exchanges": "n"}) == {
        "n": "do not fit (allowed: 1-9) Options: 4; 3"
    }


def _outcome(outcome_id: int, **values: object) -> OutcomeOut:
    fields: dict[str, object] = {
        "id": outcome_id,
        "patient_id": 1,
        "course_id": None,
        "timepoint": "1_month",
        "assessed_on": dt.date(2026, 2, 1),
        "assessed_by": "physician",
        "edss": None,
        "va_right_logmar": None,
        "va_left_logmar": None,
        "targeted_deficit": None,
        "notes": "",
        "version": 1,
    }
    return OutcomeOut.model_construct(**(fields | values))


def test_classify_gives_the_calculators_verdicts() -> None:
    """Each follow-up's verdicts are those ``calc response`` gives for the same request, and
    a request the calculator refuses keeps its message."""
    baseline = {"edss": 6.0, "right": 0.8, "left": None, "pre_relapse": 3.0, "outcome_id": None}
    followups = [
        _outcome(1, edss=5.0, va_right_logmar=0.3, targeted_deficit="moderate"),
        _outcome(2, edss=6.5),
        _outcome(3, edss=4.0, va_right_logmar=3.5),
    ]
    found = outcome_view.classify(baseline, followups, "optic_neuritis")
    assert sorted(found) == [1, 2, 3]
    request = {
        "baseline": {"edss": 6.0, "logmar": {"right": 0.8}},
        "followup": {"edss": 5.0, "logmar": {"right": 0.3}},
        "indication": "optic_neuritis",
        "pre_relapse": {"edss": 3.0},
        "tnd": "moderate",
    }
    expected = calc.run("response", request).body["criteria"]
    first = found[1]
    assert first.error is None
    assert {key: c.result for key, c in first.criteria.items()} == {
        key: c["result"] for key, c in expected.items()
    }
    assert first.criteria["edss_standard"].edss_change == expected["edss_standard"].get(
        "edss_change"
    )
    assert found[2].criteria["edss_standard"].result == "worsened"
    refused = found[3]
    assert refused.error is not None and not refused.criteria
    assert (
        refused.error.message
        == calc.run(
            "response",
            {"baseline": request["baseline"], "followup": {"edss": 4.0, "logmar": {"right": 3.5}}},
        ).body["error"]["message"]
    )
    assert response_calc.CALCULATOR.name == "response"
