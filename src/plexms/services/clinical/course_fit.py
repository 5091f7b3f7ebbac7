"""A stored course fitted to its own measured levels (``calc fit`` on the record), and priors
re-estimated from every fitted course of the centre or the registry (issue 18, items 1 and 5).

:func:`fit_stored_course` builds the ``calc fit`` request from the course's plan inputs (the
patient), its exchanges (done: the actual times and the plasma removed; planned: the planned
times and volume) and the patient's IgG and fibrinogen results from the course's window, and
answers with the contract's JSON and the typed fit (for the course page's chart).

:func:`learn_priors` fits every course with at least :data:`MIN_SAMPLES` measurements of a
substance with the population priors, then pools the per-patient estimates (empirical Bayes,
:func:`plexms.core.kinetics.priors.pool_priors`): the old and new priors side by side. A
``priors`` choice of "centre" or "registry" in :func:`fit_stored_course` uses them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.core.kinetics.priors import PARAMETERS, SubstancePrior, pool_priors, population_prior
from plexms.interop.units import convert
from plexms.services import audit
from plexms.services._records import load, scoped
from plexms.services._usecase import use_case
from plexms.services.admin.centres import load_policy
from plexms.services.calc import fit as fit_calc
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.store.models import Centre, Course, ExchangeSession, LabResult

__all__ = [
    "FITTED",
    "MIN_SAMPLES",
    "CourseFitOut",
    "Estimates",
    "LearnedPriors",
    "fit_stored_course",
    "learn_priors",
    "registry_estimates",
]

FITTED = ("igg", "fibrinogen")  # the stored labs a course is fitted to
MIN_SAMPLES = 2  # a course adds a substance's estimate to the pooled prior from this many
_WINDOW_BEFORE = dt.timedelta(days=3)  # a pre-course sample up to this long before exchange 1
_WINDOW_AFTER = dt.timedelta(days=14)
_MAX_COURSES = 500  # newest courses pooled (5-20 ms a fit: a few seconds at most)
Scope = Literal["population", "centre", "registry"]
#: Per substance: (patient id, parameter -> (estimate, posterior SD) on the prior's scale).
Estimates = dict[str, list[tuple[int, dict[str, tuple[float, float]]]]]


@dataclass(frozen=True)
class CourseFitOut:
    """The ``calc fit`` answer for a stored course, and the typed fit behind it."""

    course_id: int
    body: dict[str, Any]
    answer: fit_calc.FitAnswer


@dataclass(frozen=True)
class LearnedPriors:
    """Old (literature) and new (pooled) priors by substance; ``courses`` fitted per substance."""

    scope: str
    old: dict[str, SubstancePrior]
    new: dict[str, SubstancePrior]
    courses: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """JSON: per substance and parameter the old and new median and log-SD."""

        def side(p: SubstancePrior) -> dict[str, Any]:
            return {
                name: {"median": lp.median, "sd_log": lp.sd_log}
                for name in PARAMETERS
                if (lp := p.get(name)) is not None
            }

        return {
            "scope": self.scope,
            "substances": {
                key: {
                    "courses": self.courses[key],
                    "population": side(self.old[key]),
                    "learned": side(self.new[key]),
                }
                for key in self.old
            },
            "method": "empirical Bayes: per-course MAP fits pooled (log-scale mean and "
            "between-patient SD), shrunk towards the literature prior with the weight of 10 "
            "patients",
        }


def _request(
    course: Course,
    sessions: list[ExchangeSession],
    labs: list[LabResult],
    units: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    inputs = course.inputs or {}
    pv = float((course.prescription or {}).get("plasma_volume_ml") or 0.0)
    exchanges = []
    for s in sessions:
        done = s.status == "done" and s.actual_start is not None
        start = s.actual_start if done else s.planned_start
        end = s.actual_end if done and s.actual_end else s.planned_end
        volume = (s.plasma_removed_ml if done else None) or s.planned_plasma_volume_ml
        if start is None or end is None or not volume or pv <= 0:
            continue
        exchanges.append(
            {
                "start": _aware(start).isoformat(),
                "plasma_volumes": round(min(volume / pv, 3.0), 4),
                "duration_h": round(max(min((end - start).total_seconds() / 3600, 24.0), 0.1), 3),
            }
        )
    body: dict[str, Any] = {
        key: inputs[key]
        for key in ("sex", "height_cm", "weight_kg", "hematocrit", "volume_method", "age_years")
        if inputs.get(key) is not None
    }
    body["exchanges"] = exchanges
    body["measurements"] = [
        {
            "substance": lab.analyte,
            "at": _aware(lab.taken_at).isoformat(),
            **_shown(lab, (units or {}).get(lab.analyte)),
        }
        for lab in labs
    ]
    return body


def _shown(lab: LabResult, unit: str | None) -> dict[str, Any]:
    """The stored value, or converted to ``unit`` (the centre's display unit)."""
    if unit is None or unit == lab.unit:
        return {"value": lab.value, "unit": lab.unit}
    return {"value": round(convert(lab.value, lab.unit, unit, lab.analyte), 6), "unit": unit}


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _course_data(session: Session, course: Course) -> tuple[list[ExchangeSession], list[LabResult]]:
    sessions = list(
        session.execute(
            select(ExchangeSession)
            .where(
                ExchangeSession.course_id == course.id,
                ExchangeSession.deleted_at.is_(None),
                ExchangeSession.status.in_(("done", "planned")),
            )
            .order_by(ExchangeSession.sequence)
        ).scalars()
    )
    if not sessions:
        return [], []
    first = min(_aware(s.actual_start or s.planned_start) for s in sessions)
    last = max(_aware(s.actual_end or s.planned_end) for s in sessions)
    labs = [
        lab
        for lab in session.execute(
            select(LabResult)
            .where(
                LabResult.patient_id == course.patient_id,
                LabResult.deleted_at.is_(None),
                LabResult.analyte.in_(FITTED),
            )
            .order_by(LabResult.taken_at, LabResult.id)
        ).scalars()
        if first - _WINDOW_BEFORE <= _aware(lab.taken_at) <= last + _WINDOW_AFTER
    ]
    return sessions, labs


def _explicit(priors: dict[str, SubstancePrior]) -> dict[str, Any]:
    return {
        key: {
            name: {"median": lp.median, "sd_log": lp.sd_log}
            for name in PARAMETERS
            if (lp := p.get(name)) is not None
        }
        for key, p in priors.items()
    }


@use_case(Permission.PATIENT_READ)
def fit_stored_course(
    ctx: ServiceContext,
    course_id: int,
    priors: Scope = "population",
    units: Mapping[str, str] | None = None,
) -> CourseFitOut:
    """``calc fit`` for a stored course; InputError ``measurements`` when it has no IgG or
    fibrinogen result in its window. ``units``: analyte -> unit of the answer (default the
    stored, canonical unit)."""
    learned = None if priors == "population" else learn_priors(ctx, priors)
    with ctx.db.write() as session:
        course = load(session, ctx, Course, course_id)
        centre = session.get_one(Centre, course.centre_id)
        sessions, labs = _course_data(session, course)
        if not labs:
            raise InputError(
                "measurements",
                "the course has no measured IgG or fibrinogen from 3 days before its first "
                "exchange to 14 days after its last",
                allowed="at least one IgG or fibrinogen result",
            )
        request = _request(course, sessions, labs, units)
        request["priors"] = priors
        if learned is not None:
            request["prior_parameters"] = _explicit(learned.new)
        calc = fit_calc.CALCULATOR
        answer = calc.evaluate(request, load_policy(centre), now=ctx.now)
        audit.record(
            session,
            ctx,
            "read",
            entity="course_fit",
            entity_id=course.id,
            patient_id=course.patient_id,
            detail={"measurements": len(labs), "priors": priors},
        )
        return CourseFitOut(course.id, calc.to_json(answer), answer)


@use_case(Permission.PATIENT_READ)
def learn_priors(ctx: ServiceContext, scope: Scope = "registry") -> LearnedPriors:
    """Priors pooled from the fitted courses of the actor's centre (``centre``) or of the whole
    registry (``registry``); ``population`` returns the literature priors unchanged."""
    old = {key: population_prior(key) for key in FITTED}
    estimates: dict[str, list[dict[str, tuple[float, float]]]] = {key: [] for key in FITTED}
    if scope != "population":
        with ctx.db.write() as session:
            query = select(Course) if scope == "registry" else scoped(ctx, Course)
            for key, rows in _estimates(session, query).items():
                estimates[key] = [e for _, e in rows]
            audit.record(
                session,
                ctx,
                "read",
                entity="priors",
                detail={"scope": scope, **{k: len(v) for k, v in estimates.items()}},
            )
    new = {
        key: pool_priors(old[key], rows, origin=scope) if rows else old[key]
        for key, rows in estimates.items()
    }
    return LearnedPriors(scope, old, new, {k: len(v) for k, v in estimates.items()})


def registry_estimates(session: Session) -> Estimates:
    """Per fitted substance, (patient id, the course's estimates) for the newest
    :data:`_MAX_COURSES` courses of every centre of this instance, for callers that audit the
    use themselves (the federated registry's node); the rows never leave the node."""
    return _estimates(session, select(Course))


def _estimates(session: Session, query: Select[Any]) -> Estimates:
    estimates: Estimates = {key: [] for key in FITTED}
    courses = session.execute(
        query.where(Course.deleted_at.is_(None))
        .order_by(Course.start_date.desc(), Course.id.desc())
        .limit(_MAX_COURSES)
    ).scalars()
    for course in courses:
        _add_estimates(session, course, estimates)
    return estimates


def _add_estimates(session: Session, course: Course, estimates: Estimates) -> None:
    sessions, labs = _course_data(session, course)
    counts = {key: sum(lab.analyte == key for lab in labs) for key in FITTED}
    if not any(n >= MIN_SAMPLES for n in counts.values()):
        return
    request = _request(course, sessions, labs)
    try:
        answer = fit_calc.CALCULATOR.evaluate(request, now=None)
    except InputError:
        return  # a course whose record cannot be fitted adds nothing
    for key, fit in answer.course.fits.items():
        if counts.get(key, 0) >= MIN_SAMPLES:
            sd = fit.posterior_sd()
            estimates[key].append(
                (
                    course.patient_id,
                    {name: (fit.theta[j], sd[name]) for j, name in enumerate(PARAMETERS)},
                )
            )
