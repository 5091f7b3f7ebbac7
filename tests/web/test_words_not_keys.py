"""The assessment, course, outcome and patient pages speak in words: no vocabulary or condition
identifier (``conditions.pregnant``, ``relapsing_ms``), no source key (``PUISSET_2013``) and no
Python ``True``/``False`` in the text a reader sees (issue 16, item 6)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from plexms.core.contraindications import EXTRA_CONDITIONS, REQUIRED_CONDITIONS
from plexms.core.sources import SOURCES
from plexms.core.vocabulary import VOCABULARIES
from tests.web.conftest import TestClient, csrf_of, new_patient, sign_in
from tests.web.test_assessment import SAFE, _assess
from tests.web.test_course import commit_plan
from tests.web.test_outcome import GRADES

_KEYS = {
    v for voc in VOCABULARIES for v in (*voc.values, *voc.contract_values) if v and "_" in v
} | {n for n in (*REQUIRED_CONDITIONS, *EXTRA_CONDITIONS) if "_" in n}
_KEYS |= {f"conditions.{n}" for n in (*REQUIRED_CONDITIONS, *EXTRA_CONDITIONS)}
_KEYS |= {"edss_now", "edss_pre_relapse", "assessment_date", "onset_date", "guideline_edition"}
# a key with its underscores blanked out is still a key ("albumin 5"), and "tnd" is jargon
_SPACED = {
    v.replace("_", " ")
    for voc in VOCABULARIES
    for v in voc.values
    if "_" in v and v.replace("_", " ").lower() not in voc.label(v).lower()
} | {"tnd"}
_SOURCE_KEY = re.compile(r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]*\d{4}\b")


class _Text(HTMLParser):
    """The text a reader sees (no tags, attributes, scripts or styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def raw_keys(page: str) -> list[str]:
    """Identifiers a reader should never see in ``page``."""
    parser = _Text()
    parser.feed(page)
    text = " ".join(parser.parts)
    found = sorted(k for k in _KEYS if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w])", text))
    found += sorted(set(_SOURCE_KEY.findall(text)) | {k for k in SOURCES if "_" in k and k in text})
    found += sorted(k for k in _SPACED if re.search(rf"\b{re.escape(k)}\b", text))
    found += re.findall(r"\b(?:True|False)\b", text)
    return found


def test_the_scan_finds_keys() -> None:
    page = "<p>conditions.pregnant relapsing_ms PUISSET_2013 True</p><script>x_y</script>"
    assert raw_keys(page) == ["conditions.pregnant", "relapsing_ms", "PUISSET_2013", "True"]


def test_assessment_course_outcome_and_patient_pages_use_words(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    assessment = _assess(clinic, patient_id, **{**SAFE, "c_ace_inhibitor": "yes"})
    incomplete = _assess(clinic, patient_id, **{**SAFE, "c_pregnant": ""})
    form = clinic.get(f"/patients/{patient_id}/assessment").text
    _, course = commit_plan(clinic, patient_id)
    outcomes = clinic.get(f"/patients/{patient_id}/outcomes").text
    visit = {f"fs_{g}": "0" for g in GRADES} | {"fs_pyramidal": "2", "fs_sensory": "2"}
    visit |= {
        "csrf_token": csrf_of(outcomes),
        "timepoint": "end_of_course",
        "assessed_on": "2026-11-26",
        "ambulation_score": "0",
        "va_notation": "snellen",
        "va_right": "20/25",
        "va_left": "20/20",
        "targeted_deficit": "moderate",
    }
    saved = clinic.post(f"/patients/{patient_id}/outcomes", data=visit)
    assert saved.status_code == 200, saved.text
    outcomes = saved.text
    patient = clinic.get(f"/patients/{patient_id}").text
    found = {
        name: raw_keys(page)
        for name, page in {
            "assessment": assessment,
            "incomplete assessment": incomplete,
            "assessment form": form,
            "course": course,
            "outcomes": outcomes,
            "patient": patient,
        }.items()
    }
    assert found == {name: [] for name in found}
