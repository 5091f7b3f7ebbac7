"""Protocol comparisons on the centre's own patients (issue 18 item 2): the virtual cohort
drawn from the registry's distributions instead of the literature's.

:func:`registry_population` reads, for each of the centre's patients, the sex, the latest
height, weight and haematocrit, and the earliest IgG and fibrinogen (the pre-course level;
stored in g/L); :mod:`plexms.core.kinetics.population` then resamples those patients, drawing
only what a patient lacks from the literature. The kinetic parameters stay the literature's.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from sqlalchemy import select

from plexms.core.errors import InputError
from plexms.core.kinetics.population import LITERATURE, PATIENT_FIELDS, Population
from plexms.core.kinetics.protocols import CohortComparison
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.admin.centres import centre_policy
from plexms.services.calc.cohort import CALCULATOR, compute
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.store.models import LabResult, Measurement, Patient

__all__ = ["compare_cohort", "registry_population"]

_NAN = math.nan


def _population(ctx: ServiceContext) -> Population:
    centre = ctx.centre_id
    with ctx.db.read() as session:
        patients = {
            pid: {"female": 1.0 if sex == "female" else 0.0 if sex == "male" else _NAN}
            for pid, sex in session.execute(
                select(Patient.id, Patient.sex).where(
                    Patient.centre_id == centre, Patient.deleted_at.is_(None)
                )
            )
        }
        measured = session.execute(
            select(
                Measurement.patient_id,
                Measurement.height_cm,
                Measurement.weight_kg,
                Measurement.hematocrit,
            )
            .where(Measurement.centre_id == centre, Measurement.deleted_at.is_(None))
            .order_by(Measurement.measured_at, Measurement.id)
        )
        for pid, height, weight, hct in measured:  # the latest recorded value wins
            row = patients.get(pid)
            if row is None:
                continue
            for name, value in (("height_cm", height), ("weight_kg", weight), ("hematocrit", hct)):
                if value is not None:
                    row[name] = float(value)
        labs = session.execute(
            select(LabResult.patient_id, LabResult.analyte, LabResult.value)
            .where(
                LabResult.centre_id == centre,
                LabResult.deleted_at.is_(None),
                LabResult.analyte.in_(("igg", "fibrinogen")),
            )
            .order_by(LabResult.taken_at.desc(), LabResult.id.desc())
        )
        for pid, analyte, value in labs:  # the earliest (pre-course) value wins
            row = patients.get(pid)
            if row is not None:
                row[f"{analyte}_g_l"] = float(value)
    if not patients:
        raise InputError(
            "population", "your centre has no patients yet", allowed="the literature population"
        )
    table = {
        name: np.array([row.get(name, _NAN) for row in patients.values()])
        for name in PATIENT_FIELDS
    }
    female = table["female"]
    share = float(np.nanmean(female)) if not np.isnan(female).all() else LITERATURE.female_share
    return dataclasses.replace(
        LITERATURE,
        name="registry",
        female_share=share,
        empirical=table,
        sources=("CENTRE_REGISTRY", *LITERATURE.sources),
    )


@use_case(Permission.PATIENT_READ)
def registry_population(ctx: ServiceContext) -> Population:
    """The centre's patients as a population to resample (audited as a registry search)."""
    population = _population(ctx)
    audit.record_alone(
        ctx,
        "search",
        entity="registry",
        detail={"use_case": "registry_population", "patients": population.empirical_patients},
    )
    return population


@use_case(Permission.CALC)
def compare_cohort(
    ctx: ServiceContext, payload: Any, *, own_patients: bool = False
) -> CohortComparison:
    """A ``calc cohort`` request with the centre's settings, on the literature population or
    (``own_patients``, needs read access to the centre's patients) on the centre's own."""
    request = CALCULATOR.parse(payload)
    population = registry_population(ctx) if own_patients else LITERATURE
    return compute(request, centre_policy(ctx), ctx.now, population)
