"""Hand-back: the DMT plan and its timing relative to the last exchange (``calc dmt``), the
letter to the referring neurologist (HTML that prints cleanly) and the PDF reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core import vocabulary
from plexms.core.dmt import DMTS
from plexms.core.errors import InputError
from plexms.services.clinical import courses, outcomes, patients, sessions
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import HandBackIn
from plexms.services.sharing import reports
from plexms.web import acuity_view, outcome_view
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import WebUser, local_now, requires, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Writer = Annotated[WebUser, requires(Permission.HANDBACK_WRITE)]
Exporter = Annotated[WebUser, requires(Permission.EXPORT)]
DMT_CHOICES = tuple((key, d.label) for key, d in DMTS.items())


def _load(request: Request, user: WebUser, patient_id: int) -> dict[str, Any]:
    ctx = service_context(request, user.actor)
    record = outcomes.get_record(ctx, patient_id)
    course = record.courses[-1] if record.courses else None
    done = [
        s for s in record.sessions if course and s.course_id == course.id and s.status == "done"
    ]
    last = max(((s.actual_end or s.actual_start) for s in done if s.actual_start), default=None)
    baseline = outcome_view.baseline_of(record.outcomes, record.assessments)
    responses = outcome_view.classify(
        baseline, record.outcomes, course.indication if course else "relapse"
    )
    events = [e for e in record.adverse_events if course is None or e.course_id == course.id]
    return {
        "record": record,
        "p": record.patient,
        "course": course,
        "done": done,
        "last_exchange": last,
        "assessment": record.assessments[-1] if record.assessments else None,
        "baseline": baseline,
        "responses": responses,
        "latest_outcome": record.outcomes[-1] if record.outcomes else None,
        "events": events,
        "handback": record.handbacks[-1] if record.handbacks else None,
        "dmts": DMT_CHOICES,
        "fluid_label": vocabulary.REPLACEMENT_FLUIDS.label,
        "show_acuity": lambda v: acuity_view.show(v, user.units.system),
        "criteria": outcome_view.CRITERIA,
        "today": local_now(user).date(),
        "nav": "patients",
    }


@router.get("/patients/{patient_id}/handback")
async def handback_page(request: Request, patient_id: int, user: Reader) -> Response:
    """The DMT plan form and the stored hand-back."""
    data = await run_in_threadpool(_load, request, user, patient_id)
    return render(request, "handback.html", {**data, "values": {}, "errors": {}})


@router.post("/patients/{patient_id}/handback")
async def handback_submit(request: Request, patient_id: int, user: Writer) -> Response:
    """Ask ``calc dmt`` for the timing against this course and store the plan."""
    form = await request.form()
    reader = FormReader(form, user.units)
    dmt = reader.choice("dmt", list(DMTS), required=True)
    last_dose = reader.date("last_dose_date")
    plan = reader.text("plan", max_length=4000) or ""
    data = await run_in_threadpool(_load, request, user, patient_id)
    course = data["course"]
    if reader.ok:
        body: dict[str, Any] = {"dmt": dmt}
        if last_dose is not None:
            body["last_dose_date"] = last_dose.isoformat()
        if course is not None:
            first = min(
                ((s.actual_start or s.planned_start).date() for s in data["done"]),
                default=course.start_date,
            )
            body["course"] = {
                "start_date": first.isoformat(),
                "exchanges": len(data["done"]) or course.planned_exchanges,
                "plasma_volumes_per_exchange": course.plasma_volumes_per_exchange,
            }
        ctx = service_context(request, user.actor)
        handback = HandBackIn(
            course_id=course.id if course else None,
            planned_dmt=DMTS[str(dmt)].label,
            plan=plan,
            request=body,
        )
        stored = await run_in_threadpool(outcomes.record_handback, ctx, patient_id, handback)
        _ = stored
        return RedirectResponse(f"/patients/{patient_id}/handback#plan", status_code=303)
    page = {**data, "values": dict(form), "errors": reader.errors}
    return render(request, "handback.html", page, status_code=422)


@router.get("/patients/{patient_id}/letter")
async def letter(request: Request, patient_id: int, user: Reader) -> Response:
    """The letter to the referring neurologist (prints on its own)."""
    data = await run_in_threadpool(_load, request, user, patient_id)
    ctx = service_context(request, user.actor)
    data["aes_all"] = await run_in_threadpool(
        lambda: sessions.list_adverse_events(ctx, patient_id=patient_id).items
    )
    course = data["course"]
    data["summary"] = None
    if course is not None:
        data["summary"] = await run_in_threadpool(
            lambda: reports.course_summary(ctx, patient_id, course_id=course.id)
        )
    referral = next((r for r in reversed(data["record"].referrals) if r.status == "accepted"), None)
    data["referral"] = referral
    return render(request, "letter.html", data)


_PDF_ROUTE = "/patients/{patient_id}/reports/"
_REPORTS = {"course-summary": reports.course_summary_pdf, "handout": reports.patient_handout_pdf}
CourseQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="course id")]


def _inline(pdf: bytes, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get(_PDF_ROUTE + "course-summary.pdf")
async def course_summary(
    request: Request, patient_id: int, user: Exporter, course_id: CourseQ = None
) -> Response:
    """The course summary PDF (audited as an export; nothing stored: POST files it)."""
    ctx = service_context(request, user.actor)
    pdf = await run_in_threadpool(
        lambda: reports.course_summary_pdf(ctx, patient_id, course_id=course_id, store=False)
    )
    return _inline(pdf, f"course-summary-{patient_id}.pdf")


@router.get(_PDF_ROUTE + "handout.pdf")
async def handout(
    request: Request, patient_id: int, user: Exporter, course_id: CourseQ = None
) -> Response:
    """The patient handout PDF (audited; nothing stored: POST files it)."""
    ctx = service_context(request, user.actor)
    pdf = await run_in_threadpool(
        lambda: reports.patient_handout_pdf(ctx, patient_id, course_id=course_id, store=False)
    )
    return _inline(pdf, f"handout-{patient_id}.pdf")


async def _file(request: Request, user: WebUser, patient_id: int, report: str) -> Response:
    """File ``report`` with the record through the use case the API's POST calls, then show
    the patient's documents (the form names the course in ``course_id``, else the latest)."""
    form = await request.form()
    reader = FormReader(form, user.units)
    raw = reader.raw("course_id")
    course_id = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
    if raw and course_id is None:
        raise InputError("course_id", repr(raw[:20]), allowed="a course id")
    ctx = service_context(request, user.actor)
    make = _REPORTS[report]
    await run_in_threadpool(lambda: make(ctx, patient_id, course_id=course_id, store=True))
    return RedirectResponse(f"/patients/{patient_id}/documents#filed", status_code=303)


@router.post(_PDF_ROUTE + "course-summary.pdf")
async def file_course_summary(request: Request, patient_id: int, user: Exporter) -> Response:
    """File the course summary with the record (the page's form, with the CSRF token)."""
    return await _file(request, user, patient_id, "course-summary")


@router.post(_PDF_ROUTE + "handout.pdf")
async def file_handout(request: Request, patient_id: int, user: Exporter) -> Response:
    """File the patient handout with the record (the page's form, with the CSRF token)."""
    return await _file(request, user, patient_id, "handout")


@router.get("/patients/{patient_id}/documents")
async def documents_page(request: Request, patient_id: int, user: Reader) -> Response:
    """The documents kept with the patient's record (reports filed, letters, uploads)."""
    ctx = service_context(request, user.actor)
    record = await run_in_threadpool(outcomes.get_record, ctx, patient_id)
    page = {
        "p": record.patient,
        "documents": sorted(record.documents, key=lambda d: (d.created_at, d.id), reverse=True),
        "nav": "patients",
    }
    return render(request, "documents.html", page)


_ = (courses, patients)
