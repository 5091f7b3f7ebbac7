"""The web app's routers, in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from plexms.web.routes import (
    access,
    assessment,
    auth,
    calendar,
    clinic,
    cohort,
    course,
    handback,
    outcome,
    pages,
    planner,
    referrals,
    registry,
    scores,
    session_sheet,
    supplies,
    unit_calendar,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    pages.router,
    auth.router,
    planner.router,
    cohort.router,
    scores.router,
    referrals.router,
    clinic.router,
    access.router,
    assessment.router,
    course.router,
    session_sheet.router,
    outcome.router,
    handback.router,
    registry.router,
    calendar.router,
    supplies.router,
    unit_calendar.router,
]
