"""The nurse's session sheet: pre-session go/no-go (``calc precheck``), what was done, adverse
events with their WAA severity, sign-off. A sheet changed by someone else since it was opened
is not overwritten: the nurse sees a conflict message (412) and the current version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core import vocabulary
from plexms.core.errors import InputError
from plexms.core.policy import DEFAULT_TIME_ZONE
from plexms.services.clinical import access_lines, courses, patients, sessions
from plexms.services.errors import Conflict, StaleVersion
from plexms.services.permissions import Permission
from plexms.services.schemas.clinical import (
    AdverseEventIn,
    PrecheckIn,
    SessionAddendumIn,
    SessionRecordIn,
)
from plexms.web import session_view, sheet_view
from plexms.web.errors import STALE_MESSAGE, WebRoute
from plexms.web.forms import FormReader, UnitConvention
from plexms.web.session import WebUser, requires, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Nurse = Annotated[WebUser, requires(Permission.SESSION_RECORD)]


def _zone(user: WebUser) -> str:
    return user.centre.time_zone if user.centre else DEFAULT_TIME_ZONE


def _load(request: Request, user: WebUser, session_id: int) -> dict[str, Any]:
    ctx = service_context(request, user.actor)
    s = sessions.get_session(ctx, session_id)
    course = courses.get_course(ctx, s.course_id)
    siblings = courses.list_course_sessions(ctx, s.course_id)
    events = sessions.list_adverse_events(ctx, patient_id=s.patient_id).items
    previous = [x for x in siblings if x.sequence < s.sequence and x.status == "done"]
    last_end = None
    if previous:
        last = previous[-1]
        last_end = last.actual_end or last.actual_start or last.planned_end
    hours = None
    if last_end is not None:
        # The check is for this session: at its planned start, or now if that has passed.
        at = max(ctx.now, s.planned_start)
        hours = round((at - last_end).total_seconds() / 3600, 1)
        hours = max(hours, 0.0)
    zone = _zone(user)
    access = access_lines.access_summary(ctx, s.patient_id)
    in_place = [
        x for x in access.lines if x.removed_on is None and x.kind == access.precheck_access
    ]
    hint = ""
    if in_place:
        line = in_place[0]
        hint = (
            f"From the record: {vocabulary.LINE_TYPES.label(line.line_type)}, "
            f"{vocabulary.LINE_SITES.label(line.site)}, in since {line.inserted_on.isoformat()}"
        )
    return {
        "access_from_record": access.precheck_access,
        "access_hint": hint or "No line in place on record: state the access.",
        "s": s,
        "e": sheet_view.effective(s),
        "corrected": sheet_view.corrected_fields(s),
        "stored": sheet_view.sheet_values(s, user.units, zone),
        "targets": sheet_view.targets(course, sheet_view.effective(s)),
        "c": course,
        "p": patients.get_patient(ctx, s.patient_id),
        "events": [e for e in events if e.session_id == s.id],
        "hours_since_last": hours,
        "zone": zone,
        "planned_local": session_view.local_input(s.planned_start, zone),
        "planned_end_local": session_view.local_input(s.planned_end, zone),
    }


def _page(
    request: Request,
    user: WebUser,
    session_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    section: str = "",
    conflict: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "session_sheet.html",
        {
            "nav": "patients",
            "units": user.units,
            "symptoms": session_view.SYMPTOMS,
            "event_types": session_view.EVENT_TYPES,
            "access_options": session_view.ACCESS,
            "vascular_access_options": session_view.VASCULAR_ACCESS,
            "lock_options": vocabulary.LOCK_SOLUTIONS.options,
            "dressing_options": vocabulary.LINE_DRESSING.options,
            "fluids": session_view.FLUIDS,
            "lot_fields": [
                (name, label) for name, (_kind, label) in session_view.LOT_FIELDS.items()
            ],
            "vital_phases": session_view.VITAL_PHASES,
            "tolerance": sheet_view.TARGET_TOLERANCE,
            "change_text": lambda field, value: sheet_view.change_text(
                field, value, user.units, _zone(user)
            ),
            "addendum_fields": [(k, v[0]) for k, v in sheet_view.ADDENDUM_FIELDS.items()],
            "values": values or {},
            "errors": errors or {},
            "section": section,
            "conflict": conflict,
            **_load(request, user, session_id),
        },
        status_code=status,
    )


@router.get("/sessions/{session_id}")
async def session_sheet(request: Request, session_id: int, user: Reader) -> Response:
    """The sheet as it stands."""
    return await run_in_threadpool(lambda: _page(request, user, session_id))


def _field_of(exc: InputError, form: Any) -> str:
    if exc.field.startswith("lots["):
        # lots[i].x: the form field of the i-th lot read from the form
        index = int(exc.field[5 : exc.field.index("]")])
        lots = session_view.lots_from_form(FormReader(form, UnitConvention()))
        return f"lot_{lots[index]['kind']}" if index < len(lots) else "form"
    name = exc.field.split(".")[-1]
    return name if name in form else "form"


@router.post("/sessions/{session_id}/precheck")
async def session_precheck(request: Request, session_id: int, user: Nurse) -> Response:
    """Run the go/no-go rules on the pre-session values and store the decision."""
    form = await request.form()
    reader = FormReader(form, user.units)
    version = reader.number("version", lo=1, integer=True, required=True)
    data = await run_in_threadpool(_load, request, user, session_id)
    body = session_view.precheck_request(reader, data["hours_since_last"])
    ctx = service_context(request, user.actor)
    return await _save_or_rerender(
        request,
        user,
        session_id,
        form,
        reader,
        "precheck",
        lambda: sessions.record_precheck(
            ctx, session_id, PrecheckIn(request=body), int(version or 0)
        ),
    )


@router.post("/sessions/{session_id}/record")
async def session_record(request: Request, session_id: int, user: Nurse) -> Response:
    """Store what was done (and the sign-off); messages beside the fields otherwise."""
    form = await request.form()
    reader = FormReader(form, user.units)
    version = reader.number("version", lo=1, integer=True, required=True)
    body = session_view.record_body(reader, _zone(user))
    ctx = service_context(request, user.actor)
    return await _save_or_rerender(
        request,
        user,
        session_id,
        form,
        reader,
        "record",
        lambda: sessions.record_session(
            ctx, session_id, SessionRecordIn.model_validate(body), int(version or 0)
        ),
    )


@router.post("/sessions/{session_id}/sign-off")
async def session_sign_off(request: Request, session_id: int, user: Nurse) -> Response:
    """Sign the sheet off as saved: no values are sent, none change."""
    form = await request.form()
    reader = FormReader(form, user.units)
    version = reader.number("version", lo=1, integer=True, required=True)
    ctx = service_context(request, user.actor)
    return await _save_or_rerender(
        request,
        user,
        session_id,
        form,
        reader,
        "sign-off",
        lambda: sessions.sign_off_session(ctx, session_id, int(version or 0)),
    )


@router.post("/sessions/{session_id}/addenda")
async def session_addendum(request: Request, session_id: int, user: Nurse) -> Response:
    """Correct a signed sheet by an addendum (why, and the field's new value)."""
    form = await request.form()
    reader = FormReader(form, user.units)
    ctx = service_context(request, user.actor)
    current = await run_in_threadpool(sessions.get_session, ctx, session_id)
    body = sheet_view.addendum_body(reader, _zone(user), sheet_view.effective(current).lots)
    return await _save_or_rerender(
        request,
        user,
        session_id,
        form,
        reader,
        "addenda",
        lambda: sessions.add_session_addendum(
            ctx, session_id, SessionAddendumIn.model_validate(body)
        ),
    )


async def _save_or_rerender(
    request: Request,
    user: WebUser,
    session_id: int,
    form: Any,
    reader: FormReader,
    section: str,
    save: Callable[[], object],
) -> Response:
    """Run ``save`` when the form read cleanly; back to the section on success, otherwise the
    sheet again with messages beside the fields (422), the edit conflict (412) or the
    record's state (409)."""
    status, conflict = 422, ""
    if reader.ok:
        try:
            await run_in_threadpool(save)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                reader.fail(str(e["loc"][0]), e["msg"])
                reader.fail("form", f"{'.'.join(map(str, e['loc']))}: {e['msg']}")
        except StaleVersion:
            status, conflict = 412, STALE_MESSAGE
        except Conflict as exc:
            status, conflict = 409, exc.detail
        except InputError as exc:
            reader.fail(_field_of(exc, form), exc.message)
            reader.fail("form", f"{exc.field.split('.')[-1]}: {exc.message}")
        else:
            return RedirectResponse(f"/sessions/{session_id}#{section}", status_code=303)
    return await run_in_threadpool(
        lambda: _page(
            request,
            user,
            session_id,
            values=dict(form),
            errors=reader.errors,
            section=section,
            conflict=conflict,
            status=status,
        )
    )


@router.post("/sessions/{session_id}/adverse-events")
async def session_adverse_event(request: Request, session_id: int, user: Nurse) -> Response:
    """Record an adverse event of this session with its WAA severity."""
    form = await request.form()
    reader = FormReader(form, user.units)
    body = session_view.adverse_event(reader, _zone(user))
    ctx = service_context(request, user.actor)
    if reader.ok:
        s = await run_in_threadpool(sessions.get_session, ctx, session_id)
        data = AdverseEventIn.model_validate({**body, "session_id": session_id})
        await run_in_threadpool(sessions.report_adverse_event, ctx, s.patient_id, data)
        return RedirectResponse(f"/sessions/{session_id}#adverse-events", status_code=303)
    return await run_in_threadpool(
        lambda: _page(
            request,
            user,
            session_id,
            values=dict(form),
            errors=reader.errors,
            section="ae",
            status=422,
        )
    )
