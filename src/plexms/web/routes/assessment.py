"""Eligibility assessment of a patient: the form, the stored result with every reason and its
source, the inputs used, what is missing, and the clinician's override with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

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
    return {
        "p": patients.get_patient(ctx, patient_id),
        "episodes": patients.list_episodes(ctx, patient_id),
        "steroids": patients.list_steroid_courses(ctx, patient_id),
    }


@router.get("/patients/{patient_id}/assessment")
async def assessment_form(request: Request, patient_id: int, user: Assessor) -> Response:
    """The eligibility form, prefilled from the record."""
    data = await run_in_threadpool(_load_form, request, user, patient_id)
    values = assessment_view.initial_values(
        local_now(user).date(), data["episodes"], data["steroids"]
    )
    ctx = _form_ctx(user, patient_id, values=values, **data)
    return render(request, "assessment_form.html", ctx)


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
    sources = {s["key"]: s for s in a.result.get("sources", []) if isinstance(s, dict)}
    return {
        "nav": "patients",
        "a": a,
        "p": patients.get_patient(ctx, a.patient_id),
        "r": a.result,
        "sources_by_key": sources,
        "inputs": _flatten(a.inputs),
        "missing": set(a.result.get("missing", [])),
        "decisions": web_assessments.DECISIONS,
        "can_override": "assessment:write" in _permissions(user),
        "errors": {},
        "values": {},
        **extra,
    }


def _permissions(user: WebUser) -> set[str]:
    from plexms.services.permissions import ROLE_PERMISSIONS

    return {p.value for p in ROLE_PERMISSIONS.get(user.actor.role, frozenset())}


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}}`` -> ``[("a.b", "1")]`` for the inputs table."""
    rows: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            rows += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        if not data:
            rows.append((prefix, "none"))
        for i, value in enumerate(data):
            rows += _flatten(value, f"{prefix}[{i + 1}]")
    else:
        text = "yes" if data is True else "no" if data is False else str(data)
        rows.append((prefix, text))
    return rows


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
