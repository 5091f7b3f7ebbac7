"""Is TPE indicated for this attack? Eligibility rules with their basis shown.

The rules (ids ``ELIG-*``, listed in ``docs/rules.md``) follow the ASFA guideline of the chosen
edition (per-edition rule sets: :data:`ASFA_ENTRIES`), the seed programme's indications
(steroid-refractory relapse, severe optic neuritis, aggressive CIS, tumefactive lesions) and
the AAN 2011 guideline. Predictors of response are reported with their direction and published
effect size; they inform, they do not exclude (unless the centre sets
``max_days_from_onset``). Required inputs that are missing give ``"incomplete"``, never a
silent recommendation.

>>> import datetime as dt
>>> req = example_request()
>>> assess(req).recommendation
'indicated'
>>> assess(dataclasses.replace(req, edss_now=None)).missing
('edss_now',)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from plexms.core.asfa import (
    DIAGNOSES,
    EDITIONS,
    PRESENTATIONS,
    AsfaEntry,
    asfa_entry,
)
from plexms.core.contraindications import (
    EXTRA_CONDITIONS,
    REQUIRED_CONDITIONS,
    Conditions,
    condition_precautions,
    contraindications,
)
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, EligibilityPolicy
from plexms.core.predictors import Predictor, response_predictors
from plexms.core.rules import RULE_VERSION, Override, Reason, apply_override, sources_of
from plexms.core.sources import LOCAL_POLICY
from plexms.core.vocabulary import EDSS_STEPS

__all__ = [
    "EXTRA_CONDITIONS",
    "RECOMMENDATIONS",
    "REQUIRED_CONDITIONS",
    "Assessment",
    "Conditions",
    "EligibilityRequest",
    "Logmar",
    "Mri",
    "SteroidCourse",
    "assess",
    "example_request",
    "missing_inputs",
    "override_assessment",
]

RECOMMENDATIONS = ("indicated", "consider", "not_indicated", "defer", "incomplete")
SEXES = ("female", "male", "other")
ROUTES = ("iv", "oral")
RESPONSES = ("none", "partial", "full")
_EDSS_STEPS = frozenset(EDSS_STEPS)


@dataclass(frozen=True)
class SteroidCourse:
    """One corticosteroid course; ``days`` counts treatment days from ``start_date``."""

    drug: str | None = None
    route: str | None = None
    dose_mg_per_day: float | None = None
    start_date: dt.date | None = None
    days: int | None = None
    response: str | None = None

    @property
    def last_dose_date(self) -> dt.date:
        """Date of the last dose (complete courses only)."""
        assert self.start_date is not None and self.days is not None  # noqa: S101
        return self.start_date + dt.timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Logmar:
    """Best-corrected visual acuity of each eye, logMAR."""

    right: float | None = None
    left: float | None = None


@dataclass(frozen=True)
class Mri:
    """The attack's MRI findings."""

    gd_enhancing_lesions: int | None = None
    ring_enhancement: bool | None = None
    mass_effect: bool | None = None
    largest_lesion_mm: float | None = None


@dataclass(frozen=True)
class EligibilityRequest:
    """Everything the eligibility rules read; ``None`` = not given."""

    diagnosis: str | None = None
    presentation: str | None = None
    onset_date: dt.date | None = None
    assessment_date: dt.date | None = None
    steroids: tuple[SteroidCourse, ...] | None = None
    edss_pre_relapse: float | None = None
    edss_now: float | None = None
    logmar: Logmar | None = None
    mri: Mri | None = None
    age: int | None = None
    sex: str | None = None
    conditions: Conditions = field(default_factory=Conditions)
    guideline_edition: str = "asfa-2023"


@dataclass(frozen=True)
class Assessment:
    """The eligibility answer: recommendation, ASFA basis, reasons, precautions, predictors."""

    recommendation: str
    missing: tuple[str, ...]
    edition: str
    asfa: AsfaEntry | None
    reasons: tuple[Reason, ...]
    precautions: tuple[Reason, ...]
    predictors: tuple[Predictor, ...]
    reassess_on: dt.date | None = None
    rule_version: str = RULE_VERSION

    def to_dict(self) -> dict[str, object]:
        """JSON form of the ``calc assess`` response."""
        entry = self.asfa
        keys = [r.source for r in (*self.reasons, *self.precautions)]
        keys += [p.source for p in self.predictors]
        return {
            "recommendation": self.recommendation,
            "missing": list(self.missing),
            "asfa": {
                "edition": self.edition,
                "indication": entry.indication if entry else None,
                "category": entry.category if entry else None,
                "grade": entry.grade if entry else None,
            },
            "reasons": [r.to_dict() for r in self.reasons],
            "precautions": [p.to_dict() for p in self.precautions],
            "predictors": [p.to_dict() for p in self.predictors],
            "reassess_on": self.reassess_on.isoformat() if self.reassess_on else None,
            "sources": sources_of(keys),
            "rule_version": self.rule_version,
        }


