"""One course summary: every figure the course page, the letter and both PDFs show about a
course, worked out once from the patient's record so that they cannot disagree.

It is built by :func:`build_course_summary` (pure: the record, the course, the stored
eligibility assessment and a lab formatter in; a frozen value out); the service use case
``services.sharing.reports.course_summary`` loads the record and calls it, and every front
renders the value it returns. Texts are for people: labels from ``core.vocabulary``, sources
as author and year with a link, no stored keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from plexms.core import vocabulary
from plexms.core.errors import InputError
from plexms.core.record import Assessment as EligibilityAssessment
from plexms.core.record import Course, Episode, OutcomeAssessment
from plexms.core.response import Assessment, classify_response
from plexms.core.sources import SOURCES
from plexms.core.vocabulary import MEASURE_SIDES, MEASURES
from plexms.reports.inputs import LabDisplay, ReportRecord, session_window
from plexms.reports.render import local_time

__all__ = [
    "Citation",
    "CourseSummary",
    "EdssPoint",
    "SummaryEvent",
    "SummaryHandBack",
    "SummaryLab",
    "SummaryMeasure",
    "SummaryResponse",
    "build_course_summary",
    "citation",
]

# Go/no-go lab fields (typed on the session sheet) -> analyte and unit as stored for labs.
_PRECHECK_LABS = {
    "fibrinogen_g_l": ("fibrinogen", "g/L"),
    "ionized_calcium_mmol_l": ("ionized_calcium", "mmol/L"),
    "total_calcium_mmol_l": ("calcium", "mmol/L"),
    "hemoglobin_g_dl": ("hemoglobin", "g/dL"),
    "platelets_10e9_l": ("platelets", "10*9/L"),
    "potassium_mmol_l": ("potassium", "mmol/L"),
}
_CRITERIA = {
    "edss_standard": "EDSS change",
    "llufriu_2009": "Llufriu 2009",
    "tnd": "Targeted neurological deficit",
    "recovery": "Recovery to the pre-relapse EDSS",
    "relapse_severity": "Relapse severity",
}
_TIMEPOINTS = {
    "baseline": "baseline visit",
    "during_course": "visit during the course",
    "end_of_course": "end-of-course visit",
    "1_month": "1-month visit",
    "3_months": "3-month visit",
    "6_months": "6-month visit",
    "other": "visit",
}


@dataclass(frozen=True, slots=True)
class Citation:
    """A source as people read it: author and year, the full reference, and a link."""

    short: str
    full: str
    link: str | None


def citation(key: str) -> Citation | None:
    """The readable citation of a ``core.sources`` key (``None`` for an unknown key)."""
    source = SOURCES.get(key)
    if source is None:
        return None
    return Citation(source.short(), source.cite(), source.link())


@dataclass(frozen=True, slots=True)
class SummaryLab:
    taken: str
    analyte: str
    timing: str
    value: str
    origin: str  # "laboratory" or "go/no-go check, session N"


@dataclass(frozen=True, slots=True)
class SummaryEvent:
    onset: str
    session: int | None
    event: str
    severity: str
    interrupted: bool
    action: str
    outcome: str


@dataclass(frozen=True, slots=True)
class SummaryResponse:
    name: str
    result: str
    source: Citation | None


@dataclass(frozen=True, slots=True)
class SummaryMeasure:
    """A measure beyond the EDSS: baseline and latest value, change, verdict, threshold."""

    name: str
    before: str
    after: str
    change: str
    result: str
    threshold: str
    source: Citation | None
    local_policy: bool


@dataclass(frozen=True, slots=True)
class EdssPoint:
    value: float | None
    text: str  # "4.5" or "—"
    label: str  # where it comes from: "baseline visit 2026-11-02"


@dataclass(frozen=True, slots=True)
class SummaryHandBack:
    planned_dmt: str
    earliest_dose: str
    days_after_last: int | None
    timing: str
    plan: str


@dataclass(frozen=True, slots=True)
class CourseSummary:
    """What the course was, what was done and what it did, as every document shows it."""

    patient_id: int
    course_id: int
    patient_name: str
    mrn: str
    referrer: str
    status: str
    status_label: str
    indication: str
    planned_exchanges: int
    exchanges_done: int
    exchanges_text: str
    first_exchange: str
    last_exchange: str
    prescription: tuple[tuple[str, str], ...]
    adverse_events: tuple[SummaryEvent, ...]
    labs: tuple[SummaryLab, ...]
    edss_before: EdssPoint
    edss_after: EdssPoint
    edss_change: float | None
    edss_text: str
    response: tuple[SummaryResponse, ...]
    response_note: str
    hand_back: SummaryHandBack | None
    sources: tuple[Citation, ...]
    measures: tuple[SummaryMeasure, ...] = ()
    edss_baseline_note: str = ""

    @property
    def measures_text(self) -> str:
        """One sentence on the measures beyond the EDSS (the letter's wording)."""
        if not self.measures:
            return ""
        parts = [
            f"{m.name} {m.before} → {m.after}: {m.result}"
            + (f" (meaningful change {m.threshold})" if m.threshold else "")
            for m in self.measures
        ]
        return "Measures beyond the EDSS: " + "; ".join(parts) + "."

    @property
    def adverse_events_text(self) -> str:
        """One sentence on the adverse events (the letter's and the page's wording)."""
        if not self.adverse_events:
            return "No adverse events."
        parts = [
            f"{e.event} ({e.severity.lower()}, {e.onset}"
            + (f", session {e.session}" if e.session else "")
            + ")"
            for e in self.adverse_events
        ]
        return "Adverse events: " + "; ".join(parts) + "."


_PRESCRIPTION_ROWS = (
    ("plasma_volume_ml", "Plasma volume", "mL"),
    ("exchange_volume_ml", "Exchange volume (each exchange)", "mL"),
    ("albumin_g", "Albumin (each exchange)", "g"),
    ("calcium_gluconate_10pct_ml", "Calcium gluconate 10% (each exchange)", "mL"),
    ("run_minutes", "Run time (each exchange)", "min"),
)


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if abs(value) >= 10 else f"{value:g} {unit}"


def _prescription(course: Course, display: LabDisplay) -> tuple[tuple[str, str], ...]:
    data = dict(course.prescription or {})
    replacement = data.get("replacement") or {}
    data.setdefault("albumin_g", replacement.get("albumin_g"))
    rows = [
        ("Exchanges planned", str(course.planned_exchanges)),
        ("Plasma volumes per exchange", f"{course.plasma_volumes_per_exchange:g}"),
        ("Replacement fluid", vocabulary.REPLACEMENT_FLUIDS.label(course.replacement_fluid)),
        ("Course start", display.date(course.start_date)),
    ]
    for key, label, unit in _PRESCRIPTION_ROWS:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((label, _amount(float(value), unit)))
    return tuple(rows)


def _labs(record: ReportRecord, course: Course, display: LabDisplay, zone: str) -> list[Any]:
    """Stored labs of the course window and the values typed into each go/no-go check."""
    mine = [s for s in record.sessions if s.course_id == course.id]
    ids = {s.id for s in mine}
    begun = [session_window(s)[0] for s in mine]
    start = min([dt.datetime.combine(course.start_date, dt.time(), dt.UTC), *begun])
    start -= dt.timedelta(days=14)  # the work-up labs before the first exchange
    rows: list[tuple[dt.datetime, SummaryLab]] = []
    for lab in record.labs:
        if lab.session_id in ids or lab.taken_at >= start:
            rows.append(
                (
                    lab.taken_at,
                    SummaryLab(
                        display.datetime(local_time(lab.taken_at, zone)),
                        lab.analyte.replace("_", " "),
                        lab.timing or "—",
                        display.text(lab.analyte, lab.value, lab.unit),
                        "laboratory",
                    ),
                )
            )
    for s in mine:
        typed = dict((s.precheck_inputs or {}).get("labs") or {})
        from_record = ((s.precheck_result or {}).get("from_record") or {}).get("labs") or {}
        at = s.actual_start or s.planned_start
        for field, value in typed.items():
            if field in from_record or field not in _PRECHECK_LABS:
                continue  # a stored lab (listed above) or not a lab value
            analyte, unit = _PRECHECK_LABS[field]
            shown = display.text(analyte, float(value), unit)
            rows.append(
                (
                    at,
                    SummaryLab(
                        display.datetime(local_time(at, zone)),
                        analyte.replace("_", " "),
                        "pre",
                        shown,
                        f"go/no-go check, session {s.sequence}",
                    ),
                )
            )
    return [lab for _, lab in sorted(rows, key=lambda r: r[0])]


def _before(
    visits: list[OutcomeAssessment],
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
) -> tuple[EdssPoint, dict[str, Any]]:
    base = next((o for o in visits if o.timepoint == "baseline"), None)
    if base is not None:
        label = f"baseline visit {display.date(base.assessed_on)}"
        point = EdssPoint(base.edss, _edss(base.edss), label)
        return point, {"visit": base, "right": base.va_right_logmar, "left": base.va_left_logmar}
    inputs = assessment.inputs if assessment else {}
    edss = inputs.get("edss_now")
    logmar = inputs.get("logmar") or {}
    if assessment is not None and edss is not None:
        label = f"eligibility assessment {display.date(assessment.assessed_at)}"
        point = EdssPoint(float(edss), _edss(float(edss)), label)
        return point, {"visit": None, "right": logmar.get("right"), "left": logmar.get("left")}
    return EdssPoint(None, "—", "no baseline recorded"), {"visit": None}


def _edss(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _response(
    before: EdssPoint,
    eyes: dict[str, Any],
    after: OutcomeAssessment | None,
    episode: Episode | None,
    indication: str,
) -> tuple[tuple[SummaryResponse, ...], str]:
    if after is None or (before.value is None and eyes.get("right") is None):
        return (), "No visit after the course with an EDSS yet: response not classified."
    tnd = after.targeted_deficit if after.targeted_deficit in vocabulary.TND_GRADES else None
    try:
        report = classify_response(
            Assessment(before.value, eyes.get("right"), eyes.get("left")),
            Assessment(after.edss, after.va_right_logmar, after.va_left_logmar),
            pre_relapse_edss=episode.edss_pre_relapse if episode else None,
            tnd=tnd,
            indication=indication if indication in vocabulary.PRESENTATIONS else "other",
        )
    except InputError as exc:
        return (), f"Response not classified: {exc}"
    rows = tuple(
        SummaryResponse(
            _CRITERIA.get(name, name),
            c.result.replace("_", " ")
            + (f" (missing: {', '.join(c.missing)})" if c.missing else ""),
            citation(c.source),
        )
        for name, c in report.items()
    )
    return rows, ""


_UNIT_WORDS = {"s": "s", "{correct}": "correct", "{letters}": "letters", "{score}": "points"}


def _number(value: Any, unit: str) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return f"{value:g} {_UNIT_WORDS.get(unit, unit)}"


def _measures(record: ReportRecord, visits: list[OutcomeAssessment]) -> tuple[SummaryMeasure, ...]:
    """The latest follow-up value of each measure (and side) of the course's visits, with
    the change from baseline stored when it was recorded."""
    ids = {o.id for o in visits if o.timepoint != "baseline"}
    latest: dict[tuple[str, str | None], Any] = {}
    for m in getattr(record, "measures", ()):
        if m.outcome_id in ids:
            latest[(m.measure, m.side)] = m  # taken_on order: the last one wins
    rows = []
    for (code, side), m in sorted(latest.items(), key=lambda kv: list(MEASURES).index(kv[0][0])):
        spec = MEASURES.get(code)
        if spec is None:  # pragma: no cover - the store checks the measure
            continue
        result = m.result or {}
        change = result.get("change")
        percent = result.get("change_percent")
        shown = _number(change, m.unit)
        if isinstance(change, int | float) and not isinstance(change, bool):
            shown = ("+" if change > 0 else "") + shown
            if isinstance(percent, int | float):
                shown += f" ({percent:+.1f}%)"
        rows.append(
            SummaryMeasure(
                spec.label + (f", {MEASURE_SIDES.label(side).lower()}" if side else ""),
                _number(result.get("baseline"), m.unit),
                _number(m.value, m.unit),
                shown,
                str(result.get("result", "")).replace("_", " "),
                str(result.get("threshold", "")),
                citation(str(result.get("source", ""))),
                bool(result.get("local_policy")),
            )
        )
    return tuple(rows)


def _baseline_note(visits: list[OutcomeAssessment], before: EdssPoint) -> str:
    """Words when the baseline EDSS was taken within 30 days of a relapse ("" otherwise)."""
    base = next((o for o in visits if o.timepoint == "baseline"), None)
    check = (base.result or {}).get("edss_baseline") if base is not None else None
    if before.value is None or not isinstance(check, dict) or check.get("usable", True):
        return ""
    days = check.get("days_from_relapse")
    return (
        f"The baseline EDSS was taken {days} days after the relapse began: not a disability "
        "baseline (EDSS within 30 days of a relapse), though it is the pre-exchange state "
        "recovery is measured from."
    )


def _hand_back(
    record: ReportRecord, course: Course, last: dt.date | None, display: LabDisplay
) -> Any:
    plan = next((h for h in reversed(record.hand_backs) if h.course_id == course.id), None)
    if plan is None:
        return None
    earliest = plan.earliest_dose_date
    days = (earliest - last).days if earliest and last else None
    timing = str((plan.result or {}).get("timing") or "")
    return SummaryHandBack(
        plan.planned_dmt or "—",
        display.date(earliest) if earliest else "—",
        days,
        timing,
        plan.plan,
    )


def build_course_summary(
    record: ReportRecord,
    course: Course,
    *,
    assessment: EligibilityAssessment | None,
    display: LabDisplay,
) -> CourseSummary:
    """The summary of ``course`` from the patient's record (see the module docstring)."""
    zone = record.centre.time_zone
    patient = record.patient
    sessions = [s for s in record.sessions if s.course_id == course.id]
    done = [s for s in sessions if s.status == "done"]
    starts = [session_window(s)[0] for s in done]
    ends = [session_window(s)[1] for s in done]
    last = max(ends) if ends else None
    seq = {s.id: s.sequence for s in sessions}
    events = tuple(
        SummaryEvent(
            display.datetime(local_time(ae.onset_at, zone)),
            seq.get(ae.session_id) if ae.session_id else None,
            vocabulary.AE_TYPES.label(ae.event_type),
            vocabulary.AE_SEVERITIES.label(ae.severity),
            ae.procedure_interrupted,
            ae.action,
            ae.outcome,
        )
        for ae in record.adverse_events
        if ae.course_id == course.id or ae.session_id in seq
    )
    visits = [o for o in record.outcomes if o.course_id in (course.id, None)]
    before, eyes = _before(visits, assessment, display)
    later = [o for o in visits if o is not eyes.get("visit") and o.timepoint != "baseline"]
    after_visit = next((o for o in reversed(later) if o.edss is not None), None)
    after = (
        EdssPoint(
            after_visit.edss,
            _edss(after_visit.edss),
            _TIMEPOINTS.get(after_visit.timepoint, "visit")
            + " "
            + display.date(after_visit.assessed_on),
        )
        if after_visit
        else EdssPoint(None, "—", "no visit after the course yet")
    )
    change = (
        after.value - before.value if after.value is not None and before.value is not None else None
    )
    edss_text = f"{before.text} → {after.text}" + (
        f" (change {change:+.1f})" if change is not None else ""
    )
    episode = next((e for e in record.episodes if e.id == course.episode_id), None)
    response, note = _response(before, eyes, after_visit, episode, course.indication)
    measures = _measures(record, visits)
    assessed = (assessment.result if assessment else {}).get("sources", [])
    keys = [*_keys(_sources(course)), *_keys(assessed)]
    found = [c for k in keys if (c := citation(k)) is not None]
    found += [r.source for r in response if r.source is not None]
    found += [m.source for m in measures if m.source is not None]
    sources = tuple(dict.fromkeys(found))
    return CourseSummary(
        patient_id=patient.id,
        course_id=course.id,
        patient_name=f"{patient.given_name} {patient.family_name}",
        mrn=patient.mrn,
        referrer=patient.referring_neurologist,
        status=course.status,
        status_label=vocabulary.COURSE_STATUSES.label(course.status),
        indication=vocabulary.PRESENTATIONS.label(course.indication),
        planned_exchanges=course.planned_exchanges,
        exchanges_done=len(done),
        exchanges_text=f"{len(done)} of {course.planned_exchanges} exchanges done",
        first_exchange=display.datetime(local_time(min(starts), zone)) if starts else "—",
        last_exchange=display.datetime(local_time(last, zone)) if last else "—",
        prescription=_prescription(course, display),
        adverse_events=events,
        labs=tuple(_labs(record, course, display, zone)),
        edss_before=before,
        edss_after=after,
        edss_change=change,
        edss_text=edss_text,
        response=response,
        response_note=note,
        hand_back=_hand_back(
            record, course, local_time(last, zone).date() if last else None, display
        ),
        sources=sources,
        measures=measures,
        edss_baseline_note=_baseline_note(visits, before),
    )


def _keys(items: Any) -> list[str]:
    return [str(k.get("key")) if isinstance(k, dict) else str(k) for k in items or ()]


def _sources(course: Course) -> list[Any]:
    found = (course.prescription or {}).get("sources", [])
    return list(found) if isinstance(found, list) else []
