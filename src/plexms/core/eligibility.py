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
from plexms.core.disability import (
    EdssSteps,
    TargetedDeficit,
    check_assessable_edss,
    targeted_findings,
    worsening_needed,
)
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, EligibilityPolicy
from plexms.core.predictors import Predictor, response_predictors
from plexms.core.relapse import (
    JCV_STATUSES,
    RelapseCheck,
    confirm_relapse,
    confirmation_missing,
)
from plexms.core.rules import RULE_VERSION, Override, Reason, apply_override, sources_of
from plexms.core.sources import LOCAL_POLICY
from plexms.core.steroids import SteroidCourse, steroid_finding
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
    "RelapseCheck",
    "SteroidCourse",
    "TargetedDeficit",
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
    relapse: RelapseCheck | None = None
    deficit: TargetedDeficit | None = None


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
    decided_by: str = ""

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
    complete, and, when the relapse confirmation is given, each of its fields
    (:func:`plexms.core.relapse.confirmation_missing`); optic neuritis needs both eyes' logMAR;
    tumefactive presentations the MRI.

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
        missing += confirmation_missing(req.relapse)
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
        check_assessable_edss(name, value)
    relapse = req.relapse or RelapseCheck()
    _check_range("relapse.symptom_hours", relapse.symptom_hours, 0, 24 * 366)
    _check_choice("relapse.jcv_status", relapse.jcv_status, JCV_STATUSES)
    deficit = req.deficit or TargetedDeficit()
    _check_range("deficit.motor_grade_before", deficit.motor_grade_before, 0, 5)
    _check_range("deficit.motor_grade_now", deficit.motor_grade_now, 0, 5)
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

    Order (``docs/rules.md``): missing inputs (``incomplete``); absolute contraindication;
    progressive MS (AAN 2011); no rule for the diagnosis or edition (``incomplete``, never a
    negative answer); past the outer time limit (``not_indicated`` for this attack); no
    residual deficit; an unconfirmed attack (``defer``); NMOSD/MOGAD: exchange alongside
    steroids; otherwise the steroid trial (not tried, inadequate, running or within the wait:
    ``defer``; full response: ``not_indicated``); then ASFA category II with a disabling deficit
    gives ``indicated``, anything weaker ``consider``; past the acute window, or with a relative
    contraindication, at most ``consider``; a temporary contraindication defers.
    ``decided_by`` names the rule that set the answer.

    >>> assess(dataclasses.replace(example_request(), steroids=())).decided_by
    'ELIG-STEROID-NOT-TRIED'
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
        recommendation, decided_by = "incomplete", "ELIG-MISSING"
    else:
        recommendation, more, reassess_on, decided_by = _decide(req, entry, policy)
        reasons += more
        if decided_by in _NO_RULE:
            missing, decided_by = ("asfa_rule",), reasons[0].rule
    return Assessment(
        recommendation=recommendation,
        missing=missing,
        edition=req.guideline_edition,
        asfa=entry,
        reasons=tuple(reasons),
        precautions=precautions,
        predictors=predictors,
        reassess_on=reassess_on,
        decided_by=decided_by,
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


_Decided = tuple[str, list[Reason], dt.date | None, str]
_NO_RULE = ("ELIG-ASFA-NONE", "ELIG-ASFA-GAP")
_MS_COURSES = ("relapsing_ms", "progressive_ms")
_EARLY_EXCHANGE = ("nmosd", "mogad")


def _decide(req: EligibilityRequest, entry: AsfaEntry | None, policy: CentrePolicy) -> _Decided:
    pol = policy.eligibility
    absolute, temporary, relative = contraindications(req.conditions, pol)
    reasons = [*absolute, *temporary, *relative]
    if absolute:
        return "not_indicated", reasons, None, absolute[0].rule
    if req.presentation == "progression" and req.diagnosis in _MS_COURSES:
        category = f"ASFA category {entry.category}" if entry else "no ASFA row in this edition"
        text = (
            "AAN 2011: plasma exchange is established as ineffective for chronic progressive MS "
            f"(level A); {category}: role not established, case by case."
        )
        reasons.append(Reason("ELIG-PROGRESSIVE", text, "AAN_2011"))
        return "not_indicated", reasons, None, "ELIG-PROGRESSIVE"
    if entry is None:
        return "incomplete", reasons, None, "ELIG-ASFA-NONE"
    assert req.onset_date and req.assessment_date  # noqa: S101 - checked by missing_inputs
    days = (req.assessment_date - req.onset_date).days
    timing = _timing_reason(days, pol)
    reasons.append(timing)
    if timing.rule == "ELIG-LATE":
        return "not_indicated", reasons, None, timing.rule
    severity, why = _deficit(req, pol)
    reasons.append(why)
    if req.presentation == "tumefactive":
        reasons.append(_tumefactive_reason(req, pol))
    if severity == "none":
        return "not_indicated", reasons, None, why.rule
    status, confirmation = confirm_relapse(req.relapse, req.diagnosis, pol.relapse_min_hours)
    reasons += confirmation
    if status == "unconfirmed":
        return "defer", reasons, None, confirmation[0].rule
    recommendation = (
        "indicated" if entry.category == "II" and severity == "disabling" else "consider"
    )
    decided_by = "ELIG-CATEGORY"
    reassess_on: dt.date | None = None
    if req.diagnosis in _EARLY_EXCHANGE and not pol.nmosd_requires_steroid_failure:
        text = (
            "NMOSD/MOGAD attack: exchange early, alongside steroids, not after they fail "
            "(complete recovery far more likely when started early); a severe attack is "
            "indicated from day 0."
        )
        reasons.append(Reason("ELIG-NMOSD-EARLY", text, "BONNAN_2018"))
    elif req.conditions.steroid_contraindication:
        text = (
            "Steroids contraindicated: TPE without a steroid trial; refractoriness is not "
            "established, so at most 'consider'."
        )
        reasons.append(Reason("ELIG-STEROID-CONTRA", text, LOCAL_POLICY))
        recommendation, decided_by = "consider", "ELIG-STEROID-CONTRA"
    else:
        assert req.steroids is not None  # noqa: S101 - checked by missing_inputs
        status, more, reassess_on = steroid_finding(
            req.steroids, req.onset_date, req.assessment_date, pol
        )
        reasons += more
        if status == "responded":
            return "not_indicated", reasons, None, more[-1].rule
        if status != "refractory":
            return "defer", reasons, reassess_on, more[-1].rule
    category = f"ASFA category {entry.category} ({entry.indication}) with a {severity} deficit"
    reasons.append(Reason("ELIG-CATEGORY", f"{category}: {recommendation}.", entry.source))
    if timing.rule == "ELIG-ACUTE-WINDOW" and recommendation == "indicated":
        recommendation, decided_by = "consider", timing.rule
    if relative and recommendation == "indicated":
        recommendation, decided_by = "consider", relative[0].rule
    if temporary:
        recommendation, decided_by = "defer", temporary[0].rule
    return recommendation, reasons, reassess_on, decided_by


def _timing_reason(days: int, pol: EligibilityPolicy) -> Reason:
    """ELIG-LATE past the outer limit (> max_days_from_onset), ELIG-ACUTE-WINDOW past the
    acute window (> acute_window_days), else ELIG-TIMING (the early window, a predictor)."""
    limit, window = pol.max_days_from_onset, pol.acute_window_days
    if limit is not None and days > limit:
        text = (
            f"Assessed {days} days after onset: past the outer limit of {limit} days, the "
            "attack is no longer acute: not indicated for this attack (local policy; ASFA's "
            "own timing window unverified)."
        )
        return Reason("ELIG-LATE", text, LOCAL_POLICY)
    if days > window:
        text = (
            f"Assessed {days} days after onset: past the acute window of {window} days, at "
            "most 'consider' (local policy; ASFA's own timing window unverified)."
        )
        return Reason("ELIG-ACUTE-WINDOW", text, "ASFA_FACT_SHEET_TIMING")
    where = "within" if days <= pol.early_treatment_days else "beyond"
    text = (
        f"Assessed {days} days after onset: {where} the {pol.early_treatment_days}-day window in "
        "which TPE works best (a predictor, not an exclusion)."
    )
    return Reason("ELIG-TIMING", text, "MARRODAN_2025")


def _deficit(req: EligibilityRequest, pol: EligibilityPolicy) -> tuple[str, Reason]:
    """Disabling by the baseline-dependent EDSS step, else by a targeted deficit."""
    assert req.edss_now is not None and req.edss_pre_relapse is not None  # noqa: S101
    pre, now = req.edss_pre_relapse, req.edss_now
    rise = now - pre
    steps = EdssSteps(
        pol.disabling_edss_rise_from_zero, pol.disabling_edss_rise, pol.disabling_edss_rise_high
    )
    needed = worsening_needed(pre, steps)
    edss_source = "EDSS_WORSENING_TRIALS" if pre == 0 else "EDSS_CHANGE_2007"
    text = f"EDSS {pre:.1f} before the attack, {now:.1f} now (rise {rise:.1f})"
    worse = None
    if req.logmar and req.logmar.right is not None and req.logmar.left is not None:
        worse = max(req.logmar.right, req.logmar.left)
    if req.presentation == "optic_neuritis" or (
        worse is not None and worse >= pol.optic_neuritis_severe_logmar
    ):
        text += f"; worse eye logMAR {worse:g}"
    else:
        worse = None
    deficit = req.deficit or TargetedDeficit()
    targeted = targeted_findings(
        deficit,
        worse,
        severe_logmar=pol.optic_neuritis_severe_logmar,
        motor_grade_max=pol.disabling_motor_grade_max,
    )
    if rise >= needed:
        text += f": disabling (EDSS rise >= {needed:.1f} from {pre:.1f})."
        return "disabling", Reason("ELIG-DEFICIT", text, edss_source)
    if targeted and worse is not None and worse >= pol.optic_neuritis_severe_logmar:
        text += (
            f": severe visual loss (logMAR >= {pol.optic_neuritis_severe_logmar:g}, local policy)."
        )
        return "disabling", Reason("ELIG-DEFICIT-VISION", text, LOCAL_POLICY)
    if targeted:
        text += f": disabling targeted deficit ({'; '.join(targeted)}; local policy)."
        return "disabling", Reason("ELIG-DEFICIT-TARGETED", text, LOCAL_POLICY)
    if rise > 0:
        text += f": mild (disabling from {pre:.1f} needs a rise >= {needed:.1f})."
        return "mild", Reason("ELIG-DEFICIT", text, edss_source)
    if worse is not None and worse >= pol.optic_neuritis_residual_logmar:
        return "mild", Reason(
            "ELIG-DEFICIT-VISION",
            f"{text}: residual visual loss (logMAR >= {pol.optic_neuritis_residual_logmar:g}, "
            "local policy), not severe.",
            LOCAL_POLICY,
        )
    before, motor = deficit.motor_grade_before, deficit.motor_grade_now
    if motor is not None and before is not None and motor < before:
        text += f": motor grade {motor}/5 (was {before}/5), not disabling (local policy)."
        return "mild", Reason("ELIG-DEFICIT-TARGETED", text, LOCAL_POLICY)
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
