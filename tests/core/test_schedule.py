from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from plexms.core.errors import InfeasibleError, InputError
from plexms.core.policy import ClinicHours, SchedulePolicy
from plexms.core.schedule import plan_course
from plexms.core.sources import SOURCES

SEED = ClinicHours()
POLICY = SchedulePolicy()
MON = dt.date(2026, 11, 30)  # a Monday


def _days(course) -> list[str]:
    return [a.date.isoformat() for a in course.appointments]


def test_five_exchanges_every_other_day_from_monday():
    course = plan_course(MON, exchanges=5, session_minutes=133, hours=SEED, policy=POLICY)
    assert _days(course) == ["2026-11-30", "2026-12-02", "2026-12-04", "2026-12-07", "2026-12-09"]
    assert [a.exchange for a in course.appointments] == [1, 2, 3, 4, 5]
    assert all(a.start == dt.time(9) and a.end == dt.time(11, 13) for a in course.appointments)
    assert course.course_days == 10
    assert course.interval_days == 2
    assert course.session_minutes == 133
    assert course.warnings == ()
    assert any("2026-12-06 (Sunday)" in n for n in course.notes)
    assert all(key in SOURCES for key in course.sources)


def test_start_on_a_closed_day_moves_to_the_next_open_day_with_a_note():
    course = plan_course(
        dt.date(2026, 11, 28), exchanges=5, session_minutes=133, hours=SEED, policy=POLICY
    )
    assert course.appointments[0].date == MON
    assert any(n.startswith("Start moved: 2026-11-28 (Saturday)") for n in course.notes)


def test_holiday_in_the_middle_is_skipped():
    hours = dataclasses.replace(SEED, closed_dates=frozenset({dt.date(2026, 12, 2)}))
    course = plan_course(MON, exchanges=5, session_minutes=133, hours=hours, policy=POLICY)
    assert _days(course) == ["2026-11-30", "2026-12-03", "2026-12-07", "2026-12-09", "2026-12-11"]
    assert any("2026-12-02 (Wednesday) is a closed date" in n for n in course.notes)


def test_friday_is_skipped_when_the_session_is_longer_than_its_hours():
    # 450 min fits Mon-Thu (09:00-17:00) but not Friday (09:00-16:00).
    course = plan_course(
        MON, exchanges=5, session_minutes=450, hours=SEED, policy=POLICY, course_days=15
    )
    assert _days(course) == ["2026-11-30", "2026-12-02", "2026-12-07", "2026-12-09", "2026-12-14"]
    assert any("2026-12-04 (Friday): the session does not fit" in n for n in course.notes)
    assert course.appointments[0].end == dt.time(16, 30)


def test_start_time_later_than_opening_and_earlier_than_opening():
    late = plan_course(
        MON, exchanges=1, session_minutes=60, hours=SEED, policy=POLICY, start_time=dt.time(13, 30)
    )
    assert (late.appointments[0].start, late.appointments[0].end) == (
        dt.time(13, 30),
        dt.time(14, 30),
    )
    early = plan_course(
        MON, exchanges=1, session_minutes=60, hours=SEED, policy=POLICY, start_time=dt.time(7, 0)
    )
    assert early.appointments[0].start == dt.time(9)


def test_session_longer_than_any_day_is_refused_with_alternatives():
    with pytest.raises(InfeasibleError) as info:
        plan_course(MON, exchanges=5, session_minutes=500, hours=SEED, policy=POLICY)
    err = info.value
    assert err.field == "session_minutes"
    assert "480 min" in err.message
    assert err.alternatives[0].startswith("session_minutes<=480")
    assert len(err.alternatives) == 1


def test_session_after_a_late_start_suggests_opening_time():
    with pytest.raises(InfeasibleError) as info:
        plan_course(
            MON, exchanges=5, session_minutes=400, hours=SEED, policy=POLICY, start_time=dt.time(12)
        )
    assert any("start_time at opening" in a for a in info.value.alternatives)


