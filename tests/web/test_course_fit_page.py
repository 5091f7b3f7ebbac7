"""The course page shows the patient's fitted IgG and fibrinogen (chart, band, advice, the
levels before the remaining exchanges) once a level is measured, in the centre's units (the
seed clinic is a US centre: mg/dL); without a measurement the section is absent."""

from __future__ import annotations

import base64
import datetime as dt
import re

from plexms.services.admin.demo import _demo_levels
from plexms.services.clinical import courses, sessions
from plexms.services.schemas.clinical import LabIn, SessionRecordIn
from tests.web.conftest import TestClient, clinic_ctx, new_patient, sign_in
from tests.web.test_course import commit_plan


def test_course_page_shows_the_fit(clinic: TestClient) -> None:
    patient_id = new_patient(clinic)
    sign_in(clinic, "physician")
    _, page = commit_plan(clinic, patient_id)
    assert 'id="fitted-levels"' not in page  # nothing measured yet
    nurse = clinic_ctx(clinic, "nurse")
    course = courses.list_courses(nurse, patient_id=patient_id).items[0]
    rows = courses.list_course_sessions(nurse, course.id)
    shift = dt.timedelta(days=20)  # the first two exchanges in the past
    moved = [r.model_copy(update={"planned_start": r.planned_start - shift}) for r in rows]
    levels = _demo_levels(course.id, moved[:2])
    for row, sheet in zip(rows[:2], moved[:2], strict=True):
        start = sheet.planned_start
        sessions.record_session(
            nurse,
            row.id,
            SessionRecordIn(
                status="done",
                actual_start=start,
                actual_end=start + dt.timedelta(hours=2),
                plasma_removed_ml=row.planned_plasma_volume_ml,
            ),
            row.version,
        )
        for (analyte, timing), value in levels[row.sequence].items():
            at = start + (
                dt.timedelta(hours=2, minutes=15) if timing == "post" else -dt.timedelta(minutes=15)
            )
            sessions.add_lab(
                nurse,
                patient_id,
                LabIn(
                    taken_at=at, analyte=analyte, value=round(value, 2), unit="g/L", timing=timing
                ),
            )
    page = clinic.get(f"/courses/{course.id}").text
    assert 'id="fitted-levels"' in page and 'id="fit-parameters"' in page
    uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert uri, "no chart"
    svg = base64.b64decode(uri.group(1)).decode()
    assert "90% band" in svg and "mg/dL" in svg
    assert re.search(r"Fibrinogen predicted \d+ mg/dL \(90%: \d+", page)
    assert "mg/dL" in page.split('id="fit-before"', 1)[1]
    registry = clinic.get("/registry").text
    assert 'id="priors"' in registry and 'href="/registry/priors"' in registry
    priors = clinic.get("/registry/priors").text
    assert 'id="priors-compare"' in priors and "Elimination half-life (h)" in priors
    rows = re.findall(r"<tr><td>(IgG|Fibrinogen)</td><td class=\"num\">(\d+)</td>", priors)
    assert ("IgG", "1") in rows and ("Fibrinogen", "1") in rows
    fragment = clinic.get("/registry/priors", params={"fragment": "1"}).text
    assert fragment.lstrip().startswith("<p>") and "<html" not in fragment
