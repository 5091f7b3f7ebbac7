from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from plexms.core.errors import InputError
from plexms.core.policy import (
    CentrePolicy,
    ClinicHours,
    PrescriptionPolicy,
    policy_from_dict,
    policy_to_dict,
    setting_source,
)
from plexms.core.sources import SOURCES


def test_every_setting_names_a_known_source() -> None:
    policy = CentrePolicy()
    for cls in (type(getattr(policy, f.name)) for f in dataclasses.fields(CentrePolicy)):
        for f in dataclasses.fields(cls):
            assert f.metadata.get("source") in SOURCES, (cls.__name__, f.name)


def test_round_trip_and_defaults() -> None:
    policy = CentrePolicy()
    assert policy_from_dict(policy_to_dict(policy)) == policy
    assert policy_from_dict({}) == policy
    custom = policy_from_dict(
        {
            "hours": {"closed_dates": ["2026-12-25"]},
            "prescription": {"albumin_vial_sizes_ml": [500]},
        }
    )
    assert custom.hours.closed_dates == frozenset({dt.date(2026, 12, 25)})
    assert policy_to_dict(custom)["hours"]["closed_dates"] == ["2026-12-25"]
    assert policy_from_dict(policy_to_dict(custom)) == custom
    assert custom.prescription.albumin_vial_sizes_ml == (500,)


def test_seed_clinic_hours() -> None:
    hours = ClinicHours()
    assert hours.hours_on(dt.date(2026, 11, 26)) == (dt.time(9), dt.time(17))  # Thursday
    assert hours.hours_on(dt.date(2026, 11, 27)) == (dt.time(9), dt.time(16))  # Friday
    assert hours.hours_on(dt.date(2026, 11, 28)) is None  # Saturday
    closed = ClinicHours(closed_dates=frozenset({dt.date(2026, 11, 26)}))
    assert closed.hours_on(dt.date(2026, 11, 26)) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": 1}, "colour"),
        ({"prescription": {"inlet_flow_ml_min": "fast"}}, "prescription.inlet_flow_ml_min"),
        ({"prescription": {"albumin_vial_sizes_ml": 250}}, "prescription.albumin_vial_sizes_ml"),
        ({"hours": {"closed_dates": ["tomorrow"]}}, "hours.closed_dates"),
        ({"hours": {"closed_dates": 3}}, "hours.closed_dates"),
        ({"hours": {"weekly": [["9am", "5pm"]] * 7}}, "opening_hours"),
        ({"hours": {"weekly": [None] * 6}}, "opening_hours"),
        ({"hours": {"weekly": [["10:00", "09:00"]] + [None] * 6}}, "opening_hours[0]"),
        ({"hours": 5}, "hours"),
    ],
)
def test_bad_settings_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InputError) as info:
        policy_from_dict(data)
    assert info.value.field.startswith(field)


def test_setting_source_lookup() -> None:
    assert setting_source(PrescriptionPolicy, "inlet_to_ac_ratio") == "SPECTRA_OPTIA"
    with pytest.raises(KeyError):
        setting_source(PrescriptionPolicy, "nope")
