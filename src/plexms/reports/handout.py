"""The patient handout: what TPE is, the patient's own appointments, preparing, side effects,
when to call, TPE vs IVIG and the clinic's contact details and opening hours.

Dates and times are the clinic's own clock (no time-zone names: the patient reads clinic
time); where the course stands comes from the course summary the letter and the course
page show. The TPE vs IVIG comparison is :func:`plexms.core.ivig.comparison` in its plain
(patient) wording.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.core.ivig import comparison
from plexms.core.policy import CentrePolicy, ClinicHours
from plexms.core.record import Course
from plexms.reports.inputs import CANONICAL, LabDisplay, ReportRecord, session_window
from plexms.reports.render import html_to_pdf, local_time, render_html
from plexms.reports.summary import CourseSummary, citation

__all__ = ["handout_html", "handout_pdf", "ivig_comparison"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EMERGENCY = {"US": "911", "CA": "911", "GB": "999", "AU": "000", "NZ": "111"}


def ivig_comparison() -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """TPE vs IVIG rows ``(topic, tpe, ivig)`` in plain wording, and their source keys."""
    content = comparison("patient")
    aspects: list[dict[str, Any]] = content["aspects"]  # type: ignore[assignment]
    rows = tuple((str(a["label"]), str(a["tpe"]), str(a["ivig"])) for a in aspects)
    return rows, tuple(str(k) for a in aspects for k in a["sources"])


def _hours(hours: ClinicHours, display: LabDisplay) -> list[tuple[str, str]]:
    def clock(text: str) -> str:
        return display.time(dt.time.fromisoformat(text))

    return [
        (day, f"{clock(h[0])}–{clock(h[1])}" if h else "closed")
        for day, h in zip(_WEEKDAYS, hours.weekly, strict=True)
    ]


def _appointments(
    record: ReportRecord, course: Course | None, zone: str, display: LabDisplay
) -> list[dict[str, Any]]:
    if course is None:
        return []
    rows = []
    for s in record.sessions:
        if s.course_id != course.id or s.status == "cancelled":
            continue
        start, end = session_window(s)
        local_start, local_end = local_time(start, zone), local_time(end, zone)
        rows.append(
            {
                "sequence": s.sequence,
                "date": f"{local_start:%A %d %B %Y}",
                "time": f"{display.time(local_start)} to {display.time(local_end)}",
                "status": {"done": "done", "held": "postponed"}.get(s.status, "booked"),
            }
        )
    return rows


def handout_html(
    record: ReportRecord,
    course: Course | None,
    summary: CourseSummary | None = None,
    *,
    policy: CentrePolicy,
    now: dt.datetime,
    display: LabDisplay = CANONICAL,
) -> str:
    """The patient handout as HTML (autoescaped); times in the centre's style (``display``)."""
    zone = record.centre.time_zone
    appointments = _appointments(record, course, zone, display)
    rows, keys = ivig_comparison()
    sources = [*keys, "ASFA_2023", "SEED_PROTOCOL", "WEINSTEIN_1996", "OWEN_BRECHER_1994"]
    return render_html(
        "handout.html",
        centre=record.centre,
        patient=record.patient,
        course=course,
        appointments=appointments,
        summary=summary,
        generated=f"{local_time(now, zone):%d %B %Y}",
        hours=_hours(policy.hours, display),
        ace_hold_hours=f"{policy.precheck.ace_inhibitor_hold_hours:g}",
        emergency=_EMERGENCY.get(record.centre.country, "your local emergency number"),
        ivig_rows=rows,
        sources=[c for k in dict.fromkeys(sources) if (c := citation(k)) is not None],
    )


def handout_pdf(
    record: ReportRecord,
    course: Course | None,
    summary: CourseSummary | None = None,
    *,
    policy: CentrePolicy,
    now: dt.datetime,
    display: LabDisplay = CANONICAL,
) -> bytes:
    """The patient handout as a PDF (WeasyPrint)."""
    return html_to_pdf(
        handout_html(record, course, summary, policy=policy, now=now, display=display)
    )
