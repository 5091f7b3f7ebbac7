"""The course summary for the referring neurologist: what was done, what it did, what next.

Sections: indication and basis (ASFA category/grade with sources), prescription, each session
(volumes, fluids, adverse events), labs, predicted vs measured IgG and fibrinogen, EDSS and
visual acuity before and after with the response classification, DMT hand-back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.core.asfa import asfa_entry
from plexms.core.errors import InputError
from plexms.core.record import Assessment as EligibilityAssessment
from plexms.core.record import Course, Episode, OutcomeAssessment
from plexms.core.response import TND_GRADES, Assessment, classify_response
from plexms.core.sources import SOURCES
from plexms.reports.charts import levels_chart_svg
from plexms.reports.inputs import LabDisplay, ReportRecord, session_window
from plexms.reports.levels import course_levels
from plexms.reports.render import html_to_pdf, local_time, render_html, svg_data_uri, zone_label

__all__ = ["course_summary_html", "course_summary_pdf"]

_DIAGNOSIS = {"rrms": "relapsing_ms", "spms": "progressive_ms", "ppms": "progressive_ms"}
_PRESENTATION = {"cis": "relapse", "other": "relapse"}
_PRESCRIPTION_ROWS = (
    ("total_blood_volume_ml", "Total blood volume", "mL"),
    ("plasma_volume_ml", "Plasma volume", "mL"),
    ("exchange_volume_ml", "Exchange volume (each exchange)", "mL"),
    ("albumin_g", "Albumin (each exchange)", "g"),
    ("calcium_gluconate_10pct_ml", "Calcium gluconate 10% (each exchange)", "mL"),
    ("whole_blood_processed_ml", "Whole blood processed (each exchange)", "mL"),
    ("run_minutes", "Run time (each exchange)", "min"),
)


def _basis(
    record: ReportRecord, course: Course, assessment: EligibilityAssessment | None
) -> dict[str, Any]:
    if assessment is not None and assessment.result.get("asfa", {}).get("category"):
        asfa = assessment.result["asfa"]
        return {
            "origin": f"eligibility assessment of {assessment.assessed_at:%Y-%m-%d}",
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


def _prescription(course: Course) -> list[tuple[str, str]]:
    data = dict(course.prescription or {})
    replacement = data.get("replacement") or {}
    data.setdefault("albumin_g", replacement.get("albumin_g"))
    rows = [
        ("Exchanges planned", str(course.planned_exchanges)),
        ("Plasma volumes per exchange", f"{course.plasma_volumes_per_exchange:g}"),
        ("Replacement fluid", course.replacement_fluid.replace("_", " ") + "%"),
        ("Course start", f"{course.start_date:%Y-%m-%d}"),
    ]
    for key, label, unit in _PRESCRIPTION_ROWS:
        value = data.get(key)
        if isinstance(value, int | float):
            rows.append((label, f"{value:,.0f} {unit}" if value >= 10 else f"{value:g} {unit}"))
    return rows


def _sessions(record: ReportRecord, course: Course, zone: str) -> list[dict[str, Any]]:
    rows = []
    for s in (s for s in record.sessions if s.course_id == course.id):
        start, end = session_window(s)
        events = [ae for ae in record.adverse_events if ae.session_id == s.id]
        fluids = ", ".join(
            f"{str(f.get('fluid', '')).replace('_', ' ')} {f.get('volume_ml', 0):,.0f} mL"
            for f in s.replacement_fluids
            if isinstance(f, dict)
        )
        rows.append(
            {
                "sequence": s.sequence,
                "date": f"{local_time(start, zone):%a %Y-%m-%d}",
                "time": f"{local_time(start, zone):%H:%M}–{local_time(end, zone):%H:%M}",
                "status": s.status,
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
                    f"{ae.event_type.replace('_', ' ')} ({ae.severity})" for ae in events
                ],
            }
        )
    return rows


_CRITERION_LABELS = {
    "edss_standard": "EDSS change",
    "llufriu_2009": "Llufriu 2009",
    "tnd": "Targeted deficit",
    "recovery": "Recovery",
    "relapse_severity": "Relapse severity",
}


def _response(
    before: OutcomeAssessment, after: OutcomeAssessment, episode: Episode | None
) -> list[dict[str, str]]:
    """Every response definition of :func:`plexms.core.response.classify_response`."""
    tnd = after.targeted_deficit if after.targeted_deficit in TND_GRADES else None
    presentation = episode.presentation if episode else "relapse"
    try:
        report = classify_response(
            Assessment(before.edss, before.va_right_logmar, before.va_left_logmar),
            Assessment(after.edss, after.va_right_logmar, after.va_left_logmar),
            pre_relapse_edss=episode.edss_pre_relapse if episode else None,
            tnd=tnd,
            indication=presentation,
        )
    except InputError as exc:
        return [{"name": "Response", "result": f"not classified: {exc}", "source": ""}]
    return [
        {
            "name": _CRITERION_LABELS.get(name, name),
            "result": c.result.replace("_", " ")
            + (f" (missing: {', '.join(c.missing)})" if c.missing else ""),
            "source": c.source,
        }
        for name, c in report.items()
    ]


def _outcomes(record: ReportRecord, course: Course, episode: Episode | None) -> dict[str, Any]:
    visits = [o for o in record.outcomes if o.course_id in (course.id, None)]
    before = next((o for o in visits if o.timepoint == "baseline"), visits[0] if visits else None)
    after = next((o for o in reversed(visits) if o is not before), None)
    change = None
    if before and after and before.edss is not None and after.edss is not None:
        change = after.edss - before.edss
    return {
        "visits": visits,
        "before": before,
        "after": after,
        "edss_change": change,
        "response": _response(before, after, episode) if before and after else [],
    }


def _hand_back(record: ReportRecord, course: Course) -> dict[str, Any] | None:
    plan = next((h for h in reversed(record.hand_backs) if h.course_id == course.id), None)
    if plan is None:
        return None
    done = [session_window(s)[1] for s in record.sessions if s.course_id == course.id]
    last = max(done).date() if done else None
    days = (plan.earliest_dose_date - last).days if plan.earliest_dose_date and last else None
    return {"row": plan, "last_exchange": last, "days_after_last": days}


def course_summary_html(
    record: ReportRecord,
    course: Course,
    *,
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
    now: dt.datetime,
) -> str:
    """The course summary as HTML (autoescaped; the chart embedded as SVG)."""
    zone = record.centre.time_zone
    figure = course_levels(record, course, display)
    chart = svg_data_uri(levels_chart_svg(figure.panels)) if figure.panels else None
    basis = _basis(record, course, assessment)
    course_labs = [
        {
            "when": f"{local_time(lab.taken_at, zone):%Y-%m-%d %H:%M}",
            "analyte": lab.analyte.replace("_", " "),
            "timing": lab.timing or "—",
            "value": display.text(lab.analyte, lab.value, lab.unit),
        }
        for lab in record.labs
    ]
    episode = next((e for e in record.episodes if e.id == course.episode_id), None)
    outcomes = _outcomes(record, course, episode)
    response_sources = [r["source"] for r in outcomes["response"] if r["source"]]
    keys = dict.fromkeys([*basis["sources"], *figure.sources, *response_sources])
    for key in (course.prescription or {}).get("sources", []):
        keys[key["key"] if isinstance(key, dict) else str(key)] = None
    return render_html(
        "course_summary.html",
        centre=record.centre,
        patient=record.patient,
        course=course,
        generated=f"{local_time(now, zone):%Y-%m-%d %H:%M}",
        zone=zone_label(zone, now),
        episode=episode,
        steroids=record.steroid_courses,
        basis=basis,
        prescription=_prescription(course),
        sessions=_sessions(record, course, zone),
        adverse_events=[
            {
                "onset": f"{local_time(ae.onset_at, zone):%Y-%m-%d %H:%M}",
                "event": ae.event_type.replace("_", " "),
                "severity": ae.severity,
                "interrupted": "yes" if ae.procedure_interrupted else "no",
                "action": ae.action,
                "outcome": ae.outcome,
            }
            for ae in record.adverse_events
            if ae.course_id == course.id
        ],
        labs=course_labs,
        chart=chart,
        chart_notes=figure.notes,
        outcomes=outcomes,
        dmts=record.dmts,
        hand_back=_hand_back(record, course),
        sources=[SOURCES[k].cite() for k in keys if k in SOURCES],
    )


def course_summary_pdf(
    record: ReportRecord,
    course: Course,
    *,
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
    now: dt.datetime,
) -> bytes:
    """The course summary as a PDF (WeasyPrint)."""
    return html_to_pdf(
        course_summary_html(record, course, assessment=assessment, display=display, now=now)
    )
