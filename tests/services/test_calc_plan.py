from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import pytest
import time_machine

from plexms.core.policy import CentrePolicy, ClinicHours
from plexms.core.sources import SOURCES
from plexms.services import calc

MALE = {"sex": "male", "height_cm": 175, "weight_kg": 70, "hematocrit": 0.40}
FEMALE = {"sex": "female", "height_cm": 165, "weight_kg": 60, "hematocrit": 0.40}
MONDAY = "2026-11-30"


def _plan(policy: CentrePolicy | None = None, **fields: Any) -> dict[str, Any]:
    outcome = calc.run("plan", {"start_date": MONDAY, **fields}, policy or CentrePolicy())
    assert outcome.ok, outcome.body
    return outcome.body


def _error(**fields: Any) -> dict[str, Any]:
    outcome = calc.run("plan", fields)
    assert not outcome.ok and not outcome.batch
    return outcome.body["error"]


@pytest.mark.parametrize(
    ("patient", "method", "tbv_ml", "pv_ml"),
    [
        (MALE, "nadler", 4823.8, 2894.3),  # Nadler 1962 published example
        (FEMALE, "nadler", 3767.7, 2260.6),  # Nadler 1962 published example
        (MALE, "kaplan", 4550.0, 2730.0),  # Kaplan 1990: 70 kg, Hct 0.40 -> 2.73 L
        (MALE, "weight", 4900.0, 2940.0),  # 70 mL/kg
        (FEMALE, "weight", 3900.0, 2340.0),  # 65 mL/kg
    ],
)
def test_published_volumes(patient: dict, method: str, tbv_ml: float, pv_ml: float):
    body = _plan(**patient, volume_method=method)
    assert body["volume_method"] == method
    assert body["total_blood_volume_ml"] == tbv_ml
    assert body["plasma_volume_ml"] == pv_ml
    assert body["exchange_volume_ml"] == pv_ml


def test_response_contract_of_the_issue():
    body = _plan(**MALE)
    for key in (
        "total_blood_volume_ml",
        "plasma_volume_ml",
        "exchange_volume_ml",
        "replacement",
        "calcium_gluconate_10pct_ml",
        "schedule",
        "predicted",
        "warnings",
        "sources",
    ):
        assert key in body, key
    assert body["replacement"]["albumin_5pct_ml"] == 3000.0
    assert body["replacement"]["albumin_g"] == 150.0
    assert body["calcium_gluconate_10pct_ml"] == 28.9
    assert body["warnings"] == []
    assert len(body["schedule"]) == 5
    for n, appt in enumerate(body["schedule"], start=1):
        assert set(appt) == {"exchange", "date", "start", "end"}
        assert appt["exchange"] == n
        assert dt.date.fromisoformat(appt["date"]).weekday() < 5
        assert (
            appt["start"] == "09:00" and appt["end"] == "11:17"
        )  # 57.9 mL/min: the ACD-A limit for 4.82 L
    assert [a["date"] for a in body["schedule"]] == [
        "2026-11-30",
        "2026-12-02",
        "2026-12-04",
        "2026-12-07",
        "2026-12-09",
    ]
    for key in ("igg", "fibrinogen"):
        levels = body["predicted"][key]
        assert [lv["exchange"] for lv in levels] == [1, 2, 3, 4, 5]
        assert levels[0]["pre"] == pytest.approx(1.0, abs=1e-3)  # steady state before the course
        for lv in levels:
            assert 0 < lv["post"] < lv["pre"] <= 1.0 + 1e-6
            assert lv["one_compartment_post"] == pytest.approx(math.exp(-1), abs=1e-4)
            assert 0 < lv["removed"] < 1
    # One plasma volume takes ~63% (1 - e^-1) of the intravascular IgG, ~45% of the body's
    # (Reverberi 2007): about 28% of the body amount.
    igg_removed = body["predicted"]["igg"][0]["removed"]
    assert igg_removed == pytest.approx(0.45 * (1 - math.exp(-1)), abs=0.02)


