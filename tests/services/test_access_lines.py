"""Vascular access lines through the services on both backends (issue 17 item 3): a line put
in and taken out, its events, the rules that refuse bad dates and a second central line at a
site, the line-days and infection rate of the patient, who may write, the audit, and the
pre-session check taking the access from the record."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from plexms.core.errors import InputError
from plexms.services.clinical import access_lines, courses, sessions
from plexms.services.errors import Conflict, PermissionDenied
from plexms.services.schemas.access import AccessLineIn, AccessLineRemoveIn, LineEventIn
from plexms.services.schemas.clinical import CoursePlanIn, PrecheckIn
from plexms.store.models import AuditEvent

# The suite's now is 2026-11-26 12:00 UTC: 04:00 on the 26th in the centres' Los Angeles.
TODAY = dt.date(2026, 11, 26)
CVC = {
    "line_type": "tunnelled_cvc",
    "site": "right_internal_jugular",
    "lumens": 2,
    "inserted_on": "2026-11-16",
    "lock_solution": "heparin_1000",
    "notes": "Placed by IR, tip at cavo-atrial junction.",
}


def _line(world, pid: int, role: str = "nurse", **changes):  # type: ignore[no-untyped-def]
    data = AccessLineIn.model_validate({**CVC, **changes})
    return access_lines.add_line(world.ctx(role), pid, data)


def test_a_line_reopens_as_typed_with_its_kind_and_line_days(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    line = _line(world, pid)
    summary = access_lines.access_summary(world.ctx("viewer"), pid)
    (got,) = summary.lines
    assert got.id == line.id and got.kind == "central"
    typed = AccessLineIn.model_validate(CVC).model_dump(mode="json", exclude={"kind"})
    assert got.model_dump(mode="json", include=set(typed)) == {**typed, "removed_on": None}
    assert got.line_days == 11  # 16th to 26th, both counted
    assert summary.precheck_access == "central"
    assert summary.line_days == 11 and summary.infections == 0
    assert summary.per_1000_line_days == 0.0


def test_removal_events_and_the_infection_rate(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    line = _line(world, pid)
    nurse = world.ctx("nurse")
    access_lines.add_line_event(
        nurse, line.id, LineEventIn(event_type="dressing_change", event_on=dt.date(2026, 11, 20))
    )
    access_lines.add_line_event(
        nurse, line.id, LineEventIn(event_type="poor_flow", event_on=dt.date(2026, 11, 21))
    )
    access_lines.add_line_event(
        nurse,
        line.id,
        LineEventIn(
            event_type="exit_site_infection", event_on=dt.date(2026, 11, 22), notes="Erythema 1 cm"
        ),
    )
    removed = access_lines.remove_line(
        nurse,
        line.id,
        AccessLineRemoveIn(removed_on=dt.date(2026, 11, 23), removal_reason="infection"),
        line.version,
    )
    assert removed.removed_on == dt.date(2026, 11, 23) and removed.line_days == 8
    assert [e.event_type for e in removed.events] == [
        "dressing_change",
        "poor_flow",
        "exit_site_infection",
    ]
    summary = access_lines.access_summary(nurse, pid)
    assert summary.precheck_access is None  # none in place: the nurse is asked
    assert (summary.line_days, summary.infections, summary.problems) == (8, 1, 1)
    assert summary.per_1000_line_days == 125.0
    low, high = summary.ci95_per_1000 or (0, 0)
    assert 3.1 < low < 3.2 and 696 < high < 697  # Garwood 1 event: 0.0253 to 5.5716
    with pytest.raises(Conflict):  # out already
        access_lines.remove_line(
            nurse, line.id, AccessLineRemoveIn(removed_on=TODAY, removal_reason="other"), None
        )
    with pytest.raises(InputError) as after:  # an event after removal
        access_lines.add_line_event(nurse, line.id, LineEventIn(event_type="flush", event_on=TODAY))
    assert after.value.field == "event_on"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"inserted_on": "2026-11-27"}, "inserted_on"),  # tomorrow in the centre
        ({"removed_on": "2026-11-15", "removal_reason": "other"}, "removed_on"),
        ({"removed_on": "2026-11-27", "removal_reason": "other"}, "removed_on"),
        ({"removed_on": "2026-11-20"}, "removal_reason"),
        ({"removal_reason": "infection"}, "removal_reason"),
        ({"kind": "peripheral"}, "kind"),
    ],
)
def test_bad_dates_and_kinds_name_the_field(world, changes, field) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    with pytest.raises(InputError) as exc:
        _line(world, pid, **changes)
    assert exc.value.field == field


def test_same_day_in_and_out_is_one_line_day(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    line = _line(
        world,
        pid,
        line_type="peripheral_cannula",
        site="left_antecubital",
        inserted_on="2026-11-25",
        removed_on="2026-11-25",
        removal_reason="no_longer_needed",
    )
    assert line.kind == "peripheral" and line.line_days == 1


def test_one_central_line_in_place_per_site(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    first = _line(world, pid)
    with pytest.raises(Conflict) as exc:
        _line(world, pid, inserted_on="2026-11-20")
    assert exc.value.status == 409 and exc.value.field == "site"
    with pytest.raises(Conflict):  # an earlier line overlapping the open one
        _line(world, pid, inserted_on="2026-11-01", removed_on="2026-11-18", removal_reason="other")
    _line(world, pid, inserted_on="2026-11-01", removed_on="2026-11-15", removal_reason="other")
    _line(world, pid, site="left_subclavian", inserted_on="2026-11-20")  # another site
    _line(
        world,
        pid,
        line_type="peripheral_cannula",
        site="right_internal_jugular",
        inserted_on="2026-11-20",
    )
    access_lines.remove_line(
        world.ctx("nurse"),
        first.id,
        AccessLineRemoveIn(removed_on=dt.date(2026, 11, 24), removal_reason="occlusion"),
        None,
    )
    again = _line(world, pid, inserted_on="2026-11-25", line_type="apheresis_catheter")
    assert again.kind == "central"


def test_who_may_write_and_read_and_the_audit(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    line = _line(world, pid, role="physician")
    for role in ("viewer", "coordinator"):
        with pytest.raises(PermissionDenied):
            _line(world, pid, role=role, site="left_femoral")
        with pytest.raises(PermissionDenied):
            access_lines.add_line_event(
                world.ctx(role), line.id, LineEventIn(event_type="flush", event_on=TODAY)
            )
    assert access_lines.access_summary(world.ctx("viewer"), pid).lines[0].id == line.id
    with world.db.read() as session:
        entities = set(
            session.execute(select(AuditEvent.entity).where(AuditEvent.patient_id == pid)).scalars()
        )
    assert {"access_line"} <= entities


def test_another_centre_cannot_see_or_touch_the_line(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.services.errors import NotFound

    pid = world.patient().id
    line = _line(world, pid)
    with pytest.raises(NotFound):
        access_lines.access_summary(world.ctx("nurse", "b"), pid)
    with pytest.raises(NotFound):
        access_lines.add_line_event(
            world.ctx("nurse", "b"), line.id, LineEventIn(event_type="flush", event_on=TODAY)
        )


def test_unknown_words_are_refused_by_the_schema() -> None:
    with pytest.raises(ValidationError):
        AccessLineIn.model_validate({**CVC, "site": "neck"})
    with pytest.raises(ValidationError):
        AccessLineIn.model_validate({**CVC, "lumens": 0})


def _first_sheet(world, pid: int):  # type: ignore[no-untyped-def]
    course = courses.plan_course(
        world.ctx("physician"), pid, CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30"})
    )
    return courses.list_course_sessions(world.ctx("nurse"), course.id)[0]


VITALS = {
    "systolic_bp": 122,
    "diastolic_bp": 76,
    "heart_rate": 72,
    "temperature_c": 36.7,
    "spo2": 98,
}
LABS = {
    "fibrinogen_g_l": 2.5,
    "ionized_calcium_mmol_l": 1.2,
    "hemoglobin_g_dl": 13.0,
    "platelets_10e9_l": 240,
    "potassium_mmol_l": 4.1,
}


def _precheck(world, sheet, **request):  # type: ignore[no-untyped-def]
    body = {"vitals": VITALS, "labs": LABS, **request}
    return sessions.record_precheck(
        world.ctx("nurse"), sheet.id, PrecheckIn(request=body), sheet.version
    )


def test_the_precheck_takes_a_central_line_from_the_record(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    line = _line(world, pid)
    _line(world, pid, line_type="peripheral_cannula", site="left_forearm", inserted_on="2026-11-26")
    checked = _precheck(world, _first_sheet(world, pid))
    assert checked.precheck_inputs is not None and checked.precheck_inputs["access"] == "central"
    assert checked.precheck_result is not None
    assert line.id in checked.precheck_result["from_record"]["access"]["lines"]
    assert "access" not in checked.precheck_result["missing"]


def test_the_precheck_takes_a_peripheral_line_and_the_nurse_wins(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    _line(world, pid, line_type="peripheral_cannula", site="left_forearm", inserted_on="2026-11-26")
    sheet = _first_sheet(world, pid)
    checked = _precheck(world, sheet, access="central")  # stated: the record does not override
    assert checked.precheck_inputs["access"] == "central"  # type: ignore[index]
    assert "access" not in checked.precheck_result["from_record"]  # type: ignore[index]


def test_without_a_line_in_place_the_precheck_asks(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    _line(
        world,
        pid,
        inserted_on="2026-11-01",
        removed_on="2026-11-20",
        removal_reason="no_longer_needed",
    )
    checked = _precheck(world, _first_sheet(world, pid))
    assert checked.precheck_result is not None
    assert "access" in checked.precheck_result["missing"]
    assert checked.go_decision == "hold"


def test_a_removal_before_the_lines_last_event_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    line = _line(world, pid)
    nurse = world.ctx("nurse")
    event = LineEventIn(event_type="dressing_change", event_on=dt.date(2026, 11, 24))
    access_lines.add_line_event(nurse, line.id, event)
    early = AccessLineRemoveIn(removed_on=dt.date(2026, 11, 23), removal_reason="other")
    with pytest.raises(InputError) as exc:
        access_lines.remove_line(nurse, line.id, early, None)
    assert exc.value.field == "removed_on" and "2026-11-24" in exc.value.message
    future = AccessLineRemoveIn(removed_on=dt.date(2026, 11, 27), removal_reason="other")
    with pytest.raises(InputError):
        access_lines.remove_line(nurse, line.id, future, None)
