"""Health, OpenAPI, problem+json errors, authentication basics."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_health_and_openapi(client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok"
    assert r.headers["x-request-id"]
    spec = client.get("/openapi.json").json()
    assert "/api/patients" in spec["paths"]


def test_metrics(client) -> None:
    client.get("/api/health")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert "plexms_http_requests_total" in r.text


def test_patient_data_needs_login(client) -> None:
    r = client.get("/api/patients")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401


def test_login_logout(client, world) -> None:
    r = client.post("/api/auth/login", json={"username": "nurse-a", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "plexms_session=" in cookie
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=auth).json()["role"] == "nurse"
    assert client.post("/api/auth/logout", headers=auth).status_code == 204
    assert client.get("/api/auth/me", headers=auth).status_code == 401


def test_unknown_user_and_wrong_password_answer_alike(client, world) -> None:
    a = client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 12})
    b = client.post("/api/auth/login", json={"username": "nurse-a", "password": "x" * 12})
    assert a.status_code == b.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert strip(a) == strip(b)


def test_validation_error_names_field(client, world) -> None:
    r = client.post(
        "/api/patients",
        headers=world.headers("physician"),
        json={
            "mrn": "M1",
            "family_name": "Doe",
            "given_name": "J",
            "birth_date": "1980-01-01",
            "sex": "robot",
        },
    )
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "sex"
    assert "Traceback" not in r.text


def test_audit_rows_carry_the_servers_request_id_never_the_clients(client, world, capfd) -> None:
    import json

    from sqlalchemy import select

    from plexms.store.models import AuditEvent

    headers = {**world.headers("viewer"), "X-Request-ID": "client-chosen-id"}
    r = client.post("/api/patients", headers=headers, json={})
    assert r.status_code == 403, r.text  # refused before the body is read
    assert r.headers["content-type"].startswith("application/problem+json")
    ours = r.headers["x-request-id"]
    assert ours != "client-chosen-id" and r.json()["request_id"] == ours
    with world.db.read() as s:
        [row] = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert (row.request_id, row.actor, row.detail) == (
            ours,
            "viewer-a",
            {"route": "/api/patients", "permission": "patient:write"},
        )
    lines = capfd.readouterr().out.splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    [access] = [e for e in logged if e.get("event") == "request" and e["request_id"] == ours]
    assert access["client_request_id"] == "client-chosen-id"  # the client's id: only logged
