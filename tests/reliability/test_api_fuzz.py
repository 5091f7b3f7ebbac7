"""Schemathesis over /openapi.json, in process, signed in and signed out, valid and invalid data.

Per operation ``EXAMPLES`` cases, each drawn signed in or out, with valid or invalid data: 5
on SQLite and 3 on PostgreSQL in ``make test``; 1,000 on SQLite and 250 on PostgreSQL under
``make fuzz`` (Hypothesis stops early on operations with fewer distinct inputs, e.g. no
parameters). Deterministic (``derandomize``).
Signed-in cases act as the admin of centre A and, half the time, aim their path ids at a
seeded record so the handlers run past the lookup.

Checks: no 5xx; every status and content type is documented and every body matches its
documented schema; invalid input answered 4xx; every error is problem+json (the calculators:
their JSON contract) without a stack trace; and the database content (audit tables and the
login-throttling/token-touch columns aside) is unchanged by every rejected request.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.seed import seed_record
from tests.conftest import PASSWORD
from tests.reliability.support import LONG, content_hash, scale

pytestmark = [pytest.mark.fuzz]

# examples per operation (signed in/out and valid/invalid data drawn within them)
EXAMPLES = {"sqlite": scale(5, 1000), "postgres": scale(3, 250)}
if os.environ.get("PLEXMS_FUZZ_EXAMPLES", "").isdigit():  # e.g. a medium run: 100
    EXAMPLES = dict.fromkeys(EXAMPLES, int(os.environ["PLEXMS_FUZZ_EXAMPLES"]))
# Signing out or changing the password ends the fuzzer's own session: it signs in again.
SESSION_ENDING = {
    "POST /api/auth/logout",
    "POST /api/auth/password",
    "PUT /api/users/{user_id}/active",
}
_SEND = ("params", "headers", "json", "content", "data", "files")


def _is_error_body(path: str, r) -> bool:  # type: ignore[no-untyped-def]
    kind = r.headers.get("content-type", "")
    if kind.startswith("application/problem+json"):
        body = r.json()
        return body.get("status") == r.status_code and bool(body.get("detail"))
    # the calculators answer with the ``plexms calc`` contract: {"error": {"field", ...}}
    return path.startswith("/api/calc/") and "field" in r.json().get("error", {})


class Fuzzer:
    def __init__(self, app, client, world, checks, examples: int) -> None:  # type: ignore[no-untyped-def]
        self.examples = examples
        self.app, self.client, self.world, self.checks = app, client, world, checks
        self.ids = seed_record(world, "a")
        self.token = world.tokens[("a", "admin")]
        self.engine = app.state.db.engine
        self.last_hash = content_hash(self.engine)
        self.failures: list[str] = []
        self.statuses: Counter[int] = Counter()
        self.requests = 0

    def _relogin(self) -> None:
        from plexms.services.admin import auth, users
        from plexms.services.context import ServiceContext

        users.set_user_active(self.world.system, self.world.users[("a", "admin")], True)
        ctx = ServiceContext(db=self.world.db, actor=None, settings=self.world.settings)
        try:
            self.token = auth.login(ctx, "admin-a", PASSWORD).token
        except Exception:  # the password was changed by the fuzzer: reset it
            from sqlalchemy import update

            from plexms.services.admin.auth import hash_password
            from plexms.store.models import User

            with self.world.db.write() as s:
                s.execute(
                    update(User)
                    .where(User.username == "admin-a")
                    .values(password_hash=hash_password(PASSWORD, self.world.settings))
                )
            self.token = auth.login(ctx, "admin-a", PASSWORD).token

    def send(self, case, signed_in: bool, aim: bool) -> None:  # type: ignore[no-untyped-def]
        if aim and case.path_parameters:
            for name in list(case.path_parameters):
                if name in self.ids:
                    case.path_parameters[name] = self.ids[name]
        kwargs: dict[str, Any] = case.as_transport_kwargs(base_url="http://testserver")
        headers = {
            k: v
            for k, v in (kwargs.get("headers") or {}).items()
            if k.lower() not in ("authorization", "cookie")
        }
        if signed_in:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs["headers"] = headers
        kwargs.pop("cookies", None)
        if isinstance(kwargs.get("data"), str | bytes):
            kwargs["content"] = kwargs.pop("data")
        r = self.client.request(
            case.method, case.formatted_path, **{k: v for k, v in kwargs.items() if k in _SEND}
        )
        self.requests += 1
        self.statuses[r.status_code] += 1
        where = f"{case.operation.label} ({'in' if signed_in else 'out'}) -> {r.status_code}"
        for check in self.checks:
            calc = case.operation.path.startswith("/api/calc/")
            if calc and check is negative_data_rejection and isinstance(case.body, list):
                continue  # documented calc contract: a batch answers 200, errors in place
            try:
                case.validate_response(r, checks=[check])
            except BaseException as exc:  # schemathesis raises a FailureGroup
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self.failures.append(f"{where} {check.__name__}: {str(exc)[:300]}")
        if r.status_code >= 400 and not _is_error_body(case.operation.path, r):
            self.failures.append(f"{where}: error neither problem+json nor the calc contract")
        if r.status_code >= 400:
            if "Traceback" in r.text or 'File "' in r.text:
                self.failures.append(f"{where}: stack trace in the body")
        now = content_hash(self.engine)
        if r.status_code >= 400 and now != self.last_hash:
            self.failures.append(f"{where}: a rejected request changed the database")
        self.last_hash = now
        if r.status_code < 300 and case.operation.label in SESSION_ENDING:
            self._relogin()
            self.last_hash = content_hash(self.engine)

    def run(self) -> None:
        schema = schemathesis.openapi.from_dict(self.app.openapi())
        for result in schema.get_all_operations():
            operation = result.ok()
            strategy = st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            )
            self._explore(strategy)

    def _explore(self, strategy) -> None:  # type: ignore[no-untyped-def]
        @settings(
            max_examples=self.examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, signed_in=st.booleans(), aim=st.booleans())
        def explore(case, signed_in: bool, aim: bool) -> None:  # type: ignore[no-untyped-def]
            self.send(case, signed_in, aim and signed_in)

        explore()


def _report(fuzzer: Fuzzer, started: float, capsys) -> None:  # type: ignore[no-untyped-def]
    with capsys.disabled():
        print(
            f"\n[fuzz] {fuzzer.requests} requests in {time.perf_counter() - started:.1f} s"
            f" ({'long' if LONG else 'short'} form),"
            f" statuses {dict(sorted(fuzzer.statuses.items()))}"
        )


def test_fuzz_api_no_5xx_schema_and_unchanged_db(app, client, world, backend, capsys) -> None:
    started = time.perf_counter()
    fuzzer = Fuzzer(
        app,
        client,
        world,
        [
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
        EXAMPLES[backend],
    )
    fuzzer.run()
    _report(fuzzer, started, capsys)
    assert fuzzer.failures == [], "\n".join(fuzzer.failures)
    assert not any(code >= 500 for code in fuzzer.statuses)


def test_openapi_documents_the_statuses_the_api_answers(app) -> None:
    """What the fuzzer sees: protected routes answer 401 (and 403/404/412/428), undocumented."""
    from plexms.services.permissions import Permission
    from tests.api.test_route_permissions import route_permissions

    spec = app.openapi()
    permissions = route_permissions(app)
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            documented = set(operation.get("responses", {}))
            perms = permissions.get((method.upper(), path), [])
            needed = set()
            if perms and perms[0] is not Permission.PUBLIC:
                needed |= {"401", "403"}
            if "{" in path:
                needed.add("404")
            params = {p["name"].lower() for p in operation.get("parameters", [])}
            if "if-match" in params:
                needed |= {"412", "428"}
            if not needed <= documented:
                missing.append(f"{method.upper()} {path}: {sorted(needed - documented)}")
            error = operation.get("responses", {}).get("422", {}).get("content", {})
            if (
                error
                and "application/problem+json" not in error
                and not path.startswith("/api/calc/")
            ):
                missing.append(f"{method.upper()} {path}: 422 documented as {sorted(error)}")
    assert missing == [], "\n".join(missing)


def test_bodies_document_400(app, client) -> None:  # type: ignore[no-untyped-def]
    """A body that is not JSON answers problem+json naming the problem (B3, fixed: FastAPI
    answers 422, and 400 and 422 are documented as problem+json on every operation with a
    body)."""
    r = client.post(
        "/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code in (400, 422)
    assert r.headers["content-type"].startswith("application/problem+json")
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
        and any(
            "application/problem+json"
            not in operation.get("responses", {}).get(code, {}).get("content", {})
            for code in ("400", "422")
        )
    ]
    assert undocumented == []


def test_calc_documents_problem_422(app, client) -> None:  # type: ignore[no-untyped-def]
    """A calculator's 422 is its JSON contract, or problem+json for a body that is not JSON;
    both are documented (B4, found by the 100-cases-per-operation run, fixed)."""
    json_type = {"Content-Type": "application/json"}
    r = client.post("/api/calc/edss", content=b"{not json", headers=json_type)
    assert r.status_code == 422
    documented = app.openapi()["paths"]["/api/calc/edss"]["post"]["responses"]["422"]["content"]
    assert r.headers["content-type"].split(";")[0] in documented
