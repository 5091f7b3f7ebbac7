"""Interoperability routes: a patient's FHIR R4 ``$everything`` Bundle, FHIR import, and the
PDF reports (course summary, patient handout). Every route declares its permission; the
services audit each export and import."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from plexms.api.deps import PathId, requires
from plexms.core.errors import InputError
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.sharing import interop, reports

__all__ = ["MAX_IMPORT_BYTES", "router"]

router = APIRouter(prefix="/api", tags=["interop"])
Export = Annotated[ServiceContext, requires(Permission.EXPORT)]
Write = Annotated[ServiceContext, requires(Permission.PATIENT_WRITE)]
CourseQ = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="course id (default: the latest)")
]
FHIR_JSON = "application/fhir+json"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
_NO_STORE = {"Cache-Control": "no-store"}


class FhirJSONResponse(Response):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        import json

        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


@router.get(
    "/patients/{patient_id}/$everything",
    response_class=FhirJSONResponse,
    responses={200: {"content": {FHIR_JSON: {}}, "description": "a FHIR R4 Bundle"}},
)
def everything(
    ctx: Export,
    patient_id: PathId,
    bundle_type: Annotated[
        Literal["collection", "transaction"], Query(alias="type")
    ] = "collection",
) -> FhirJSONResponse:
    """The patient's whole record as a FHIR R4 Bundle (``type=transaction`` for a FHIR server)."""
    bundle = interop.export_fhir(ctx, patient_id, bundle_type=bundle_type)
    return FhirJSONResponse(bundle, headers=_NO_STORE)


@router.post("/fhir/import")
async def fhir_import(ctx: Write, request: Request) -> dict[str, Any]:
    """Import a FHIR R4 Bundle (JSON) into your centre, all or nothing (422 lists problems)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_IMPORT_BYTES:
        raise InputError("body", f"{length} bytes", allowed=f"<= {MAX_IMPORT_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise InputError("body", f"{len(body)} bytes", allowed=f"<= {MAX_IMPORT_BYTES} bytes")
    summary: dict[str, Any] = await run_in_threadpool(interop.import_fhir, ctx, body)
    return summary


def _pdf(content: bytes, name: str) -> Response:
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=reports.PDF, headers=headers)


@router.get(
    "/patients/{patient_id}/reports/course-summary.pdf",
    response_class=Response,
    responses={200: {"content": {reports.PDF: {}}, "description": "PDF"}},
)
def course_summary(ctx: Export, patient_id: PathId, course_id: CourseQ = None) -> Response:
    """Course summary for the referring neurologist (audited; nothing stored: POST files it)."""
    pdf = reports.course_summary_pdf(ctx, patient_id, course_id=course_id, store=False)
    return _pdf(pdf, f"course-summary-{patient_id}.pdf")


@router.post(
    "/patients/{patient_id}/reports/course-summary.pdf",
    response_class=Response,
    status_code=201,
    responses={201: {"content": {reports.PDF: {}}, "description": "PDF, kept with the record"}},
)
def file_course_summary(ctx: Export, patient_id: PathId, course_id: CourseQ = None) -> Response:
    """Course summary, kept with the record as a document (audited)."""
    pdf = reports.course_summary_pdf(ctx, patient_id, course_id=course_id, store=True)
    response = _pdf(pdf, f"course-summary-{patient_id}.pdf")
    response.status_code = 201
    return response


@router.get(
    "/patients/{patient_id}/reports/handout.pdf",
    response_class=Response,
    responses={200: {"content": {reports.PDF: {}}, "description": "PDF"}},
)
def handout(ctx: Export, patient_id: PathId, course_id: CourseQ = None) -> Response:
    """The patient handout (appointments in the centre's time zone; audited, nothing stored:
    POST files it)."""
    pdf = reports.patient_handout_pdf(ctx, patient_id, course_id=course_id, store=False)
    return _pdf(pdf, f"handout-{patient_id}.pdf")


@router.post(
    "/patients/{patient_id}/reports/handout.pdf",
    response_class=Response,
    status_code=201,
    responses={201: {"content": {reports.PDF: {}}, "description": "PDF, kept with the record"}},
)
def file_handout(ctx: Export, patient_id: PathId, course_id: CourseQ = None) -> Response:
    """The patient handout, kept with the record as a document (audited)."""
    pdf = reports.patient_handout_pdf(ctx, patient_id, course_id=course_id, store=True)
    response = _pdf(pdf, f"handout-{patient_id}.pdf")
    response.status_code = 201
    return response
