"""Bounded work per request (issue 15, item 4).

The attack: a signed-in viewer posted a 20,000-element ``POST /api/calc/plan`` batch; it took
over 30 s and answered 176 MiB, starving the server. The defence: a batch cap per calculator
over the API (422 naming ``request`` before any calculation), a request-body limit enforced
while the body streams in (413 problem+json, never buffering the rest), both documented in the
OpenAPI description; the command line keeps unlimited batches.
"""

from __future__ import annotations

import json
import time

import pytest

from plexms.api.routes.calc import BATCH_LIMITS, MAX_CALC_BODY_BYTES, batch_limit
from plexms.services import calc as calc_service
from plexms.services.admin.centres import centre_policy

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PLAN = {"sex": "female", "height_cm": 165, "weight_kg": 60, "hematocrit": 0.4}
FS = ("visual", "brainstem", "pyramidal", "cerebellar", "sensory", "bowel_bladder", "cerebral")
EDSS = {"fs": dict.fromkeys(FS, 1), "ambulation_score": 0}


@SQLITE
@pytest.mark.parametrize(("name", "item"), [("plan", PLAN), ("edss", EDSS)])
def test_a_batch_over_the_cap_is_refused_before_any_work(  # type: ignore[no-untyped-def]
    client, world, name: str, item: dict
) -> None:
    limit = BATCH_LIMITS[name]
    start = time.perf_counter()
    r = client.post(f"/api/calc/{name}", headers=world.headers("viewer"), json=[item] * (limit + 1))
    elapsed = time.perf_counter() - start
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "request"
    assert str(limit) in r.json()["detail"]
    assert elapsed < 5, f"refusing the batch took {elapsed:.1f} s"


@SQLITE
def test_a_batch_at_the_cap_is_answered(client, world) -> None:  # type: ignore[no-untyped-def]
    limit = BATCH_LIMITS["edss"]
    r = client.post("/api/calc/edss", headers=world.headers("viewer"), json=[EDSS] * limit)
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()) == limit


def test_the_caps_bound_every_calculator() -> None:
    assert set(BATCH_LIMITS) >= set(calc_service.calculators())
    assert batch_limit("plan") <= 100
    assert max(batch_limit(name) for name in calc_service.calculators()) <= 1000


@SQLITE
def test_an_oversized_body_is_refused_with_413_without_reading_it_all(client, world) -> None:  # type: ignore[no-untyped-def]
    pulled = 0
    chunk = b"[" + b'{"fs": {}},' * 6000  # ~66 kB a chunk, no Content-Length (chunked)

    async def body():  # type: ignore[no-untyped-def]
        nonlocal pulled
        for _ in range(2000):  # ~130 MB if all read
            pulled += 1
            yield chunk

    r = client.post(
        "/api/calc/plan",
        headers={**world.headers("viewer"), "Content-Type": "application/json"},
        content=body(),
    )
    assert r.status_code == 413, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "body"
    assert pulled * len(chunk) < 4 * MAX_CALC_BODY_BYTES + 10 * len(chunk)


@SQLITE
def test_a_declared_oversized_body_is_refused_at_once(client, world) -> None:  # type: ignore[no-untyped-def]
    big = json.dumps([EDSS] * 20_000).encode()
    assert len(big) > MAX_CALC_BODY_BYTES
    r = client.post(
        "/api/calc/edss",
        headers={**world.headers("viewer"), "Content-Type": "application/json"},
        content=big,
    )
    assert r.status_code == 413, r.text[:300]
    assert r.json()["field"] == "body"


@SQLITE
def test_other_api_bodies_have_a_limit_too(client, world) -> None:  # type: ignore[no-untyped-def]
    from plexms.api.middleware import MAX_BODY_BYTES

    pid = world.patient().id
    r = client.post(
        f"/api/patients/{pid}/documents",
        headers={**world.headers("coordinator"), "Content-Type": "application/json"},
        content=b'{"kind": "letter", "content_base64": "' + b"A" * (MAX_BODY_BYTES + 1) + b'"}',
    )
    assert r.status_code == 413, r.text[:300]


@SQLITE
def test_the_caps_are_documented_in_the_openapi_description(app) -> None:  # type: ignore[no-untyped-def]
    spec = app.openapi()
    for name in calc_service.calculators():
        limit = batch_limit(name)
        op = spec["paths"][f"/api/calc/{name}"]["post"]
        assert f"{limit}" in op["description"], name
        assert "413" in op["responses"]


@SQLITE
def test_the_command_line_keeps_unlimited_batches(world) -> None:  # type: ignore[no-untyped-def]
    """The cap is the API's: the calculator service (what ``plexms calc`` runs) has none."""
    policy = centre_policy(world.ctx("viewer"))
    n = BATCH_LIMITS["edss"] + 5
    outcome = calc_service.run("edss", [EDSS] * n, policy)
    assert outcome.batch and len(outcome.body) == n
