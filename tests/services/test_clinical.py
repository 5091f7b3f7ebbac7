"""Clinical use cases filled from the record: eligibility (presentation from the episode),
outcome response against the baseline, the pre-session check and the DMT hand-back timing."""

from __future__ import annotations

import datetime as dt

import pytest

from plexms.core.errors import InputError
from plexms.services.clinical import courses, patients
from plexms.services.schemas import EpisodeIn
from plexms.services.schemas.clinical import AssessmentIn


def _episode(world, pid: int, presentation: str) -> int:  # type: ignore[no-untyped-def]
    ctx = world.ctx("physician")
    data = EpisodeIn(onset_date=dt.date(2026, 11, 10), presentation=presentation)
    return patients.add_episode(ctx, pid, data).id


@pytest.mark.parametrize(
    ("presentation", "expected"),
    [
        ("relapse", "relapse"),
        ("optic_neuritis", "optic_neuritis"),
        ("tumefactive", "tumefactive"),
        ("cis", None),
        ("other", None),
    ],
)
def test_assessment_presentation_from_the_episode(world, presentation, expected) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    episode = _episode(world, pid, presentation)
    out = courses.assess_eligibility(
        world.ctx("physician"), pid, AssessmentIn(episode_id=episode, request={})
    )
    assert out.inputs.get("presentation") == expected
    assert out.inputs["onset_date"] == "2026-11-10"
    if expected is None:
        assert out.recommendation == "incomplete"
        assert "presentation" in out.result["missing"]