def example_request() -> EligibilityRequest:
    """A complete request for a steroid-refractory disabling MS relapse (tests and docs)."""
    return EligibilityRequest(
        diagnosis="relapsing_ms",
        presentation="relapse",
        onset_date=dt.date(2026, 3, 1),
        assessment_date=dt.date(2026, 3, 12),
        steroids=(
            SteroidCourse("methylprednisolone", "iv", 1000.0, dt.date(2026, 3, 2), 5, "none"),
        ),
        edss_pre_relapse=2.0,
        edss_now=4.5,
        logmar=Logmar(0.0, 0.1),
        mri=Mri(2, False, False, 12.0),
        age=34,
        sex="female",
        conditions=Conditions(*(False,) * len(REQUIRED_CONDITIONS)),
    )


def missing_inputs(req: EligibilityRequest) -> tuple[str, ...]:
    """Required inputs not given, by dotted name (see ``docs/rules.md``, ELIG-MISSING).

    Always: diagnosis, presentation, assessment_date, edss_now, age, sex and every condition
    in :data:`REQUIRED_CONDITIONS`. Acute presentations (or an unknown one) also need
    onset_date, edss_pre_relapse and steroids (an empty list = none given), each course
    complete; optic neuritis needs both eyes' logMAR; tumefactive presentations the MRI.

    >>> missing_inputs(EligibilityRequest(diagnosis="cis"))[:3]
    ('presentation', 'assessment_date', 'edss_now')
    """
    missing = [
        name
        for name in ("diagnosis", "presentation", "assessment_date", "edss_now", "age", "sex")
        if getattr(req, name) is None
    ]
    if req.presentation != "progression":
        missing += [n for n in ("onset_date", "edss_pre_relapse") if getattr(req, n) is None]
        if req.steroids is None:
            missing.append("steroids")
        for i, course in enumerate(req.steroids or ()):
            missing += [
                f"steroids[{i}].{f.name}"
                for f in dataclasses.fields(course)
                if getattr(course, f.name) is None
            ]
    group: Logmar | Mri | None = None
    if req.presentation == "optic_neuritis":
        group = req.logmar or Logmar()
    elif req.presentation == "tumefactive":
        group = req.mri or Mri()
    if group is not None:
        prefix = type(group).__name__.lower()
        missing += [
            f"{prefix}.{f.name}"
            for f in dataclasses.fields(group)
            if getattr(group, f.name) is None
        ]
    missing += [
        f"conditions.{name}"
        for name in REQUIRED_CONDITIONS
        if getattr(req.conditions, name) is None
    ]
    return tuple(missing)


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise InputError(name, f"{value!r} is not recognised", allowed=", ".join(choices))


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise InputError(name, f"{value} is out of range", allowed=f"{low}-{high}")


def _validate(req: EligibilityRequest) -> None:
    _check_choice("diagnosis", req.diagnosis, DIAGNOSES)
    _check_choice("presentation", req.presentation, PRESENTATIONS)
    _check_choice("guideline_edition", req.guideline_edition, EDITIONS)
    _check_choice("sex", req.sex, SEXES)
    for name in ("edss_pre_relapse", "edss_now"):
        value = getattr(req, name)
        if value is not None and value not in _EDSS_STEPS:
            raise InputError(name, f"{value} is not an EDSS step", allowed="0, 1.0, 1.5, ..., 10")
    _check_range("age", req.age, 0, 120)
    logmar = req.logmar or Logmar()
    _check_range("logmar.right", logmar.right, -0.3, 3.0)
    _check_range("logmar.left", logmar.left, -0.3, 3.0)
    mri = req.mri or Mri()
    _check_range("mri.gd_enhancing_lesions", mri.gd_enhancing_lesions, 0, 1000)
    _check_range("mri.largest_lesion_mm", mri.largest_lesion_mm, 0, 300)
    if req.onset_date and req.assessment_date and req.assessment_date < req.onset_date:
        raise InputError("assessment_date", "is before onset_date", allowed=">= onset_date")
    for i, course in enumerate(req.steroids or ()):
        _check_choice(f"steroids[{i}].route", course.route, ROUTES)
        _check_choice(f"steroids[{i}].response", course.response, RESPONSES)
        _check_range(f"steroids[{i}].dose_mg_per_day", course.dose_mg_per_day, 1, 5000)
        _check_range(f"steroids[{i}].days", course.days, 1, 60)
        if course.start_date and req.assessment_date and course.start_date > req.assessment_date:
            raise InputError(
                f"steroids[{i}].start_date", "is after assessment_date", allowed="<= assessment"
            )


