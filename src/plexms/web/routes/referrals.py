"""The public referral form (no account) and the coordinator's triage queue.

The form is guarded by :mod:`plexms.web.spam` (rate limit, honeypot, minimum fill time) and
lands through :func:`plexms.services.clinical.referrals.submit_public_referral`; the clinic's
address and hours come from the centre's settings.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core import vocabulary
from plexms.services.admin import centres, throttle
from plexms.services.clinical import referrals
from plexms.services.errors import NotFound
from plexms.services.permissions import Permission
from plexms.services.schemas import PatientIn, ReferralIn, ReferralTriageIn
from plexms.web import spam
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import PublicUser, WebUser, has_database, requires, service_context
from plexms.web.templating import render

__all__ = ["router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PRESENTATIONS = vocabulary.PRESENTATIONS.options
SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Not stated"))
_TEXT_FIELDS = (
    "referrer_name",
    "referrer_organisation",
    "referrer_contact",
    "patient_given_name",
    "patient_family_name",
    "patient_contact",
    "reason",
)


def _clinic(request: Request) -> dict[str, Any] | None:
    if not has_database(request):
        return None
    try:
        centre = centres.public_centre(service_context(request))
    except NotFound:
        return None
    weekly = (centre.policy.get("hours") or {}).get("weekly") or []
    hours = [(_DAYS[i], h) for i, h in enumerate(weekly) if i < 7]
    address = ", ".join(p for p in (centre.address_line, centre.city) if p)
    region = " ".join(p for p in (centre.region, centre.postal_code) if p)
    return {
        "name": centre.name,
        "address": f"{address}, {region}" if region else address,
        "phone": centre.phone,
        "email": centre.email,
        "hours": hours,
        "time_zone": centre.time_zone,
    }


def _allow(request: Request, client: str) -> bool:
    """One more submission from ``client`` within the rate limit: counted in the database, so
    every worker and every app instance shares it (issue 19); in memory only for a web app
    without a database (the calculators-only pages)."""
    web = request.app.state.web
    if has_database(request):
        return throttle.allow_referral(
            service_context(request),
            client,
            web.referral_max_per_window,
            web.referral_window_seconds,
        )
    return bool(request.app.state.web_referral_limiter.allow(client))


async def _form_page(
    request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    secret = request.app.state.web.secret
    ctx = {
        "nav": "referral",
        "values": values,
        "errors": errors,
        "presentations": PRESENTATIONS,
        "sexes": SEXES,
        "clinic": await run_in_threadpool(_clinic, request),
        "stamp": spam.issue_form_stamp(secret),
        "honeypot": spam.HONEYPOT_FIELD,
    }
    return render(request, "referral.html", ctx, status_code=status)


@router.get("/referral")
async def referral_form(request: Request, _: PublicUser) -> Response:
    """The public "request an assessment" form."""
    return await _form_page(request, {}, {})


@router.post("/referral")
async def referral_submit(request: Request, _: PublicUser) -> Response:
    """Check the spam guards, validate, and hand the referral to the service."""
    web = request.app.state.web
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "form_ts")}
    client = request.client.host if request.client else "unknown"
    if not await run_in_threadpool(_allow, request, client):
        message = "Too many requests from your connection. Please try again later or phone us."
        return await _form_page(request, values, {"form": message}, status=429)
    if str(form.get(spam.HONEYPOT_FIELD, "")).strip():
        return render(request, "referral_done.html", {"nav": "referral"})  # dropped silently
    elapsed = await run_in_threadpool(spam.accept_form_stamp, request, str(form.get("form_ts", "")))
    if elapsed is None or elapsed < web.referral_min_fill_seconds:
        message = "The form was sent too quickly or has expired. Please check it and send it again."
        return await _form_page(request, values, {"form": message}, status=422)
    reader = FormReader(form)
    data: dict[str, Any] = {name: reader.text(name, max_length=2000) or "" for name in _TEXT_FIELDS}
    for required in ("referrer_name", "referrer_contact", "patient_family_name", "reason"):
        if not data[required]:
            reader.fail(required, "Required.")
    data["presentation"] = reader.choice(
        "presentation", [p for p, _ in PRESENTATIONS], required=True
    )
    data["patient_birth_date"] = reader.date("patient_birth_date", required=True)
    data["patient_sex"] = reader.choice("patient_sex", [k for k, _ in SEXES], required=True)
    data["onset_date"] = reader.date("onset_date")
    if not reader.ok:
        return await _form_page(request, values, reader.errors, status=422)
    try:
        referral = ReferralIn.model_validate(data)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors(include_url=False)}
        return await _form_page(request, values, errors, status=422)
    await run_in_threadpool(referrals.submit_public_referral, service_context(request), referral)
    return render(request, "referral_done.html", {"nav": "referral"})


@router.get("/referrals")
async def triage_queue(
    request: Request, user: Annotated[WebUser, requires(Permission.PATIENT_READ)]
) -> Response:
    """Referrals awaiting triage, oldest first, and the latest decisions."""
    ctx = service_context(request, user.actor)
    pending = await run_in_threadpool(lambda: referrals.list_referrals(ctx, status="pending"))
    declined = await run_in_threadpool(lambda: referrals.list_referrals(ctx, status="declined"))
    page = {"nav": "referrals", "pending": pending, "declined": declined, "user": user}
    return render(request, "referrals.html", page)


@router.get("/referrals/{referral_id}")
async def referral_detail(
    request: Request, referral_id: int, user: Annotated[WebUser, requires(Permission.PATIENT_READ)]
) -> Response:
    """One referral with the triage form."""
    ctx = service_context(request, user.actor)
    referral = await run_in_threadpool(referrals.get_referral, ctx, referral_id)
    return render(
        request,
        "referral_triage.html",
        {"nav": "referrals", "r": referral, "errors": {}, "values": {}, "sexes": SEXES},
    )


@router.post("/referrals/{referral_id}/triage")
async def referral_triage(
    request: Request,
    referral_id: int,
    user: Annotated[WebUser, requires(Permission.REFERRAL_TRIAGE)],
) -> Response:
    """Accept (creating the patient) or decline; a stale version is shown as a conflict."""
    form = await request.form()
    reader = FormReader(form)
    decision = reader.choice("status", ("accepted", "declined"), required=True)
    version = reader.number("version", lo=1, integer=True, required=True)
    note = reader.text("triage_note") or ""
    if decision == "declined" and len(note.strip()) < 3:
        reader.fail("triage_note", "Say why the referral is declined (the reply to the referrer).")
    new_patient = None
    if decision == "accepted":
        try:
            new_patient = PatientIn.model_validate(
                {
                    "mrn": reader.raw("mrn"),
                    "family_name": reader.raw("family_name"),
                    "given_name": reader.raw("given_name"),
                    "birth_date": reader.date("birth_date", required=True) or dt.date(1900, 1, 1),
                    "sex": reader.raw("sex") or "unknown",
                }
            )
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                reader.fail(str(e["loc"][0]), e["msg"])
    ctx = service_context(request, user.actor)
    if not reader.ok:
        referral = await run_in_threadpool(referrals.get_referral, ctx, referral_id)
        page = {
            "nav": "referrals",
            "r": referral,
            "errors": reader.errors,
            "values": dict(form),
            "sexes": SEXES,
        }
        return render(request, "referral_triage.html", page, status_code=422)
    body = ReferralTriageIn(status=decision, triage_note=note, new_patient=new_patient)  # type: ignore[arg-type]
    result = await run_in_threadpool(
        referrals.triage_referral, ctx, referral_id, body, int(version or 0)
    )
    target = f"/patients/{result.patient_id}" if result.patient_id else f"/referrals/{result.id}"
    return RedirectResponse(target, status_code=303)
