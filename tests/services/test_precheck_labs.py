"""Current labs only (issue 14 item 7) and calendar-day intervals (issue 16 item 10), through the
service that fills the pre-session check from the record (real database)."""

from __future__ import annotations

import datetime as dt

from plexms.services.admin import centres
from plexms.services.clinical import courses, sessions
from plexms.services.schemas.admin import CentreUpdate
from plexms.services.schemas.clinical import CoursePlanIn, LabIn, PrecheckIn, SessionRecordIn

VITALS = {
    "systolic_bp": 122,
    "diastolic_bp": 76,
    "heart_rate": 72,
    "temperature_c": 36.7,
    "spo2": 98,
}
OTHER_LABS = {
    "ionized_calcium_mmol_l": 1.2,
    "hemoglobin_g_dl": 13.0,
    "platelets_10e9_l": 240,
    "potassium_mmol_l": 4.1,
}


def _sheets(world, pid: int, **plan):  # type: ignore[no-untyped-def]
    course = courses.plan_course(
        world.ctx("physician"),
        pid,
        CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30", **plan}),
    )
    return courses.list_course_sessions(world.ctx("nurse"), course.id)


def _done(world, sheet):  # type: ignore[no-untyped-def]
    start = sheet.planned_start
    record = SessionRecordIn(
        status="done",
        actual_start=start,
        actual_end=start + dt.timedelta(hours=2),
        plasma_removed_ml=2800,
    )
    return sessions.record_session(world.ctx("nurse"), sheet.id, record, sheet.version)


def _fibrinogen(world, pid: int, value: float, taken_at: dt.datetime):  # type: ignore[no-untyped-def]
    data = LabIn(taken_at=taken_at, analyte="fibrinogen", value=value, unit="g/L")
    return sessions.add_lab(world.ctx("nurse"), pid, data)


def _precheck(world, sheet, **request):  # type: ignore[no-untyped-def]
    body = {"vitals": VITALS, "access": "peripheral", "labs": OTHER_LABS, **request}
    return sessions.record_precheck(
        world.ctx("nurse"), sheet.id, PrecheckIn(request=body), sheet.version
    )


def test_a_lab_drawn_before_the_last_exchange_is_stale_and_asked_for_again(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    sheets = _sheets(world, pid)
    stale = _fibrinogen(world, pid, 2.4, sheets[0].planned_start - dt.timedelta(hours=1))
    _done(world, sheets[0])
    out = _precheck(world, sheets[1])
    assert "fibrinogen_g_l" not in out.precheck_inputs["labs"]
    assert out.go_decision == "hold"
    assert "labs.fibrinogen_g_l" in out.precheck_result["missing"]
    reason = next(r for r in out.precheck_result["reasons"] if r["rule"] == "PRE-LAB-STALE")
    assert reason["level"] == "hold" and "before the last exchange" in reason["text"]
    assert stale.taken_at.isoformat() in reason["text"]
    assert out.precheck_result["from_record"]["stale_labs"]["fibrinogen_g_l"]["lab_id"] == stale.id


def test_a_lab_drawn_after_the_last_exchange_is_current(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    sheets = _sheets(world, pid)
    _done(world, sheets[0])
    ended = sheets[0].planned_start + dt.timedelta(hours=2)
    current = _fibrinogen(world, pid, 1.6, ended)  # at the end: current (not before it)
    out = _precheck(world, sheets[1])
    assert out.precheck_inputs["labs"]["fibrinogen_g_l"] == 1.6
    assert "stale_labs" not in out.precheck_inputs
    assert out.precheck_result["from_record"]["labs"]["fibrinogen_g_l"]["lab_id"] == current.id
    assert out.go_decision == "proceed"


def test_the_centre_may_use_the_models_prediction_labelled_as_such(world) -> None:  # type: ignore[no-untyped-def]
    ctx = world.ctx("admin")
    centre = centres.get_centre(ctx)
    policy = {"precheck": {"predicted_labs_allowed": True}}
    centres.update_centre(ctx, CentreUpdate(policy=policy), centre.version)
    pid = world.patient().id
    sheets = _sheets(world, pid)
    _fibrinogen(world, pid, 2.4, sheets[0].planned_start - dt.timedelta(hours=1))
    _done(world, sheets[0])
    out = _precheck(world, sheets[1])
    predicted = out.precheck_inputs["labs"]["fibrinogen_g_l"]
    assert 1.0 < predicted < 2.4  # one exchange removed part, 48 h of recovery since
    assert out.precheck_inputs["predicted_labs"] == ["fibrinogen_g_l"]
    fib = next(r for r in out.precheck_result["reasons"] if r["rule"] == "PRE-FIBRINOGEN")
    assert "model prediction, not a measurement" in fib["text"]
    assert out.precheck_result["from_record"]["labs"]["fibrinogen_g_l"]["predicted"] is True
    stale = next(r for r in out.precheck_result["reasons"] if r["rule"] == "PRE-LAB-STALE")
    assert stale["level"] == "caution"
    assert out.go_decision == "proceed_with_caution"


def test_every_other_day_raises_no_interval_caution_but_a_daily_course_does(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    sheets = _sheets(world, pid)
    _done(world, sheets[0])
    _fibrinogen(world, pid, 2.0, sheets[1].planned_start - dt.timedelta(hours=2))
    out = _precheck(world, sheets[1])
    assert out.precheck_inputs["days_since_last_exchange"] == 2
    assert out.precheck_inputs["hours_since_last_exchange"] < 48
    interval = next(r for r in out.precheck_result["reasons"] if r["rule"] == "PRE-INTERVAL")
    assert interval["level"] == "ok"

    other = world.patient(mrn="MRN-DAILY").id
    daily = _sheets(world, other, interval_days=1)
    _done(world, daily[0])
    _fibrinogen(world, other, 2.0, daily[1].planned_start - dt.timedelta(hours=2))
    out = _precheck(world, daily[1])
    assert out.precheck_inputs["days_since_last_exchange"] == 1
    interval = next(r for r in out.precheck_result["reasons"] if r["rule"] == "PRE-INTERVAL")
    assert interval["level"] == "caution"
    assert out.go_decision == "proceed_with_caution"
