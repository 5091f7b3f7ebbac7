"""plexms.core.kinetics: published figures, parameter derivations, predict_course contract."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from plexms.core.errors import InputError
from plexms.core.kinetics import (
    SUBSTANCES,
    CoursePrediction,
    ExchangeEvent,
    Substance,
    predict_course,
    rate_constants,
    resolve_substance,
)
from plexms.core.sources import SOURCES

PV = 3000.0
ONE_POOL = Substance(
    key="one_pool",
    label="one pool, no turnover",
    intravascular_fraction=1.0,
    redistribution_half_time_h=1.0,
    elimination_half_life_h=math.inf,
    synthesis=False,
    sources=("ONE_COMPARTMENT",),
)


def _single(substance: Substance | str, volume_ml: float = PV, **kw: object) -> CoursePrediction:
    return predict_course(
        substance,
        plasma_volume_ml=PV,
        exchanges=[ExchangeEvent(start_h=0.0, duration_h=2.0, volume_ml=volume_ml)],
        **kw,
    )


def _at(course: CoursePrediction, t_h: float) -> float:
    return dict(course.curve)[t_h]


# --- e^-x table (tpe-facts.md, ONE_COMPARTMENT) -------------------------------------------

E_X_TABLE = [(0.5, 0.6065), (1.0, 0.3679), (1.5, 0.2231), (2.0, 0.1353)]


@pytest.mark.parametrize(("volumes", "remaining"), E_X_TABLE)
def test_one_compartment_post_is_the_e_minus_x_table(volumes: float, remaining: float) -> None:
    course = _single("igg", volume_ml=volumes * PV)
    assert round(course.one_compartment_post[0], 4) == remaining


@pytest.mark.parametrize(("volumes", "remaining"), E_X_TABLE)
def test_limiting_case_without_redistribution_or_turnover_is_e_minus_x(
    volumes: float, remaining: float
) -> None:
    course = _single(ONE_POOL, volume_ml=volumes * PV, initial="after_infusion")
    assert round(course.post[0], 4) == remaining
    assert course.post[0] == pytest.approx(math.exp(-volumes), rel=1e-12)
    assert course.removed[0] == pytest.approx(1 - math.exp(-volumes), rel=1e-12)


def test_two_compartment_model_removes_less_than_e_minus_x_predicts() -> None:
    for key in SUBSTANCES:
        course = _single(key)
        # plasma refills from tissue during the run, so the post level sits above e^-1
        assert course.post[0] > course.one_compartment_post[0]
        assert course.post[0] < course.one_compartment_post[0] + 0.03


# --- parameter derivations (substances.py docstring) ----------------------------------------


@pytest.mark.parametrize("key", sorted(SUBSTANCES))
def test_terminal_half_life_is_the_quoted_one(key: str) -> None:
    sub = SUBSTANCES[key]
    rc = rate_constants(sub)
    a0 = np.array([[-(rc.k12_per_h + rc.kel_per_h), rc.k21_per_h], [rc.k12_per_h, -rc.k21_per_h]])
    slow = max(np.linalg.eigvals(a0).real)
    fast = min(np.linalg.eigvals(a0).real)
    assert math.log(2) / -slow == pytest.approx(sub.elimination_half_life_h, rel=1e-12)
    assert rc.k21_per_h + rc.k12_per_h == pytest.approx(
        math.log(2) / sub.redistribution_half_time_h
    )
    assert fast < slow < 0


@pytest.mark.parametrize("key", ["natalizumab", "ocrelizumab"])
def test_antibody_at_steady_state_halves_in_one_elimination_half_life(key: str) -> None:
    t_e = SUBSTANCES[key].elimination_half_life_h
    course = predict_course(key, plasma_volume_ml=PV, exchanges=[], until_h=t_e)
    assert _at(course, 0.0) == 1.0
    assert course.curve[-1] == (t_e, pytest.approx(0.5, rel=1e-12))


def test_removed_amount_is_a_share_of_the_body_amount() -> None:
    course = _single("igg")
    # body amount = plasma amount / f; in plasma-amount units a 1.0-volume exchange removes a
    # little more than 1 - e^-1, because tissue refills plasma while it runs
    plasma_units = course.removed[0] / SUBSTANCES["igg"].intravascular_fraction
    assert 1 - math.exp(-1) < plasma_units < 1 - math.exp(-1) + 0.02


def test_igg_re_equilibrates_at_1_to_2_percent_per_hour_over_48_hours() -> None:
    # IGG_KINETICS_QUOTED: re-equilibration about 1-2 %/h over ~48 h
    course = _single("igg", sample_every_h=1.0, until_h=2.0 + 7 * 24)
    first_hour = _at(course, 3.0) - _at(course, 2.0)
    assert 0.01 <= first_hour <= 0.02
    rebound_48 = _at(course, 50.0) - course.post[0]
    rebound_week = _at(course, 2.0 + 7 * 24) - course.post[0]  # includes a week of synthesis
    assert rebound_48 >= 0.8 * rebound_week
    rc = rate_constants(SUBSTANCES["igg"])
    a0 = [[-(rc.k12_per_h + rc.kel_per_h), rc.k21_per_h], [rc.k12_per_h, -rc.k21_per_h]]
    fast_half_time_h = math.log(2) / -min(np.linalg.eigvals(np.array(a0)).real)
    assert 48.0 / fast_half_time_h >= 3.0  # >= 87.5 % of the redistribution done by 48 h


def test_fibrinogen_recovers_66_percent_at_72_hours_after_one_plasma_volume() -> None:
    # ORLIN_1980: 72-h recovery of fibrinogen 66 %
    course = _single("fibrinogen", sample_every_h=1.0, until_h=74.0)
    recovery = (_at(course, 74.0) - course.post[0]) / (course.pre[0] - course.post[0])
    assert recovery == pytest.approx(0.66, abs=0.01)
    # WODAJO_2024: each 1.0 plasma-volume exchange depletes coagulation factors by ~65 %
    assert 1 - course.post[0] == pytest.approx(0.65, abs=0.03)


@pytest.mark.parametrize("days", [(0, 2, 4), (0, 3, 7)])
def test_natalizumab_falls_about_92_percent_a_week_after_three_exchanges(
    days: tuple[int, ...],
) -> None:
    # KHATRI_2009: three 1.5-volume exchanges over 5 or 8 days, -92 % one week after the third
    events = [ExchangeEvent(24.0 * d, 2.5, 1.5 * PV) for d in days]
    week_after = 24.0 * days[-1] + 2.5 + 7 * 24
    course = predict_course(
        "natalizumab", plasma_volume_ml=PV, exchanges=events, until_h=week_after
    )
    fall = 1 - course.curve[-1][1]
    # the linear model gives 87 % / 90 % (no target-mediated clearance); reported 92 %
    assert 0.85 <= fall <= 0.95


def test_ocrelizumab_set_reproduces_the_label_clearance() -> None:
    # OCREVUS_LABEL: constant clearance 0.17 L/day with central volume 2.78 L
    rc = rate_constants(SUBSTANCES["ocrelizumab"])
    assert rc.kel_per_h * 24 * 2.78 == pytest.approx(0.17, abs=0.005)


def test_anti_cd20_first_exchange_after_infusion_removes_about_half_the_dose() -> None:
    # PUISSET_2013 (rituximab): 47-54 % removed by a first session 24-72 h after infusion
    removed = [
        predict_course(
            "ocrelizumab",
            plasma_volume_ml=PV,
            exchanges=[ExchangeEvent(delay, 2.0, PV)],
            initial="after_infusion",
        ).removed[0]
        for delay in (24.0, 48.0, 72.0)
    ]
    assert 0.47 <= removed[0] <= 0.54
    assert all(0.40 <= r <= 0.54 for r in removed)
    assert removed == sorted(removed, reverse=True)  # later = more has left plasma


def test_after_infusion_starts_with_the_whole_dose_in_plasma_and_decays() -> None:
    course = predict_course(
        "natalizumab",
        plasma_volume_ml=PV,
        exchanges=[ExchangeEvent(24.0, 2.0, PV)],
        initial="after_infusion",
        sample_every_h=12.0,
    )
    assert _at(course, 0.0) == 1.0
    assert course.pre[0] < _at(course, 12.0) < 1.0
    assert course.post[0] < course.pre[0] * math.exp(-1) * 1.05


def test_every_substance_cites_known_sources() -> None:
    for sub in SUBSTANCES.values():
        assert sub.sources
        assert all(key in SOURCES for key in sub.sources)
        course = _single(sub)
        assert set(sub.sources) <= set(course.sources)
        assert {"REVERBERI_2007", "ONE_COMPARTMENT"} <= set(course.sources)
    assert set(SUBSTANCES) >= {"igg", "fibrinogen", "natalizumab", "ocrelizumab"}


# --- predict_course contract ----------------------------------------------------------------


def test_course_levels_fall_with_each_exchange_and_rebound_between() -> None:
    events = [ExchangeEvent(48.0 * i + 1.0, 2.0, PV) for i in range(5)]
    course = predict_course("igg", plasma_volume_ml=PV, exchanges=events)
    assert course.substance == "igg"
    assert course.pre[0] == 1.0
    assert len(course.pre) == len(course.post) == len(course.one_compartment_post) == 5
    for i in range(5):
        assert course.post[i] < course.pre[i]
    for i in range(4):
        assert course.pre[i + 1] > course.post[i]
        assert course.pre[i + 1] < course.pre[i]
    assert course.curve == ()
    # five 1.0-volume exchanges take IgG down by roughly one log (pre-course to last post)
    assert 0.08 < course.post[-1] < 0.2


def test_curve_holds_the_grid_and_every_exchange_edge() -> None:
    events = [ExchangeEvent(1.5, 2.0, PV), ExchangeEvent(49.25, 2.5, PV)]
    course = predict_course("igg", plasma_volume_ml=PV, exchanges=events, sample_every_h=6.0)
    times = [t for t, _ in course.curve]
    assert times == sorted(times)
    assert times[-1] == pytest.approx(49.25 + 2.5 + 72.0, abs=6.0)
    for ev, pre, post in zip(events, course.pre, course.post, strict=True):
        assert _at(course, ev.start_h) == pytest.approx(pre, rel=1e-13)
        assert _at(course, ev.start_h + ev.duration_h) == pytest.approx(post, rel=1e-13)
    assert 0.0 in times and 6.0 in times


def test_until_alone_samples_hourly_and_truncates() -> None:
    events = [ExchangeEvent(1.0, 2.0, PV), ExchangeEvent(49.0, 2.0, PV)]
    course = predict_course("fibrinogen", plasma_volume_ml=PV, exchanges=events, until_h=10.0)
    times = [t for t, _ in course.curve]
    assert times == [float(t) for t in range(11)]  # edges 1 and 3 are on the grid
    assert len(course.post) == 2


def test_no_exchanges_gives_empty_levels() -> None:
    course = predict_course("igg", plasma_volume_ml=PV, exchanges=[], sample_every_h=24.0)
    assert course.pre == course.post == course.one_compartment_post == course.removed == ()
    assert [level for _, level in course.curve] == [1.0, 1.0, 1.0, 1.0]


def test_resolve_substance_passes_objects_through() -> None:
    assert resolve_substance(ONE_POOL) is ONE_POOL
    assert resolve_substance("igg") is SUBSTANCES["igg"]


# --- errors ----------------------------------------------------------------------------------


def _event(**kw: float) -> ExchangeEvent:
    values = {"start_h": 0.0, "duration_h": 2.0, "volume_ml": PV, **kw}
    return ExchangeEvent(**values)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"substance": "albumin"}, "substance"),
        ({"plasma_volume_ml": 0.0}, "plasma_volume_ml"),
        ({"plasma_volume_ml": math.inf}, "plasma_volume_ml"),
        ({"plasma_volume_ml": 1e300}, "plasma_volume_ml"),
        ({"plasma_volume_ml": True}, "plasma_volume_ml"),
        ({"plasma_volume_ml": "3000"}, "plasma_volume_ml"),
        ({"exchanges": [(0.0, 2.0, PV)]}, "exchanges[0]"),
        ({"exchanges": [_event(start_h=-1.0)]}, "exchanges[0].start_h"),
        ({"exchanges": [_event(duration_h=0.0)]}, "exchanges[0].duration_h"),
        ({"exchanges": [_event(volume_ml=-1.0)]}, "exchanges[0].volume_ml"),
        ({"exchanges": [_event(volume_ml=math.nan)]}, "exchanges[0].volume_ml"),
        ({"exchanges": [_event(volume_ml=11 * PV)]}, "exchanges[0].volume_ml"),
        ({"exchanges": [_event(duration_h=25.0)]}, "exchanges[0].duration_h"),
        ({"exchanges": [_event(), _event(start_h=1.0)]}, "exchanges[1].start_h"),
        ({"sample_every_h": 0.0}, "sample_every_h"),
        ({"sample_every_h": 0.001, "until_h": 1000.0}, "sample_every_h"),
        ({"until_h": -5.0}, "until_h"),
        ({"until_h": math.inf}, "until_h"),
    ],
)
def test_bad_input_names_the_field_and_the_range(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "substance": "igg",
        "plasma_volume_ml": PV,
        "exchanges": [_event()],
        **kwargs,
    }
    substance = args.pop("substance")
    with pytest.raises(InputError) as info:
        predict_course(substance, **args)
    assert info.value.field == field
    assert info.value.allowed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"intravascular_fraction": 0.0}, "intravascular_fraction"),
        ({"intravascular_fraction": 0.001}, "intravascular_fraction"),
        ({"redistribution_half_time_h": 1e6}, "redistribution_half_time_h"),
        ({"intravascular_fraction": 1.2}, "intravascular_fraction"),
        ({"intravascular_fraction": math.nan}, "intravascular_fraction"),
        ({"redistribution_half_time_h": 0.0}, "redistribution_half_time_h"),
        ({"redistribution_half_time_h": math.inf}, "redistribution_half_time_h"),
        ({"elimination_half_life_h": 30.0}, "elimination_half_life_h"),  # < 16 h / 0.45
        ({"elimination_half_life_h": math.nan}, "elimination_half_life_h"),
    ],
)
def test_substance_parameters_are_validated(change: dict[str, float], field: str) -> None:
    with pytest.raises(InputError) as info:
        dataclasses.replace(SUBSTANCES["igg"], **change)
    assert info.value.field == field
