"""POST /api/courses/{id}/cosign (issue 14 item 14): 200 for a second physician, 403 for the
prescriber or a nurse, 409 when no co-signature is needed or it is already given; a course
awaiting co-signature cannot be started (409). Both backends."""

from __future__ import annotations

from typing import Any

from tests.services.test_cosign import add_user, require_cosign

from plexms.services.clinical import courses
from plexms.services.schemas.clinical import CoursePlanIn


def _plan(world: Any) -> int:
    pid = world.patient().id
    data = CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30"})
    return courses.plan_course(world.ctx("physician"), pid, data).id


def test_cosign_route(client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    from plexms.services.admin import auth
    from plexms.services.context import ServiceContext

    require_cosign(world)
    course_id = _plan(world)
    url = f"/api/courses/{course_id}/cosign"
    body = client.get(f"/api/courses/{course_id}", headers=world.headers("nurse")).json()
    assert body["awaiting_cosign"] is True and body["cosign_required"] is True
    etag = f'"v{body["version"]}"'
    start = client.post(
        f"/api/courses/{course_id}/status",
        json={"status": "active"},
        headers={**world.headers("nurse"), "If-Match": etag},
    )
    assert start.status_code == 409 and "awaits a second signature" in start.text
    for role in ("physician", "nurse"):  # the prescriber; a role without the permission
        r = client.post(url, headers={**world.headers(role), "If-Match": etag})
        assert r.status_code == 403, (role, r.text)
    assert client.post(url, headers=world.headers("admin")).status_code == 428
    add_user(world, "physician", "second-a")
    login = ServiceContext(db=world.db, actor=None, settings=world.settings)
    token = auth.login(login, "second-a", PASSWORD).token
    second = {"Authorization": f"Bearer {token}"}
    signed = client.post(url, headers={**second, "If-Match": etag})
    assert signed.status_code == 200, signed.text
    out = signed.json()
    assert out["cosigned_by"] == "second-a" and out["awaiting_cosign"] is False
    assert signed.headers["ETag"] == f'"v{out["version"]}"'
    again = client.post(url, headers={**second, "If-Match": signed.headers["ETag"]})
    assert again.status_code == 409 and "already co-signed" in again.text


def test_cosign_not_needed_is_409(client, world) -> None:  # type: ignore[no-untyped-def]
    course_id = _plan(world)
    r = client.post(
        f"/api/courses/{course_id}/cosign", headers={**world.headers("admin"), "If-Match": '"v1"'}
    )
    assert r.status_code == 409 and "needs no co-signature" in r.text
