"""Hand-back to disease-modifying therapy (DMT) after a TPE course.

For each DMT: its class, whether TPE removes it meaningfully and the timing advice relative to
the course. The rule of thumb (Ibrahim 2007): TPE removes a drug meaningfully when its volume
of distribution is small and its plasma protein binding high, i.e. when most of it sits in
plasma; monoclonal antibodies (IgG, mostly intravascular, half-lives of weeks) are removed, the
small-molecule oral DMTs are not. For antibody drugs the two-compartment kinetic model
(:mod:`plexms.core.kinetics`, ``initial="after_infusion"``) quantifies how much of a recent
dose the course removes, against no exchange, where it has parameters for the drug; otherwise
the answer says "not modelled". Rules ``DMT-*`` are listed in ``docs/rules.md``.

>>> DMTS["natalizumab"].removed_by_tpe, DMTS["fingolimod"].removed_by_tpe
('yes', 'no')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.kinetics import SUBSTANCES, ExchangeEvent, predict_course
from plexms.core.policy import CentrePolicy
from plexms.core.rules import RULE_VERSION, Reason, sources_of
from plexms.core.sources import LOCAL_POLICY

__all__ = ["DMTS", "Course", "Dmt", "DmtAdvice", "Prediction", "dmt_advice"]

NOMINAL_PLASMA_VOLUME_ML = 3058.0  # NEURO_TPE_COHORT median; removal depends on the ratio
NOMINAL_EXCHANGE_HOURS = 2.0  # MODEL_ASSUMPTION; the result is insensitive to it
DOSE_CLOCK = dt.time(12, 0)  # MODEL_ASSUMPTION: date-only doses end at noon
RECENT_DOSE_DAYS = 28  # LOCAL_POLICY: "shortly before" for antibodies without a model
_NEGLIGIBLE = 1e-9  # fraction of the post-dose level below which nothing is left to compare


@dataclass(frozen=True)
class Dmt:
    """One disease-modifying therapy and how TPE bears on it."""

    key: str
    label: str
    drug_class: str
    kind: str  # monoclonal_antibody | protein | peptide_polymer | small_molecule
    route: str
    removed_by_tpe: str  # yes | no | uncertain
    basis: str
    timing: str
    sources: tuple[str, ...]


_MAB_BASIS = (
    "Monoclonal antibody (IgG): mostly in plasma and long-lived, the profile TPE removes "
    "(small volume of distribution)."
)
_MAB_TIMING = (
    "Give the next dose after the last exchange, not during the course; a dose given shortly "
    "before the course is largely removed."
)
_S1P_BASIS = "Small molecule with a large volume of distribution: little of it is in plasma."
_S1P_TIMING = (
    "Continue through the course; do not interrupt (stopping and restarting an S1P modulator "
    "has its own risks per its label)."
)
_ORAL_TIMING = "Continue through the course; no change needed for TPE."


def _dmt(*fields: str, sources: str) -> Dmt:
    key, label, drug_class, kind, route, removed, basis, timing = fields
    return Dmt(key, label, drug_class, kind, route, removed, basis, timing, tuple(sources.split()))


DMTS: dict[str, Dmt] = {
    d.key: d
    for d in (
        _dmt(
            "interferon_beta",
            "Interferon beta",
            "interferon (recombinant protein)",
            "protein",
            "subcutaneous or intramuscular injection",
            "no",
            "A protein, but short-lived and injected every 1-14 days: what an exchange removes "
            "is soon replaced by the next dose.",
            "Continue; on exchange days inject after the exchange.",
            sources="DMT_LABELS IBRAHIM_2007",
        ),
        _dmt(
            "glatiramer_acetate",
            "Glatiramer acetate",
            "peptide polymer (immunomodulator)",
            "peptide_polymer",
            "subcutaneous injection",
            "no",
            "Broken down largely at the injection site; little reaches plasma.",
            "Continue; on exchange days inject after the exchange.",
            sources="DMT_LABELS IBRAHIM_2007",
        ),
        _dmt(
            "natalizumab",
            "Natalizumab",
            "anti-alpha4-integrin monoclonal antibody (IgG4)",
            "monoclonal_antibody",
            "intravenous infusion",
            "yes",
            _MAB_BASIS + " TPE accelerates natalizumab clearance (the basis of TPE for "
            "natalizumab-associated PML).",
            _MAB_TIMING,
            sources="KHATRI_2009 IBRAHIM_2007 DMT_LABELS",
        ),
        *(
            _dmt(
                key,
                label,
                "anti-CD20 monoclonal antibody",
                "monoclonal_antibody",
                route,
                "yes",
                _MAB_BASIS + " Rituximab: 47-54% removed by a first session 24-72 h after "
                "infusion. TPE removes circulating drug; B-cell depletion already achieved "
                "persists.",
                _MAB_TIMING,
                sources="PUISSET_2013 IBRAHIM_2007 DMT_LABELS",
            )
            for key, label, route in (
                ("ocrelizumab", "Ocrelizumab", "intravenous infusion"),
                ("ofatumumab", "Ofatumumab", "subcutaneous injection"),
                ("ublituximab", "Ublituximab", "intravenous infusion"),
                ("rituximab", "Rituximab", "intravenous infusion"),
            )
        ),
        _dmt(
            "alemtuzumab",
            "Alemtuzumab",
            "anti-CD52 monoclonal antibody",
            "monoclonal_antibody",
            "intravenous infusion (yearly courses)",
            "yes",
            _MAB_BASIS + " Lymphocyte depletion already achieved persists.",
            "Do not give a course during TPE; start it after the last exchange.",
            sources="IBRAHIM_2007 DMT_LABELS",
        ),
        *(
            _dmt(
                key,
                label,
                "sphingosine-1-phosphate receptor modulator",
                "small_molecule",
                "oral",
                "no",
                _S1P_BASIS,
                _S1P_TIMING,
                sources="IBRAHIM_2007 DMT_LABELS",
            )
            for key, label in (
                ("fingolimod", "Fingolimod"),
                ("siponimod", "Siponimod"),
                ("ozanimod", "Ozanimod"),
                ("ponesimod", "Ponesimod"),
            )
        ),
        *(
            _dmt(
                key,
                label,
                "fumarate",
                "small_molecule",
                "oral",
                "no",
                "Small molecule (active metabolite monomethyl fumarate): low protein binding and "
                "a half-life of hours.",
                _ORAL_TIMING,
                sources="IBRAHIM_2007 DMT_LABELS",
            )
            for key, label in (
                ("dimethyl_fumarate", "Dimethyl fumarate"),
                ("diroximel_fumarate", "Diroximel fumarate"),
            )
        ),
        _dmt(
            "teriflunomide",
            "Teriflunomide",
            "pyrimidine synthesis inhibitor",
            "small_molecule",
            "oral",
            "uncertain",
            "High protein binding and a small volume of distribution meet the rule of thumb, "
            "but our sources give no TPE data; the label's accelerated elimination "
            "(cholestyramine or activated charcoal) is the established way to lower levels.",
            "Continue; TPE is not a substitute for the accelerated elimination procedure.",
            sources="IBRAHIM_2007 TERIFLUNOMIDE_LABEL",
        ),
        _dmt(
            "cladribine",
            "Cladribine",
            "purine analogue (immune reconstitution therapy)",
            "small_molecule",
            "oral (short treatment weeks)",
            "no",
            "Small molecule with a large volume of distribution and low protein binding.",
            "If a treatment week falls in the course, take the tablets after the exchange on "
            "exchange days; lymphopenia: infection precautions with central access.",
            sources="IBRAHIM_2007 DMT_LABELS",
        ),
    )
}


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
) -> DmtAdvice:
    """Class, TPE removal and timing advice for DMT ``key``, quantified for antibody drugs
    with kinetic parameters (Ibrahim 2007; Puisset 2013; Khatri 2009; REVERBERI_2007 model).

    Exchanges fall on ``course.exchange_dates`` when given (the sessions actually done),
    otherwise every ``policy.schedule.interval_days`` from ``course.start_date``, at the
    centre's default start time; a date-only dose is taken to end at 12:00.

    >>> course = Course(dt.date(2026, 3, 10), 5, 1.0)
    >>> a = dmt_advice("natalizumab", last_dose_date=dt.date(2026, 3, 6), course=course)
    >>> a.prediction.dose_fraction_removed > 0.5, str(a.last_exchange_date)
    (True, '2026-03-18')
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
    timing_source = "PUISSET_2013" if antibody else dmt.sources[-1]
    advice = [
        Reason("DMT-REMOVAL", text, dmt.sources[0]),
        Reason("DMT-TIMING", dmt.timing, timing_source),
    ]
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
    if last is not None:
        text = f"Next {dmt.label} dose on or after {last}, after the last exchange."
        advice.append(Reason("DMT-AFTER-COURSE", text, "PUISSET_2013"))
    if course is None or last_dose_date is None:
        note = "not modelled: needs last_dose_date and course"
        return DmtAdvice(dmt, tuple(advice), Prediction(False, note), last)
    assert last is not None  # noqa: S101 - a course has at least one exchange
    advice.append(_dose_reason(dmt, last_dose_date, course.start_date, last))
    prediction = _predict(dmt, last_dose_date, dates, course.plasma_volumes_per_exchange, policy)
    if prediction.reduction_vs_no_exchange is not None and prediction.exchanges_after_dose:
        text = (
            f"Model: the course removes {prediction.dose_fraction_removed:.0%} of the "
            f"{last_dose_date} dose; just after the last exchange the plasma level is "
            f"{prediction.reduction_vs_no_exchange:.0%} lower than without exchange."
        )
        advice.append(Reason("DMT-PREDICTED", text, "REVERBERI_2007"))
    return DmtAdvice(dmt, tuple(advice), prediction, last)


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