def assess(req: EligibilityRequest, policy: CentrePolicy | None = None) -> Assessment:
    """Eligibility for TPE of this attack, with every rule that fired and its source.

    Order: missing inputs (``incomplete``); no ASFA entry; absolute contraindication;
    progressive course (AAN 2011); the centre's hard time limit if set; no residual deficit;
    the steroid trial (not tried, inadequate, still running or within the wait: ``defer``;
    full response: ``not_indicated``); then ASFA category II with a disabling deficit gives
    ``indicated``, anything weaker ``consider``; a relative contraindication caps at
    ``consider`` and a temporary one defers.

    >>> assess(dataclasses.replace(example_request(), steroids=())).recommendation
    'defer'
    """
    policy = policy or CentrePolicy()
    _validate(req)
    missing = missing_inputs(req)
    entry: AsfaEntry | None = None
    reasons: list[Reason] = []
    if req.diagnosis is not None and req.presentation is not None:
        entry, why = asfa_entry(req.guideline_edition, req.diagnosis, req.presentation)
        reasons.append(why)
    precautions = condition_precautions(req.conditions, req.age, policy)
    predictors = _predictors(req, policy.eligibility)
    reassess_on: dt.date | None = None
    if missing:
        text = f"Required inputs missing: {', '.join(missing)}. No recommendation until given."
        reasons.append(Reason("ELIG-MISSING", text, LOCAL_POLICY))
        recommendation = "incomplete"
    else:
        recommendation, more, reassess_on = _decide(req, entry, policy)
        reasons += more
    return Assessment(
        recommendation=recommendation,
        missing=missing,
        edition=req.guideline_edition,
        asfa=entry,
        reasons=tuple(reasons),
        precautions=precautions,
        predictors=predictors,
        reassess_on=reassess_on,
    )


def override_assessment(
    assessment: Assessment, final: str, *, reason: str, clinician: str
) -> Override:
    """A clinician's override of an assessment; the original recommendation is kept.

    >>> o = override_assessment(assess(example_request()), "consider", reason="frail",
    ...                         clinician="dr-b")
    >>> (o.original, o.final)
    ('indicated', 'consider')
    """
    return apply_override(
        assessment.recommendation,
        final,
        reason=reason,
        clinician=clinician,
        allowed=RECOMMENDATIONS[:4],
    )


_Decision = tuple[str, list[Reason], dt.date | None]


def _decide(req: EligibilityRequest, entry: AsfaEntry | None, policy: CentrePolicy) -> _Decision:
    pol = policy.eligibility
    absolute, temporary, relative = contraindications(req.conditions, pol)
    reasons = [*absolute, *temporary, *relative]
    if entry is None:
        return "not_indicated", reasons, None
    if absolute:
        return "not_indicated", reasons, None
    if req.presentation == "progression":
        text = (
            "AAN 2011: plasma exchange is established as ineffective for chronic progressive MS "
            f"(level A); ASFA category {entry.category}: role not established, case by case."
        )
        return "not_indicated", [*reasons, Reason("ELIG-PROGRESSIVE", text, "AAN_2011")], None
    assert req.onset_date and req.assessment_date  # noqa: S101 - checked by missing_inputs
    days = (req.assessment_date - req.onset_date).days
    late = pol.max_days_from_onset is not None and days > pol.max_days_from_onset
    reasons.append(_timing_reason(days, pol, late))
    if late:
        return "not_indicated", reasons, None
    severity, why = _deficit(req, pol)
    reasons.append(why)
    if req.presentation == "tumefactive":
        reasons.append(_tumefactive_reason(req, pol))
    if severity == "none":
        return "not_indicated", reasons, None
    recommendation = (
        "indicated" if entry.category == "II" and severity == "disabling" else "consider"
    )
    reassess_on: dt.date | None = None
    if req.diagnosis == "nmosd" and not pol.nmosd_requires_steroid_failure:
        text = "NMOSD attack: the centre does not require steroid failure first (local policy)."
        reasons.append(Reason("ELIG-NMOSD-STEROIDS", text, LOCAL_POLICY))
    elif req.conditions.steroid_contraindication:
        text = (
            "Steroids contraindicated: TPE without a steroid trial; refractoriness is not "
            "established, so at most 'consider'."
        )
        reasons.append(Reason("ELIG-STEROID-CONTRA", text, LOCAL_POLICY))
        recommendation = "consider"
    else:
        status, more, reassess_on = _steroid_finding(req, pol)
        reasons += more
        if status == "responded":
            return "not_indicated", reasons, None
        if status != "refractory":
            return "defer", reasons, reassess_on
    category = f"ASFA category {entry.category} ({entry.indication}) with a {severity} deficit"
    reasons.append(Reason("ELIG-CATEGORY", f"{category}: {recommendation}.", entry.source))
    if relative and recommendation == "indicated":
        recommendation = "consider"
    if temporary:
        recommendation = "defer"
    return recommendation, reasons, reassess_on


