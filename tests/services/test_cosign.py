"""Two signatures on a prescription (issue 14 item 14): where the centre requires it, a course
stays planned until a second physician or pharmacist co-signs; its sessions cannot be checked
or signed meanwhile; the co-signer differs from the prescriber; every co-signature is audited.
Runs on SQLite and PostgreSQL (the ``world`` fixture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import PASSWORD

from plexms.services.admin import centres, users
from plexms.services.clinical import cosign, courses, sessions
from plexms.services.errors import Conflict, PermissionDenied
from plexms.services.schemas import CentreUpdate, UserIn
from plexms.services.schemas.clinical import (
    CoursePlanIn,
    CourseStatusIn,
    PrecheckIn,
    SessionRecordIn,
)
from plexms.store.models import AuditEvent


def require_cosign(world: Any, required: bool = True) -> None:
    """Set the centre setting ``prescription.cosign_required`` (as the admin)."""
    ctx = world.ctx("admin")
    centre = centres.get_centre(ctx)
    policy = dict(centre.policy or {})
    policy["prescription"] = {**policy.get("prescription", {}), "cosign_required": required}
    centres.update_centre(ctx, CentreUpdate(policy=policy), centre.version)


def add_user(world: Any, role: str, name: str) -> Any:
    from plexms.services.context import Actor, ServiceContext

    user = users.create_user(
        world.system, UserIn(username=name, password=PASSWORD, role=role), centre_code="centre-a"
    )
    actor = Actor(user.id, name, role, world.centres["a"])
    return ServiceContext(db=world.db, actor=actor, settings=world.settings)


def plan(world: Any) -> Any:
    pid = world.patient().id
    data = CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30"})
    return courses.plan_course(world.ctx("physician"), pid, data)


def test_a_course_waits_for_a_pharmacist_co_signature(world) -> None:  # type: ignore[no-untyped-def]
    require_cosign(world)
    course = plan(world)
    assert course.cosign_required and course.awaiting_cosign and course.status == "planned"
    pharmacist = add_user(world, "pharmacist", "pharmacist-a")
    signed = cosign.cosign_course(pharmacist, course.id, course.version)
    assert not signed.awaiting_cosign and signed.cosigned_by == "pharmacist-a"
    assert signed.cosigned_at is not None and signed.status == "planned"
    with world.db.read() as session:
        rows = session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "cosign", AuditEvent.entity_id == course.id
            )
        ).scalars()
        (row,) = list(rows)
        assert row.actor == "pharmacist-a" and row.detail == {"prescriber": "physician-a"}
    started = courses.set_course_status(
        world.ctx("nurse"), course.id, CourseStatusIn(status="active"), signed.version
    )
    assert started.status == "active"


def test_a_second_physician_may_co_sign_but_not_the_prescriber(world) -> None:  # type: ignore[no-untyped-def]
    require_cosign(world)
    course = plan(world)
    with pytest.raises(PermissionDenied) as refused:
        cosign.cosign_course(world.ctx("physician"), course.id, course.version)
    assert "prescriber cannot co-sign" in refused.value.detail
    second = add_user(world, "physician", "physician-two-a")
    signed = cosign.cosign_course(second, course.id, course.version)
    assert signed.cosigned_by == "physician-two-a"
    with pytest.raises(Conflict) as again:
        cosign.cosign_course(add_user(world, "pharmacist", "ph-a"), course.id, signed.version)
    assert "already co-signed by physician-two-a" in again.value.detail


@pytest.mark.parametrize("role", ["nurse", "coordinator", "viewer"])
def test_other_roles_may_not_co_sign(world, role: str) -> None:  # type: ignore[no-untyped-def]
    require_cosign(world)
    course = plan(world)
    with pytest.raises(PermissionDenied):
        cosign.cosign_course(world.ctx(role), course.id, course.version)


def test_awaiting_co_signature_blocks_the_start_and_the_sessions(world) -> None:  # type: ignore[no-untyped-def]
    require_cosign(world)
    course = plan(world)
    nurse = world.ctx("nurse")
    with pytest.raises(Conflict) as start:
        courses.set_course_status(nurse, course.id, CourseStatusIn(status="active"), course.version)
    assert "awaits a second signature" in start.value.detail
    sheet = courses.list_course_sessions(nurse, course.id)[0]
    with pytest.raises(Conflict) as check:
        sessions.record_precheck(nurse, sheet.id, PrecheckIn(request={}), sheet.version)
    assert "awaits a second signature" in check.value.detail
    record = SessionRecordIn(
        status="done",
        actual_start=sheet.planned_start,
        actual_end=sheet.planned_start + dt.timedelta(hours=2),
        plasma_removed_ml=2500,
        sign_off=True,
    )
    with pytest.raises(Conflict):
        sessions.record_session(nurse, sheet.id, record, sheet.version)
    # stopping a course that was never co-signed stays possible
    stopped = courses.set_course_status(
        world.ctx("physician"),
        course.id,
        CourseStatusIn(status="stopped", reason="patient declined"),
        course.version,
    )
    assert stopped.status == "stopped"


def test_without_the_setting_nothing_changes(world) -> None:  # type: ignore[no-untyped-def]
    course = plan(world)
    assert not course.cosign_required and not course.awaiting_cosign
    with pytest.raises(Conflict) as refused:
        cosign.cosign_course(add_user(world, "pharmacist", "ph-a"), course.id, course.version)
    assert "needs no co-signature" in refused.value.detail
    started = courses.set_course_status(
        world.ctx("nurse"), course.id, CourseStatusIn(status="active"), course.version
    )
    assert started.status == "active"


def test_the_setting_is_read_when_the_course_is_planned(world) -> None:  # type: ignore[no-untyped-def]
    require_cosign(world)
    course = plan(world)
    require_cosign(world, False)  # a later change does not lift the requirement of this course
    assert courses.get_course(world.ctx("physician"), course.id).awaiting_cosign
