"""The session sheet keeps everything (both backends): a save reopens field for field, a
partial save never erases, sign-off changes no recorded value, a signed sheet refuses edits
(409) and is corrected by addenda that keep the old and the new value; no future sign-off."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from plexms.core.errors import InputError
from plexms.services.clinical import courses, sessions
from plexms.services.clinical.session_sheet import current_values
from plexms.services.errors import Conflict
from plexms.services.schemas.clinical import (
    CoursePlanIn,
    SessionAddendumIn,
    SessionFields,
    SessionRecordIn,
)
from plexms.store.models import AuditEvent

# The course lies ahead of the suite's clock; the nurse records the run as it happened,
# earlier today (actual times), so it can be signed off.
START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
EVERY_FIELD = {
    "actual_start": START,
    "actual_end": START + dt.timedelta(minutes=130),
    "plasma_removed_ml": 2750.0,
    "whole_blood_processed_ml": 5400.0,
    "replacement_fluids": [
        {"fluid": "albumin_5", "volume_ml": 2600.0},
        {"fluid": "saline_0_9", "volume_ml": 150.0},
    ],
    "anticoagulant": "ACD-A",
    "anticoagulant_ml": 310.0,
    "calcium_gluconate_ml": 25.0,
    "vascular_access": "peripheral",
    "vitals": [
        {
            "at": START + dt.timedelta(minutes=15 * i),
            "phase": "intra",
            "systolic_mmhg": 118 - i,
            "diastolic_mmhg": 74,
            "heart_rate_bpm": 70 + i,
            "temperature_c": 36.8,
            "spo2_pct": 98,
        }
        for i in range(1, 5)
    ],
    "notes": "Tingling lips at 40 min, settled with calcium.",
    "pre_weight_kg": 75.0,
    "post_weight_kg": 75.3,
    "inlet_flow_ml_min": 55.0,
    "line_lock_solution": "heparin_1000",
    "line_lock_volume_ml": 2.6,
    "line_flush_ml": 20.0,
    "line_dressing": "changed",
}
KEPT = ("id", "version", "updated_at", "signed_off_at", "operator", "addenda")


def _sheet(world):  # type: ignore[no-untyped-def]
    pid = world.patient().id
    course = courses.plan_course(
        world.ctx("physician"),
        pid,
        CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30"}),
    )
    return courses.list_course_sessions(world.ctx("nurse"), course.id)[0]


def _saved(world, **changes):  # type: ignore[no-untyped-def]
    sheet = _sheet(world)
    data = SessionRecordIn.model_validate({"status": "done", **EVERY_FIELD, **changes})
    return sessions.record_session(world.ctx("nurse"), sheet.id, data, sheet.version)


def _fields(out) -> dict:  # type: ignore[no-untyped-def]
    return out.model_dump(exclude=set(KEPT))


def test_a_saved_sheet_reopens_with_every_field(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    reopened = sessions.get_session(world.ctx("nurse"), saved.id)
    expected = SessionFields.model_validate(EVERY_FIELD).model_dump(mode="json")
    got = reopened.model_dump(include=set(SessionFields.model_fields), mode="json")
    assert got == expected
    assert reopened.status == "done" and reopened.signed_off_at is None


def test_a_partial_save_never_erases(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    again = sessions.record_session(
        world.ctx("nurse"),
        saved.id,
        SessionRecordIn(status="done", plasma_removed_ml=2800),
        saved.version,
    )
    assert again.plasma_removed_ml == 2800
    assert _fields(again) == {**_fields(saved), "plasma_removed_ml": 2800}


def test_sign_off_changes_no_recorded_value(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    signed = sessions.sign_off_session(world.ctx("nurse"), saved.id, saved.version)
    assert signed.signed_off_at is not None and signed.operator == "nurse-a"
    assert _fields(signed) == _fields(saved)
    assert _fields(sessions.get_session(world.ctx("nurse"), saved.id)) == _fields(saved)


def test_a_signed_sheet_refuses_edits_and_a_second_sign_off(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    signed = sessions.sign_off_session(world.ctx("nurse"), saved.id, saved.version)
    with pytest.raises(Conflict) as edit:
        sessions.record_session(
            world.ctx("nurse"), saved.id, SessionRecordIn(status="done"), signed.version
        )
    assert edit.value.status == 409 and "addendum" in edit.value.detail
    with pytest.raises(Conflict):
        sessions.sign_off_session(world.ctx("nurse"), saved.id, signed.version)
    with pytest.raises(Conflict):  # the record route's sign-off too
        sessions.record_session(
            world.ctx("nurse"),
            saved.id,
            SessionRecordIn(status="done", sign_off=True),
            signed.version,
        )


def test_sign_off_through_the_record_route_keeps_unsent_fields(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    signed = sessions.record_session(
        world.ctx("nurse"),
        saved.id,
        SessionRecordIn(status="done", plasma_removed_ml=2750, sign_off=True),
        saved.version,
    )
    assert signed.signed_off_at is not None
    assert _fields(signed) == _fields(saved)


def test_no_sign_off_of_a_session_in_the_future(world) -> None:  # type: ignore[no-untyped-def]
    future = START + dt.timedelta(days=30)
    saved = _saved(world, actual_start=future, actual_end=future + dt.timedelta(hours=2))
    with pytest.raises(InputError) as refused:
        sessions.sign_off_session(world.ctx("nurse"), saved.id, saved.version)
    assert refused.value.field == "actual_start"
    assert sessions.get_session(world.ctx("nurse"), saved.id).signed_off_at is None


def test_a_planned_sheet_is_saved_before_it_is_signed(world) -> None:  # type: ignore[no-untyped-def]
    sheet = _sheet(world)
    with pytest.raises(Conflict) as refused:
        sessions.sign_off_session(world.ctx("nurse"), sheet.id, sheet.version)
    assert refused.value.field == "status"


def test_an_addendum_keeps_old_and_new_and_the_signed_values(world, db) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    sessions.sign_off_session(world.ctx("nurse"), saved.id, saved.version)
    first = sessions.add_session_addendum(
        world.ctx("nurse"),
        saved.id,
        SessionAddendumIn(
            reason="Machine total read again",
            changes=SessionFields(plasma_removed_ml=2700, notes=EVERY_FIELD["notes"]),
        ),
    )
    # only what changed is recorded (notes are the same)
    assert first.changes == [{"field": "plasma_removed_ml", "old": 2750.0, "new": 2700.0}]
    assert first.created_by == "nurse-a" and first.reason == "Machine total read again"
    second = sessions.add_session_addendum(
        world.ctx("nurse"),
        saved.id,
        SessionAddendumIn(reason="Typo", changes=SessionFields(plasma_removed_ml=2710)),
    )
    assert second.changes == [{"field": "plasma_removed_ml", "old": 2700.0, "new": 2710.0}]
    reopened = sessions.get_session(world.ctx("nurse"), saved.id)
    assert reopened.plasma_removed_ml == 2750  # the signed value itself is kept
    assert [a.id for a in reopened.addenda] == [first.id, second.id]
    assert _fields(reopened) == _fields(saved)
    with db.read() as s:
        audited = s.execute(
            select(AuditEvent).where(AuditEvent.entity == "session_addendum")
        ).scalars()
        assert sorted(a.entity_id for a in audited) == [first.id, second.id]


def test_addenda_are_for_signed_sheets_and_must_change_something(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    body = SessionAddendumIn(reason="Late entry", changes=SessionFields(notes="More"))
    with pytest.raises(Conflict):
        sessions.add_session_addendum(world.ctx("nurse"), saved.id, body)
    sessions.sign_off_session(world.ctx("nurse"), saved.id, saved.version)
    same = SessionAddendumIn(reason="Nothing", changes=SessionFields(plasma_removed_ml=2750))
    with pytest.raises(InputError) as unchanged:
        sessions.add_session_addendum(world.ctx("nurse"), saved.id, same)
    assert unchanged.value.field == "changes"
    backwards = SessionAddendumIn(
        reason="Times", changes=SessionFields(actual_end=START - dt.timedelta(hours=1))
    )
    with pytest.raises(InputError) as times:
        sessions.add_session_addendum(world.ctx("nurse"), saved.id, backwards)
    assert times.value.field == "actual_end"


def test_post_run_line_care_is_kept_on_sign_off_and_corrected_by_addendum(world) -> None:  # type: ignore[no-untyped-def]
    saved = _saved(world)
    signed = sessions.sign_off_session(world.ctx("nurse"), saved.id, saved.version)
    assert (signed.line_lock_solution, signed.line_lock_volume_ml) == ("heparin_1000", 2.6)
    assert (signed.line_flush_ml, signed.line_dressing) == (20.0, "changed")
    fix = SessionAddendumIn(
        reason="Locked with citrate, not heparin",
        changes=SessionFields(line_lock_solution="citrate_4", line_lock_volume_ml=2.8),
    )
    added = sessions.add_session_addendum(world.ctx("nurse"), saved.id, fix)
    assert added.changes == [
        {"field": "line_lock_solution", "old": "heparin_1000", "new": "citrate_4"},
        {"field": "line_lock_volume_ml", "old": 2.6, "new": 2.8},
    ]
    reopened = sessions.get_session(world.ctx("nurse"), saved.id)
    assert reopened.line_lock_solution == "heparin_1000"  # as signed
    assert current_values(reopened)["line_lock_solution"] == "citrate_4"
