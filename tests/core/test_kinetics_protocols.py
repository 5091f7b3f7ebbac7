"""Protocols compared on a virtual cohort (issue 18 item 2): exactness, reproducibility,
the population against its sources, and the boundaries."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.kinetics import simulate_cohort
from plexms.core.kinetics.population import (
    LITERATURE,
    PATIENT_FIELDS,
    Clipped,
    Population,
    draw_patients,
    nadler_plasma_volume_ml,
)
from plexms.core.kinetics.protocols import (
    CHUNK,
    Protocol,
    compare_protocols,
    simulate_protocol,
)
from plexms.core.policy import PrescriptionPolicy
from plexms.core.prescription import prescribe, round_to_vials
from plexms.core.volumes import estimate_volumes

POLICY = PrescriptionPolicy()
FIVE = Protocol("5 x 1.0", 1.0, 5, 2)


def test_the_course_matches_the_general_cohort_solver() -> None:
    """The regular-timetable shortcut gives simulate_cohort's levels (same exact model)."""
    draw = draw_patients(LITERATURE, np.random.default_rng(3), 50)
    protocol = Protocol("7 x 1.5", 1.5, 7, 2)
    out = simulate_protocol(draw, protocol, POLICY, 1.0)
    pv = draw.plasma_volume_ml
    minutes = out.chair_hours * 60 / 7 - POLICY.setup_minutes
    dur = np.repeat((minutes / 60.0)[:, None], 7, axis=1)
    starts = np.arange(7) * 48.0
    for key in ("igg", "fibrinogen"):
        ref = simulate_cohort(
            key,
            plasma_volume_ml=pv,
            exchange_volume_ml=np.repeat((1.5 * pv)[:, None], 7, axis=1),
            exchange_start_h=starts,
            exchange_duration_h=dur,
            synthesis=True,
            **dict(draw.kinetics[key]),
        )
        if key == "igg":
            np.testing.assert_allclose(out.igg_reduction, 1 - ref.post[:, -1], rtol=1e-9)
        else:
            pre_g_l = ref.pre * draw.fibrinogen_g_l[:, None]
            np.testing.assert_allclose(out.fibrinogen_pre_min_g_l, pre_g_l.min(axis=1), rtol=1e-9)
            np.testing.assert_array_equal(out.sessions_below, (pre_g_l < 1.0).sum(axis=1))


def test_run_time_and_vials_match_the_prescription() -> None:
    draw = draw_patients(LITERATURE, np.random.default_rng(5), 20)
    out = simulate_protocol(draw, FIVE, POLICY, 1.0)
    for i in range(20):
        sex = "female" if draw.female[i] else "male"
        est = estimate_volumes(
            sex,
            height_cm=float(draw.height_cm[i]),
            weight_kg=float(draw.weight_kg[i]),
            hematocrit=float(draw.hematocrit[i]),
        )
        rx = prescribe(est, POLICY, plasma_volumes_per_exchange=1.0)
        assert out.chair_hours[i] == pytest.approx(5 * rx.session_minutes / 60)
        vials = round_to_vials(rx.exchange_volume_ml, POLICY.albumin_vial_sizes_ml)
        assert out.vials[i] == 5 * sum(v.count for v in vials)


def test_same_seed_same_answer_and_another_seed_another() -> None:
    protocols = [FIVE, Protocol("5 x 1.5", 1.5, 5, 2)]
    a = compare_protocols(protocols, CHUNK + 100, 11, POLICY)
    b = compare_protocols(protocols, CHUNK + 100, 11, POLICY)
    c = compare_protocols(protocols, CHUNK + 100, 12, POLICY)
    threaded = compare_protocols(protocols, 3 * CHUNK + 7, 11, POLICY, threads=2)
    single = compare_protocols(protocols, 3 * CHUNK + 7, 11, POLICY)
    assert a == b and threaded == single  # the same to the bit on any number of threads
    assert a.protocols != c.protocols
    with pytest.raises(InputError, match="threads"):
        compare_protocols(protocols, 10, 1, POLICY, threads=0)


