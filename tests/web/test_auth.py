"""Sign in and out through the web forms; the idle timeout; the user's centre and role shown."""

from __future__ import annotations

import datetime as dt

import time_machine

from tests.web.conftest import PASSWORD, TestClient, csrf_of, sign_in


def test_root_redirects_to_login_when_signed_out(clinic: TestClient) -> None:
    response = clinic.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = clinic.get("/login").text
    assert 'name="username"' in page and 'name="password"' in page


def test_sign_in_sets_a_safe_cookie_and_shows_user_role_and_centre(clinic: TestClient) -> None:
    token = csrf_of(clinic.get("/login").text)
    response = clinic.post(
        "/login",
        data={"username": "nurse", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/today"
    cookie = response.headers["set-cookie"]
    assert "plexms_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = clinic.get("/planner").text
    assert "nurse" in page and "Age Reversal MD" in page and "Sign out" in page


def test_wrong_password_and_unknown_user_get_the_same_answer(clinic: TestClient) -> None:
    token = csrf_of(clinic.get("/login").text)
    wrong = clinic.post(
        "/login", data={"username": "nurse", "password": "x" * 14, "csrf_token": token}
    )
    unknown = clinic.post(
        "/login", data={"username": "nobody", "password": "x" * 14, "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "wrong username or password" in wrong.text and "wrong username or password" in unknown.text
    )


def test_login_without_csrf_token_is_refused(clinic: TestClient) -> None:
    clinic.get("/login")
    response = clinic.post("/login", data={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 403


def test_sign_out_ends_the_session_on_the_server(clinic: TestClient) -> None:
    sign_in(clinic, "physician")
    old_cookie = clinic.cookies.get("plexms_session")
    token = csrf_of(clinic.get("/planner").text)
    response = clinic.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    clinic.cookies.set("plexms_session", old_cookie)
    assert clinic.get("/", follow_redirects=False).headers["location"] == "/login"


def test_idle_timeout_sends_the_user_back_to_sign_in(clinic: TestClient) -> None:
    sign_in(clinic, "coordinator")
    assert clinic.get("/", follow_redirects=False).headers["location"] == "/today"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
    with time_machine.travel(later):
        assert clinic.get("/", follow_redirects=False).headers["location"] == "/login"
        page = clinic.get("/login?expired=1").text
        assert "without activity" in page


def test_a_refused_page_is_audited_once_with_the_servers_request_id(clinic: TestClient) -> None:
    from sqlalchemy import select

    from plexms.store.models import AuditEvent

    sign_in(clinic, "viewer")
    response = clinic.get("/registry.csv", headers={"X-Request-ID": "client-chosen-id"})
    assert response.status_code == 403 and "does not allow" in response.text
    assert "viewer" in response.text  # the refusal page still shows who is signed in
    with clinic.app.state.db.read() as s:  # type: ignore[attr-defined]
        [row] = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert row.request_id == response.headers["x-request-id"] != "client-chosen-id"
        assert (row.actor, row.detail) == (
            "viewer",
            {"route": "/registry.csv", "permission": "patient:export"},
        )
