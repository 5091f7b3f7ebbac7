"""Everyday tools: patient search, the Today board naming its patients, the labs page, the
planner asking for (and saving) a real patient's values, and the HTML error pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from plexms.services.clinical import courses, patients, sessions
from plexms.services.schemas import PatientIn
from plexms.services.schemas.clinical import AdverseEventIn, CoursePlanIn, LabIn
from plexms.web.routes.clinic import day_grid
from tests.web.conftest import TestClient, clinic_ctx, csrf_of, new_patient, sign_in


def _patient(client: TestClient, mrn: str, family: str, given: str, born: dt.date) -> int:
    ctx = clinic_ctx(client)
    return patients.create_patient(
        ctx,
        PatientIn(mrn=mrn, family_name=family, given_name=given, birth_date=born, sex="male"),
    ).id


def _names(html: str) -> list[str]:
    table = re.search(r'<table id="patient-table">.*?</table>', html, re.S)
    return re.findall(r'<a href="/patients/\d+">([^<]+)</a>', table.group(0)) if table else []


def test_search_by_name_mrn_and_date_of_birth(clinic: TestClient) -> None:
    _patient(clinic, "MRN-7001", "Okafor", "Grace", dt.date(1979, 3, 4))
    _patient(clinic, "MRN-7002", "Okafor", "Daniel", dt.date(1990, 12, 1))
    _patient(clinic, "MRN-7003", "Lindqvist", "Anna", dt.date(1990, 12, 1))
    sign_in(clinic, "viewer")
    assert _names(clinic.get("/patients?q=okafor").text) == ["Okafor, Daniel", "Okafor, Grace"]
    assert _names(clinic.get("/patients?q=grace okafor").text) == ["Okafor, Grace"]
    assert _names(clinic.get("/patients?q=MRN-7003").text) == ["Lindqvist, Anna"]
    # The date of birth typed as ISO or as the centre writes it (US: month first).
    for typed in ("1990-12-01", "12/01/1990"):
        found = _names(clinic.get("/patients", params={"q": typed}).text)
        assert found == ["Lindqvist, Anna", "Okafor, Daniel"], typed
    page = clinic.get("/patients?q=nobody-like-this").text
    assert "No patient found" in page and 'value="nobody-like-this"' in page
    # htmx asks for the results only.
    fragment = clinic.get("/patients?q=okafor", headers={"HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<div id="results">') and "<html" not in fragment


def test_api_search_takes_the_same_query(clinic: TestClient) -> None:
    _patient(clinic, "MRN-7101", "Moreau", "Claire", dt.date(1982, 7, 9))
    _patient(clinic, "MRN-7102", "Moreau", "Luc", dt.date(1975, 1, 2))
    token = clinic.post("/api/auth/login", json={"username": "viewer", "password": _pw()})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    by_dob = clinic.get("/api/patients", params={"q": "1982-07-09"}, headers=headers).json()
    assert [p["mrn"] for p in by_dob["items"]] == ["MRN-7101"]
    both = clinic.get("/api/patients", params={"q": "moreau"}, headers=headers).json()
    assert both["total"] == 2
    one = clinic.get("/api/patients", params={"q": "luc moreau"}, headers=headers).json()
    assert [p["mrn"] for p in one["items"]] == ["MRN-7102"]


def _pw() -> str:
    from tests.web.conftest import PASSWORD

    return PASSWORD


def _course_starting(client: TestClient, patient_id: int, start: dt.date) -> Any:
    ctx = clinic_ctx(client)
    return courses.plan_course(
        ctx,
        patient_id,
        CoursePlanIn(plan={"start_date": start.isoformat(), "exchanges": 5}),
    )


def test_today_board_names_the_patient_of_every_session_and_alert(clinic: TestClient) -> None:
    patient_id = new_patient(clinic, mrn="MRN-7201")
    ctx = clinic_ctx(clinic)
    course = _course_starting(clinic, patient_id, ctx.now.date() + dt.timedelta(days=1))
    first, second = courses.list_course_sessions(ctx, course.id)[:2]
    sessions.report_adverse_event(
        ctx,
        patient_id,
        AdverseEventIn(session_id=first.id, event_type="hypotension", onset_at=ctx.now),
    )
    # Open the board early on the morning of the first exchange.
    morning = first.planned_start - dt.timedelta(hours=1)
    clinic.app.state.clock = lambda: morning  # type: ignore[attr-defined]
    sign_in(clinic, "nurse")
    board = clinic.get("/today").text
    grid = re.search(r'<table class="day-grid".*?</table>', board, re.S)
    assert grid, board
    assert "Unassigned" in grid.group(0) and "without a booking are unassigned" in grid.group(0)
    assert "Synthetic, Test" in grid.group(0) and "MRN MRN-7201" in grid.group(0)
    assert f'href="/sessions/{first.id}"' in grid.group(0)
    assert re.search(r"<time[^>]*>\d{1,2}:\d\d [AP]M</time>", grid.group(0))
    alerts = re.search(r'id="alerts".*?</section>', board, re.S)
    assert alerts and "Synthetic, Test" in alerts.group(0) and "adverse event" in alerts.group(0)
    # The age is the patient's (born 17 May 1984).
    assert "MRN MRN-7201, 42 y" in board
    if second.planned_start.date() < morning.date() + dt.timedelta(days=7 - morning.weekday()):
        week = re.search(r'id="h-week-sessions".*?</section>', board, re.S)
        assert week and "Synthetic, Test" in week.group(0)


def test_day_grid_groups_sessions_by_local_start_time() -> None:
    zone = dt.timezone(dt.timedelta(hours=-8))

    class S:
        def __init__(self, i: int, hour: int) -> None:
            self.id, self.planned_start = i, dt.datetime(2026, 12, 4, hour, tzinfo=dt.UTC)
            self.patient_id, self.sequence, self.status = i, 1, "planned"

    class E:
        def __init__(self, i: int, hour: int, place: str) -> None:
            self.exchange_session_id, self.place_name = i, place
            self.start_at = dt.datetime(2026, 12, 4, hour, tzinfo=dt.UTC)
            self.patient_name, self.mrn, self.machine_name, self.nurse_name = "P", "M", "O", "N"

    sessions_ = [S(3, 18), S(1, 17), S(2, 17)]
    grid = day_grid(sessions_, [], ["Chair 1"], zone)
    assert grid.columns == ["Chair 1", "Unassigned"]
    assert [
        (at.hour, [[c["session_id"] for c in cell] for cell in row]) for at, row in grid.rows
    ] == [
        (9, [[], [1, 2]]),
        (10, [[], [3]]),
    ]
    booked = day_grid(
        sessions_,
        [E(1, 17, "Chair 1"), E(2, 17, "Old bed"), E(3, 18, "Chair 1")],
        ["Chair 1"],
        zone,
    )
    assert booked.columns == ["Chair 1", "Old bed"]  # no session unassigned: no such column
    assert [[len(cell) for cell in row] for _, row in booked.rows] == [[1, 1], [1, 0]]
    assert not day_grid([], [], ["Chair 1"], zone)


def test_labs_page_shows_history_and_trend_in_the_centres_units(clinic: TestClient) -> None:
    patient_id = new_patient(clinic, mrn="MRN-7301")
    ctx = clinic_ctx(clinic)
    for days, mg_dl in ((10, 1050), (6, 420), (2, 310)):
        sessions.add_lab(
            ctx,
            patient_id,
            LabIn(
                taken_at=ctx.now - dt.timedelta(days=days),
                analyte="igg",
                value=mg_dl,
                unit="mg/dL",
            ),
        )
    sign_in(clinic, "viewer")
    patient = clinic.get(f"/patients/{patient_id}").text
    assert f'href="/patients/{patient_id}/labs"' in patient
    page = clinic.get(f"/patients/{patient_id}/labs").text
    assert "Synthetic, Test" in page and "MRN MRN-7301" in page
    assert 'id="trend-igg"' in page and "<svg" in page
    assert "310 mg/dL" in page and "1,050 mg/dL" in page and "g/L" not in page
    assert re.search(r"\d\d/\d\d/2026 \d{1,2}:\d\d [AP]M", page)
    assert "140.0 lb" in page and 'id="body-weight"' in page


def test_labs_page_of_another_centres_patient_is_not_found(clinic: TestClient) -> None:
    sign_in(clinic, "viewer")
    response = clinic.get("/patients/999999/labs")
    assert response.status_code == 404 and "<html" in response.text


def test_planner_asks_for_missing_values_and_saves_the_typed_ones(clinic: TestClient) -> None:
    patient_id = _patient(clinic, "MRN-7401", "Nakamura", "Kenji", dt.date(1970, 2, 2))
    sign_in(clinic, "physician")
    page = clinic.get(f"/patients/{patient_id}/plan").text
    # No demo height or weight for a real patient: the fields are empty and asked for.
    for name in ("height", "weight", "hematocrit"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert field, name
        assert not re.search(r'value="[^"]', field.group(0)), field.group(0)
    assert "Not on record" in page and "compare-table" not in page
    form = {
        "csrf_token": csrf_of(page),
        "sex": "male",
        "height": "70",
        "weight": "176",
        "hematocrit": "44",
        "start_date": "2026-12-01",
        "pv": "1.0",
        "exchanges": "5",
        "indication": "relapse",
    }
    done = clinic.post(f"/patients/{patient_id}/plan/commit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    saved = patients.list_measurements(clinic_ctx(clinic), patient_id)
    assert len(saved) == 1
    assert round(saved[0].height_cm or 0, 1) == 177.8  # 70 in
    assert round(saved[0].weight_kg or 0, 1) == 79.8  # 176 lb
    assert saved[0].hematocrit == 0.44
    # The planner now opens with the record's values.
    again = clinic.get(f"/patients/{patient_id}/plan").text
    assert 'value="70.0 in"' in again and 'value="176.0 lb"' in again


def test_unchanged_record_values_are_not_saved_again(clinic: TestClient) -> None:
    patient_id = new_patient(clinic, mrn="MRN-7501")
    sign_in(clinic, "physician")
    from tests.web.test_course import commit_plan

    commit_plan(clinic, patient_id)
    assert len(patients.list_measurements(clinic_ctx(clinic), patient_id)) == 1


def test_browser_gets_an_html_404_and_the_api_json(clinic: TestClient) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    page = clinic.get("/no-such-page", headers=html)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and 'href="/static/plexms.css"' in page.text
    api = clinic.get("/api/no-such-thing", headers=html)
    assert api.status_code == 404 and "json" in api.headers["content-type"]
    plain = clinic.get("/no-such-page")  # no Accept: text/html (a script)
    assert "json" in plain.headers["content-type"]


def test_favicon(clinic: TestClient) -> None:
    icon = clinic.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in clinic.get("/login").text
