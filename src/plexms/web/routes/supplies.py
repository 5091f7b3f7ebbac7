"""The supplies page: the forecast of what the booked sessions need per day against the
stock, and the unit's stock count (issue 17, item 5); the recall search by lot (item 4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from plexms.core.errors import InputError
from plexms.core.supplies import MAX_FORECAST_DAYS
from plexms.core.vocabulary import SUPPLY_ITEMS
from plexms.services.clinical import lots, supplies
from plexms.services.permissions import Permission
from plexms.services.schemas.supplies import StockIn
from plexms.web.errors import WebRoute
from plexms.web.forms import FormReader
from plexms.web.session import WebUser, requires, service_context
from plexms.web.templating import render

__all__ = ["ITEMS", "router"]

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reader = Annotated[WebUser, requires(Permission.PATIENT_READ)]
Counter = Annotated[WebUser, requires(Permission.STOCK_WRITE)]
Recaller = Annotated[WebUser, requires(Permission.LOTS_RECALL)]
ITEMS = SUPPLY_ITEMS.options


def _page(
    request: Request,
    user: WebUser,
    days: int | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ctx = service_context(request, user.actor)
    forecast = supplies.supplies_forecast(ctx, days)
    return render(
        request,
        "supplies.html",
        {
            "nav": "today",
            "f": forecast,
            "items": ITEMS,
            "max_days": MAX_FORECAST_DAYS,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/supplies")
async def supplies_page(request: Request, user: Reader, days: str = "") -> Response:
    """The forecast (``days`` ahead, the centre's setting if not given) and the stock."""
    wanted = int(days) if days.isdigit() and 1 <= int(days) <= MAX_FORECAST_DAYS else None
    return await run_in_threadpool(lambda: _page(request, user, wanted))


@router.post("/supplies/stock")
async def supplies_count(request: Request, user: Counter) -> Response:
    """Enter a stock count of one item (now); messages beside the fields otherwise."""
    form = await request.form()
    reader = FormReader(form, user.units)
    item = reader.choice("item", SUPPLY_ITEMS.values, required=True)
    quantity = reader.number("quantity", lo=0, hi=100_000, integer=True, required=True)
    note = reader.text("note", max_length=200) or ""
    if reader.ok:
        ctx = service_context(request, user.actor)
        try:
            body = StockIn(item=item or "", quantity=int(quantity or 0), note=note)
            await run_in_threadpool(supplies.record_stock, ctx, body)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                reader.fail(str(e["loc"][0]) if e["loc"] else "item", e["msg"])
        except InputError as exc:
            reader.fail(exc.field if exc.field in form else "item", exc.message)
        else:
            return RedirectResponse("/supplies#stock", status_code=303)
    return await run_in_threadpool(
        lambda: _page(request, user, None, values=dict(form), errors=reader.errors, status=422)
    )


@router.get("/lots")
async def recall_page(request: Request, user: Recaller, lot: str = "") -> Response:
    """A recall: the patients whose sessions used a lot or serial, to contact."""
    query = lot.replace("\x00", "").strip()[:64]
    ctx = service_context(request, user.actor)
    found = None
    error = ""
    if query:
        try:
            found = await run_in_threadpool(lots.recall_lot, ctx, query)
        except InputError as exc:
            error = exc.message
    return render(
        request, "recall.html", {"nav": "today", "lot": query, "found": found, "error": error}
    )
