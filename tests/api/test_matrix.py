"""Role x route x centre: every API route, every role, own centre and the other centre.

Denied roles get 403 (audited); allowed roles never get 401/403; users of the other centre
never see centre A's records (404 on id routes, no names in list bodies). On id routes the
first allowed role runs the route on the real record, the others on a missing id (404).
"""

from __future__ import annotations

import re

import pytest
from tests.api.test_route_permissions import route_permissions
from tests.conftest import ROLES

from plexms.services.permissions import ROLE_PERMISSIONS, Permission

NOT_MUTATING_BODY: dict[str, object] = {}  # every POST/PATCH gets an empty body: 422 at worst


def _ids(world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from tests.api.seed import seed_record

    return seed_record(world, "a")


@pytest.mark.parametrize("centre", ["a", "b"])
def test_role_route_centre_matrix(app, client, world, centre: str) -> None:
    ids = _ids(world)
    secret = "Sentinelname"
    failures = []
    for (method, path), perms in sorted(route_permissions(app).items()):
        if not path.startswith("/api/") or method == "*" or perms[0] is Permission.PUBLIC:
            continue
        if path.startswith("/api/auth/"):
            continue  # signing out/passwords: covered by the auth tests
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        # The first role allowed runs the route on the real record (PDFs and all); the other
        # allowed roles ask for a missing id: a 404 proves access without redoing the work.
        missing = re.sub(r"\{(\w+)\}", str(2**31 - 1), path)
        ran = False
        for role in ROLES:
            may = perms[0] in ROLE_PERMISSIONS[role]
            target = missing if may and ran and "{" in path else url
            ran = ran or may
            headers = {**world.headers(role, centre), "If-Match": '"v999"'}
            kwargs = {"json": NOT_MUTATING_BODY} if method in ("POST", "PATCH", "PUT") else {}
            r = client.request(method, target, headers=headers, **kwargs)
            where = f"{method} {path} as {role}-{centre}: {r.status_code}"
            if r.status_code >= 500:
                failures.append(where)
            elif not may and r.status_code != 403:
                failures.append(where + " (expected 403)")
            elif may and r.status_code in (401, 403):
                failures.append(where + " (expected access)")
            elif (
                may
                and centre == "b"
                and "{" in path
                and r.status_code < 400
                and ("patient" in path or "/api/episodes" in path or "/api/referrals/" in path)
            ):
                failures.append(where + " (other centre's record served)")
            if centre == "b" and secret in r.text:
                failures.append(where + " (leaked centre A data)")
    assert failures == []
