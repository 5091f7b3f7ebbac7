"""One request context for the API and the web; the permission checked once, the use case
remaining the authority for any permission the request was not granted."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from plexms.core.policy import CentrePolicy
from plexms.services import request_context
from plexms.services.access import authorize
from plexms.services.clinical import patients
from plexms.services.context import Grant
from plexms.services.errors import PermissionDenied, Unauthenticated
from plexms.services.permissions import Permission
from plexms.services.schemas import PatientIn
from plexms.store.models import AuditEvent


def _open(world, role: str | None, centre: str = "a"):  # type: ignore[no-untyped-def]
    token = world.tokens[(centre, role)] if role else None
    return request_context.open_request(
        world.db, world.settings, now=world.system.now, request_id="req-ours", token=token
    )


def _denials(world) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        s.expunge_all()
        return list(rows)


def test_a_token_opens_the_users_context_with_centre_and_settings(world) -> None:  # type: ignore[no-untyped-def]
    opened = _open(world, "nurse", "b")
    actor = opened.ctx.actor
    assert actor is not None
    assert (actor.username, actor.role, actor.centre_id) == ("nurse-b", "nurse", world.centres["b"])
    assert opened.centre is not None and opened.centre.name == "Centre B"
    assert opened.policy == CentrePolicy()
    assert (opened.ctx.request_id, opened.ctx.now, opened.ctx.authorized) == (
        "req-ours",
        world.system.now,
        None,
    )


def test_no_token_is_nobody_and_a_bad_token_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    anonymous = _open(world, None)
    assert anonymous.ctx.actor is None and anonymous.centre is None
    assert request_context.grant(anonymous, Permission.PUBLIC).ctx.authorized is None
    with pytest.raises(Unauthenticated):
        request_context.grant(anonymous, Permission.PATIENT_READ)
    with pytest.raises(Unauthenticated):
        request_context.open_request(
            world.db, world.settings, now=world.system.now, request_id="r", token="not-a-token"
        )


def test_a_refusal_is_one_denied_row_naming_the_route(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied, match=r"Your role \(viewer\) does not allow this"):
        request_context.grant(
            _open(world, "viewer"), Permission.EXPORT, where={"route": "/x/{patient_id}"}
        )
    [row] = _denials(world)
    assert (row.action, row.actor, row.request_id, row.patient_id) == (
        "denied",
        "viewer-a",
        "req-ours",
        None,
    )
    assert row.detail == {"route": "/x/{patient_id}", "permission": "patient:export"}


def test_a_granted_permission_is_noted_and_the_use_case_stays_the_authority(world) -> None:  # type: ignore[no-untyped-def]
    granted = request_context.grant(_open(world, "viewer"), Permission.PATIENT_READ).ctx
    assert granted.authorized == Grant(granted.actor, Permission.PATIENT_READ)
    assert patients.list_patients(granted).total == 0  # the permission granted: no second check
    assert _denials(world) == []
    # a use case needing another permission checks it itself, whatever the route granted
    body = PatientIn(
        mrn="M-1", family_name="X", given_name="Y", birth_date="1980-01-01", sex="female"
    )
    with pytest.raises(PermissionDenied, match="your role may not create patient"):
        patients.create_patient(granted, body)
    [row] = _denials(world)
    assert row.detail == {"use_case": "create_patient", "permission": "patient:write"}


def test_a_grant_holds_for_its_actor_only(world) -> None:  # type: ignore[no-untyped-def]
    granted = request_context.grant(_open(world, "physician"), Permission.EXPORT).ctx
    assert granted.actor is not None
    viewer = dataclasses.replace(granted.actor, role="viewer", username="viewer-a")
    with pytest.raises(PermissionDenied):
        authorize(dataclasses.replace(granted, actor=viewer), Permission.EXPORT, where={})
    assert [r.actor for r in _denials(world)] == ["viewer-a"]
