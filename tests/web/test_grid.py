"""The unit's day and week by treatment place in the browser (issue 16 item 2, issue 17 items
1-2): the Today board's grid and the calendar name the booked patient in their place's column;
a coordinator rebooks a session by choosing a free slot; a viewer is offered no rebook."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from plexms.services.admin import resources
from plexms.services.clinical import courses
from plexms.services.schemas.clinical import CoursePlanIn
from plexms.services.schemas.resources import MachineIn, NurseIn, PlaceIn, ShiftIn
from plexms.store.models import User
from tests.web.conftest import PASSWORD, TestClient, clinic_ctx, new_patient, sign_in

LA = ZoneInfo("America/Los_Angeles")
MON = dt.date(2026, 11, 30)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LA)


def equip(client: TestClient, places: int = 2) -> dict[str, Any]:
    """Chairs, two machines and the nurse on day shifts for two weeks from MON."""
    admin = clinic_ctx(client, "admin")
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.read() as session:
        nurse_id = session.execute(select(User.id).where(User.username == "nurse")).scalar_one()
    made = {
        "places": [
            resources.create_place(admin, PlaceIn(name=f"Chair {k}")) for k in range(1, places + 1)
        ],
        "machines": [
            resources.create_machine(admin, MachineIn(name=f"Optia {k}", serial=f"SN-{k}"))
            for k in (1, 2)
        ],
    }
    resources.set_nurse(admin, nurse_id, NurseIn())
    for k in range(14):
        day = MON + dt.timedelta(days=k)
        resources.create_shift(
            admin, ShiftIn(nurse_user_id=nurse_id, start_at=local(day, 7), end_at=local(day, 18))
        )
    return made


def planned(client: TestClient, mrn: str, start: dt.date = MON) -> list[Any]:
    """A 5-exchange course for a new patient from ``start``; its sessions."""
    patient_id = new_patient(client, mrn=mrn)
    ctx = clinic_ctx(client)
    course = courses.plan_course(
        ctx, patient_id, CoursePlanIn(plan={"exchanges": 5, "start_date": start.isoformat()})
    )
    return courses.list_course_sessions(ctx, course.id)


def columns(table: str) -> list[str]:
    head = re.search(r"<thead>.*?</thead>", table, re.S)
    assert head, table
    return re.findall(r'<th scope="col">([^<]+)</th>', head.group(0))[1:]


def column_of(table: str, needle: str) -> str:
    """The header of the column whose cell holds ``needle``."""
    heads = columns(table)
    for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", table, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        for k, cell in enumerate(cells):
            if needle in cell:
                return heads[k]
    raise AssertionError(f"{needle} not in the grid")


def test_today_grid_shows_the_booked_patient_in_their_place(clinic: TestClient) -> None:
    equip(clinic)
    first = planned(clinic, "MRN-8101")[0]
    second = planned(clinic, "MRN-8102")[0]
    morning = local(MON, 6)
    clinic.app.state.clock = lambda: morning  # type: ignore[attr-defined]
    sign_in(clinic, "nurse")
    board = clinic.get("/today").text
    grid = re.search(r'<table class="day-grid".*?</table>', board, re.S)
    assert grid, board
    table = grid.group(0)
    assert columns(table) == ["Chair 1", "Chair 2"]  # every session booked: no "Unassigned"
    assert column_of(table, f'href="/sessions/{first.id}"') == "Chair 1"
    assert column_of(table, f'href="/sessions/{second.id}"') == "Chair 2"
    assert "Synthetic, Test" in table and "MRN MRN-8101, 42 y" in table
    assert "Optia 1, nurse" in table and "Optia 2, nurse" in table


def slot_forms(page: str) -> list[dict[str, str]]:
    """The free-slot buttons' hidden fields."""
    table = re.search(r'<table id="free-slots">.*?</table>', page, re.S)
    assert table, page
    return [
        dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
        for form in re.findall(r"<form method=\"post\".*?</form>", table.group(0), re.S)
    ]


def test_calendar_day_and_week_by_place(clinic: TestClient) -> None:
    equip(clinic)
    first = planned(clinic, "MRN-8201")[0]
    sign_in(clinic, "viewer")
    day = clinic.get("/calendar", params={"day": MON.isoformat()}).text
    table = re.search(r'<table class="day-grid" id="calendar-grid".*?</table>', day, re.S)
    assert table, day
    assert columns(table.group(0)) == ["Chair 1", "Chair 2"]
    assert column_of(table.group(0), f'href="/sessions/{first.id}"') == "Chair 1"
    assert "Synthetic, Test" in table.group(0) and "MRN MRN-8201" in table.group(0)
    assert re.search(r"<time[^>]*>\d{1,2}:\d\d [AP]M</time>", table.group(0))  # US clock
    assert "Rebook" not in table.group(0)  # a viewer is offered no rebook
    week = clinic.get("/calendar", params={"day": MON.isoformat(), "view": "week"}).text
    rows = re.findall(r'<tr><th scope="row">.*?</tr>', week, re.S)
    assert len(rows) == 7 and "11/30/2026" in rows[0]  # the centre's date style
    assert sum(r.count('class="booking"') for r in rows) == 3  # 5 exchanges, 3 this week
    assert clinic.get("/calendar", params={"day": "30/11/2026"}).status_code == 422
    assert clinic.get(f"/sessions/{first.id}/rebook").status_code == 403
    assert 'id="rebook-link"' not in clinic.get(f"/sessions/{first.id}").text


