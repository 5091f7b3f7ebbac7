"""The Today board: one use case, one transaction and one audit row, with the same lists as
the separate list use cases it replaces on the page, and only the actor's centre."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from plexms.services import audit
from plexms.services.admin import demo
from plexms.services.clinical import board, courses, patients, referrals, sessions
from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.errors import NotFound


def _demo_physician(db, settings, centre_offset: int = 0):  # type: ignore[no-untyped-def]
    """The demo clinic (sessions, referrals, adverse events) and a physician's context there
    (``centre_offset``: of another centre)."""
    system = ServiceContext(db=db, actor=SYSTEM, settings=settings)
    result = demo.seed(system, "demo-password-123")
    actor = Actor(1, "physician-demo", "physician", result.centre_id + centre_offset)
    return dataclasses.replace(system, actor=actor)


def _other_centre(ctx):  # type: ignore[no-untyped-def]
    actor = dataclasses.replace(ctx.actor, centre_id=ctx.actor.centre_id + 1)
    return dataclasses.replace(ctx, actor=actor)


def test_the_board_equals_the_lists_it_replaces_with_one_audit_row(db, settings) -> None:  # type: ignore[no-untyped-def]
    ctx = _demo_physician(db, settings)
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = midnight - dt.timedelta(days=30), midnight + dt.timedelta(days=30)
    recent_from = midnight - dt.timedelta(days=60)
    with db.read() as s:
        before = audit.count(s)
    out = board.today_board(ctx, week=(start, end), recent_from=recent_from)
    with db.read() as s:
        assert audit.count(s) == before + 1
        assert audit.count(s, entity="today_board", action="read", actor="physician-demo") == 1
    assert out.week == sessions.list_sessions(ctx, start=start, end=end, limit=100)
    assert out.recent == sessions.list_sessions(
        ctx, start=recent_from, end=start + dt.timedelta(days=1), limit=100
    )
    assert out.events == sessions.list_adverse_events(ctx, limit=50)
    assert out.pending == referrals.list_referrals(ctx, status="pending", limit=10)
    for stage in ("active", "planned", "completed"):
        expected = patients.list_patients(ctx, stage=f"course_{stage}", limit=20)
        assert getattr(out, stage) == expected
    assert out.week.total + out.events.total + out.pending.total > 0  # the demo has some


def test_another_centre_sees_none_of_it(db, settings) -> None:  # type: ignore[no-untyped-def]
    ctx = _demo_physician(db, settings, centre_offset=1)
    midnight = dt.datetime.now(dt.UTC)
    out = board.today_board(
        ctx,
        week=(midnight - dt.timedelta(days=365), midnight + dt.timedelta(days=365)),
        recent_from=midnight - dt.timedelta(days=365),
    )
    pages = [n for n in board.TodayBoard.model_fields if n not in ("patients", "shortages")]
    assert [getattr(out, name).total for name in pages] == [0] * 7
    assert out.shortages == []  # no stock counted in that centre
    assert out.patients == {}  # nobody to name either


def test_the_patient_page_equals_the_reads_it_replaces_with_one_audit_row(db, settings) -> None:  # type: ignore[no-untyped-def]
    ctx = _demo_physician(db, settings)
    pid = sessions.list_sessions(ctx, limit=1).items[0].patient_id  # a patient with a course
    with db.read() as s:
        before = audit.count(s)
    out = board.patient_page(ctx, pid)
    with db.read() as s:
        assert audit.count(s) == before + 1
        assert audit.count(s, entity="patient", action="read", patient_id=pid) == 1
    assert out.patient == patients.get_patient(ctx, pid)
    assert out.episodes == patients.list_episodes(ctx, pid)
    assert out.referrals == referrals.list_referrals(ctx, patient_id=pid)
    assert out.courses == courses.list_courses(ctx, patient_id=pid)
    assert out.assessments == courses.list_assessments(ctx, pid)
    assert out.courses.total >= 1


def test_the_patient_page_of_another_centre_is_not_found_and_audited(db, settings) -> None:  # type: ignore[no-untyped-def]
    ctx = _demo_physician(db, settings)
    pid = sessions.list_sessions(ctx, limit=1).items[0].patient_id
    other = _other_centre(ctx)
    with pytest.raises(NotFound):
        board.patient_page(other, pid)
    with db.read() as s:
        assert audit.count(s, action="patient_page", outcome="not_found", patient_id=pid) == 1
