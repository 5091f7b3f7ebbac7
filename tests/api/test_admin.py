"""Administration over HTTP: API tokens listed and revoked, an admin sets a password, the
optional /metrics token."""

from __future__ import annotations

import pytest
from tests.conftest import PASSWORD


def test_api_tokens_listed_and_revoked(client, world) -> None:  # type: ignore[no-untyped-def]
    nurse = world.headers("nurse")
    made = client.post("/api/auth/tokens", headers=nurse, json={"name": "script"})
    assert made.status_code == 201, made.text
    script = {"Authorization": f"Bearer {made.json()['token']}"}
    listed = client.get("/api/auth/tokens", headers=script).json()
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    token_id = listed[0]["id"]
    other_admin = world.headers("admin", "b")
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=other_admin).status_code == 404
    r = client.delete(f"/api/auth/tokens/{token_id}", headers=nurse)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert client.get("/api/auth/me", headers=script).status_code == 401


def test_admin_sets_a_users_password(client, world) -> None:  # type: ignore[no-untyped-def]
    nurse_id = world.users[("a", "nurse")]
    body = {"new_password": "a-brand-new-password"}
    url = f"/api/users/{nurse_id}/password"
    assert client.put(url, headers=world.headers("physician"), json=body).status_code == 403
    assert client.put(url, headers=world.headers("admin", "b"), json=body).status_code == 404
    short = client.put(url, headers=world.headers("admin"), json={"new_password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    assert client.put(url, headers=world.headers("admin"), json=body).status_code == 200
    assert client.get("/api/auth/me", headers=world.headers("nurse")).status_code == 401
    old = client.post("/api/auth/login", json={"username": "nurse-a", "password": PASSWORD})
    new = client.post(
        "/api/auth/login", json={"username": "nurse-a", "password": body["new_password"]}
    )
    assert (old.status_code, new.status_code) == (401, 200)


@pytest.fixture
def guarded(settings):  # type: ignore[no-untyped-def]
    from pydantic import SecretStr
    from tests.conftest import SyncClient

    from plexms.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": SecretStr("scrape-secret")}))
    http = SyncClient(app)
    yield http
    http.close()
    app.state.db.dispose()


def test_metrics_token_when_set(guarded) -> None:  # type: ignore[no-untyped-def]
    assert guarded.get("/metrics").status_code == 401
    wrong = guarded.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = guarded.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert ok.status_code == 200 and "plexms_http_requests_total" in ok.text