def test_coordinator_rebooks_a_session_to_a_free_slot(clinic: TestClient) -> None:
    equip(clinic)
    first = planned(clinic, "MRN-8301")[0]
    sign_in(clinic, "coordinator")
    day = clinic.get("/calendar", params={"day": MON.isoformat()}).text
    link = f'href="/sessions/{first.id}/rebook?day={MON.isoformat()}"'
    assert link in day
    page = clinic.get(f"/sessions/{first.id}/rebook", params={"day": MON.isoformat()}).text
    slots = slot_forms(page)
    assert slots and all(s["csrf_token"] for s in slots)
    target = slots[-1]  # the day's last free start
    assert dt.datetime.fromisoformat(target["start_at"]) > first.planned_start
    moved = clinic.post(f"/sessions/{first.id}/rebook", data=target, follow_redirects=False)
    assert moved.status_code == 303, moved.text
    after = clinic.get(moved.headers["location"]).text
    table = re.search(r'id="calendar-grid".*?</table>', after, re.S)
    assert (
        table and column_of(table.group(0), f'href="/sessions/{first.id}"') == target["place_name"]
    )
    sheet = courses.list_course_sessions(clinic_ctx(clinic), first.course_id)[0]
    assert sheet.planned_start == dt.datetime.fromisoformat(target["start_at"])
    # the slot it left is free again; the one it took is not offered
    again = slot_forms(clinic.get(f"/sessions/{first.id}/rebook?day={MON.isoformat()}").text)
    assert target["start_at"] in {s["start_at"] for s in again}  # itself excluded
    # a day that breaks the minimum interval to the next exchange offers nothing and says why
    late = clinic.get(f"/sessions/{first.id}/rebook?day={(MON + dt.timedelta(days=3)).isoformat()}")
    assert "minimum interval of 2 days" in late.text and 'id="free-slots"' not in late.text


def test_a_taken_slot_is_a_409_with_alternatives_keeping_the_choice(clinic: TestClient) -> None:
    equip(clinic, places=1)
    one = planned(clinic, "MRN-8401")[0]
    two = planned(clinic, "MRN-8402", start=MON + dt.timedelta(days=1))[0]
    sign_in(clinic, "coordinator")
    target = slot_forms(clinic.get(f"/sessions/{two.id}/rebook?day={MON.isoformat()}").text)[0]
    # meanwhile the first session is booked into that very slot
    clash = dict(target, start_at=one.planned_start.isoformat())
    refused = clinic.post(f"/sessions/{two.id}/rebook", data=clash)
    assert refused.status_code == 409
    assert 'id="alternatives"' in refused.text and "Chair 1 is booked" in refused.text
    assert "You chose 11/30/2026 9:00 AM in Chair 1" in refused.text


def test_another_centres_session_is_not_found(clinic: TestClient) -> None:
    from plexms.services.admin import centres, users
    from plexms.services.schemas import CentreIn, UserIn

    equip(clinic)
    mine = planned(clinic, "MRN-8501")[0]
    admin = clinic_ctx(clinic, "admin")
    from plexms.services import ops

    system = ops.system_context(clinic.app.state.settings, migrate_first=False)  # type: ignore[attr-defined]
    try:
        centres.create_centre(
            system, CentreIn(code="other", name="Other", time_zone="UTC", units="si")
        )
        users.create_user(
            system,
            UserIn(username="coord2", password=PASSWORD, role="coordinator"),
            centre_code="other",
        )
    finally:
        system.db.dispose()
    del admin
    sign_in(clinic, "coord2")
    assert clinic.get(f"/sessions/{mine.id}/rebook").status_code == 404
    token = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', clinic.get("/calendar").text)
    assert token
    posted = clinic.post(
        f"/sessions/{mine.id}/rebook",
        data={"csrf_token": token.group(1), "start_at": mine.planned_start.isoformat()},
    )
    assert posted.status_code == 404
    assert "MRN-8501" not in clinic.get(f"/calendar?day={MON.isoformat()}").text


