"""Hand-back to disease-modifying therapy (DMT) after a TPE course.

For each DMT: its class, whether TPE removes it meaningfully and the timing advice relative to
the course. The rule of thumb (Ibrahim 2007): TPE removes a drug meaningfully when its volume
of distribution is small and its plasma protein binding high, i.e. when most of it sits in
plasma; monoclonal antibodies (IgG, mostly intravascular, half-lives of weeks) are removed, the
small-molecule oral DMTs are not. For antibody drugs the two-compartment kinetic model
(:mod:`plexms.core.kinetics`, ``initial="after_infusion"``) quantifies how much of a recent
dose the course removes, against no exchange, where it has parameters for the drug; otherwise
the answer says "no kinetic model: parameters not published". Rules ``DMT-*`` are listed in
``docs/rules.md``.

Three promises the advice keeps (issue 14):

* it never brings a scheduled dose forward: the next dose is the later of the schedule and
  the last exchange (``next_dose_date``);
* its words agree with the model's number: a dose is called "largely removed" only when the
  model predicts the course removes at least :data:`LARGELY_REMOVED_FRACTION` of it
  ("partly" from :data:`PARTLY_REMOVED_FRACTION`, else "little"), and without a model it says
  so instead of guessing;
* B-cell-depleting antibodies (anti-CD20, anti-CD19) get a CD19/CD20 count before the next
  dose; eculizumab and ravulizumab get their labels' supplemental dose after each exchange.

>>> DMTS["natalizumab"].removed_by_tpe, DMTS["fingolimod"].removed_by_tpe
('yes', 'no')
>>> removal_wording(0.62), removal_wording(0.3), removal_wording(0.05)
('largely removed', 'partly removed', 'little removed')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plexms.core.dmt_catalogue import DMTS, Dmt
from plexms.core.errors import InputError
from plexms.core.kinetics import SUBSTANCES, ExchangeEvent, predict_course
from plexms.core.policy import CentrePolicy
from plexms.core.rules import RULE_VERSION, Reason, sources_of
from plexms.core.sources import LOCAL_POLICY

__all__ = [
    "DMTS",
    "LARGELY_REMOVED_FRACTION",
    "PARTLY_REMOVED_FRACTION",
    "Course",
    "Dmt",
    "DmtAdvice",
    "Prediction",
    "dmt_advice",
    "removal_wording",
]

NOMINAL_PLASMA_VOLUME_ML = 3058.0  # NEURO_TPE_COHORT median; removal depends on the ratio
NOMINAL_EXCHANGE_HOURS = 2.0  # MODEL_ASSUMPTION; the result is insensitive to it
DOSE_CLOCK = dt.time(12, 0)  # MODEL_ASSUMPTION: date-only doses end at noon
RECENT_DOSE_DAYS = 28  # LOCAL_POLICY: "shortly before" for antibodies without a model
_NEGLIGIBLE = 1e-9  # fraction of the post-dose level below which nothing is left to compare
# Words tied to the model's predicted fraction of the dose removed (LOCAL_POLICY wording):
LARGELY_REMOVED_FRACTION = 0.5  # "largely removed": at least half of the dose
PARTLY_REMOVED_FRACTION = 0.2  # "partly removed": at least a fifth; below, "little removed"
NO_MODEL = "no kinetic model: parameters not published"


def removal_wording(fraction_removed: float) -> str:
    """The words for a predicted fraction of a dose removed (thresholds above)."""
    if fraction_removed >= LARGELY_REMOVED_FRACTION:
        return "largely removed"
    if fraction_removed >= PARTLY_REMOVED_FRACTION:
        return "partly removed"
    return "little removed"


@dataclass(frozen=True)
class Course:
    """The TPE course: first exchange date, number of exchanges, plasma volumes each; and the
    dates the exchanges were actually done (a course under way or over), when known."""

    start_date: dt.date
    exchanges: int
    plasma_volumes_per_exchange: float
    exchange_dates: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """What the course does to a recent antibody dose, against no exchange (kinetic model)."""

    modelled: bool
    note: str
    exchanges_after_dose: int = 0
    dose_fraction_removed: float | None = None
    level_at_course_start: float | None = None
    level_end_with_course: float | None = None
    level_end_without_exchange: float | None = None
    reduction_vs_no_exchange: float | None = None
    sources: tuple[str, ...] = ()
    wording: str | None = None  # removal_wording(dose_fraction_removed) when modelled

    def to_dict(self) -> dict[str, object]:
        """JSON form (levels are fractions of the plasma level right after the dose)."""
        body = dict(self.__dict__)
        body["sources"] = list(self.sources)
        return body


@dataclass(frozen=True)
class DmtAdvice:
    """The hand-back answer for one DMT."""

    dmt: Dmt
    advice: tuple[Reason, ...]
    prediction: Prediction
    last_exchange_date: dt.date | None
    rule_version: str = RULE_VERSION
    scheduled_dose_date: dt.date | None = None
    next_dose_date: dt.date | None = None  # later of the schedule and the last exchange

    def to_dict(self) -> dict[str, object]:
        """JSON form of the ``calc dmt`` response."""
        d = self.dmt
        keys = [*d.sources, *(a.source for a in self.advice), *self.prediction.sources]
        return {
            "dmt": d.key,
            "label": d.label,
            "class": d.drug_class,
            "kind": d.kind,
            "route": d.route,
            "removed_by_tpe": d.removed_by_tpe,
            "basis": d.basis,
            "timing": d.timing,
            "advice": [a.to_dict() for a in self.advice],
            "last_exchange_date": self.last_exchange_date.isoformat()
            if self.last_exchange_date
            else None,
            "scheduled_dose_date": _iso(self.scheduled_dose_date),
            "next_dose_date": _iso(self.next_dose_date),
            "prediction": self.prediction.to_dict(),
            "sources": sources_of(keys),
            "rule_version": self.rule_version,
        }


def dmt_advice(
    key: str,
    *,
    last_dose_date: dt.date | None = None,
    course: Course | None = None,
    policy: CentrePolicy | None = None,
    next_dose_due: dt.date | None = None,
) -> DmtAdvice:
    """Class, TPE removal and timing advice for DMT ``key``, quantified for antibody drugs
    with kinetic parameters (Ibrahim 2007; Puisset 2013; Khatri 2009; REVERBERI_2007 model).

    Exchanges fall on ``course.exchange_dates`` when given (the sessions actually done),
    otherwise every ``policy.schedule.interval_days`` from ``course.start_date``, at the
    centre's default start time; a date-only dose is taken to end at 12:00. ``next_dose_due``
    is the date the schedule gives for the next dose: the answer's ``next_dose_date`` is the
    later of it and the last exchange, never earlier.

    >>> course = Course(dt.date(2026, 3, 10), 5, 1.0)
    >>> a = dmt_advice("natalizumab", last_dose_date=dt.date(2026, 3, 6), course=course)
    >>> a.prediction.dose_fraction_removed > 0.5, a.prediction.wording, str(a.last_exchange_date)
    (True, 'largely removed', '2026-03-18')
    >>> a = dmt_advice("natalizumab", course=course, next_dose_due=dt.date(2026, 3, 14))
    >>> str(a.next_dose_date)
    '2026-03-18'
    >>> done = [dt.date(2026, 3, d) for d in (10, 12, 15)]
    >>> course = Course(dt.date(2026, 3, 10), 3, 1.0, tuple(done))
    >>> str(dmt_advice("natalizumab", course=course).last_exchange_date)
    '2026-03-15'
    """
    policy = policy or CentrePolicy()
    if key not in DMTS:
        raise InputError("dmt", f"{key!r} is not a DMT plexms knows", allowed=", ".join(DMTS))
    dmt = DMTS[key]
    antibody = dmt.kind == "monoclonal_antibody"
    removal = {"yes": "removes it meaningfully", "no": "does not remove it meaningfully"}
    text = f"TPE {removal.get(dmt.removed_by_tpe, 'may or may not remove it')}: {dmt.basis}"
    timing_source = (dmt.supplement_source or "PUISSET_2013") if antibody else dmt.sources[-1]
    advice = [
        Reason("DMT-REMOVAL", text, dmt.sources[0]),
        Reason("DMT-TIMING", dmt.timing, timing_source),
    ]
    if dmt.supplement_source:
        text = (
            f"The {dmt.label} label calls for a supplemental dose after plasma exchange: give "
            "it after each exchange as the label's table says (by the most recent dose). It "
            "comes in addition to the schedule; no scheduled dose is brought forward."
        )
        advice.append(Reason("DMT-SUPPLEMENT", text, dmt.supplement_source))
    if dmt.b_cell_depleting:
        text = (
            "Before the next dose, a CD19/CD20 B-cell count shows whether depletion persists: "
            "TPE removes circulating drug, not the B-cell depletion already achieved."
        )
        advice.append(Reason("DMT-B-CELLS", text, LOCAL_POLICY))
    dates: list[dt.date] = []
    if course is not None:
        _check_course(course)
        step = dt.timedelta(days=policy.schedule.interval_days)
        planned = [course.start_date + i * step for i in range(course.exchanges)]
        dates = sorted(course.exchange_dates) or planned
    last = dates[-1] if dates else None
    if not antibody:
        note = f"not modelled: TPE is not expected to remove {dmt.label} meaningfully"
        return DmtAdvice(dmt, tuple(advice), Prediction(False, note), last)
    next_date = _next_dose(dmt, advice, last, next_dose_due)
    if course is None or last_dose_date is None:
        note = "not modelled: needs last_dose_date and course"
        if dmt.key not in SUBSTANCES:
            note = f"{NO_MODEL} for {dmt.label}"
        return DmtAdvice(
            dmt,
            tuple(advice),
            Prediction(False, note),
            last,
            RULE_VERSION,
            next_dose_due,
            next_date,
        )
    assert last is not None  # noqa: S101 - a course has at least one exchange
    prediction = _predict(dmt, last_dose_date, dates, course.plasma_volumes_per_exchange, policy)
    advice.append(_dose_reason(dmt, last_dose_date, course.start_date, last, prediction))
    if prediction.reduction_vs_no_exchange is not None and prediction.exchanges_after_dose:
        text = (
            f"Model: the course removes {prediction.dose_fraction_removed:.0%} of the "
            f"{last_dose_date} dose ({prediction.wording}); just after the last exchange the "
            f"plasma level is {prediction.reduction_vs_no_exchange:.0%} lower than without "
            "exchange."
        )
        advice.append(Reason("DMT-PREDICTED", text, "REVERBERI_2007"))
    return DmtAdvice(dmt, tuple(advice), prediction, last, RULE_VERSION, next_dose_due, next_date)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _next_dose(
    dmt: Dmt, advice: list[Reason], last: dt.date | None, due: dt.date | None
) -> dt.date | None:
    """DMT-AFTER-COURSE: the later of the schedule and the last exchange (never earlier)."""
    source = dmt.supplement_source or "PUISSET_2013"
    if last is None:
        return due
    if due is None:
        text = (
            f"Next {dmt.label} dose: when the schedule says, and not before the last exchange "
            f"({last}); the course is no reason to give it earlier."
        )
    elif due > last:
        text = (
            f"Keep the scheduled {dmt.label} dose on {due}: it falls after the last exchange "
            f"({last})."
        )
    else:
        text = (
            f"The {dmt.label} dose due {due} falls within the course: give it on {last}, after "
            "the last exchange (the later of the schedule and the last exchange)."
        )
        if dmt.supplement_source:
            text += " Meanwhile the label's supplemental doses after each exchange apply."
    advice.append(Reason("DMT-AFTER-COURSE", text, source))
    return None if due is None else max(due, last)


def _check_course(course: Course) -> None:
    if isinstance(course.exchanges, bool) or not 1 <= course.exchanges <= 20:
        raise InputError("course.exchanges", f"{course.exchanges!r} out of range", allowed="1-20")
    if course.exchange_dates and len(course.exchange_dates) != course.exchanges:
        raise InputError(
            "course.exchange_dates",
            f"{len(course.exchange_dates)} date(s) for {course.exchanges} exchange(s)",
            allowed="one date per exchange",
        )
    if not 0.1 <= course.plasma_volumes_per_exchange <= 3.0:
        raise InputError(
            "course.plasma_volumes_per_exchange",
            f"{course.plasma_volumes_per_exchange!r} out of range",
            allowed="0.1-3.0",
        )


def _dose_reason(
    dmt: Dmt, dose: dt.date, start: dt.date, last: dt.date, prediction: Prediction
) -> Reason:
    """When the last dose fell, in words that agree with the model's number."""
    removed = prediction.dose_fraction_removed
    if prediction.modelled and removed is not None:
        model = f"the model says the course removes {removed:.0%} of it ({prediction.wording})"
    else:
        model = f"how much is removed is not quantified ({NO_MODEL})"
    if dose > last:
        text = f"Last dose {dose} is after the last exchange ({last}): this course removes none."
        return Reason("DMT-DOSE-AFTER", text, "PUISSET_2013")
    if dose >= start:
        text = (
            f"Dose given during the course ({dose}): {model}; discuss re-dosing after the course "
            "with the neurologist."
        )
        return Reason("DMT-DOSE-DURING", text, "PUISSET_2013")
    days = (start - dose).days
    if days <= RECENT_DOSE_DAYS:
        text = (
            f"Dose {days} days before the course (within {RECENT_DOSE_DAYS} days, local "
            f"policy): {model}; discuss re-dosing after the course."
        )
        return Reason("DMT-DOSE-RECENT", text, "PUISSET_2013")
    text = f"Dose {days} days before the course: less of it is left to remove; {model}."
    return Reason("DMT-DOSE-EARLIER", text, LOCAL_POLICY)