def _dose_reason(dmt: Dmt, dose: dt.date, start: dt.date, last: dt.date) -> Reason:
    if dose > last:
        text = f"Last dose {dose} is after the last exchange ({last}): this course removes none."
        return Reason("DMT-DOSE-AFTER", text, "PUISSET_2013")
    if dose >= start:
        text = (
            f"Dose given during the course ({dose}): the exchanges after it remove much of it; "
            "discuss re-dosing after the course with the neurologist."
        )
        return Reason("DMT-DOSE-DURING", text, "PUISSET_2013")
    days = (start - dose).days
    if days <= RECENT_DOSE_DAYS:
        text = (
            f"Dose {days} days before the course (within {RECENT_DOSE_DAYS} days, local "
            "policy): expect much of it to be removed; discuss re-dosing after the course."
        )
        return Reason("DMT-DOSE-RECENT", text, "PUISSET_2013")
    text = f"Dose {days} days before the course: less of it is left for the course to remove."
    return Reason("DMT-DOSE-EARLIER", text, LOCAL_POLICY)


def _predict(
    dmt: Dmt, dose: dt.date, dates: list[dt.date], volumes: float, policy: CentrePolicy
) -> Prediction:
    if dmt.key not in SUBSTANCES:
        return Prediction(False, f"not modelled: no kinetic parameters for {dmt.label}")
    clock = dt.time.fromisoformat(policy.schedule.default_start)
    dose_at = dt.datetime.combine(dose, DOSE_CLOCK)
    starts = [(dt.datetime.combine(d, clock) - dose_at).total_seconds() / 3600 for d in dates]
    volume_ml = volumes * NOMINAL_PLASMA_VOLUME_ML
    events = [ExchangeEvent(t, NOMINAL_EXCHANGE_HOURS, volume_ml) for t in starts if t >= 0]
    if not events:
        note = "modelled: no exchange after the dose, nothing removed"
        return Prediction(True, note, 0, 0.0, None, None, None, 0.0)
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
    return Prediction(
        modelled=True,
        note=note,
        exchanges_after_dose=len(events),
        dose_fraction_removed=round(sum(with_course.removed), 4),
        level_at_course_start=round(with_course.pre[0], 4),
        level_end_with_course=round(level_end, 4),
        level_end_without_exchange=round(level_without, 4),
        reduction_vs_no_exchange=(
            round(1.0 - level_end / level_without, 4) if level_without > _NEGLIGIBLE else None
        ),
        sources=with_course.sources,
    )