def test_useful_extras_are_consistent():
    body = _plan(**MALE)
    assert body["anticoagulant"]["solution"] == "ACD-A"
    assert body["anticoagulant"]["inlet_to_ac_ratio"] == 10.0
    assert body["blood_volumes_processed"] == pytest.approx(1.15, abs=0.01)
    assert body["session_minutes"] == body["run_minutes"] + 30
    bal = body["fluid_balance"]
    assert bal["net_ml"] == pytest.approx(bal["in_ml"] - bal["out_ml"], abs=0.11)
    totals = body["course_totals"]
    assert totals["albumin_vials"] == [{"size_ml": 500, "count": 30}]
    assert totals["albumin_g"] == 750.0
    assert body["course"] == {
        "first_date": "2026-11-30",
        "last_date": "2026-12-09",
        "course_days": 10,
        "interval_days": 2,
        "session_minutes": 137,
        "time_zone": "America/Los_Angeles",
        "holidays": [],
    }


def test_every_number_and_source_is_traceable():
    body = _plan(**MALE, plasma_share=0.2, plasma_reason="low_fibrinogen", fibrinogen_g_l=0.8)
    keys = [s["key"] for s in body["sources"]]
    assert len(keys) == len(set(keys))
    assert all(k in SOURCES for k in keys)
    for needed in ("NADLER_1962", "WEINSTEIN_1996", "SPECTRA_OPTIA", "ACD_A_LABEL", "WODAJO_2024"):
        assert needed in keys
    for quantity, how in body["derivations"].items():
        assert how["formula"], quantity
        assert all(k in keys for k in how["sources"]), quantity
    assert {"schedule", "predicted", "anticoagulant", "replacement"} <= set(body["derivations"])
    assert all(s["citation"] for s in body["sources"])


def test_warnings_are_collected():
    body = _plan(**MALE, plasma_volumes_per_exchange=0.8, exchanges=3, inlet_to_ac_ratio=16)
    text = " ".join(body["warnings"])
    assert "1.0-1.5" in text and "5-7" in text and "15:1" in text


def test_start_on_thanksgiving_moves_and_names_the_holiday():
    body = _plan(**MALE, start_date="2026-11-26")
    assert body["schedule"][0]["date"] == "2026-11-30"
    assert any("Thanksgiving" in n for n in body["notes"])
    assert {"date": "2026-11-26", "name": "Thanksgiving Day"} in body["course"]["holidays"]


def test_holiday_inside_the_course_is_skipped():
    # Christmas Day and New Year's Day 2026/27 are Fridays: both are skipped.
    body = _plan(**MALE, start_date="2026-12-23", course_days=15)
    dates = [a["date"] for a in body["schedule"]]
    assert dates == ["2026-12-23", "2026-12-28", "2026-12-30", "2027-01-04", "2027-01-06"]
    assert any("2027-01-01 (Friday) is a closed date (New Year's Day)" in n for n in body["notes"])
    assert any("2026-12-25 (Friday) is a closed date (Christmas Day)" in n for n in body["notes"])


def test_extra_closed_dates_and_start_time():
    body = _plan(**MALE, closed_dates=["2026-12-02"], start_time="13:00", course_days=15)
    assert [a["date"] for a in body["schedule"]][:2] == ["2026-11-30", "2026-12-03"]
    assert body["schedule"][0]["start"] == "13:00"


def test_policy_of_another_centre():
    hours = ClinicHours(holiday_country="GB", holiday_subdivision="ENG")
    body = _plan(CentrePolicy(hours=hours), **MALE, start_date="2026-12-24")
    dates = [a["date"] for a in body["schedule"]]
    assert "2026-12-25" not in dates and "2026-12-28" not in dates  # Boxing Day observed
    none = CentrePolicy(hours=dataclasses.replace(hours, holiday_country=""))
    assert _plan(none, **MALE, start_date="2026-12-24")["schedule"][1]["date"] == "2026-12-28"


def test_default_start_is_today_in_the_centre_time_zone():
    # 03:00 UTC on 1 December is still Monday 30 November in California.
    outcome = calc.run("plan", MALE, now=dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC))
    assert outcome.ok
    assert outcome.body["schedule"][0]["date"] == "2026-11-30"


