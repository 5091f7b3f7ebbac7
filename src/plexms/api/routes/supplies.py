"""Lots and recalls, stock counts and the supplies forecast (issue 17, items 4 and 5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from plexms.api.deps import requires
from plexms.core.supplies import MAX_FORECAST_DAYS
from plexms.services.clinical import lots, supplies
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.supplies import ForecastOut, StockIn, StockOut

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["supplies"])
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Recall = Annotated[ServiceContext, requires(Permission.LOTS_RECALL)]
Stock = Annotated[ServiceContext, requires(Permission.STOCK_WRITE)]
LotPath = Annotated[str, Path(min_length=1, max_length=64, description="a lot or serial number")]
Days = Annotated[
    int | None, Query(ge=1, le=MAX_FORECAST_DAYS, description="days ahead (centre setting)")
]


@router.get("/lots/{lot}/sessions", response_model=lots.RecallOut)
def recall(ctx: Recall, lot: LotPath) -> lots.RecallOut:
    """A recall: the patients of this centre whose sessions used the lot (or serial), with
    name, MRN, phone, e-mail and the session dates; audited."""
    return lots.recall_lot(ctx, lot)


@router.get("/supplies/forecast", response_model=ForecastOut)
def forecast(ctx: Read, days: Days = None) -> ForecastOut:
    """Albumin bottles, ACD-A bags, calcium ampoules and tubing sets needed per day for the
    booked sessions, against the stock counted; the first day each runs short."""
    return supplies.supplies_forecast(ctx, days)


@router.get("/supplies/stock", response_model=list[StockOut])
def stock(ctx: Read) -> list[StockOut]:
    """The last count of each item."""
    return supplies.latest_stock(ctx)


@router.post("/supplies/stock", response_model=StockOut, status_code=201)
def count_stock(ctx: Stock, body: StockIn) -> StockOut:
    """Enter a count of one item (whole units; when counted, now if not given)."""
    return supplies.record_stock(ctx, body)