def test_more_volume_more_reduction_and_more_resources() -> None:
    small, large, daily = compare_protocols(
        [FIVE, Protocol("5 x 1.5", 1.5, 5, 2), Protocol("daily", 1.0, 5, 1)], 3000, 1, POLICY
    ).protocols
    assert large.igg_reduction_median > small.igg_reduction_median
    assert large.igg_reduction_p10 < large.igg_reduction_median < large.igg_reduction_p90
    assert large.chair_hours > small.chair_hours and large.cost > small.cost
    assert large.albumin_vials > small.albumin_vials
    # daily exchanges leave fibrinogen no time to recover (WODAJO_2024: 48-72 h)
    assert daily.p_fibrinogen_below_hold > 5 * small.p_fibrinogen_below_hold
    assert daily.sessions_needing_plasma >= daily.p_fibrinogen_below_hold
    assert daily.protocol.course_days == 5 and small.protocol.course_days == 9
    assert small.cost == pytest.approx(small.albumin_vials * 0 + small.cost)


def test_cost_is_the_dispensed_albumin_at_the_centres_price() -> None:
    cheap = compare_protocols([FIVE], 500, 2, POLICY).protocols[0]
    dear = compare_protocols(
        [FIVE], 500, 2, dataclasses.replace(POLICY, albumin_price_per_g=4.0)
    ).protocols[0]
    assert dear.cost == pytest.approx(2 * cheap.cost)
    # 250 and 500 mL vials of 5 % albumin: between 12.5 and 25 g a vial
    assert 12.5 * cheap.albumin_vials * 2.0 <= cheap.cost <= 25 * cheap.albumin_vials * 2.0


@settings(max_examples=20, deadline=None)
@given(
    volumes=st.floats(0.5, 2.0),
    exchanges=st.integers(1, 10),
    interval=st.integers(1, 7),
    seed=st.integers(0, 2**32),
)
def test_reductions_are_fractions_and_grow_with_volume(
    volumes: float, exchanges: int, interval: int, seed: int
) -> None:
    draw = draw_patients(LITERATURE, np.random.default_rng(seed), 64)
    base = simulate_protocol(draw, Protocol("a", volumes, exchanges, interval), POLICY, 1.0)
    more = simulate_protocol(
        draw, Protocol("b", min(2.0, volumes + 0.1), exchanges, interval), POLICY, 1.0
    )
    assert ((base.igg_reduction > 0) & (base.igg_reduction < 1)).all()
    assert (more.igg_reduction >= base.igg_reduction - 1e-12).all()
    assert (base.sessions_below <= exchanges).all()


def test_the_population_reproduces_the_neurology_cohorts_plasma_volume() -> None:
    """NEURO_TPE_COHORT: median plasma volume 3058 mL (IQR 2533-3359), Hct 40.2 %. Nadler on
    the quoted anthropometry gives a median about 15 % lower (2.60 L, IQR 2.32-2.96 L): the
    interquartile ranges overlap; the cohort's volume method is not in our source."""
    draw = draw_patients(LITERATURE, np.random.default_rng(0), 200_000)
    q25, q50, q75 = np.percentile(draw.plasma_volume_ml, [25, 50, 75])
    assert abs(q50 - 3058) / 3058 < 0.20
    assert q75 > 2533 and q25 < 3359  # the interquartile ranges overlap
    assert abs(draw.hematocrit.mean() - 0.402) < 0.02
    assert 0.66 < draw.female.mean() < 0.72
    assert 10.0 < np.median(draw.igg_g_l) < 11.2
    lo, hi = np.percentile(draw.fibrinogen_g_l, [2.5, 97.5])
    assert lo == pytest.approx(2.0, rel=0.05) and hi == pytest.approx(4.0, rel=0.05)
    t_e = draw.kinetics["fibrinogen"]["elimination_half_life_h"]
    frac = draw.kinetics["fibrinogen"]["intravascular_fraction"]
    assert (draw.kinetics["fibrinogen"]["redistribution_half_time_h"] < t_e * frac).all()


def test_nadler_vectorised_matches_the_reference_examples() -> None:
    """tpe-facts: male 1.75 m / 70 kg -> 4.8238 L; female 1.65 m / 60 kg -> 3.7677 L."""
    tbv = nadler_plasma_volume_ml(
        np.array([False, True]), np.array([175.0, 165.0]), np.array([70.0, 60.0]), 0.0
    )
    assert [round(float(v) / 1000, 4) for v in tbv] == [4.8238, 3.7677]