def test_utilisation_api_page_and_csv(clinic: TestClient) -> None:
    equip(clinic)
    first = planned(clinic, "MRN-8601")[0]
    planned(clinic, "MRN-8602")
    token = clinic.post("/api/auth/login", json={"username": "viewer", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    week = MON.isoformat(), (MON + dt.timedelta(days=6)).isoformat()
    r = clinic.get("/api/utilisation", params={"start": week[0], "end": week[1]}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    monday = body["days"][0]
    assert monday["sessions"] == 2 and monday["open_minutes"] == 480
    length = int((first.planned_end - first.planned_start).total_seconds() // 60)
    assert monday["place_booked"] == 2 * (length + 30) and monday["place_available"] == 2 * 480
    assert monday["nurse_available"] == 11 * 60 * 2  # a 07:00-18:00 shift, 2 patients per nurse
    assert body["days"][5]["place_utilisation"] is None  # Saturday: closed
    assert len(body["weeks"]) == 1 and body["weeks"][0]["sessions"] == 6  # 3 each this week
    assert {r["session_id"] for r in body["runs"]} >= {first.id}
    bad = clinic.get("/api/utilisation", params={"start": week[1], "end": week[0]}, headers=headers)
    assert bad.status_code == 422 and "end" in bad.text
    sign_in(clinic, "viewer")
    page = clinic.get("/utilisation", params={"start": week[0], "end": week[1]}).text
    assert 'id="weeks"' in page and 'id="runs"' in page and "11/30/2026" in page
    csv_ = clinic.get("/utilisation.csv", params={"start": week[0], "end": week[1]})
    assert csv_.headers["content-type"].startswith("text/csv")
    lines = csv_.text.splitlines()
    assert lines[0].startswith("row,first,last,open_minutes")
    assert sum(line.startswith("day,") for line in lines) == 7
    assert sum(line.startswith("session,") for line in lines) == 6


def test_csv_cells_are_neutralised() -> None:
    from plexms.web.routes.unit_calendar import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell(-30) == "-30"
    assert _cell(None) == "" and _cell(0.5) == "0.5000"


def test_a_held_session_is_rebooked_with_the_rest_of_its_course(clinic: TestClient) -> None:
    from plexms.services.clinical import sessions as clinical
    from plexms.services.schemas.clinical import SessionRecordIn

    equip(clinic)
    rows = planned(clinic, "MRN-8701")
    nurse = clinic_ctx(clinic, "nurse")
    held = clinical.record_session(
        nurse, rows[1].id, SessionRecordIn(status="held"), rows[1].version
    )
    sign_in(clinic, "coordinator")
    sheet = clinic.get(f"/sessions/{held.id}").text
    assert f'href="/sessions/{held.id}/rebook" id="rebook-link"' in sheet
    page = clinic.get(f"/sessions/{held.id}/rebook").text
    assert 'id="rebook-course"' in page and 'id="free-slots"' not in page
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert token
    done = clinic.post(
        f"/sessions/{held.id}/rebook-course",
        data={"csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    replacement = courses.list_course_sessions(nurse, rows[1].course_id)
    live = [r for r in replacement if r.status == "planned" and r.sequence == 2]
    assert len(live) == 1 and done.headers["location"] == f"/sessions/{live[0].id}/rebook"
    assert 'id="free-slots"' in clinic.get(done.headers["location"]).text
    again = clinic.post(
        f"/sessions/{held.id}/rebook-course",
        data={"csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert again.status_code == 409 and "already rebooked" in again.text  # no second one
    after = courses.list_course_sessions(nurse, rows[1].course_id)
    assert [r.sequence for r in after if r.status == "planned"] == [1, 2, 3, 4, 5]


def test_run_time_is_the_recorded_run_against_the_plan(clinic: TestClient) -> None:
    from plexms.services.clinical import sessions as clinical
    from plexms.services.clinical import utilisation
    from plexms.services.schemas.clinical import SessionRecordIn

    equip(clinic)
    first = planned(clinic, "MRN-8801")[0]
    nurse = clinic_ctx(clinic, "nurse")
    start = first.planned_start + dt.timedelta(minutes=10)
    clinical.record_session(
        nurse,
        first.id,
        SessionRecordIn(
            status="done",
            actual_start=start,
            actual_end=start + dt.timedelta(minutes=160),
            plasma_removed_ml=2500,
        ),
        first.version,
    )
    found = utilisation.unit_utilisation(clinic_ctx(clinic, "viewer"), MON, MON)
    (run,) = found.runs  # the completed booking still counts
    planned_minutes = int((first.planned_end - first.planned_start).total_seconds() // 60)
    assert (run.session_id, run.planned_minutes, run.actual_minutes) == (
        first.id,
        planned_minutes,
        160,
    )
    assert run.over_minutes == 160 - planned_minutes
