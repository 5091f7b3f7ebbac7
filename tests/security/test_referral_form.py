"""The public referral form (issue 15, item 10).

The attacks: a bot fetches the form once and replays the captured stamp thousands of times
(the stamp only proved the form had been shown, some time, once); a stamp from days ago still
works; NUL bytes and other control characters in any field reach the triage queue. The
defences: the stamp expires (``referral_stamp_max_age_minutes``) and is good once (used
stamps kept in the database, so every worker agrees); control characters are refused in every
field with the form shown again (422), nothing stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from plexms.clock import utcnow
from plexms.store.models import Referral
from plexms.web import spam
from tests.web.conftest import FORM_FIELDS_OK, TestClient, clinic_app, csrf_of


@pytest.fixture
def clinic(settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    app = clinic_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/referral").text
    stamp = re.search(r'name="form_ts" value="([^"]+)"', page)
    assert stamp
    return {"csrf_token": csrf_of(page), "form_ts": stamp.group(1)}


def _referrals(client: TestClient) -> int:
    with client.app.state.db.read() as s:  # type: ignore[attr-defined]
        return int(s.execute(select(func.count()).select_from(Referral)).scalar_one())


def test_a_stamp_is_good_once(clinic: TestClient) -> None:
    data = {**_form(clinic), **FORM_FIELDS_OK}
    assert clinic.post("/referral", data=data).status_code == 200
    replay = clinic.post("/referral", data=data)
    assert replay.status_code == 422, replay.text
    assert _referrals(clinic) == 1


def test_an_old_stamp_has_expired(clinic: TestClient) -> None:
    secret = clinic.app.state.web.secret  # type: ignore[attr-defined]
    old = spam.issue_form_stamp(secret, now=utcnow().timestamp() - 3 * 3600)
    data = {**_form(clinic), **FORM_FIELDS_OK, "form_ts": old}
    r = clinic.post("/referral", data=data)
    assert r.status_code == 422 and "expired" in r.text
    assert _referrals(clinic) == 0


@pytest.mark.parametrize("field", sorted(FORM_FIELDS_OK))
@pytest.mark.parametrize("bad", ["\x00", "\x1b[2J", "\u202e", "\x7f"])
def test_control_characters_are_refused_in_every_field(
    clinic: TestClient, field: str, bad: str
) -> None:
    if field == "reason" and bad == "\u202e":
        pytest.skip("free text over several lines may carry bidirectional marks (Text)")
    value = FORM_FIELDS_OK[field]
    data = {**_form(clinic), **FORM_FIELDS_OK, field: value[:4] + bad + value[4:]}
    r = clinic.post("/referral", data=data)
    assert r.status_code == 422, (field, r.status_code)
    assert _referrals(clinic) == 0