def _timing_reason(days: int, pol: EligibilityPolicy, late: bool) -> Reason:
    if late:
        text = (
            f"Assessed {days} days after onset: past the centre's limit of "
            f"{pol.max_days_from_onset} days (local policy)."
        )
        return Reason("ELIG-LATE", text, LOCAL_POLICY)
    where = "within" if days <= pol.early_treatment_days else "beyond"
    text = (
        f"Assessed {days} days after onset: {where} the {pol.early_treatment_days}-day window in "
        "which TPE works best (a predictor, not an exclusion)."
    )
    return Reason("ELIG-TIMING", text, "MARRODAN_2025")


def _deficit(req: EligibilityRequest, pol: EligibilityPolicy) -> tuple[str, Reason]:
    assert req.edss_now is not None and req.edss_pre_relapse is not None  # noqa: S101
    rise = req.edss_now - req.edss_pre_relapse
    text = (
        f"EDSS {req.edss_pre_relapse:.1f} before the attack, {req.edss_now:.1f} now "
        f"(rise {rise:.1f})"
    )
    worse = -1.0
    if req.presentation == "optic_neuritis":
        assert req.logmar and req.logmar.right is not None and req.logmar.left is not None  # noqa: S101
        worse = max(req.logmar.right, req.logmar.left)
        text += f"; worse eye logMAR {worse:g}"
    if rise >= pol.disabling_edss_rise:
        return "disabling", Reason(
            "ELIG-DEFICIT",
            f"{text}: disabling (EDSS rise >= {pol.disabling_edss_rise:.1f}).",
            "RELAPSE_SEVERITY_2019",
        )
    if worse >= pol.optic_neuritis_severe_logmar:
        return "disabling", Reason(
            "ELIG-DEFICIT-VISION",
            f"{text}: severe visual loss (logMAR >= {pol.optic_neuritis_severe_logmar:g}, "
            "local policy).",
            LOCAL_POLICY,
        )
    if rise > 0:
        return "mild", Reason("ELIG-DEFICIT", f"{text}: mild.", "RELAPSE_SEVERITY_2019")
    if worse >= pol.optic_neuritis_residual_logmar:
        return "mild", Reason(
            "ELIG-DEFICIT-VISION",
            f"{text}: residual visual loss (logMAR >= {pol.optic_neuritis_residual_logmar:g}, "
            "local policy), not severe.",
            LOCAL_POLICY,
        )
    return "none", Reason(
        "ELIG-NO-DEFICIT",
        f"{text}: back to the pre-attack level; no residual deficit to treat.",
        "RELAPSE_SEVERITY_2019",
    )


def _tumefactive_reason(req: EligibilityRequest, pol: EligibilityPolicy) -> Reason:
    assert req.mri is not None and req.mri.largest_lesion_mm is not None  # noqa: S101
    size, limit = req.mri.largest_lesion_mm, pol.tumefactive_min_lesion_mm
    if size >= limit:
        text = f"Largest lesion {size:g} mm: tumefactive (>= {limit:g} mm, local policy)."
    else:
        text = (
            f"Largest lesion {size:g} mm: below the tumefactive size ({limit:g} mm, local "
            "policy); assessed as an acute attack all the same."
        )
    return Reason("ELIG-TUMEFACTIVE", text, LOCAL_POLICY)