def _empirical(**values: list[float]) -> dict[str, np.ndarray]:
    base = {name: [math.nan] * 3 for name in PATIENT_FIELDS}
    base.update(values)
    return {k: np.array(v, dtype=float) for k, v in base.items()}


def test_a_centres_own_patients_are_resampled_and_gaps_filled_from_the_literature() -> None:
    own = _empirical(
        female=[1.0, 1.0, math.nan],
        height_cm=[150.0, 150.0, math.nan],
        weight_kg=[50.0, math.nan, 50.0],
        hematocrit=[0.35, 0.35, 0.35],
        igg_g_l=[8.0, 8.0, 8.0],
        fibrinogen_g_l=[math.nan] * 3,
    )
    pop = dataclasses.replace(LITERATURE, name="registry", empirical=own)
    assert pop.empirical_patients == 3 and pop.to_dict()["empirical_patients"] == 3
    draw = draw_patients(pop, np.random.default_rng(1), 3000)
    assert set(np.unique(draw.hematocrit)) == {0.35}
    assert set(np.unique(draw.igg_g_l)) == {8.0}
    assert len(np.unique(draw.fibrinogen_g_l)) > 100  # not recorded: from the literature
    known = draw.height_cm == 150.0
    assert known.mean() == pytest.approx(2 / 3, abs=0.05)
    assert draw.female[known].all()
    result = compare_protocols([FIVE], 2000, 4, POLICY, pop)
    assert result.population.name == "registry"


@pytest.mark.parametrize(
    ("empirical", "field"),
    [
        ({"female": np.array([1.0])}, "empirical"),
        (_empirical(female=[]) | {k: np.array([]) for k in PATIENT_FIELDS}, "empirical"),
    ],
)
def test_a_bad_empirical_table_is_refused(empirical: dict[str, np.ndarray], field: str) -> None:
    with pytest.raises(InputError) as exc:
        dataclasses.replace(LITERATURE, empirical=empirical)
    assert exc.value.field == field


def test_bad_distributions_and_shares_are_refused() -> None:
    with pytest.raises(InputError):
        Clipped(5.0, 1.0, 6.0, 9.0)
    with pytest.raises(InputError):
        dataclasses.replace(LITERATURE, female_share=1.5)
    assert Clipped(1.0, 0.1, 0.5, 2.0).to_dict()["distribution"] == "normal"
    assert isinstance(LITERATURE, Population)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"plasma_volumes_per_exchange": 2.5}, "plasma_volumes_per_exchange"),
        ({"exchanges": 0}, "exchanges"),
        ({"exchanges": 11}, "exchanges"),
        ({"interval_days": 0}, "interval_days"),
        ({"interval_days": 8}, "interval_days"),
    ],
)
def test_protocol_bounds(kwargs: dict[str, float], field: str) -> None:
    values = {"name": "p", "plasma_volumes_per_exchange": 1.0, "exchanges": 5, "interval_days": 2}
    with pytest.raises(InputError) as exc:
        Protocol(**(values | kwargs))  # type: ignore[arg-type]
    assert exc.value.field == field


def test_comparison_boundaries() -> None:
    with pytest.raises(InputError, match="n"):
        compare_protocols([FIVE], 0, 1, POLICY)
    with pytest.raises(InputError, match="n"):
        compare_protocols([FIVE], True, 1, POLICY)
    with pytest.raises(InputError, match="protocols"):
        compare_protocols([], 10, 1, POLICY)
    with pytest.raises(InputError, match="same name"):
        compare_protocols([FIVE, FIVE], 10, 1, POLICY)
    with pytest.raises(InputError, match="albumin_vial_sizes_ml"):
        compare_protocols([FIVE], 10, 1, dataclasses.replace(POLICY, albumin_vial_sizes_ml=(0,)))
    one = compare_protocols([Protocol("one", 1.0, 1, 1)], 1, 0, POLICY).protocols[0]
    assert one.igg_reduction_p10 == one.igg_reduction_median == one.igg_reduction_p90
    assert one.sessions_needing_plasma in (0.0, 1.0)
