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
from tests.web.conftest import TestClient, clinic_ctx, new_patient, sign_in

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