def test_no_opening_hours_at_all():
    closed = ClinicHours(weekly=(None,) * 7)
    with pytest.raises(InfeasibleError) as info:
        plan_course(MON, exchanges=1, session_minutes=60, hours=closed, policy=POLICY)
    assert "at most 0 min" in info.value.message


def test_seven_exchanges_in_ten_days_every_other_day_is_infeasible():
    with pytest.raises(InfeasibleError) as info:
        plan_course(
            MON, exchanges=7, session_minutes=133, hours=SEED, policy=POLICY, course_days=10
        )
    err = info.value
    assert err.field == "exchanges"
    assert "need 15 days" in err.message and "10-day course" in err.message
    assert err.alternatives[0] == "exchanges=5: 5 exchanges fit in 10 days"
    assert "course_days=15: a course of 15 days holds all 7" in err.alternatives
    assert any(
        a.startswith("interval_days=1: daily exchanges fit in 9 days") for a in err.alternatives
    )


def test_seven_exchanges_every_other_day_need_fifteen_days_with_weekends_closed():
    # Fact of the seed clinic's week: Fri -> Mon is a 3-day gap, so 7 alternate-day exchanges
    # take 15 days whatever the start day; the default 14-day course refuses them.
    for offset in range(7):
        with pytest.raises(InfeasibleError) as info:
            plan_course(
                MON + dt.timedelta(days=offset),
                exchanges=7,
                session_minutes=133,
                hours=SEED,
                policy=POLICY,
            )
        assert any(a.startswith("exchanges=6") for a in info.value.alternatives)
    ok = plan_course(
        MON, exchanges=7, session_minutes=133, hours=SEED, policy=POLICY, course_days=15
    )
    assert ok.course_days == 15


def test_a_later_start_date_is_offered_when_it_fits():
    tue = MON + dt.timedelta(days=1)
    with pytest.raises(InfeasibleError) as info:
        plan_course(
            tue, exchanges=6, session_minutes=133, hours=SEED, policy=POLICY, course_days=13
        )
    assert "start_date=2026-12-02: the course fits in 13 days" in info.value.alternatives


def test_daily_alternative_left_out_when_it_does_not_fit_either():
    with pytest.raises(InfeasibleError) as info:
        plan_course(
            MON, exchanges=10, session_minutes=133, hours=SEED, policy=POLICY, course_days=10
        )
    assert not any(a.startswith("interval_days") for a in info.value.alternatives)


def test_long_window_alternative_left_out_beyond_28_days():
    with pytest.raises(InfeasibleError) as info:
        plan_course(
            MON,
            exchanges=10,
            session_minutes=133,
            hours=SEED,
            policy=POLICY,
            interval_days=7,
            course_days=28,
        )
    assert not any(a.startswith("course_days") for a in info.value.alternatives)
    assert info.value.alternatives[0] == "exchanges=4: 4 exchanges fit in 22 days"


def test_a_clinic_closed_for_more_than_a_year():
    closed = frozenset(MON + dt.timedelta(days=k) for k in range(1, 400))
    hours = dataclasses.replace(SEED, closed_dates=closed)
    with pytest.raises(InfeasibleError) as info:
        plan_course(MON, exchanges=2, session_minutes=60, hours=hours, policy=POLICY)
    assert "more than a year" in info.value.message
    assert info.value.alternatives == ["exchanges=1: 1 exchanges fit in 1 days"]


def test_no_open_day_near_the_start():
    closed = frozenset(MON + dt.timedelta(days=k) for k in range(0, 70))
    hours = dataclasses.replace(SEED, closed_dates=closed)
    with pytest.raises(InfeasibleError) as info:
        plan_course(MON, exchanges=5, session_minutes=60, hours=hours, policy=POLICY)
    assert info.value.field == "start_date"


@pytest.mark.parametrize("exchanges", [1, 3, 4, 8, 10])
def test_exchanges_outside_five_to_seven_warn(exchanges: int):
    course = plan_course(
        MON, exchanges=exchanges, session_minutes=133, hours=SEED, policy=POLICY, course_days=28
    )
    assert len(course.appointments) == exchanges
    assert any("5-7" in w for w in course.warnings)


