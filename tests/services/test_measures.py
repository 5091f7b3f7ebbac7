"""Outcome measures beyond the EDSS through the services, on both backends: recorded with a
visit or added later, compared with the baseline visit's value (same measure and side, this
course's baseline first), refused naming the field, and the EDSS within 30 days of a
relapse flagged as not a baseline."""

from __future__ import annotations

import datetime as dt

import pytest

from plexms.core.errors import InputError
from plexms.services.clinical import measures, outcomes, patients
from plexms.services.schemas import EpisodeIn
from plexms.services.schemas.clinical import MeasuresIn, OutcomeIn

FS = {
    "visual": 0,
    "brainstem": 1,
    "pyramidal": 3,
    "cerebellar": 2,
    "sensory": 2,
    "bowel_bladder": 1,
    "cerebral": 0,
}


def _visit(world, pid: int, timepoint: str, day: dt.date, **values):  # type: ignore[no-untyped-def]
    body = {"timepoint": timepoint, "assessed_on": day, **values}
    return outcomes.record_outcome(world.ctx("nurse"), pid, OutcomeIn.model_validate(body))


BASELINE = [
    {"measure": "t25fw", "value": 10.0},
    {"measure": "nhpt", "value": 20.0, "side": "dominant"},
    {"measure": "nhpt", "value": 25.0, "side": "non_dominant"},
    {"measure": "sdmt", "value": 50},
    {"measure": "lcla_2_5", "value": 30, "side": "right"},
    {"measure": "msis29_physical", "value": 40.0},
    {"measure": "msis29_psychological", "value": 30.0},
    {"measure": "msws12", "value": 50.0},
    {"measure": "mfis", "value": 40},
]


def test_measures_are_compared_with_the_baseline_visit(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    base = _visit(world, pid, "baseline", dt.date(2026, 11, 2), measures=BASELINE)
    assert [m.measure for m in base.measures] == [m["measure"] for m in BASELINE]
    assert all(m.result["result"] == "baseline" for m in base.measures)
    assert base.measures[0].unit == "s" and base.measures[0].taken_on == dt.date(2026, 11, 2)
    follow = _visit(
        world,
        pid,
        "1_month",
        dt.date(2026, 11, 26),
        measures=[
            {"measure": "t25fw", "value": 12.0},  # +20%: worsened (at the boundary)
            {"measure": "nhpt", "value": 16.0, "side": "dominant"},  # -20%: improved
            {"measure": "nhpt", "value": 29.9, "side": "non_dominant"},  # +19.6%: unchanged
            {"measure": "sdmt", "value": 54},  # +4: improved
            {"measure": "lcla_2_5", "value": 23, "side": "right"},  # -7 letters: worsened
            {"measure": "lcla_2_5", "value": 30, "side": "left"},  # no left-eye baseline
            {"measure": "msis29_physical", "value": 32.0},  # -8: improved
            {"measure": "msis29_psychological", "value": 38.0},  # +8: worsened (local policy)
            {"measure": "fss", "value": 4.0},  # no baseline
        ],
    )
    got = {(m.measure, m.side): m.result for m in follow.measures}
    assert got[("t25fw", None)]["result"] == "worsened"
    assert got[("t25fw", None)]["change_percent"] == 20.0
    assert got[("t25fw", None)]["baseline_outcome_id"] == base.id
    assert got[("t25fw", None)]["source"] == "KRAGT_2006"
    assert got[("nhpt", "dominant")]["result"] == "improved"
    assert got[("nhpt", "non_dominant")]["result"] == "unchanged"
    assert got[("sdmt", None)]["result"] == "improved"
    assert got[("lcla_2_5", "right")]["result"] == "worsened"
    assert got[("lcla_2_5", "left")]["result"] == "incomplete"
    assert got[("lcla_2_5", "left")]["missing"] == ["baseline"]
    assert got[("msis29_physical", None)]["result"] == "improved"
    psych = got[("msis29_psychological", None)]
    assert (psych["result"], psych["local_policy"]) == ("worsened", True)
    assert got[("fss", None)]["result"] == "incomplete"
    listed = measures.list_measures(world.ctx("viewer"), pid)
    assert len(listed) == len(BASELINE) + 9
    again = outcomes.list_outcomes(world.ctx("viewer"), pid)
    assert [len(o.measures) for o in again] == [len(BASELINE), 9]


def test_measures_added_to_a_recorded_visit(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    _visit(
        world, pid, "baseline", dt.date(2026, 11, 2), measures=[{"measure": "sdmt", "value": 30}]
    )
    follow = _visit(world, pid, "end_of_course", dt.date(2026, 11, 20))
    assert follow.measures == []
    out = measures.add_measures(
        world.ctx("nurse"),
        follow.id,
        MeasuresIn.model_validate({"measures": [{"measure": "sdmt", "value": 27}]}),
    )
    assert out.measures[0].result["result"] == "worsened"  # -3 = 10% of 30
    with pytest.raises(InputError) as caught:
        measures.add_measures(
            world.ctx("nurse"),
            follow.id,
            MeasuresIn.model_validate({"measures": [{"measure": "sdmt", "value": 28}]}),
        )
    assert caught.value.field == "measures[0]"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"measure": "t25fw", "value": 181.0}, "measures[0].value"),
        ({"measure": "t25fw", "value": 0.9}, "measures[0].value"),
        ({"measure": "nhpt", "value": 4.0, "side": "dominant"}, "measures[0].value"),
        ({"measure": "nhpt", "value": 20.0}, "measures[0].side"),
        ({"measure": "sdmt", "value": 111}, "measures[0].value"),
        ({"measure": "lcla_2_5", "value": 61, "side": "left"}, "measures[0].value"),
        ({"measure": "msis29_physical", "value": 100.5}, "measures[0].value"),
        ({"measure": "sdmt", "value": 40, "side": "left"}, "measures[0].side"),
    ],
)
def test_out_of_range_is_refused_naming_the_field(world, item, field) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    with pytest.raises(InputError) as caught:
        _visit(world, pid, "baseline", dt.date(2026, 11, 2), measures=[item])
    assert caught.value.field == field
    assert outcomes.list_outcomes(world.ctx("viewer"), pid) == []  # nothing half-stored