@time_machine.travel(dt.datetime(2031, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_the_calculator_reads_no_clock():
    # The caller's clock, never the wall clock; without one a plan needs its start_date.
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    assert calc.run("plan", MALE, now=now).body["schedule"][0]["date"] == "2026-11-30"
    error = calc.run("plan", MALE).body["error"]
    assert error["field"] == "start_date"


def test_default_exchanges_come_from_the_centre():
    policy = CentrePolicy()
    policy = dataclasses.replace(
        policy, schedule=dataclasses.replace(policy.schedule, default_exchanges=6)
    )
    assert len(_plan(policy, **MALE)["schedule"]) == 6


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({**MALE, "hematocrit": 40}, "hematocrit", "percentage"),
        ({**MALE, "height_cm": 1.75}, "height_cm", "metres"),
        ({**MALE, "weight_kg": 500}, "weight_kg", "range"),
        ({**MALE, "sex": "x"}, "sex", "female"),
        ({**MALE, "volume_method": "guess"}, "volume_method", "nadler"),
        ({k: v for k, v in MALE.items() if k != "sex"}, "sex", "required"),
        ({**MALE, "colour": "blue"}, "colour", "not permitted"),
        ({**MALE, "plasma_volumes_per_exchange": 2.5}, "plasma_volumes_per_exchange", "range"),
        ({**MALE, "exchanges": 11}, "exchanges", "range"),
        ({**MALE, "exchanges": 5.5}, "exchanges", "integer"),
        ({**MALE, "exchanges": True}, "exchanges", "integer"),
        ({**MALE, "weight_kg": "70"}, "weight_kg", "number"),
        ({**MALE, "start_date": "30/11/2026"}, "start_date", "date"),
        ({**MALE, "start_date": "9999-01-01"}, "start_date", "2100-12-31"),
        ({**MALE, "hematocrit": -0.4}, "hematocrit", "0.15-0.65"),
        ({**MALE, "weight_kg": 0}, "weight_kg", "30-250"),
        ({**MALE, "start_time": "9am"}, "start_time", "pattern"),
        ({**MALE, "start_time": "25:00"}, "start_time", "not a time"),
        ({**MALE, "plasma_share": 0.3}, "plasma_reason", "reason"),
        ({**MALE, "saline_share": 0.5}, "saline_share", "range"),
    ],
)
def test_bad_input_names_the_field(fields: dict, field: str, words: str):
    error = _error(start_date=MONDAY, **fields) if "start_date" not in fields else _error(**fields)
    assert error["field"] == field
    assert words in error["message"] or words in str(error.get("allowed"))


def test_seven_exchanges_in_ten_days_is_refused_with_alternatives():
    error = _error(**MALE, start_date=MONDAY, exchanges=7, course_days=10)
    assert error["field"] == "exchanges"
    assert "need 15 days" in error["message"]
    assert error["alternatives"][0].startswith("exchanges=5")
    assert any(a.startswith("interval_days=1") for a in error["alternatives"])


def test_session_longer_than_opening_hours_is_refused():
    big = {"sex": "male", "height_cm": 200, "weight_kg": 150, "hematocrit": 0.35}
    error = _error(**big, start_date=MONDAY, plasma_volumes_per_exchange=2.0, inlet_flow_ml_min=20)
    assert error["field"] == "session_minutes"
    assert error["alternatives"]


def test_unknown_holiday_calendar_is_an_input_error():
    policy = CentrePolicy(hours=ClinicHours(holiday_country="XX", holiday_subdivision=None))
    outcome = calc.run("plan", {**MALE, "start_date": MONDAY}, policy)
    assert outcome.body["error"]["field"] == "hours.holiday_country"


def test_batch_answers_each_element_in_order():
    good = {**MALE, "start_date": MONDAY}
    outcome = calc.run("plan", [good, {**FEMALE, "start_date": MONDAY}])
    assert outcome.ok and outcome.batch
    assert [b["total_blood_volume_ml"] for b in outcome.body] == [4823.8, 3767.7]
    mixed = calc.run("plan", [good, {**good, "hematocrit": 40}, "nonsense"])
    assert not mixed.ok and mixed.batch
    assert "schedule" in mixed.body[0]
    assert mixed.body[1]["error"]["field"] == "hematocrit"
    assert mixed.body[2]["error"]["field"] == "request"
