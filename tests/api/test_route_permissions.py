"""Every route declares its permission (a dependency with a ``permission`` attribute)."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from plexms.services.permissions import Permission


def _permissions(dependant: Dependant) -> list[Permission]:
    found = []
    for dep in dependant.dependencies:
        permission = getattr(dep.call, "permission", None)
        if isinstance(permission, Permission):
            found.append(permission)
        found.extend(_permissions(dep))
    return found


def route_permissions(app) -> dict[tuple[str, str], list[Permission]]:  # type: ignore[no-untyped-def]
    table = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue  # static files: no data
        if isinstance(route.original_route, APIRoute):
            for method in sorted(route.methods):
                table[(method, route.path)] = _permissions(route.dependant)
        elif route.path not in ("/openapi.json", "/api/docs"):
            table[("*", route.path)] = []
    return table


def test_every_route_declares_exactly_one_permission(app) -> None:
    table = route_permissions(app)
    assert table
    missing = sorted(key for key, perms in table.items() if len(set(perms)) != 1)
    assert missing == [], f"routes without exactly one permission: {missing}"


def test_patient_routes_are_not_public(app) -> None:
    for (_method, path), perms in route_permissions(app).items():
        if "patient" in path or "session" in path or "course" in path:
            assert Permission.PUBLIC not in perms, path
