"""Vascular access on the patient page: put a line in, take it out, record a dressing change,
a line problem or an infection. A refused form comes back with what was typed and the message
beside the field (422), or the record's state (409)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core.errors import InputError
from plexms.services.clinical import access_lines
from plexms.services.errors import Conflict, StaleVersion
from plexms.services.permissions import Permission
from plexms.services.schemas.access import AccessLineIn, AccessLineRemoveIn, LineEventIn
from plexms.web import access_view
from plexms.web.errors import STALE_MESSAGE, WebRoute
from plexms.web.forms import FormReader
from plexms.web.routes.clinic import render_patient
from plexms.web.session import WebUser, requires, service_context

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Nurse = Annotated[WebUser, requires(Permission.SESSION_RECORD)]

#: Service field -> form field, where the form names it differently.
_FORM_NAMES = {"notes": "line_notes"}


async def _save(
    request: Request,
    user: WebUser,
    patient_id: int,
    section: str,
    reader: FormReader,
    form: Any,
    save: Callable[[], object],
) -> Response:
    status, conflict = 422, ""
    if reader.ok:
        try:
            await run_in_threadpool(save)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                name = str(e["loc"][0]) if e["loc"] else "form"
                reader.fail(_FORM_NAMES.get(name, name), e["msg"])
        except StaleVersion:
            status, conflict = 412, STALE_MESSAGE
        except Conflict as exc:
            status, conflict = 409, exc.detail
            if exc.field:
                reader.fail(exc.field, exc.detail)
        except InputError as exc:
            name = exc.field.split(".")[-1]
            reader.fail(name if name in form else "form", exc.message)
        else:
            return RedirectResponse(f"/patients/{patient_id}#access", status_code=303)
    reader.fail("form", conflict or "Not saved: see the messages beside the fields.")
    state = {"section": section, "values": dict(form), "errors": reader.errors}
    return await render_patient(
        request, user, patient_id, form={**state, "conflict": conflict}, status=status
    )


@router.post("/patients/{patient_id}/access-lines")
async def add_line(request: Request, patient_id: int, user: Nurse) -> Response:
    """Record a line put in."""
    form = await request.form()
    reader = FormReader(form, user.units)
    body = access_view.line_body(reader)
    ctx = service_context(request, user.actor)
    return await _save(
        request,
        user,
        patient_id,
        "line-new",
        reader,
        form,
        lambda: access_lines.add_line(ctx, patient_id, AccessLineIn.model_validate(body)),
    )


def _patient_of(reader: FormReader) -> int:
    """The patient page to come back to (the form's hidden field)."""
    return int(reader.number("patient_id", lo=1, integer=True, required=True) or 0)


@router.post("/access-lines/{line_id}/removal")
async def remove_line(request: Request, line_id: int, user: Nurse) -> Response:
    """The line came out: when and why."""
    form = await request.form()
    reader = FormReader(form, user.units)
    patient_id = _patient_of(reader)
    version = reader.number("version", lo=1, integer=True)
    body = access_view.removal_body(reader)
    ctx = service_context(request, user.actor)
    return await _save(
        request,
        user,
        patient_id,
        f"line-{line_id}-remove",
        reader,
        form,
        lambda: access_lines.remove_line(
            ctx,
            line_id,
            AccessLineRemoveIn.model_validate(body),
            int(version) if version is not None else None,
        ),
    )


@router.post("/access-lines/{line_id}/events")
async def add_event(request: Request, line_id: int, user: Nurse) -> Response:
    """A dressing change, flush, line problem or infection of the line."""
    form = await request.form()
    reader = FormReader(form, user.units)
    patient_id = _patient_of(reader)
    body = access_view.event_body(reader)
    ctx = service_context(request, user.actor)
    return await _save(
        request,
        user,
        patient_id,
        f"line-{line_id}-event",
        reader,
        form,
        lambda: access_lines.add_line_event(ctx, line_id, LineEventIn.model_validate(body)),
    )