def _adequate(course: SteroidCourse, pol: EligibilityPolicy) -> bool:
    assert course.dose_mg_per_day is not None and course.days is not None  # noqa: S101
    return (
        (course.drug or "").strip().lower() in pol.steroid_drugs
        and course.route in pol.steroid_routes
        and course.dose_mg_per_day >= pol.steroid_min_mg_per_day
        and course.days >= pol.steroid_min_days
    )


def _steroid_finding(req: EligibilityRequest, pol: EligibilityPolicy) -> _Decision:
    assert req.steroids is not None and req.onset_date and req.assessment_date  # noqa: S101
    onset, today = req.onset_date, req.assessment_date
    reasons: list[Reason] = []
    earlier = [c for c in req.steroids if c.start_date and c.start_date < onset]
    if earlier:
        text = f"{len(earlier)} steroid course(s) began before this attack ({onset}): not counted."
        reasons.append(Reason("ELIG-STEROID-EARLIER", text, LOCAL_POLICY))
    current = sorted(
        (c for c in req.steroids if c not in earlier), key=lambda c: c.start_date or onset
    )
    if not current:
        text = (
            "No corticosteroid course for this attack: TPE is second-line, for attacks not "
            "responding to IV methylprednisolone (AAN 2011: level B for steroid-resistant "
            "relapses)."
        )
        return "not_tried", [*reasons, Reason("ELIG-STEROID-NOT-TRIED", text, "AAN_2011")], None
    latest = current[-1]
    if latest.response == "full":
        text = f"Full response to the steroid course of {latest.start_date}: not refractory."
        return "responded", [*reasons, Reason("ELIG-STEROID-RESPONDED", text, "AAN_2011")], None
    rule = (
        f"{'/'.join(pol.steroid_drugs)} {'/'.join(pol.steroid_routes)} >= "
        f"{pol.steroid_min_mg_per_day:g} mg/day for >= {pol.steroid_min_days} days, local policy"
    )
    adequate = [c for c in current if _adequate(c, pol)]
    if not adequate:
        text = f"No adequate steroid trial for this attack ({rule}): complete one first."
        return "inadequate", [*reasons, Reason("ELIG-STEROID-ADEQUATE", text, LOCAL_POLICY)], None
    last = adequate[-1]
    text = (
        f"Adequate steroid trial: {last.drug} {last.route} {last.dose_mg_per_day:g} mg/day x "
        f"{last.days} days from {last.start_date} ({rule})."
    )
    reasons.append(Reason("ELIG-STEROID-ADEQUATE", text, LOCAL_POLICY))
    judge_on = last.last_dose_date + dt.timedelta(days=pol.steroid_wait_days)
    if last.last_dose_date > today:
        text = f"Steroid course still running (last dose {last.last_dose_date}): reassess then."
        return "ongoing", [*reasons, Reason("ELIG-STEROID-ONGOING", text, LOCAL_POLICY)], judge_on
    if today < judge_on:
        text = (
            f"{(today - last.last_dose_date).days} days since the last steroid dose; the "
            f"response is judged {pol.steroid_wait_days} days after it (local policy): "
            f"reassess on {judge_on}."
        )
        return "waiting", [*reasons, Reason("ELIG-STEROID-WAIT", text, LOCAL_POLICY)], judge_on
    if latest.response == "none":
        text = "No response to an adequate steroid trial: steroid-refractory attack."
        return "refractory", [*reasons, Reason("ELIG-STEROID-REFRACTORY", text, "AAN_2011")], None
    text = "Partial response with a persisting deficit: inadequate response to steroids."
    return "refractory", [*reasons, Reason("ELIG-STEROID-PARTIAL", text, "SCI_REP_2022")], None


def _predictors(req: EligibilityRequest, pol: EligibilityPolicy) -> tuple[Predictor, ...]:
    days = None
    if req.onset_date and req.assessment_date:
        days = (req.assessment_date - req.onset_date).days
    mri = req.mri or Mri()
    return response_predictors(
        diagnosis=req.diagnosis,
        acute=req.presentation != "progression",
        days_from_onset=days,
        gd_enhancing_lesions=mri.gd_enhancing_lesions,
        ring_enhancement=mri.ring_enhancement,
        mass_effect=mri.mass_effect,
        age=req.age,
        sex=req.sex,
        edss_now=req.edss_now,
        early_treatment_days=pol.early_treatment_days,
        poor_outcome_edss=pol.poor_outcome_edss,
    )
