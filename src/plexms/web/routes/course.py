"""A patient's course: the planner prefilled from their latest measurements, committing the
chosen plan through the course service, and the course page with its session sheets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core import vocabulary
from plexms.core.errors import InputError
from plexms.services.clinical import cosign, course_fit, courses, patients, sessions
from plexms.services.errors import Conflict, PermissionDenied, StaleVersion
from plexms.services.permissions import Permission, allowed
from plexms.services.schemas import MeasurementIn
from plexms.services.schemas.clinical import CoursePlanIn
from plexms.services.sharing import reports
from plexms.web import fit_view, planner_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader, UnitConvention
from plexms.web.session import WebUser, requires, service_context
from plexms.web.templating import display_for, is_htmx, render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Planner = Annotated[WebUser, requires(Permission.COURSE_PLAN)]
Cosigner = Annotated[WebUser, requires(Permission.COURSE_COSIGN)]
INDICATIONS = vocabulary.PRESENTATIONS.options


_RECORDED = (("height_cm", "height"), ("weight_kg", "weight"), ("hematocrit", "hematocrit"))
# A typed value this close to the record's is the recorded one (display rounding), not new.
_SAME = {"height_cm": 0.5, "weight_kg": 0.1, "hematocrit": 0.005}


def _latest(ctx: Any, patient_id: int) -> dict[str, tuple[float, Any]]:
    """The latest height, weight and haematocrit of the record (a haematocrit from the labs
    when it is newer than the measurement's) with when each was taken."""
    latest: dict[str, tuple[float, Any]] = {}
    for m in sorted(patients.list_measurements(ctx, patient_id), key=lambda m: m.measured_at):
        for name, _ in _RECORDED:
            if getattr(m, name) is not None:
                latest[name] = (getattr(m, name), m.measured_at)
    for lab in sessions.list_labs(ctx, patient_id):
        if lab.analyte == "hematocrit" and (
            "hematocrit" not in latest or lab.taken_at >= latest["hematocrit"][1]
        ):
            latest["hematocrit"] = (lab.value, lab.taken_at)
    return latest


def _prefill(request: Request, user: WebUser, patient_id: int) -> dict[str, Any]:
    ctx = service_context(request, user.actor)
    patient = patients.get_patient(ctx, patient_id)
    values = planner_view.default_values(request)
    units: UnitConvention = user.units
    if patient.sex in ("female", "male"):
        values["sex"] = patient.sex
    latest = _latest(ctx, patient_id)
    missing: dict[str, str] = {}
    for name, quantity in _RECORDED:
        # Never the demo's values for a real patient: what the record has, or ask.
        if name not in latest:
            values[quantity] = ""
            missing[quantity] = "Not on record: enter it (it will be saved to the record)."
        elif quantity == "hematocrit":
            values[quantity] = f"{100 * latest[name][0]:.0f}"
        else:
            values[quantity] = units.text(latest[name][0], quantity)
    notes = []
    if latest:
        when = display_for(user.centre).date(max(at for _, at in latest.values()))
        notes.append(f"Values from the record (latest {when}).")
    if missing:
        notes.append(
            "Missing from the record: "
            + ", ".join(missing)
            + ". Enter them; values you type are saved as a new measurement when you commit."
        )
    assessments = courses.list_assessments(ctx, patient_id)
    indication = "relapse"
    if assessments:
        presentation = str(assessments[-1].inputs.get("presentation", ""))
        indication = presentation if presentation in dict(INDICATIONS) else "relapse"
    values["indication"] = indication
    return {
        "p": patient,
        "values": values,
        "missing": missing,
        "prefill_note": " ".join(notes),
        "assessment_id": assessments[-1].id if assessments else None,
    }


def _save_typed(ctx: Any, patient_id: int, payload: dict[str, Any]) -> None:
    """Save the height, weight and haematocrit the plan used as a measurement when they
    differ from the record's latest (through the patient measurement use case)."""
    latest = _latest(ctx, patient_id)
    typed = {
        name: float(payload[name])
        for name, _ in _RECORDED
        if payload.get(name) is not None
        and (name not in latest or abs(float(payload[name]) - latest[name][0]) > _SAME[name])
    }
    if typed:
        patients.add_measurement(ctx, patient_id, MeasurementIn(measured_at=ctx.now, **typed))


def _ctx(user: WebUser, patient_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "nav": "patients",
        "errors": {},
        "units": user.units,
        "form_action": f"/patients/{patient_id}/plan",
        "commit_url": f"/patients/{patient_id}/plan/commit",
        "indications": INDICATIONS,
        **extra,
    }


@router.get("/patients/{patient_id}/plan")
async def patient_plan_form(request: Request, patient_id: int, user: Planner) -> Response:
    """The planner for this patient, prefilled from the record and compared at once."""
    data = await run_in_threadpool(_prefill, request, user, patient_id)
    missing = data.pop("missing")
    reader = FormReader(data["values"], user.units)
    view = None if missing else await run_in_threadpool(planner_view.compare, request, reader)
    page = _ctx(user, patient_id, view=view, errors=missing or reader.errors, **data)
    return render(request, "planner.html", page)


@router.post("/patients/{patient_id}/plan")
async def patient_plan_compare(request: Request, patient_id: int, user: Planner) -> Response:
    """The comparison for the edited values."""
    form = await request.form()
    reader = FormReader(form, user.units)
    view = await run_in_threadpool(planner_view.compare, request, reader)
    ctx = service_context(request, user.actor)
    patient = await run_in_threadpool(patients.get_patient, ctx, patient_id)
    page = _ctx(user, patient_id, view=view, errors=reader.errors, values=dict(form), p=patient)
    status = 200 if view is not None and not reader.errors else 422
    if is_htmx(request):
        return render(request, "planner.html", page, block="planner", status_code=status)
    return render(request, "planner.html", page, status_code=status)


@router.post("/patients/{patient_id}/plan/commit")
async def patient_plan_commit(request: Request, patient_id: int, user: Planner) -> Response:
    """Store the chosen plan as a course (the course service recomputes it from these inputs)."""
    form = await request.form()
    reader = FormReader(form, user.units)
    view = await run_in_threadpool(planner_view.compare, request, reader)
    indication = reader.choice("indication", [i for i, _ in INDICATIONS]) or "relapse"
    ctx = service_context(request, user.actor)
    if view is not None and reader.ok:
        assessments = await run_in_threadpool(courses.list_assessments, ctx, patient_id)
        data = CoursePlanIn(
            assessment_id=assessments[-1].id if assessments else None,
            episode_id=assessments[-1].episode_id if assessments else None,
            indication=indication,
            plan=view["payload"],
            notes=reader.text("plan_notes", max_length=4000) or "",
        )
        try:
            course = await run_in_threadpool(courses.plan_course, ctx, patient_id, data)
        except (InputError, Conflict) as exc:
            reader.fail("form", str(getattr(exc, "detail", None) or exc))
        else:
            await run_in_threadpool(_save_typed, ctx, patient_id, view["payload"])
            return RedirectResponse(f"/courses/{course.id}", status_code=303)
    patient = await run_in_threadpool(patients.get_patient, ctx, patient_id)
    page = _ctx(user, patient_id, view=view, errors=reader.errors, values=dict(form), p=patient)
    return render(request, "planner.html", page, status_code=409 if view else 422)


async def _course_page(
    request: Request, user: WebUser, course_id: int, status_code: int = 200, **extra: Any
) -> Response:
    ctx = service_context(request, user.actor)

    def load() -> dict[str, Any]:
        course = courses.get_course(ctx, course_id)
        return {
            "c": course,
            "summary": reports.course_summary(ctx, course.patient_id, course_id=course.id),
            "p": patients.get_patient(ctx, course.patient_id),
            "sessions": courses.list_course_sessions(ctx, course_id),
            "can_cosign": allowed(user.actor.role, Permission.COURSE_COSIGN),
            "fit": fit_view.course_fit_view(
                ctx, course_id, {k: user.units.unit(k) for k in course_fit.FITTED}
            ),
        }

    data = await run_in_threadpool(load)
    page = {"nav": "patients", **data, **extra}
    return render(request, "course.html", page, status_code=status_code)


@router.get("/courses/{course_id}")
async def course_page(request: Request, course_id: int, user: Reader) -> Response:
    """The committed prescription, schedule and the session sheets."""
    return await _course_page(request, user, course_id)


@router.post("/courses/{course_id}/cosign")
async def course_cosign(request: Request, course_id: int, user: Cosigner) -> Response:
    """Co-sign the prescription (a second physician or pharmacist); refusals on the page."""
    form = await request.form()
    reader = FormReader(form, user.units)
    version = reader.number("version", lo=1, integer=True, required=True)
    ctx = service_context(request, user.actor)
    try:
        await run_in_threadpool(cosign.cosign_course, ctx, course_id, int(version or 0))
    except (PermissionDenied, Conflict, StaleVersion) as exc:
        return await _course_page(
            request, user, course_id, status_code=exc.status, cosign_error=exc.detail
        )
    return RedirectResponse(f"/courses/{course_id}", status_code=303)
