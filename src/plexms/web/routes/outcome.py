"""Outcome visit: EDSS by functional systems computed live, acuity per eye in the clinic's
notation, response against the baseline under every definition, charts over time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core import vocabulary
from plexms.core.errors import InputError
from plexms.services.clinical import courses, outcomes, patients
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import OutcomeIn
from plexms.web import acuity_view, outcome_view, scores_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import WebUser, local_now, requires, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Recorder = Annotated[WebUser, requires(Permission.OUTCOME_RECORD)]
_DEFICITS = (("", "Not graded"), *vocabulary.TND_GRADES.options)


def _load(request: Request, user: WebUser, patient_id: int) -> dict[str, Any]:
    ctx = service_context(request, user.actor)
    found = outcomes.list_outcomes(ctx, patient_id)
    assessments = courses.list_assessments(ctx, patient_id)
    course_list = courses.list_courses(ctx, patient_id=patient_id).items
    course = course_list[0] if course_list else None
    exchanges = []
    if course is not None:
        exchanges = [
            (s.actual_start or s.planned_start).date()
            for s in courses.list_course_sessions(ctx, course.id)
            if s.status == "done"
        ]
    baseline = outcome_view.baseline_of(found, assessments)
    indication = course.indication if course else "relapse"
    return {
        "p": patients.get_patient(ctx, patient_id),
        "outcomes": found,
        "course": course,
        "baseline": baseline,
        "responses": outcome_view.classify(baseline, found, indication),
        "charts": outcome_view.charts(found, baseline, exchanges),
    }


def _ctx(user: WebUser, **extra: Any) -> dict[str, Any]:
    return {
        "nav": "patients",
        "units": user.units,
        "fs_fields": scores_view.FS_FIELDS,
        "ambulation_choices": scores_view.AMBULATION_CHOICES,
        "aids": scores_view.WALKING_AID_LABELS,
        "timepoints": outcome_view.TIMEPOINTS,
        "criteria": outcome_view.CRITERIA,
        "measure_fields": outcome_view.MEASURE_FIELDS,
        "measure_rows": outcome_view.measure_rows,
        "edss_flag": outcome_view.edss_flag,
        "deficits": _DEFICITS,
        "acuity_notations": acuity_view.NOTATIONS,
        "acuity_default": acuity_view.default_notation(user.units.system),
        "show_acuity": lambda v: acuity_view.show(v, user.units.system),
        "errors": {},
        "acuity_errors": {},
        **extra,
    }


def _blank(user: WebUser) -> dict[str, str]:
    values = {f"fs_{name}": "0" for name, _, _ in scores_view.FS_FIELDS}
    return values | {"ambulation_score": "0", "assessed_on": local_now(user).date().isoformat()}


@router.get("/patients/{patient_id}/outcomes")
async def outcome_page(request: Request, patient_id: int, user: Reader) -> Response:
    """Visits so far with their response classification and charts, and the visit form."""
    data = await run_in_threadpool(_load, request, user, patient_id)
    values = _blank(user) | {"timepoint": "end_of_course" if data["course"] else "baseline"}
    edss = await run_in_threadpool(scores_view.score_edss, FormReader(values))
    return render(request, "outcome.html", _ctx(user, values=values, edss=edss, **data))


@router.post("/patients/{patient_id}/outcomes/edss")
async def outcome_edss_live(request: Request, patient_id: int, user: Recorder) -> Response:
    """The live EDSS for the grades entered so far (the fragment htmx swaps in)."""
    # The patient must be one of the user's centre, like every other id route (404 otherwise).
    patient = await run_in_threadpool(
        patients.get_patient, service_context(request, user.actor), patient_id
    )
    form = await request.form()
    reader = FormReader(form)
    edss = await run_in_threadpool(scores_view.score_edss, reader)
    page = _ctx(user, values=dict(form), edss=edss, errors=reader.errors, p={"id": patient.id})
    return render(request, "outcome.html", page, block="edss_live")


@router.post("/patients/{patient_id}/outcomes")
async def outcome_record(request: Request, patient_id: int, user: Recorder) -> Response:
    """Store the visit: EDSS request (the service scores it), acuity as logMAR per eye."""
    form = await request.form()
    reader = FormReader(form, user.units)
    edss_request = await run_in_threadpool(scores_view.edss_request, reader)
    eyes = await run_in_threadpool(acuity_view.read_eyes, reader)
    timepoint = reader.choice("timepoint", [t for t, _ in outcome_view.TIMEPOINTS], required=True)
    assessed_on = reader.date("assessed_on", required=True)
    deficit = reader.choice("targeted_deficit", [d for d, _ in _DEFICITS if d])
    measures, measure_names = outcome_view.read_measures(reader)
    ctx = service_context(request, user.actor)
    if reader.ok:
        course_list = await run_in_threadpool(
            lambda: courses.list_courses(ctx, patient_id=patient_id).items
        )
        data = OutcomeIn.model_validate(
            {
                "course_id": course_list[0].id if course_list else None,
                "timepoint": timepoint,
                "assessed_on": assessed_on,
                "edss": edss_request,
                "va_right_logmar": eyes["right"].logmar if eyes["right"] else None,
                "va_left_logmar": eyes["left"].logmar if eyes["left"] else None,
                "targeted_deficit": deficit,
                "measures": measures,
                "notes": reader.text("notes", max_length=4000) or "",
            }
        )
        try:
            await run_in_threadpool(outcomes.record_outcome, ctx, patient_id, data)
        except InputError as exc:
            allowed = f" (allowed: {exc.allowed})" if exc.allowed else ""
            if exc.field.startswith("measures["):  # measures[i].value -> its form field
                index = int(exc.field.split("[", 1)[1].split("]", 1)[0])
                reader.fail(measure_names[index], f"{exc.message}{allowed}")
            elif exc.field in form:  # beside its field, e.g. a visit date in the future
                reader.fail(exc.field, f"{exc.message}{allowed}")
            else:
                reader.fail("form", f"{exc.field}: {exc.message}")
        else:
            return RedirectResponse(f"/patients/{patient_id}/outcomes#visits", status_code=303)
    loaded = await run_in_threadpool(_load, request, user, patient_id)
    edss = await run_in_threadpool(scores_view.score_edss, FormReader(dict(form)))
    page = _ctx(
        user,
        values=dict(form),
        edss=edss,
        errors=reader.errors,
        acuity_errors=reader.errors,
        **loaded,
    )
    return render(request, "outcome.html", page, status_code=422)
