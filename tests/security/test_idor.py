"""IDOR sweep: every id-taking route (API and web, walked from ``app.routes``) and every
``?patient_id=`` filter, tried by every role of centre B with centre A's ids.

Centre A holds one record of every kind whose texts are sentinels (tests/security/sentinels.py).
Every answer must refuse (403/404; 422 when the body is refused before the lookup; a web form
may redirect to sign-in) and no answer (body or headers) may carry any of A's sentinels.
Bodies are schema-valid examples drawn by schemathesis, so the handlers run to the lookup.
tests/api/test_matrix.py checks permissions with empty bodies; this adds valid bodies, the web
routes, the list filters and the sentinel search.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import schemathesis
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from plexms.services.permissions import ROLE_PERMISSIONS
from tests.api.test_route_permissions import route_permissions
from tests.conftest import PASSWORD, ROLES, SyncClient
from tests.security.sentinels import leaks, seed_sentinel_record

REFUSED = {403, 404, 410, 422}
# Stateless fragments that would answer 200 for another centre's id (none since B2 was fixed:
# the live-EDSS fragment now looks the patient up like every other id route).
# A recall answers 200 with the caller's centre's patients only: nobody of centre A.
STATELESS: set[tuple[str, str]] = {("GET", "/api/lots/{lot}/sessions"), ("GET", "/lots")}
LIST_FILTERS = (
    "/api/courses?patient_id={patient_id}",
    "/api/adverse-events?patient_id={patient_id}",
    "/api/referrals?patient_id={patient_id}",
    "/api/audit?patient_id={patient_id}",
    "/api/patients?q=SNTMRN4417",
    "/api/patients?q=Qzxsentinelfam",
    "/api/sessions",
    "/api/courses",
    "/api/referrals",
    "/api/patients",
)


def _example_bodies(app) -> dict[tuple[str, str], Any]:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_dict(app.openapi())
    bodies: dict[tuple[str, str], Any] = {}
    for result in schema.get_all_operations():
        op = result.ok()
        if "{" not in op.path or op.method.upper() not in ("POST", "PUT", "PATCH"):
            continue

        @settings(
            max_examples=1,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(op.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def draw(case) -> None:  # type: ignore[no-untyped-def]
            if not isinstance(case.body, NotSet):
                bodies[(case.method.upper(), case.path)] = case.body

        draw()
    return bodies


def _web_client(app, username: str) -> tuple[SyncClient, str]:  # type: ignore[no-untyped-def]
    client = SyncClient(app)
    token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get("/login").text)
    assert token
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.text[:300]
    page = client.get("/patients").text
    token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page)
    assert token, page[:300]
    return client, token.group(1)


def test_other_centres_ids_refused_and_nothing_leaks(app, client, world, capsys) -> None:  # type: ignore[no-untyped-def]
    ids = seed_sentinel_record(world, "a")
    bodies = _example_bodies(app)
    perms = route_permissions(app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    tried = 0

    def check(where: str, r, may: bool, stateless: bool) -> None:  # type: ignore[no-untyped-def]
        nonlocal tried
        tried += 1
        statuses[r.status_code] += 1
        found = leaks(r.text) + leaks(str(r.headers))
        if found:
            failures.append(f"{where}: {r.status_code} leaked {found}")
        location = r.headers.get("location", "")
        if r.status_code in (302, 303) and location.startswith("/login"):
            return
        if stateless and r.status_code == 200:
            return
        if r.status_code not in REFUSED:
            failures.append(f"{where}: {r.status_code} (expected 403/404)")
        elif r.status_code == 403 and may and "/api/" in where:
            failures.append(f"{where}: 403 for a role that holds the permission")

    web = {role: _web_client(app, f"{role}-b") for role in ROLES}
    try:
        for route in iter_route_contexts(app.routes):
            methods = sorted(getattr(route, "methods", None) or [])
            if "{" not in route.path or not methods:
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), route.path)
            for method in methods:
                if method == "HEAD":
                    continue
                permission = (perms.get((method, route.path)) or [None])[0]
                for role in ROLES:
                    may = permission in ROLE_PERMISSIONS[role]
                    where = f"{method} {route.path} as {role}-b"
                    if route.path.startswith("/api/"):
                        headers = {**world.headers(role, "b"), "If-Match": '"v1"'}
                        body = bodies.get((method, route.path))
                        kwargs = {"json": body} if method in ("POST", "PUT", "PATCH") else {}
                        r = client.request(method, url, headers=headers, **kwargs)
                    else:
                        browser, token = web[role]
                        kwargs = {"data": {"csrf_token": token}} if method == "POST" else {}
                        r = browser.request(method, url, headers={"X-CSRF-Token": token}, **kwargs)
                    check(where, r, may, (method, route.path) in STATELESS)
        for template in LIST_FILTERS:
            url = template.format(**ids)
            for role in ROLES:
                r = client.get(url, headers=world.headers(role, "b"))
                tried += 1
                statuses[r.status_code] += 1
                if r.status_code == 200 and r.json().get("items"):
                    if url.startswith("/api/audit"):
                        rows = r.json()["items"]
                        if any(row.get("centre_id") == world.centres["a"] for row in rows):
                            failures.append(f"GET {url} as {role}-b: centre A audit rows")
                    else:
                        failures.append(f"GET {url} as {role}-b: centre A rows listed")
                if leaks(r.text):
                    failures.append(f"GET {url} as {role}-b: leaked {leaks(r.text)}")
    finally:
        for browser, _token in web.values():
            browser.close()
    with capsys.disabled():
        print(f"\n[idor] {tried} requests as centre B, statuses {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures)
    # the sweep reached the records (the owner can read them)
    own = client.get(f"/api/patients/{ids['patient_id']}/record", headers=world.headers("viewer"))
    assert own.status_code == 200 and "Qzxsentinelfam" in own.text
