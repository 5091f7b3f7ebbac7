"""Eligibility assessment of a patient: the form, the stored result with every reason and its
source, the inputs used, what is missing, and the clinician's override with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core.contraindications import pregnancy_not_asked
from plexms.core.errors import InputError
from plexms.services.clinical import courses, patients, web_assessments
from plexms.services.errors import StaleVersion
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import AssessmentIn
from plexms.web import acuity_view, assessment_view
from plexms.web.errors import STALE_MESSAGE, WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import WebUser, local_now, requires, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Assessor = Annotated[WebUser, requires(Permission.ASSESSMENT_WRITE)]


def _form_ctx(user: WebUser, patient_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "nav": "patients",
        "diagnoses": assessment_view.DIAGNOSES,
        "presentations": assessment_view.PRESENTATIONS,
        "conditions": assessment_view.CONDITIONS,
        "extra_conditions": assessment_view.EXTRA_CONDITIONS,
        "tristate": assessment_view.TRISTATE,
        "acuity_notations": acuity_view.NOTATIONS,
        "acuity_default": acuity_view.default_notation(user.units.system),
        "errors": {},
        "acuity_errors": {},
        **extra,
    }


def _load_form(request: Request, user: WebUser, patient_id: int) -> dict[str, Any]:
    ctx = service_context(request, user.actor)
    p = patients.get_patient(ctx, patient_id)
    today = local_now(user).date()
    age = (
        today.year - p.birth_date.year - ((today.month, today.day) < p.birth_date.timetuple()[1:3])
    )
    return {
        "p": p,
        "episodes": patients.list_episodes(ctx, patient_id),
        "steroids": patients.list_steroid_courses(ctx, patient_id),
        # the pregnancy question only where it applies (the service answers it otherwise)
        "pregnancy_not_asked": pregnancy_not_asked(p.sex, age, user.policy.eligibility),
    }


@router.get("/patients/{patient_id}/assessment")
async def assessment_form(request: Request, patient_id: int, user: Assessor) -> Response:
    """The eligibility form: the last assessment's answers when there is one ("Assess again"
    starts from them), else prefilled from the record."""
    data = await run_in_threadpool(_load_form, request, user, patient_id)
    ctx = service_context(request, user.actor)
    earlier = await run_in_threadpool(courses.list_assessments, ctx, patient_id)
    today = local_now(user).date()
    if earlier:
        last = max(earlier, key=lambda a: (a.assessed_at, a.id))
        values = assessment_view.values_from_inputs(last.inputs, today, last.episode_id)
    else:
        values = assessment_view.initial_values(today, data["episodes"], data["steroids"])
    page = _form_ctx(user, patient_id, values=values, repeat=bool(earlier), **data)
    return render(request, "assessment_form.html", page)


@router.post("/patients/{patient_id}/assessment")
async def assessment_submit(request: Request, patient_id: int, user: Assessor) -> Response:
    """Run the rules on what was entered and store the result with its inputs."""
    form = await request.form()
    reader = FormReader(form, user.units)
    body, episode_id = await run_in_threadpool(assessment_view.assess_request, reader)
    ctx = service_context(request, user.actor)
    if reader.ok:
        data = AssessmentIn(
            episode_id=episode_id, request=body, notes=reader.text("notes", max_length=4000) or ""
        )
        try:
            stored = await run_in_threadpool(courses.assess_eligibility, ctx, patient_id, data)
        except InputError as exc:
            field = exc.field.split(".")[-1]
            allowed = f" (allowed: {exc.allowed})" if exc.allowed else ""
            reader.fail(field if field in form else "form", f"{exc.message}{allowed}")
        else:
            return RedirectResponse(f"/assessments/{stored.id}", status_code=303)
    loaded = await run_in_threadpool(_load_form, request, user, patient_id)
    page = _form_ctx(
        user,
        patient_id,
        values=dict(form),
        errors=reader.errors,
        acuity_errors=reader.errors,
        **loaded,
    )
    return render(request, "assessment_form.html", page, status_code=422)


def _result_page(
    request: Request, user: WebUser, assessment_id: int, **extra: Any
) -> dict[str, Any]:
    ctx = service_context(request, user.actor)
    a = web_assessments.get_assessment(ctx, assessment_id)
    not_asked: dict[str, str] = a.result.get("not_asked") or {}
    inputs = {k: v for k, v in a.inputs.items() if k != "conditions"}
    conditions = {
        k: v
        for k, v in (a.inputs.get("conditions") or {}).items()
        if f"conditions.{k}" not in not_asked
    }
    return {
        "nav": "patients",
        "a": a,
        "p": patients.get_patient(ctx, a.patient_id),
        "r": {**a.result, "reasons": _worded(a.result.get("reasons", []), a.result)},
        "inputs": assessment_view.input_rows({**inputs, "conditions": conditions}),
        "not_asked": [(assessment_view.input_label(k), why) for k, why in not_asked.items()],
        "missing": [assessment_view.input_label(f) for f in a.result.get("missing", [])],
        "decisions": web_assessments.DECISIONS,
        "can_override": "assessment:write" in _permissions(user),
        "errors": {},
        "values": {},
        **extra,
    }


def _worded(reasons: list[Any], result: dict[str, Any]) -> list[Any]:
    """The reasons with any input name in their text replaced by its words."""
    names = sorted(result.get("missing", []), key=len, reverse=True)
    out = []
    for reason in reasons:
        if isinstance(reason, dict) and names:
            text = str(reason.get("text", ""))
            for name in names:
                text = text.replace(name, assessment_view.input_label(name))
            reason = {**reason, "text": text}
        out.append(reason)
    return out


def _permissions(user: WebUser) -> set[str]:
    from plexms.services.permissions import ROLE_PERMISSIONS

    return {p.value for p in ROLE_PERMISSIONS.get(user.actor.role, frozenset())}


@router.get("/assessments/{assessment_id}")
async def assessment_result(request: Request, assessment_id: int, user: Reader) -> Response:
    """The recommendation with its ASFA basis, reasons and sources, inputs and what is missing."""
    page = await run_in_threadpool(_result_page, request, user, assessment_id)
    return render(request, "assessment.html", page)


@router.post("/assessments/{assessment_id}/override")
async def assessment_override(request: Request, assessment_id: int, user: Assessor) -> Response:
    """The clinician's own decision with the reason; a stale page is a conflict, not a save."""
    form = await request.form()
    reader = FormReader(form)
    final = reader.choice("final", web_assessments.DECISIONS, required=True)
    reason = reader.text("reason", required=True, max_length=2000)
    version = reader.number("version", lo=1, integer=True, required=True)
    ctx = service_context(request, user.actor)
    status = 422
    if reader.ok:
        try:
            await run_in_threadpool(
                web_assessments.override_assessment,
                ctx,
                assessment_id,
                str(final),
                str(reason),
                int(version or 0),
            )
        except StaleVersion:
            reader.fail("form", STALE_MESSAGE)
            status = 412
        except InputError as exc:
            reader.fail(exc.field.split(".")[-1], exc.message)
        else:
            return RedirectResponse(f"/assessments/{assessment_id}", status_code=303)
    page = await run_in_threadpool(
        _result_page, request, user, assessment_id, errors=reader.errors, values=dict(form)
    )
    return render(request, "assessment.html", page, status_code=status)


@router.post("/assessments/{assessment_id}/agree")
async def assessment_agree(request: Request, assessment_id: int, user: Assessor) -> Response:
    """The clinician agrees with the advice: recorded and audited like an override."""
    form = await request.form()
    reader = FormReader(form)
    version = reader.number("version", lo=1, integer=True, required=True)
    ctx = service_context(request, user.actor)
    status = 422
    if reader.ok:
        try:
            await run_in_threadpool(
                web_assessments.agree_assessment, ctx, assessment_id, int(version or 0)
            )
        except StaleVersion:
            reader.fail("form", STALE_MESSAGE)
            status = 412
        except InputError as exc:
            reader.fail("form", exc.message)
        else:
            return RedirectResponse(f"/assessments/{assessment_id}", status_code=303)
    page = await run_in_threadpool(
        _result_page, request, user, assessment_id, errors=reader.errors, values=dict(form)
    )
    return render(request, "assessment.html", page, status_code=status)