def _predict(
    dmt: Dmt, dose: dt.date, dates: list[dt.date], volumes: float, policy: CentrePolicy
) -> Prediction:
    if dmt.key not in SUBSTANCES:
        return Prediction(False, f"{NO_MODEL} for {dmt.label}")
    clock = dt.time.fromisoformat(policy.schedule.default_start)
    dose_at = dt.datetime.combine(dose, DOSE_CLOCK)
    starts = [(dt.datetime.combine(d, clock) - dose_at).total_seconds() / 3600 for d in dates]
    volume_ml = volumes * NOMINAL_PLASMA_VOLUME_ML
    events = [ExchangeEvent(t, NOMINAL_EXCHANGE_HOURS, volume_ml) for t in starts if t >= 0]
    if not events:
        note = "modelled: no exchange after the dose, nothing removed"
        return Prediction(True, note, 0, 0.0, None, None, None, 0.0, (), removal_wording(0.0))
    end_h = events[-1].start_h + NOMINAL_EXCHANGE_HOURS
    pv = NOMINAL_PLASMA_VOLUME_ML
    with_course = predict_course(
        dmt.key, plasma_volume_ml=pv, exchanges=events, initial="after_infusion"
    )
    without = predict_course(
        dmt.key,
        plasma_volume_ml=pv,
        exchanges=[],
        initial="after_infusion",
        until_h=end_h,
        sample_every_h=end_h,
    )
    level_end = with_course.post[-1]
    level_without = without.curve[-1][1]
    note = (
        f"modelled: two-compartment model, {len(events)} exchange(s) of {volumes:g} plasma "
        f"volumes after the dose, each {NOMINAL_EXCHANGE_HOURS:g} h from "
        f"{policy.schedule.default_start}; dose taken to end at {DOSE_CLOCK:%H:%M}; levels are "
        "fractions of the plasma level right after the dose"
    )
    removed = round(sum(with_course.removed), 4)
    return Prediction(
        modelled=True,
        note=note,
        exchanges_after_dose=len(events),
        dose_fraction_removed=removed,
        wording=removal_wording(removed),
        level_at_course_start=round(with_course.pre[0], 4),
        level_end_with_course=round(level_end, 4),
        level_end_without_exchange=round(level_without, 4),
        reduction_vs_no_exchange=(
            round(1.0 - level_end / level_without, 4) if level_without > _NEGLIGIBLE else None
        ),
        sources=with_course.sources,
    )
