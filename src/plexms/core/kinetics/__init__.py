"""Kinetic model of plasma exchange: what each exchange removes and how levels recover.

Linear two-compartment model (intravascular plasma pool + extravascular pool, transfer both
ways, catabolism from plasma, zero-order synthesis for endogenous proteins so that the start is
the steady state); an exchange removes plasma substance at rate Q / PV while it runs
(isovolaemic). Solved exactly per segment by the closed-form 2x2 matrix exponential,
vectorised over patients (REVERBERI_2007; parameter derivations in
:mod:`plexms.core.kinetics.substances`).

>>> course = predict_course(
...     "fibrinogen",
...     plasma_volume_ml=3000,
...     exchanges=[ExchangeEvent(start_h=0.0, duration_h=2.0, volume_ml=3000)],
... )
>>> round(course.post[0], 2), round(course.one_compartment_post[0], 2)
(0.38, 0.37)
"""

from plexms.core.kinetics.cohort import CohortResult, simulate_cohort
from plexms.core.kinetics.course import CoursePrediction, ExchangeEvent, predict_course
from plexms.core.kinetics.substances import (
    SUBSTANCES,
    RateConstants,
    Substance,
    rate_constants,
    resolve_substance,
)

__all__ = [
    "SUBSTANCES",
    "CohortResult",
    "CoursePrediction",
    "ExchangeEvent",
    "RateConstants",
    "Substance",
    "predict_course",
    "rate_constants",
    "resolve_substance",
    "simulate_cohort",
]
