"""A form fuzzer for the public pages (issue 15, item 5): odd text and numbers posted to the
public EDSS, visual-acuity, planner and referral forms never answer 5xx.

Hypothesis fills any subset of each form's fields with odd values: non-finite and huge
numbers, 20-digit integers, negative zero, control characters, bidirectional overrides, very
long strings, dates at the calendar's edges, empty strings and ordinary text. Every answer
must be below 500 (a 4xx naming the field, or the page). ``PLEXMS_FUZZ=long`` (``make fuzz``)
runs many more examples.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SyncClient
from tests.reliability.support import scale
from tests.web.conftest import FORM_FIELDS_OK

pytestmark = [pytest.mark.parametrize("backend", ["sqlite"], indirect=True), pytest.mark.fuzz]

ODD = st.one_of(
    st.sampled_from(
        [
            "",
            "nan",
            "-inf",
            "Infinity",
            "1e400",
            "-1e400",
            "1e-400",
            "-0",
            "0x10",
            "1_000",
            "12345678901234567890",
            "-12345678901234567890",
            "９",  # a full-width digit
            "\x00",
            "1\x00",
            "\u202e12",
            "2026-02-30",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "<script>alert(1)</script>",
            "=HYPERLINK(1)",
            "x" * 5000,
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=40),
)

EDSS_FIELDS = [
    *(f"fs_{n}" for n in ("visual", "brainstem", "pyramidal", "cerebellar", "sensory")),
    "fs_bowel_bladder",
    "fs_cerebral",
    "ambulation_score",
]
ACUITY_FIELDS = ["va_notation", "va_right", "va_left"]
PLANNER_FIELDS = [
    "sex",
    "height",
    "weight",
    "hematocrit",
    "start_date",
    "pv",
    "exchanges",
    "course_days",
    "interval_days",
]
REFERRAL_FIELDS = sorted(FORM_FIELDS_OK)


def _forms(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(fields), ODD, max_size=len(fields))


@pytest.fixture
def browser(app, world):  # type: ignore[no-untyped-def]
    app.state.web = dataclasses.replace(
        app.state.web, referral_min_fill_seconds=0.0, referral_max_per_window=10**9
    )
    client = SyncClient(app)
    yield client
    client.close()


def _token(browser: SyncClient, page: str) -> tuple[str, str]:
    html = browser.get(page).text
    csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
    stamp = re.search(r'name="form_ts" value="([^"]+)"', html)
    assert csrf
    return csrf.group(1), stamp.group(1) if stamp else ""


_FUZZ = settings(
    max_examples=scale(25, 400),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize(
    ("page", "action", "fields", "base"),
    [
        ("/scores", "/scores/edss", EDSS_FIELDS, {}),
        ("/scores", "/scores/acuity", ACUITY_FIELDS, {"va_notation": "logmar"}),
        ("/planner", "/planner", PLANNER_FIELDS, {}),
        ("/referral", "/referral", REFERRAL_FIELDS, FORM_FIELDS_OK),
    ],
)
def test_public_forms_never_answer_5xx(  # type: ignore[no-untyped-def]
    browser, page: str, action: str, fields: list[str], base: dict[str, str]
) -> None:
    @_FUZZ
    @given(form=_forms(fields), htmx=st.booleans())
    def post(form: dict[str, str], htmx: bool) -> None:
        csrf, stamp = _token(browser, page)
        data = {**base, **form, "csrf_token": csrf, "form_ts": stamp}
        headers = {"HX-Request": "true"} if htmx else {}
        r = browser.post(action, data=data, headers=headers)
        assert r.status_code < 500, (action, form, r.status_code, r.text[:300])

    post()
