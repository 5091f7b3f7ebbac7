"""Pages read in one go: the clinic's Today board and a patient's page.

One use case, one transaction and one audit row for each page (a page is one view of the
record), instead of a transaction and an audit row for each list on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plexms.services import audit
from plexms.services._records import page_of
from plexms.services._usecase import use_case
from plexms.services.clinical.courses import COURSE_ORDER, courses_query
from plexms.services.clinical.patients import PATIENT_ORDER, load_patient, patients_query, rows_of
from plexms.services.clinical.referrals import REFERRAL_ORDER, referrals_query
from plexms.services.clinical.sessions import (
    EVENT_ORDER,
    SESSION_ORDER,
    events_query,
    sessions_query,
)
from plexms.services.clinical.supplies import compute_forecast
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas import EpisodeOut, PatientOut, ReferralOut
from plexms.services.schemas.clinical import AdverseEventOut, AssessmentOut, CourseOut, SessionOut
from plexms.services.schemas.common import Page
from plexms.services.schemas.supplies import ItemForecastOut
from plexms.store.models import Assessment, Episode, Patient

__all__ = ["PatientPage", "TodayBoard", "patient_page", "today_board"]

BOARD_LIST = 20  # patients shown per stage (the rest are counted)
BOARD_EVENTS = 50
BOARD_REFERRALS = 10
BOARD_SESSIONS = 100
PATIENT_PAGE_LIST = 50  # referrals and courses on the patient page (as the list use cases)


class TodayBoard(BaseModel):
    """The board's lists; each ``Page`` has the total as well as the rows shown."""

    week: Page[SessionOut]
    recent: Page[SessionOut]
    events: Page[AdverseEventOut]
    pending: Page[ReferralOut]
    active: Page[PatientOut]
    planned: Page[PatientOut]
    completed: Page[PatientOut]
    # the patient of every session and event above, so each row can name its patient
    patients: dict[int, PatientOut] = Field(default_factory=dict)
    # supplies that run short within the centre's forecast period (issue 17, item 5)
    shortages: list[ItemForecastOut] = Field(default_factory=list)


def _named(session: Session, ctx: ServiceContext, ids: set[int]) -> dict[int, PatientOut]:
    """The patients with ``ids`` in the actor's centre (so each row can name its patient)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Patient).where(Patient.id.in_(sorted(ids)), Patient.centre_id == ctx.centre_id)
    ).scalars()
    return {row.id: PatientOut.model_validate(row) for row in rows}


def _page(session: Session, model: type[Any], query: Select[Any], limit: int, order: Any) -> Any:
    """The first page (offset 0)."""
    return page_of(session, model, query, limit, 0, order)


@use_case(Permission.PATIENT_READ)
def today_board(
    ctx: ServiceContext, *, week: tuple[dt.datetime, dt.datetime], recent_from: dt.datetime
) -> TodayBoard:
    """Sessions planned in ``week`` and since ``recent_from``, the latest adverse events,
    referrals awaiting triage, and the patients in, before and after a course."""
    start, end = week
    with ctx.db.write() as session:
        board = TodayBoard(
            week=_page(
                session,
                SessionOut,
                sessions_query(ctx, start=start, end=end),
                BOARD_SESSIONS,
                SESSION_ORDER,
            ),
            recent=_page(
                session,
                SessionOut,
                sessions_query(ctx, start=recent_from, end=start + dt.timedelta(days=1)),
                BOARD_SESSIONS,
                SESSION_ORDER,
            ),
            events=_page(session, AdverseEventOut, events_query(ctx), BOARD_EVENTS, EVENT_ORDER),
            pending=_page(
                session,
                ReferralOut,
                referrals_query(ctx, status="pending"),
                BOARD_REFERRALS,
                REFERRAL_ORDER,
            ),
            **{
                name: _page(
                    session,
                    PatientOut,
                    patients_query(ctx, stage=f"course_{name}")[0],
                    BOARD_LIST,
                    PATIENT_ORDER,
                )
                for name in ("active", "planned", "completed")
            },
        )
        ids = {s.patient_id for s in (*board.week.items, *board.recent.items)}
        ids |= {e.patient_id for e in board.events.items}
        board.patients = _named(session, ctx, ids)
        if ctx.centre_id is not None:
            board.shortages = compute_forecast(session, ctx, None).shortages
        audit.record(
            session,
            ctx,
            "read",
            entity="today_board",
            detail={
                "use_case": "today_board",
                "returned": {
                    name: len(getattr(board, name).items)
                    for name in TodayBoard.model_fields
                    if name not in ("patients", "shortages")
                },
            },
        )
        return board


class PatientPage(BaseModel):
    """One patient's page: demographics, MS history, referrals, courses and assessments."""

    patient: PatientOut
    episodes: list[EpisodeOut]
    referrals: Page[ReferralOut]
    courses: Page[CourseOut]
    assessments: list[AssessmentOut]


@use_case(Permission.PATIENT_READ)
def patient_page(ctx: ServiceContext, patient_id: int) -> PatientPage:
    """Everything the patient page shows, read together (410 if deleted, 404 elsewhere)."""
    with ctx.db.write() as session:
        patient = load_patient(session, ctx, patient_id)
        out = PatientPage(
            patient=PatientOut.model_validate(patient),
            episodes=rows_of(session, ctx, patient.id, Episode, EpisodeOut, Episode.onset_date),
            referrals=_page(
                session,
                ReferralOut,
                referrals_query(ctx, patient_id=patient.id),
                PATIENT_PAGE_LIST,
                REFERRAL_ORDER,
            ),
            courses=_page(
                session,
                CourseOut,
                courses_query(ctx, patient_id=patient.id),
                PATIENT_PAGE_LIST,
                COURSE_ORDER,
            ),
            assessments=rows_of(
                session, ctx, patient.id, Assessment, AssessmentOut, Assessment.assessed_at
            ),
        )
        audit.record(
            session,
            ctx,
            "read",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            detail={
                "use_case": "patient_page",
                "returned": {
                    "episodes": len(out.episodes),
                    "referrals": len(out.referrals.items),
                    "courses": len(out.courses.items),
                    "assessments": len(out.assessments),
                },
            },
        )
        return out
