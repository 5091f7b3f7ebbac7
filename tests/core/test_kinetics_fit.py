"""plexms.core.kinetics.fit: recovery and band coverage on synthetic patients, flags, advice,
priors and their empirical-Bayes update."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexms.core.errors import InputError
from plexms.core.kinetics import ExchangeEvent, simulate_cohort
from plexms.core.kinetics.fit import Observation, fit_levels, predict_band
from plexms.core.kinetics.fit_course import fit_course
from plexms.core.kinetics.fit_validation import synthetic_patients, validate
from plexms.core.kinetics.priors import (
    PARAMETERS,
    LogNormal,
    from_scale,
    pool_priors,
    population_prior,
    to_scale,
)
from plexms.core.sources import SOURCES

DAILY = [ExchangeEvent(1.0 + 24.0 * i, 2.0, 3000.0) for i in range(5)]
ALTERNATE = [ExchangeEvent(24.0 + 48.0 * i, 2.0, 3000.0) for i in range(5)]


@pytest.mark.parametrize("substance", ["igg", "fibrinogen", "natalizumab"])
def test_synthetic_recovery_and_coverage(substance: str) -> None:
    """Fitted parameters beat the population medians and 90 % bands cover about 90 %."""
    summary = validate(synthetic_patients(substance, 60, seed=18))
    assert summary.patients == 60
    assert summary.param_median_rel_error < 0.15
    assert summary.param_median_rel_error < summary.population_median_rel_error
    assert 0.80 <= summary.band90_coverage <= 0.97
    assert summary.per_parameter["baseline"] < 0.08


def test_synthetic_patients_are_reproducible() -> None:
    a = synthetic_patients("igg", 3, seed=5)
    b = synthetic_patients("igg", 3, seed=5)
    assert a == b
    assert a != synthetic_patients("igg", 3, seed=6)


def _course(values: list[float], times: list[float]) -> list[Observation]:
    return [Observation(t, v) for t, v in zip(times, values, strict=True)]


def test_flags_an_impossible_rise_and_a_fall() -> None:
    times = [23.0, 26.5, 71.0, 74.5, 119.0, 122.5, 167.0, 170.5]
    clean = simulate_cohort(
        "igg",
        plasma_volume_ml=3000.0,
        exchange_volume_ml=[e.volume_ml for e in ALTERNATE],
        exchange_start_h=[e.start_h for e in ALTERNATE],
        exchange_duration_h=2.0,
        baseline=10.0,
        sample_times_h=times,
    ).curve
    values = [float(v) for v in np.asarray(clean)[0]]
    ok = fit_levels(
        "igg", plasma_volume_ml=3000.0, exchanges=ALTERNATE, observations=_course(values, times)
    )
    assert ok.flags == ()
    high = list(values)
    high[4] = 9.5  # IVIG given, or the sample of another patient
    fit = fit_levels(
        "igg", plasma_volume_ml=3000.0, exchanges=ALTERNATE, observations=_course(high, times)
    )
    assert [f.index for f in fit.flags] == [4]
    assert fit.flags[0].z > 3 and "IVIG" in fit.flags[0].reason
    assert abs(fit.parameters["baseline"].value - 10.0) < 0.3  # the outlier did not pull it
    low = list(values)
    low[2] = values[2] * 0.4  # bleeding or dilution
    fit = fit_levels(
        "igg", plasma_volume_ml=3000.0, exchanges=ALTERNATE, observations=_course(low, times)
    )
    assert [f.index for f in fit.flags] == [2]
    assert fit.flags[0].z < -3 and "bleeding" in fit.flags[0].reason


def test_a_large_residual_that_the_others_explain_is_kept() -> None:
    times = [0.0, 3.5, 24.5, 27.5]
    obs = _course([25.0, 11.0, 13.0, 5.0], times)
    fit = fit_levels("igg", plasma_volume_ml=3000.0, exchanges=DAILY, observations=obs)
    assert fit.residual_z[1] > 2.25  # screened (3/4 of the threshold)...
    assert fit.flags == ()  # ...but its prediction error from the others is below 3
    obs = _course([3.0, 1.1, 1.9, 0.8, 2.0], [*times, 300.0])
    fit = fit_levels("fibrinogen", plasma_volume_ml=3000.0, exchanges=DAILY, observations=obs)
    assert [f.index for f in fit.flags] == [4]  # residual 2.5 SD, prediction error 3.9 SD


def test_few_measurements_are_never_flagged() -> None:
    obs = _course([10.0, 30.0], [0.0, 3.5])
    fit = fit_levels("igg", plasma_volume_ml=3000.0, exchanges=DAILY, observations=obs)
    assert fit.flags == ()
    assert fit.residual_z[1] > 3


def test_bands_contain_the_fit_and_widen_with_time() -> None:
    obs = _course([2.8, 1.1], [0.0, 3.5])
    fit = fit_levels("fibrinogen", plasma_volume_ml=3000.0, exchanges=DAILY[:1], observations=obs)
    band = predict_band(fit, [4.0, 200.0])
    for v, lo, hi in zip(band.value, band.low, band.high, strict=True):
        assert lo < v < hi
    assert predict_band(fit, []).times_h == ()
    later = [ExchangeEvent(48.0, 2.0, 3000.0)]
    assert predict_band(fit, [47.0], later).value[0] > predict_band(fit, [47.0]).value[0] * 0.99
    sd = fit.posterior_sd()
    assert set(sd) == set(PARAMETERS) and all(s > 0 for s in sd.values())
    assert fit.evaluations >= 2


@pytest.mark.parametrize(
    ("obs", "field"),
    [
        ([], "measurements"),
        ([Observation(0.0, 0.0)], "measurements[0].value"),
        ([Observation(-1.0, 2.0)], "measurements[0].at"),
        ([Observation(math.nan, 2.0)], "measurements[0].at"),
    ],
)
def test_bad_observations_are_refused(obs: list[Observation], field: str) -> None:
    with pytest.raises(InputError) as err:
        fit_levels("igg", plasma_volume_ml=3000.0, exchanges=DAILY, observations=obs)
    assert err.value.field == field


def _advice(pre: float, post: float, volume: float, gap_h: float = 24.0) -> str:
    events = [ExchangeEvent(1.0 + gap_h * i, 2.0, volume) for i in range(4)]
    obs = {"fibrinogen": _course([pre, post], [0.0, 3.5])}
    course = fit_course(
        plasma_volume_ml=3000.0,
        exchanges=events,
        observations=obs,
        thresholds={"fibrinogen": (1.0, "WODAJO_2024")},
    )
    return course.advice[0]


def test_advice_for_the_next_session() -> None:
    assert _advice(3.4, 1.3, 3000.0, gap_h=48.0).endswith("above 1.0 g/L (WODAJO_2024).")
    assert "may be below" in _advice(2.6, 1.0, 3000.0)
    assert "extend the interval by 1 day" in _advice(1.8, 0.7, 3000.0)
    assert "extend the interval by 2 days" in _advice(1.3, 0.4, 4500.0)
    assert "is not enough" in _advice(0.9, 0.25, 4500.0)


def test_course_without_remaining_exchanges_or_thresholds() -> None:
    obs = {"igg": _course([10.0, 4.0, 6.0], [0.0, 3.5, 200.0])}
    course = fit_course(plasma_volume_ml=3000.0, exchanges=DAILY, observations=obs)
    assert course.remaining_from is None and course.before == {"igg": ()}
    assert course.advice == ()
    course = fit_course(
        plasma_volume_ml=3000.0,
        exchanges=DAILY,
        observations=obs,
        thresholds={"igg": (2.0, "local policy"), "fibrinogen": (1.0, "WODAJO_2024")},
        display={"igg": ("mg/dL", 100.0)},
    )
    assert course.advice == ()
    obs = {"igg": _course([10.0, 4.0], [0.0, 3.5])}
    course = fit_course(
        plasma_volume_ml=3000.0,
        exchanges=DAILY,
        observations=obs,
        thresholds={"igg": (2.0, "local policy")},
        display={"igg": ("mg/dL", 100.0)},
    )
    assert course.remaining_from == 2
    assert course.advice[0].startswith("IgG predicted ") and "mg/dL" in course.advice[0]


def test_population_priors_cite_their_sources() -> None:
    for key in ("igg", "fibrinogen", "natalizumab", "ocrelizumab", "rituximab"):
        prior = population_prior(key)
        assert all(s in SOURCES for s in prior.sources)
        assert prior.origin == "population" and prior.patients == 0
    assert population_prior("rituximab").baseline is None
    assert population_prior("ocrelizumab").elimination_half_life_h.sd_log == 0.30


@given(st.floats(0.02, 0.98), st.floats(0.1, 1000.0))
@settings(max_examples=50, deadline=None)
def test_prior_scales_round_trip(fraction: float, hours: float) -> None:
    f = from_scale("intravascular_fraction", to_scale("intravascular_fraction", fraction))
    assert f == pytest.approx(fraction)
    t = from_scale("elimination_half_life_h", to_scale("elimination_half_life_h", hours))
    assert t == pytest.approx(hours)


def test_pool_priors_shrinks_towards_the_old_prior() -> None:
    old = population_prior("igg")
    rng = np.random.default_rng(3)
    fits = [
        {"elimination_half_life_h": (float(x), 0.05), "baseline": (math.log(8.0), 0.05)}
        for x in rng.normal(math.log(350.0), 0.15, 200)
    ]
    new = pool_priors(old, fits, origin="registry")
    assert 340 < new.elimination_half_life_h.median < 380
    assert 0.10 < new.elimination_half_life_h.sd_log < 0.2
    assert new.baseline == LogNormal(pytest.approx(8.0, rel=0.03), pytest.approx(0.1, abs=0.05))
    assert new.intravascular_fraction == old.intravascular_fraction  # no estimates: unchanged
    few = pool_priors(old, fits[:1], origin="centre")
    assert few.elimination_half_life_h.sd_log == old.elimination_half_life_h.sd_log
    drug = pool_priors(population_prior("rituximab"), [{"baseline": (1.0, 0.1)}], origin="centre")
    assert drug.baseline is None
    with pytest.raises(InputError):
        pool_priors(old, fits, origin="registry", prior_weight=0.0)
