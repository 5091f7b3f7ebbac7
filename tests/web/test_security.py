"""Security headers and CSRF protection of the HTML routes."""

from __future__ import annotations

from fastapi import Request

from plexms.web.security import CSP, csrf_token_for, is_html_path
from tests.web.conftest import TestClient, csrf_of, web_app


def _app_with_echo() -> TestClient:
    app = web_app()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, str]:
        async with request.form() as form:
            return {"note": str(form.get("note", ""))}

    @app.post("/api/echo")
    async def api_echo() -> dict[str, str]:
        return {"ok": "yes"}

    return TestClient(app)


def test_pages_carry_security_headers() -> None:
    client = _app_with_echo()
    response = client.get("/planner")
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert "frame-ancestors 'none'" in CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # plain http


def test_hsts_only_over_tls() -> None:
    client = TestClient(web_app(), base_url="https://testserver")
    response = client.get("/planner")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in response.headers["set-cookie"]


def test_static_files_are_cacheable_and_not_inline() -> None:
    client = _app_with_echo()
    response = client.get("/static/htmx.min.js")
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    assert response.headers["x-content-type-options"] == "nosniff"
    page = client.get("/planner").text
    assert "<script>" not in page and "style=" not in page and " on" + "click=" not in page


def test_post_without_csrf_token_is_403() -> None:
    client = _app_with_echo()
    client.get("/planner")  # gets the CSRF cookie
    response = client.post("/echo", data={"note": "x"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert response.headers["content-security-policy"] == CSP


def test_post_with_wrong_or_foreign_token_is_403() -> None:
    client = _app_with_echo()
    client.get("/planner")
    assert client.post("/echo", data={"note": "x", "csrf_token": "0" * 64}).status_code == 403
    other = _app_with_echo()
    token = csrf_of(other.get("/planner").text)
    assert client.post("/echo", data={"note": "x", "csrf_token": token}).status_code == 403


def test_post_with_token_in_field_or_header_passes_and_keeps_body() -> None:
    client = _app_with_echo()
    token = csrf_of(client.get("/planner").text)
    response = client.post("/echo", data={"note": "kept", "csrf_token": token})
    assert response.status_code == 200 and response.json() == {"note": "kept"}
    response = client.post("/echo", data={"note": "hx"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.json() == {"note": "hx"}
    multipart = client.post(
        "/echo", data={"note": "mp", "csrf_token": token}, files={"f": ("a.txt", b"abc")}
    )
    assert multipart.status_code == 200 and multipart.json() == {"note": "mp"}


def test_post_without_cookie_is_403_even_with_a_token() -> None:
    client = _app_with_echo()
    token = csrf_of(client.get("/planner").text)
    client.cookies.clear()
    assert client.post("/echo", data={"csrf_token": token}).status_code == 403


def test_token_is_bound_to_the_session() -> None:
    secret = b"k"
    anonymous = csrf_token_for(secret, "browser", None)
    signed_in = csrf_token_for(secret, "browser", "session-a")
    assert len({anonymous, signed_in, csrf_token_for(secret, "browser", "session-b")}) == 3
    assert csrf_token_for(secret, "browser", "session-a") == signed_in


def test_api_routes_are_not_html_routes() -> None:
    client = _app_with_echo()
    assert client.post("/api/echo").status_code == 200
    assert not is_html_path("/api/patients") and not is_html_path("/metrics")
    assert is_html_path("/") and is_html_path("/apiary")


def test_oversized_form_is_rejected() -> None:
    client = _app_with_echo()
    token = csrf_of(client.get("/planner").text)
    response = client.post("/echo", data={"csrf_token": token, "note": "x" * 1_100_000})
    assert response.status_code == 403


def test_an_asset_fetched_without_the_cookie_issues_no_browser_id(bare_client) -> None:  # type: ignore[no-untyped-def]
    """A stylesheet or icon racing the page's own response must not replace the page's
    browser id (its form would then be refused as expired)."""
    page = bare_client.get("/referral")
    assert "plexms_csrf" in page.headers.get("set-cookie", "")
    bare_client.cookies.clear()
    for path in ("/static/plexms.css", "/favicon.ico"):
        asset = bare_client.get(path)
        assert asset.status_code == 200, path
        assert "plexms_csrf" not in asset.headers.get("set-cookie", ""), path