def test_the_request_presentation_wins_over_the_episode(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    episode = _episode(world, pid, "cis")
    out = courses.assess_eligibility(
        world.ctx("physician"),
        pid,
        AssessmentIn(episode_id=episode, request={"presentation": "cis_aggressive"}),
    )
    assert out.inputs["presentation"] == "cis_aggressive"
    assert "presentation" not in out.result["missing"]


# --- outcome visits: acuity in any notation, response against the baseline -------------

FS = {
    "visual": 0,
    "brainstem": 1,
    "pyramidal": 3,
    "cerebellar": 2,
    "sensory": 2,
    "bowel_bladder": 1,
    "cerebral": 0,
}


def _visit(world, pid: int, **values):  # type: ignore[no-untyped-def]
    from plexms.services.clinical import outcomes
    from plexms.services.schemas.clinical import OutcomeIn

    # the suite's today (2026-11-26 in La Jolla): a visit is recorded once it has happened
    body = {"timepoint": "1_month", "assessed_on": dt.date(2026, 11, 26), **values}
    return outcomes.record_outcome(world.ctx("nurse"), pid, OutcomeIn.model_validate(body))


def test_acuity_per_eye_in_any_notation(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    out = _visit(
        world,
        pid,
        timepoint="baseline",
        acuity={"right": {"value": "20/40"}, "left": {"value": 0.5, "notation": "decimal"}},
        va_right_logmar=None,
    )
    assert (out.va_right_logmar, out.va_left_logmar) == (0.3, 0.3)
    assert out.result["acuity"]["right"]["snellen_6"] == "6/12"
    assert "acuity:" in out.rule_version and "response" not in out.result
    only_left = _visit(world, pid, va_right_logmar=0.1, acuity={"left": {"value": "CF"}})
    assert (only_left.va_right_logmar, only_left.va_left_logmar) == (0.1, 1.9)


def test_acuity_and_logmar_for_one_eye_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.core.errors import InputError

    pid = world.patient().id
    with pytest.raises(InputError) as err:
        _visit(world, pid, va_right_logmar=0.1, acuity={"right": {"value": "20/40"}})
    assert err.value.field == "acuity.right"
    with pytest.raises(InputError) as err:
        _visit(world, pid, acuity={"left": {"value": 0.5}})
    assert err.value.field == "acuity.left.notation"


def test_response_against_the_baseline_visit_with_the_episodes_pre_relapse_edss(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    ctx = world.ctx("physician")
    patients.add_episode(
        ctx,
        pid,
        EpisodeIn(onset_date=dt.date(2026, 11, 10), presentation="relapse", edss_pre_relapse=2.0),
    )
    base = _visit(
        world,
        pid,
        timepoint="baseline",
        assessed_on=dt.date(2026, 11, 20),
        edss={"fs": FS, "ambulation_score": 0},
    )
    assert "response" not in base.result
    after = _visit(
        world,
        pid,
        edss={"fs": {**FS, "pyramidal": 2, "cerebellar": 1}, "ambulation_score": 0},
        targeted_deficit="moderate",
    )
    assert after.edss is not None and base.edss is not None and after.edss < base.edss
    response = after.result["response"]
    assert response["baseline"] == {"from": "outcome", "id": base.id, "date": "2026-11-20"}
    assert after.inputs["response"] == {
        "baseline": {"edss": base.edss},
        "followup": {"edss": after.edss},
        "indication": "relapse",
        "pre_relapse": {"edss": 2.0},
        "tnd": "moderate",
    }
    assert response["criteria"]["tnd"]["responder"] is True
    assert response["criteria"]["recovery"]["result"] != "not_assessable"
    assert "response:" in after.rule_version and "edss:" in after.rule_version


def test_response_against_the_latest_assessment_without_a_baseline_visit(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    episode = _episode(world, pid, "optic_neuritis")
    courses.assess_eligibility(
        world.ctx("physician"),
        pid,
        AssessmentIn(
            episode_id=episode,
            request={"edss_now": 3.0, "logmar": {"right": 1.0, "left": 0.0}},
        ),
    )
    after = _visit(world, pid, va_right_logmar=0.4, va_left_logmar=0.0)
    response = after.result["response"]
    assert response["baseline"]["from"] == "assessment"
    request = after.inputs["response"]
    assert request["indication"] == "optic_neuritis"
    assert request["baseline"] == {"edss": 3.0, "logmar": {"right": 1.0, "left": 0.0}}
    assert response["criteria"]["llufriu_2009"]["responder"] is True


def test_a_visit_in_the_future_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    with pytest.raises(InputError) as err:
        _visit(world, pid, assessed_on=dt.date(2026, 11, 27))
    assert err.value.field == "assessed_on" and "2026-11-26" in str(err.value.allowed)


def test_no_baseline_no_response(world) -> None:  # type: ignore[no-untyped-def]
    out = _visit(world, world.patient().id, edss={"fs": FS, "ambulation_score": 0})
    assert "response" not in out.result and out.rule_version.startswith("edss:")


# --- the pre-session check filled from the record ---------------------------------------

VITALS = {
    "systolic_bp": 122,
    "diastolic_bp": 76,
    "heart_rate": 72,
    "temperature_c": 36.7,
    "spo2": 98,
}


def _course(world, pid: int, start: str = "2026-11-30"):  # type: ignore[no-untyped-def]
    from plexms.services.schemas.clinical import CoursePlanIn

    course = courses.plan_course(
        world.ctx("physician"),
        pid,
        CoursePlanIn(plan={"exchanges": 5, "start_date": start}),
    )
    return courses.list_course_sessions(world.ctx("nurse"), course.id)


def _done(world, sheet, hours_after_start: float = 2.0):  # type: ignore[no-untyped-def]
    from plexms.services.clinical import sessions
    from plexms.services.schemas.clinical import SessionRecordIn

    start = sheet.planned_start
    return sessions.record_session(
        world.ctx("nurse"),
        sheet.id,
        SessionRecordIn(
            status="done",
            actual_start=start,
            actual_end=start + dt.timedelta(hours=hours_after_start),
            plasma_removed_ml=2500,
        ),
        sheet.version,
    )


def _lab(world, pid: int, analyte: str, value: float, unit: str, taken_at):  # type: ignore[no-untyped-def]
    from plexms.services.clinical import sessions
    from plexms.services.schemas.clinical import LabIn

    data = LabIn(taken_at=taken_at, analyte=analyte, value=value, unit=unit)
    return sessions.add_lab(world.ctx("nurse"), pid, data)


def _precheck(world, sheet, request):  # type: ignore[no-untyped-def]
    from plexms.services.clinical import sessions
    from plexms.services.schemas.clinical import PrecheckIn

    ctx = world.ctx("nurse")
    return sessions.record_precheck(ctx, sheet.id, PrecheckIn(request=request), sheet.version)


def test_precheck_takes_the_latest_labs_and_the_last_exchange_from_the_record(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    sheets = _course(world, pid)
    _done(world, sheets[0], hours_after_start=2)
    second = sheets[1]
    before = second.planned_start - dt.timedelta(hours=3)
    _lab(world, pid, "fibrinogen", 300, "mg/dL", before - dt.timedelta(hours=30))  # older
    fib = _lab(world, pid, "fibrinogen", 180, "mg/dL", before)
    _lab(world, pid, "hemoglobin", 12.5, "g/dL", before)
    _lab(world, pid, "ionized_calcium", 1.2, "mmol/L", before)
    _lab(world, pid, "platelets", 80, "10*9/L", before - dt.timedelta(days=5))  # too old
    _lab(world, pid, "potassium", 4.0, "mmol/L", before)
    # the request's own values win: platelets entered today
    out = _precheck(
        world, second, {"vitals": VITALS, "access": "peripheral", "labs": {"platelets_10e9_l": 240}}
    )
    request = out.precheck_inputs
    assert request["labs"] == {
        "fibrinogen_g_l": 1.8,
        "hemoglobin_g_dl": 12.5,
        "ionized_calcium_mmol_l": 1.2,
        "platelets_10e9_l": 240,
        "potassium_mmol_l": 4.0,
    }
    ended = sheets[0].planned_start + dt.timedelta(hours=2)
    expected_hours = round((second.planned_start - ended).total_seconds() / 3600, 1)
    assert request["hours_since_last_exchange"] == expected_hours
    source = out.precheck_result["from_record"]
    assert source["labs"]["fibrinogen_g_l"]["lab_id"] == fib.id
    assert "platelets_10e9_l" not in source["labs"]
    assert source["last_exchange"]["session_id"] == sheets[0].id
    # every other day (issue 16 item 10): 2 calendar days, though < 48 h after the first ended
    assert request["days_since_last_exchange"] == 2
    assert out.go_decision == "proceed"
    assert out.precheck_rule_version.startswith("precheck:")


def test_precheck_first_exchange_and_missing_labs_hold(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    first = _course(world, pid)[0]
    out = _precheck(world, first, {"vitals": VITALS})
    assert out.precheck_inputs["hours_since_last_exchange"] is None
    assert out.precheck_inputs["labs"] == {}
    assert out.go_decision == "hold"
    assert "labs.fibrinogen_g_l" in out.precheck_result["missing"]


def test_precheck_needs_the_ace_inhibitor_timing_when_the_record_has_one(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.core.errors import InputError

    pid = world.patient().id
    courses.assess_eligibility(
        world.ctx("physician"), pid, AssessmentIn(request={"conditions": {"ace_inhibitor": True}})
    )
    first = _course(world, pid)[0]
    with pytest.raises(InputError) as err:
        _precheck(world, first, {"vitals": VITALS})
    assert err.value.field == "request.hours_since_ace_inhibitor"
    out = _precheck(world, first, {"vitals": VITALS, "hours_since_ace_inhibitor": 12})
    assert "PRE-ACE" in {r["rule"] for r in out.precheck_result["reasons"]}


def test_potassium_is_stored_in_mmol_per_litre_only(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.core.errors import InputError

    pid = world.patient().id
    now = dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC)
    assert _lab(world, pid, "potassium", 4.1, "mmol/L", now).unit == "mmol/L"
    with pytest.raises(InputError) as err:
        _lab(world, pid, "potassium", 16, "mg/dL", now)
    assert err.value.field == "unit"


# --- DMT hand-back timed from the exchanges actually done --------------------------------


def test_handback_timing_runs_from_the_last_completed_exchange(world) -> None:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from plexms.services.clinical import outcomes, sessions
    from plexms.services.schemas.clinical import HandBackIn, SessionRecordIn

    pid = world.patient().id
    sheets = _course(world, pid)
    _done(world, sheets[0])
    late = sheets[1].planned_start + dt.timedelta(days=3)  # held, done three days later
    sessions.record_session(
        world.ctx("nurse"),
        sheets[1].id,
        SessionRecordIn(status="done", actual_start=late, plasma_removed_ml=2500),
        sheets[1].version,
    )
    planned = {"start_date": "2026-11-30", "exchanges": 5}
    out = outcomes.record_handback(
        world.ctx("physician"),
        pid,
        HandBackIn(
            course_id=sheets[0].course_id,
            planned_dmt="Natalizumab",
            request={"dmt": "natalizumab", "last_dose_date": "2026-11-25", "course": planned},
        ),
    )
    zone = ZoneInfo("America/Los_Angeles")
    days = [sheets[0].planned_start.astimezone(zone).date(), late.astimezone(zone).date()]
    assert out.inputs["course"]["exchange_dates"] == [d.isoformat() for d in days]
    assert out.inputs["course"]["exchanges"] == 2
    assert out.result["last_exchange_date"] == days[-1].isoformat()
    assert out.rule_version.startswith("dmt:")


def test_outcome_visit_during_a_course_records_the_stop_continue_review(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    sheets = _course(world, pid, start="2026-11-16")  # done before the suite's today
    course_id = sheets[0].course_id
    _visit(
        world,
        pid,
        timepoint="baseline",
        course_id=course_id,
        assessed_on=dt.date(2026, 11, 15),
        va_right_logmar=1.0,
        va_left_logmar=0.1,
    )
    for sheet in sheets[:3]:
        _done(world, sheet)
    day = sheets[2].planned_start.date() + dt.timedelta(days=1)
    after = _visit(
        world,
        pid,
        timepoint="during_course",
        course_id=course_id,
        assessed_on=day,
        va_right_logmar=0.8,
        va_left_logmar=0.1,
        targeted_deficit="none",
    )
    assert after.inputs["response"]["exchanges_done"] == 3
    review = after.result["response"]["review"]
    assert (review["decision"], review["rule"]) == ("continue", "RESP-REVIEW-IMPROVING")
    assert review["signals"] == {"tnd": "unchanged", "acuity": "improving"}
    early = _visit(
        world,
        pid,
        timepoint="during_course",
        course_id=course_id,
        assessed_on=sheets[0].planned_start.date(),
        targeted_deficit="mild",
        va_right_logmar=0.9,
        va_left_logmar=0.1,
    )
    assert early.result["response"]["review"]["decision"] == "not_due"