def test_daily_course_warns_about_recovery_and_short_span():
    course = plan_course(
        MON, exchanges=5, session_minutes=133, hours=SEED, policy=POLICY, interval_days=1
    )
    assert _days(course) == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    assert any("ORLIN_1980" in w for w in course.warnings)
    assert any("spans 5 days" in w for w in course.warnings)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"exchanges": 0}, "exchanges"),
        ({"exchanges": 11}, "exchanges"),
        ({"exchanges": True}, "exchanges"),
        ({"exchanges": 5.0}, "exchanges"),
        ({"interval_days": 0}, "interval_days"),
        ({"interval_days": 8}, "interval_days"),
        ({"course_days": 0}, "course_days"),
        ({"course_days": 29}, "course_days"),
        ({"session_minutes": 0}, "session_minutes"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict, field: str):
    args = {"exchanges": 5, "session_minutes": 133} | kwargs
    with pytest.raises(InputError) as info:
        plan_course(MON, hours=SEED, policy=POLICY, **args)
    assert info.value.field == field
    assert not isinstance(info.value, InfeasibleError)


def test_start_date_at_the_end_of_the_calendar():
    with pytest.raises(InputError) as info:
        plan_course(dt.date(9999, 6, 1), exchanges=5, session_minutes=60, hours=SEED, policy=POLICY)
    assert info.value.field == "start_date"


def test_bad_default_start_in_the_policy():
    with pytest.raises(InputError) as info:
        plan_course(
            MON,
            exchanges=5,
            session_minutes=60,
            hours=SEED,
            policy=SchedulePolicy(default_start="nine"),
        )
    assert info.value.field == "default_start"


def _opening(hours: ClinicHours, day: dt.date) -> tuple[dt.time, dt.time]:
    found = hours.hours_on(day)
    assert found is not None, f"{day} is closed"
    return found


weekly_hours = st.tuples(
    *[
        st.one_of(
            st.none(),
            st.tuples(st.integers(6, 11), st.integers(12, 20)).map(
                lambda t: (f"{t[0]:02d}:00", f"{t[1]:02d}:30")
            ),
        )
        for _ in range(7)
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    exchanges=st.integers(1, 10),
    interval=st.integers(1, 3),
    session=st.integers(30, 420),
    window=st.integers(1, 28),
    start_hour=st.integers(6, 12),
    weekly=weekly_hours,
    closed_offsets=st.sets(st.integers(0, 40), max_size=8),
)
def test_schedule_is_always_inside_opening_hours(
    start, exchanges, interval, session, window, start_hour, weekly, closed_offsets
):
    hours = ClinicHours(
        weekly=weekly,
        closed_dates=frozenset(start + dt.timedelta(days=k) for k in closed_offsets),
    )
    try:
        course = plan_course(
            start,
            exchanges=exchanges,
            session_minutes=session,
            hours=hours,
            policy=POLICY,
            interval_days=interval,
            course_days=window,
            start_time=dt.time(start_hour),
        )
    except InfeasibleError as err:
        event(f"infeasible: {err.field}")
        assert err.alternatives or err.field == "start_date"
        return
    event("feasible")
    appts = course.appointments
    assert len(appts) == exchanges
    assert [a.exchange for a in appts] == list(range(1, exchanges + 1))
    assert appts[0].date >= start
    assert course.course_days == (appts[-1].date - appts[0].date).days + 1 <= window
    for a in appts:
        assert a.date not in hours.closed_dates
        opens, closes = _opening(hours, a.date)
        assert opens <= a.start < a.end <= closes
        assert a.start >= dt.time(start_hour)
        minutes = dt.datetime.combine(a.date, a.end) - dt.datetime.combine(a.date, a.start)
        assert minutes == dt.timedelta(minutes=session)
    for before, after in itertools.pairwise(appts):
        assert (after.date - before.date).days >= interval
