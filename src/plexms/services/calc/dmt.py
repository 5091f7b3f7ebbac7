"""``plexms calc dmt``: hand-back to disease-modifying therapy after a TPE course
(:mod:`plexms.core.dmt`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from plexms.core.dmt import Course, DmtAdvice, dmt_advice
from plexms.core.policy import CentrePolicy
from plexms.services.calc import Calculator

__all__ = ["CALCULATOR", "DmtRequest", "compute"]

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Count = Annotated[int, Strict()]
Date = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
DmtKey = Literal[
    "interferon_beta",
    "glatiramer_acetate",
    "natalizumab",
    "ocrelizumab",
    "ofatumumab",
    "ublituximab",
    "rituximab",
    "inebilizumab",
    "eculizumab",
    "ravulizumab",
    "satralizumab",
    "alemtuzumab",
    "fingolimod",
    "siponimod",
    "ozanimod",
    "ponesimod",
    "dimethyl_fumarate",
    "diroximel_fumarate",
    "teriflunomide",
    "cladribine",
]


class CourseIn(BaseModel):
    """The TPE course: exchanges on ``exchange_dates`` (the sessions done) when given, else
    every ``interval_days`` of the centre from ``start_date``."""

    model_config = ConfigDict(extra="forbid")

    start_date: Date
    exchanges: Count = Field(ge=1, le=20)
    plasma_volumes_per_exchange: Number = Field(default=1.0, ge=0.1, le=3.0)
    exchange_dates: list[Date] | None = Field(
        default=None, max_length=20, description="one per exchange: the dates actually done"
    )


class DmtRequest(BaseModel):
    """One hand-back request (fields as in issue 4)."""

    model_config = ConfigDict(extra="forbid")

    dmt: DmtKey
    last_dose_date: Date | None = None
    course: CourseIn | None = None
    next_dose_due: Date | None = Field(
        default=None,
        description="the date the schedule gives for the next dose; the answer's "
        "next_dose_date is the later of it and the last exchange, never earlier",
    )


def compute(request: DmtRequest, policy: CentrePolicy, now: dt.datetime | None = None) -> DmtAdvice:
    """Answer one ``calc dmt`` request."""
    course = None
    if request.course is not None:
        given = request.course.model_dump()
        course = Course(**given | {"exchange_dates": tuple(given["exchange_dates"] or ())})
    return dmt_advice(
        request.dmt,
        last_dose_date=request.last_dose_date,
        course=course,
        policy=policy,
        next_dose_due=request.next_dose_due,
    )


CALCULATOR: Calculator[DmtRequest, DmtAdvice] = Calculator(
    name="dmt",
    summary="DMT hand-back: class, removal by TPE, timing; antibody doses modelled.",
    request_model=DmtRequest,
    compute=compute,
    to_json=DmtAdvice.to_dict,
    help=(
        'Request: {"dmt": "natalizumab", "last_dose_date": "2026-03-06", "course": '
        '{"start_date": "2026-03-10", "exchanges": 5, "plasma_volumes_per_exchange": 1.0, '
        '"exchange_dates": ["2026-03-10", ...] (optional: the dates actually done)}, '
        '"next_dose_due": "2026-03-20" (optional: the date the schedule gives)}. '
        "last_dose_date, course and next_dose_due may be left out (general advice only). "
        "Answer: dmt, label, class, kind, route, removed_by_tpe (yes, no, uncertain), basis, "
        "timing, advice [{rule, text, source}], last_exchange_date, scheduled_dose_date, "
        "next_dose_date (the later of the schedule and the last exchange), prediction "
        "{modelled, note, exchanges_after_dose, dose_fraction_removed, level_at_course_start, "
        "level_end_with_course, level_end_without_exchange, reduction_vs_no_exchange, "
        "wording} (antibody drugs with kinetic parameters; otherwise "
        '"no kinetic model: parameters not published"), sources, rule_version. '
        "Rules: docs/rules.md."
    ),
)
