"""The course summary for the referring neurologist: what was done, what it did, what next.

Sections: indication and basis (ASFA category/grade with sources), prescription, each session
(volumes, fluids, adverse events), labs, predicted vs measured IgG and fibrinogen, EDSS and
visual acuity before and after with the response classification, DMT hand-back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.core import vocabulary
from plexms.core.asfa import asfa_entry
from plexms.core.record import Assessment as EligibilityAssessment
from plexms.core.record import Course
from plexms.reports.charts import levels_chart_svg
from plexms.reports.inputs import LabDisplay, ReportRecord, session_window
from plexms.reports.levels import course_levels
from plexms.reports.render import html_to_pdf, local_time, render_html, svg_data_uri, zone_label
from plexms.reports.summary import CourseSummary, citation

__all__ = ["course_summary_html", "course_summary_pdf"]

_DIAGNOSIS = {"rrms": "relapsing_ms", "spms": "progressive_ms", "ppms": "progressive_ms"}
_PRESENTATION = {"cis": "relapse", "other": "relapse"}


def _basis(
    record: ReportRecord,
    course: Course,
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
) -> dict[str, Any]:
    if assessment is not None and assessment.result.get("asfa", {}).get("category"):
        asfa = assessment.result["asfa"]
        return {
            "origin": f"eligibility assessment of {display.date(assessment.assessed_at)}",
            "edition": asfa.get("edition", ""),
            "indication": asfa.get("indication", ""),
            "category": asfa.get("category"),
            "grade": asfa.get("grade"),
            "recommendation": assessment.recommendation,
            "reasons": [r.get("text", "") for r in assessment.result.get("reasons", [])],
            "sources": [s["key"] for s in assessment.result.get("sources", []) if "key" in s],
        }
    episode = next((e for e in record.episodes if e.id == course.episode_id), None)
    presentation = episode.presentation if episode else "relapse"
    diagnosis = "cis" if presentation == "cis" else _DIAGNOSIS.get(record.patient.ms_phenotype)
    entry, reason = asfa_entry(
        "asfa-2023", diagnosis or "relapsing_ms", _PRESENTATION.get(presentation, presentation)
    )
    return {
        "origin": "derived from the recorded episode (no stored eligibility assessment)",
        "edition": "asfa-2023",
        "indication": entry.indication if entry else "",
        "category": entry.category if entry else None,
        "grade": entry.grade if entry else None,
        "recommendation": "",
        "reasons": [reason.text],
        "sources": [reason.source],
    }


def _sessions(
    record: ReportRecord, course: Course, zone: str, display: LabDisplay
) -> list[dict[str, Any]]:
    rows = []
    for s in (s for s in record.sessions if s.course_id == course.id):
        start, end = (local_time(t, zone) for t in session_window(s))
        events = [ae for ae in record.adverse_events if ae.session_id == s.id]
        fluids = ", ".join(
            f"{vocabulary.REPLACEMENT_FLUIDS.label(str(f.get('fluid', '')))} "
            f"{f.get('volume_ml', 0):,.0f} mL"
            for f in s.replacement_fluids
            if isinstance(f, dict)
        )
        rows.append(
            {
                "sequence": s.sequence,
                "date": f"{start:%a} {display.date(start)}",
                "time": f"{display.time(start)}–{display.time(end)}",
                "status": s.status + (" (signed off)" if s.signed_off_at else ""),
                "exchanged_ml": s.plasma_removed_ml,
                "processed_ml": s.whole_blood_processed_ml,
                "fluids": fluids or "—",
                "anticoagulant": (
                    f"{s.anticoagulant} {s.anticoagulant_ml:,.0f} mL"
                    if s.anticoagulant_ml is not None
                    else s.anticoagulant or "—"
                ),
                "calcium_ml": s.calcium_gluconate_ml,
                "access": s.vascular_access or "—",
                "adverse_events": [
                    f"{vocabulary.AE_TYPES.label(ae.event_type)} ({ae.severity})" for ae in events
                ],
            }
        )
    return rows


def course_summary_html(
    record: ReportRecord,
    course: Course,
    summary: CourseSummary,
    *,
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
    now: dt.datetime,
) -> str:
    """The course summary as HTML (autoescaped; the chart embedded as SVG): the figures of
    ``summary`` (the same object the course page and the letter show) and the detail rows."""
    zone = record.centre.time_zone
    figure = course_levels(record, course, display)
    chart = svg_data_uri(levels_chart_svg(figure.panels)) if figure.panels else None
    basis = _basis(record, course, assessment, display)
    episode = next((e for e in record.episodes if e.id == course.episode_id), None)
    cited = [c for k in [*basis["sources"], *figure.sources] if (c := citation(k)) is not None]
    visits = [o for o in record.outcomes if o.course_id in (course.id, None)]
    return render_html(
        "course_summary.html",
        centre=record.centre,
        patient=record.patient,
        course=course,
        s=summary,
        generated=display.datetime(local_time(now, zone)),
        fmt_date=display.date,
        zone=zone_label(zone, now),
        episode=episode,
        steroids=record.steroid_courses,
        basis=basis,
        sessions=_sessions(record, course, zone, display),
        chart=chart,
        chart_notes=figure.notes,
        visits=visits,
        timepoint=lambda t: t.replace("_", " "),
        tnd_label=vocabulary.TND_GRADES.label,
        dmts=record.dmts,
        sources=list(dict.fromkeys([*summary.sources, *cited])),
    )


def course_summary_pdf(
    record: ReportRecord,
    course: Course,
    summary: CourseSummary,
    *,
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
    now: dt.datetime,
) -> bytes:
    """The course summary as a PDF (WeasyPrint)."""
    return html_to_pdf(
        course_summary_html(
            record, course, summary, assessment=assessment, display=display, now=now
        )
    )