def test_the_same_measure_twice_in_one_visit_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    with pytest.raises(InputError) as caught:
        _visit(
            world,
            pid,
            "baseline",
            dt.date(2026, 11, 2),
            measures=[{"measure": "t25fw", "value": 8.0}, {"measure": "t25fw", "value": 9.0}],
        )
    assert caught.value.field == "measures[1]"


def test_edss_within_30_days_of_the_relapse_is_flagged_not_a_baseline(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    patients.add_episode(
        world.ctx("physician"),
        pid,
        EpisodeIn(onset_date=dt.date(2026, 10, 27), presentation="relapse"),
    )
    day30 = _visit(
        world, pid, "baseline", dt.date(2026, 11, 26), edss={"fs": FS, "ambulation_score": 0}
    )
    check = day30.result["edss_baseline"]
    assert (check["usable"], check["days_from_relapse"]) == (False, 30)
    assert check["relapse_onset"] == "2026-10-27" and check["source"] == "KALINCIK_2015"
    other = world.patient(mrn="MRN-2").id
    patients.add_episode(
        world.ctx("physician"),
        other,
        EpisodeIn(onset_date=dt.date(2026, 10, 26), presentation="relapse"),
    )
    day31 = _visit(
        world, other, "baseline", dt.date(2026, 11, 26), edss={"fs": FS, "ambulation_score": 0}
    )
    assert day31.result["edss_baseline"]["usable"] is True
    # the follow-up's response says whether the EDSS it was compared against was a baseline
    follow = _visit(
        world, pid, "1_month", dt.date(2026, 11, 26), edss={"fs": FS, "ambulation_score": 0}
    )
    assert follow.result["response"]["edss_baseline"]["usable"] is False
    no_edss = _visit(world, pid, "other", dt.date(2026, 11, 26))
    assert "edss_baseline" not in no_edss.result
