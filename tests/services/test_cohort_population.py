"""The centre's own patients as a virtual-cohort population (issue 18 item 2), both backends:
the latest measurements and the earliest IgG and fibrinogen, other centres left out, gaps
filled from the literature, audited; the comparison on it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from plexms.core.errors import InputError
from plexms.services.clinical import patients, sessions
from plexms.services.schemas import MeasurementIn
from plexms.services.schemas.clinical import LabIn
from plexms.services.sharing.cohort import compare_cohort, registry_population
from plexms.store.models import AuditEvent

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
REQUEST = {
    "protocols": [
        {"name": "5 x 1.0", "plasma_volumes_per_exchange": 1.0, "exchanges": 5, "interval_days": 2}
    ],
    "n": 1000,
    "seed": 3,
}


def test_the_centres_patients_make_the_population(world) -> None:  # type: ignore[no-untyped-def]
    p = world.patient(mrn="C-1", sex="male")  # measured now: 165 cm, 60 kg, 0.40
    world.patient(centre="b", mrn="C-2")  # another centre: not in centre a's population
    ctx = world.ctx("physician", "a")
    patients.add_measurement(  # older: the latest measurement wins
        ctx, p.id, MeasurementIn(measured_at=T0, height_cm=190, weight_kg=95, hematocrit=0.44)
    )
    for days, igg in ((0, 9.5), (4, 3.1)):  # the earliest (pre-course) value is the baseline
        sessions.add_lab(
            ctx,
            p.id,
            LabIn(taken_at=T0 + dt.timedelta(days=days), analyte="igg", value=igg, unit="g/L"),
        )
    pop = registry_population(ctx)
    assert pop.name == "registry" and pop.empirical_patients == 1
    assert pop.empirical is not None
    assert pop.empirical["female"].tolist() == [0.0]
    assert pop.empirical["height_cm"].tolist() == [165.0]
    assert pop.empirical["hematocrit"].tolist() == [0.40]
    assert pop.empirical["igg_g_l"].tolist() == [9.5]
    assert np.isnan(pop.empirical["fibrinogen_g_l"]).all()
    assert pop.female_share == 0.0 and "CENTRE_REGISTRY" in pop.sources
    result = compare_cohort(ctx, REQUEST, own_patients=True)
    assert result.population.name == "registry"
    literature = compare_cohort(ctx, REQUEST)
    assert literature.population.name == "literature"
    # every virtual patient is this man (PV 2.51 L): 500 x 5 + 250 mL a session, 6 vials x 5
    assert result.protocols[0].albumin_vials == 30.0
    assert literature.protocols[0].albumin_vials != 30.0
    with world.db.read() as s:
        details = list(s.scalars(select(AuditEvent.detail).where(AuditEvent.entity == "registry")))
    assert any(d.get("use_case") == "registry_population" for d in details)


def test_a_centre_without_patients_is_told_so(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as exc:
        compare_cohort(world.ctx("viewer", "b"), REQUEST, own_patients=True)
    assert exc.value.field == "population"
