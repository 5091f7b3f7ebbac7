"""EDSS entry: the page sends the grades to ``calc edss`` and shows its answer."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import TestClient, csrf_of, web_app

GRADES = ("visual", "brainstem", "pyramidal", "cerebellar", "sensory", "bowel_bladder", "cerebral")


def _post(client: TestClient, grades: tuple[object, ...], **extra: str) -> tuple[int, str]:
    token = csrf_of(client.get("/scores").text)
    data = {f"fs_{name}": str(g) for name, g in zip(GRADES, grades, strict=True)}
    data |= {"csrf_token": token, **extra}
    response = client.post("/scores/edss", data=data, headers={"HX-Request": "true"})
    return response.status_code, response.text


@pytest.mark.parametrize(
    ("grades", "ambulation", "edss"),
    [
        ((0, 0, 0, 0, 0, 0, 0), "0", "0.0"),
        ((0, 0, 1, 0, 0, 0, 0), "0", "1.0"),
        ((0, 0, 3, 2, 0, 0, 0), "0", "3.5"),
        ((6, 0, 0, 0, 0, 6, 0), "0", "5.0"),  # raw visual 6 and bowel/bladder 6
        ((1, 2, 1, 3, 1, 4, 2), "1", "4.0"),
        ((0, 0, 0, 0, 0, 0, 0), "3", "5.0"),
    ],
)
def test_edss_shown_matches_the_published_examples(
    grades: tuple[int, ...], ambulation: str, edss: str
) -> None:
    status, html = _post(TestClient(web_app()), grades, ambulation_score=ambulation)
    assert status == 200
    found = re.search(r'id="edss-value">([^<]*)<', html)
    assert found and found.group(1) == edss
    assert "Sources" in html


def test_not_assessable_grade_is_reported_not_counted() -> None:
    status, html = _post(TestClient(web_app()), ("X", 0, 2, 0, 0, 0, 0), ambulation_score="0")
    assert status == 200 and "Not counted" in html and "visual" in html


def test_out_of_range_grade_is_flagged_beside_its_field() -> None:
    status, html = _post(TestClient(web_app()), (9, 0, 0, 0, 0, 0, 0), ambulation_score="0")
    assert status == 422
    assert 'id="e-fs_visual"' in html and "Must be between 0 and 6" in html


def test_walking_distance_needed_without_a_score() -> None:
    status, html = _post(
        TestClient(web_app()), (0,) * 7, ambulation_score="", walking_aid="unilateral"
    )
    assert status == 422 and 'id="e-walking_distance_m"' in html
    status, html = _post(
        TestClient(web_app()),
        (0,) * 7,
        ambulation_score="",
        walking_aid="none",
        walking_distance_m="250",
    )
    assert status == 200 and re.search(r'id="edss-value">5.0<', html)


def test_acuity_per_eye_in_every_notation(bare_client: TestClient) -> None:
    token = csrf_of(bare_client.get("/scores").text)
    response = bare_client.post(
        "/scores/acuity",
        data={
            "csrf_token": token,
            "va_notation": "snellen",
            "va_right": "20/40-2",
            "va_left": "6/12",
        },
    )
    assert response.status_code == 200
    page = response.text
    assert "20/40-2" in page and "6/12-2" in page  # right eye in feet and metres
    assert ">0.34<" in page and ">0.30<" in page  # logMAR of each eye


def test_acuity_decimal_and_bad_value_beside_its_field(bare_client: TestClient) -> None:
    token = csrf_of(bare_client.get("/scores").text)
    ok = bare_client.post(
        "/scores/acuity",
        data={"csrf_token": token, "va_notation": "decimal", "va_right": "0.5"},
    )
    assert ok.status_code == 200 and "20/40" in ok.text and "not entered" in ok.text
    bad = bare_client.post(
        "/scores/acuity",
        data={"csrf_token": token, "va_notation": "snellen", "va_left": "20/x"},
    )
    assert bad.status_code == 422 and 'id="e-va_left"' in bad.text and "Snellen" in bad.text
