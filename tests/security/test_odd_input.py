"""No 500 for odd input (issue 15, item 5).

The attack: NaN, ±inf and 1e400 in the public EDSS calculator and the public planner (pages
and API), 20-digit ids in web and API paths (beyond int64: the database raised), and datetimes
at the calendar's edges with extreme offsets (year 1 at +23:59 has no UTC time). Each answers a
4xx naming the field, against the real app in process.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from tests.conftest import SyncClient

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
ODD_NUMBERS = ("nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e400", "-1e400", "1e308")
HUGE_ID = "12345678901234567890"
_FS = (
    '{"visual": %s, "brainstem": 0, "pyramidal": 0, "cerebellar": 0, "sensory": 0, '
    '"bowel_bladder": 0, "cerebral": 0}'
)


def _csrf(browser: SyncClient, page: str) -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', browser.get(page).text)
    assert found
    return found.group(1)


@pytest.fixture
def browser(app, world):  # type: ignore[no-untyped-def]
    client = SyncClient(app)
    yield client
    client.close()


@pytest.fixture
def signed_in(app, world):  # type: ignore[no-untyped-def]
    from tests.security.test_injection import _web

    client = _web(app)
    yield client
    client.close()


PLANNER_FORM = {
    "sex": "female",
    "height": "65",
    "weight": "132",
    "hematocrit": "40",
    "start_date": "2026-12-07",
    "pv": "1.0",
    "exchanges": "5",
    "course_days": "16",
    "interval_days": "2",
}


@SQLITE
@pytest.mark.parametrize("value", ODD_NUMBERS)
@pytest.mark.parametrize("field", ["fs_visual", "fs_pyramidal", "ambulation_score"])
def test_public_edss_page_refuses_non_finite_numbers(browser, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(browser, "/scores")
    data = {f"fs_{n}": "0" for n in ("visual", "brainstem", "pyramidal", "cerebellar")}
    data |= {"fs_sensory": "0", "fs_bowel_bladder": "0", "fs_cerebral": "0"}
    data |= {field: value, "csrf_token": token}
    r = browser.post("/scores/edss", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 422, r.text[:300]
    assert f'id="e-{field}"' in r.text or field in r.text


@SQLITE
@pytest.mark.parametrize("value", ODD_NUMBERS)
@pytest.mark.parametrize("notation", ["etdrs", "logmar", "decimal"])
def test_public_acuity_form_refuses_non_finite_numbers(browser, notation: str, value: str) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(browser, "/scores")
    data = {"va_notation": notation, "va_right": value, "csrf_token": token}
    r = browser.post("/scores/acuity", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 422, r.text[:300]
    assert "va_right" in r.text


@SQLITE
@pytest.mark.parametrize("value", ODD_NUMBERS)
@pytest.mark.parametrize("field", ["height", "weight", "hematocrit", "course_days"])
def test_public_planner_page_refuses_non_finite_numbers(browser, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(browser, "/planner")
    r = browser.post("/planner", data={**PLANNER_FORM, field: value, "csrf_token": token})
    assert r.status_code == 422, r.text[:300]
    assert field in r.text


_PLAN = '{"sex": "female", "height_cm": H, "weight_kg": W, "hematocrit": 0.4}'
_EDSS = '{"fs": FS, "ambulation_score": A}'


@SQLITE
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("plan", _PLAN.replace("H", "165").replace("W", "@"), "weight_kg"),
        ("plan", _PLAN.replace("H", "@").replace("W", "60"), "height_cm"),
        ("edss", _EDSS.replace("FS", _FS.replace("%s", "@")).replace("A", "0"), "fs.visual"),
        ("edss", _EDSS.replace("FS", _FS.replace("%s", "1")).replace("A", "@"), "ambulation_score"),
    ],
)
def test_api_calculators_refuse_non_finite_json_numbers(  # type: ignore[no-untyped-def]
    client, world, name: str, body: str, field: str, literal: str
) -> None:
    r = client.post(
        f"/api/calc/{name}",
        headers={**world.headers("viewer"), "Content-Type": "application/json"},
        content=body.replace("@", literal).encode(),
    )
    assert r.status_code == 422, r.text[:300]
    assert field.split(".")[-1] in r.text, r.text


def _id_routes(app, *, web: bool) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for route in iter_route_contexts(app.routes):
        methods = set(getattr(route, "methods", None) or ())
        if "{" not in route.path or not methods or route.path.startswith("/api") == web:
            continue
        for method in sorted(methods - {"HEAD"}):
            path = re.sub(r"\{[a-z_]*id\}", HUGE_ID, route.path)
            if "{" not in path:
                out.append((method, path))
    return out


@SQLITE
def test_twenty_digit_ids_in_web_routes_are_not_found(app, signed_in) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(signed_in, "/patients")
    routes = _id_routes(app, web=True)
    assert len(routes) >= 10
    failures = []
    for method, path in routes:
        r = signed_in.request(method, path, data={"csrf_token": token} if method != "GET" else None)
        if r.status_code not in (403, 404, 422):
            failures.append(f"{method} {path}: {r.status_code}")
    assert failures == []


@SQLITE
def test_twenty_digit_ids_in_api_routes_are_refused(app, client, world) -> None:  # type: ignore[no-untyped-def]
    routes = _id_routes(app, web=False)
    assert len(routes) >= 10
    failures = []
    for method, path in routes:
        r = client.request(method, path, headers=world.headers("admin"), json={})
        if r.status_code not in (403, 404, 422):
            failures.append(f"{method} {path}: {r.status_code}")
    assert failures == []
    for listing in ("courses", "adverse-events", "referrals", "audit"):
        r = client.get(f"/api/{listing}?patient_id={HUGE_ID}", headers=world.headers("admin"))
        assert r.status_code in (404, 422), (listing, r.status_code)


EDGE_TIMES = (
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59-00:01",
    "0001-01-01T00:00:00+24:00",
    "9999-12-31T23:59:59.999999-23:59",
)


@SQLITE
@pytest.mark.parametrize("moment", EDGE_TIMES)
def test_datetimes_at_the_calendars_edges_are_refused(client, world, moment: str) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    r = client.post(
        f"/api/patients/{pid}/measurements",
        headers=world.headers("physician"),
        json={"measured_at": moment, "height_cm": 165, "weight_kg": 60, "hematocrit": 0.4},
    )
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == "measured_at"
