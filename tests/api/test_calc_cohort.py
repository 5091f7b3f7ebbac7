"""``POST /api/calc/cohort`` (issue 18 item 2): the contract over HTTP, reproducible, and the
work bounded at the API's edge (n and the batch capped; the command line takes more)."""

from __future__ import annotations

import time

import pytest

from plexms.api.routes.calc import FIELD_LIMITS, batch_limit
from plexms.services import calc as calc_service

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
REQUEST = {
    "protocols": [
        {"name": "5 x 1.0", "plasma_volumes_per_exchange": 1.0, "exchanges": 5, "interval_days": 2},
        {"name": "daily", "plasma_volumes_per_exchange": 1.0, "exchanges": 5, "interval_days": 1},
    ],
    "n": 2000,
    "seed": 5,
}
KEYS = {
    "name",
    "igg_reduction",
    "p_fibrinogen_below_hold",
    "sessions_needing_plasma",
    "chair_hours",
    "albumin_vials",
    "cost",
    "course_days",
}


@SQLITE
def test_the_contract_over_http_is_reproducible(client, world) -> None:  # type: ignore[no-untyped-def]
    first = client.post("/api/calc/cohort", headers=world.headers("viewer"), json=REQUEST)
    again = client.post("/api/calc/cohort", headers=world.headers("viewer"), json=REQUEST)
    assert first.status_code == 200, first.text[:300]
    assert first.content == again.content  # same seed, identical JSON
    body = first.json()
    assert {"protocols", "population", "sources"} <= set(body)
    for p in body["protocols"]:
        assert KEYS <= set(p) and set(p["igg_reduction"]) == {"median", "p10", "p90"}
    other = client.post(
        "/api/calc/cohort", headers=world.headers("viewer"), json=REQUEST | {"seed": 6}
    )
    assert other.json()["protocols"] != body["protocols"]


@SQLITE
def test_n_over_the_api_cap_is_refused_before_any_work(client, world) -> None:  # type: ignore[no-untyped-def]
    cap = FIELD_LIMITS["cohort"]["n"]
    started = time.perf_counter()
    r = client.post(
        "/api/calc/cohort", headers=world.headers("viewer"), json=REQUEST | {"n": 10_000_000}
    )
    assert time.perf_counter() - started < 5
    assert r.status_code == 422 and r.json()["field"] == "n"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert str(cap) in r.json()["detail"]
    batch = [REQUEST, REQUEST | {"n": cap + 1}]
    r = client.post("/api/calc/cohort", headers=world.headers("viewer"), json=batch)
    assert r.status_code == 422 and r.json()["field"] == "n"
    too_many = [REQUEST] * (batch_limit("cohort") + 1)
    r = client.post("/api/calc/cohort", headers=world.headers("viewer"), json=too_many)
    assert r.status_code == 422 and r.json()["field"] == "request"


@SQLITE
def test_bad_requests_name_the_field(client, world) -> None:  # type: ignore[no-untyped-def]
    bad = REQUEST | {"protocols": [REQUEST["protocols"][0] | {"interval_days": 9}]}
    r = client.post("/api/calc/cohort", headers=world.headers("viewer"), json=bad)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "protocols.0.interval_days"
    r = client.post("/api/calc/cohort", headers=world.headers("viewer"), json=["not an object"])
    assert r.status_code == 200 and r.json()[0]["error"]["field"] == "request"


def test_the_command_line_takes_a_cohort_larger_than_the_api_cap() -> None:
    n = FIELD_LIMITS["cohort"]["n"] + 1
    outcome = calc_service.run("cohort", REQUEST | {"n": n})
    assert outcome.ok and outcome.body["n"] == n


@SQLITE
def test_the_cap_is_documented(app) -> None:  # type: ignore[no-untyped-def]
    op = app.openapi()["paths"]["/api/calc/cohort"]["post"]
    assert "`n` at most 100000 per request" in op["description"]
