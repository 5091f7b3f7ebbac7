"""plexms.core.kinetics.simulate_cohort: exactness against solve_ivp, invariants, shapes, errors."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from plexms.core.errors import InputError
from plexms.core.kinetics import (
    SUBSTANCES,
    CohortResult,
    ExchangeEvent,
    Substance,
    predict_course,
    rate_constants,
    simulate_cohort,
)

LN2 = math.log(2)


@dataclass(frozen=True)
class Case:
    """One random patient course."""

    fraction: float
    redistribution_h: float
    elimination_h: float
    synthesis: bool
    initial: str
    pv_ml: float
    start_h: tuple[float, ...]
    duration_h: tuple[float, ...]
    volume_ml: tuple[float, ...]

    @property
    def substance(self) -> Substance:
        return Substance(
            "random",
            "random",
            self.fraction,
            self.redistribution_h,
            self.elimination_h,
            self.synthesis,
            ("LOCAL_POLICY",),
        )

    def simulate(self, **kw: Any) -> CohortResult:
        return simulate_cohort(
            self.substance,
            plasma_volume_ml=self.pv_ml,
            exchange_volume_ml=np.array(self.volume_ml),
            exchange_start_h=np.array(self.start_h),
            exchange_duration_h=np.array(self.duration_h),
            initial=self.initial,
            **kw,
        )


@st.composite
def cases(draw: st.DrawFn, max_exchanges: int = 6) -> Case:
    fraction = draw(st.floats(0.2, 1.0))
    t_r = draw(st.floats(2.0, 100.0))
    t_e = draw(
        st.one_of(st.just(math.inf), st.floats(1.05, 60.0).map(lambda m: m * t_r / fraction))
    )
    k = draw(st.integers(0, max_exchanges))
    gaps = draw(st.lists(st.floats(0.0, 96.0), min_size=k, max_size=k))
    durations = draw(st.lists(st.floats(0.5, 4.0), min_size=k, max_size=k))
    pv = draw(st.floats(1500.0, 6000.0))
    volumes = draw(st.lists(st.floats(0.0, 2.5 * pv), min_size=k, max_size=k))
    starts, t = [], 0.0
    for gap, dur in zip(gaps, durations, strict=True):
        starts.append(t + gap)
        t += gap + dur
    return Case(
        fraction,
        t_r,
        t_e,
        draw(st.booleans()),
        draw(st.sampled_from(["steady_state", "after_infusion"])),
        pv,
        tuple(starts),
        tuple(durations),
        tuple(volumes),
    )


def _rates(case: Case) -> tuple[float, float, float, float, np.ndarray]:
    """Rate constants, synthesis and initial state, derived here from the definitions."""
    k = LN2 / case.redistribution_h
    ke = LN2 / case.elimination_h
    k21, k12 = case.fraction * k, (1 - case.fraction) * k
    kel = ke * (k - ke) / (k21 - ke)
    if case.initial == "after_infusion":
        return k12, k21, kel, 0.0, np.array([1.0, 0.0])
    if case.synthesis:
        return k12, k21, kel, kel, np.array([1.0, k12 / k21])
    return k12, k21, kel, 0.0, np.array([1.0, k12 / (k21 - ke)])


def reference(case: Case) -> tuple[list[float], list[float], list[float]]:
    """The obvious way: scipy.integrate.solve_ivp segment by segment (pre, post, removed)."""
    k12, k21, kel, syn, x = _rates(case)

    def rhs(_t: float, y: np.ndarray, r: float) -> list[float]:
        return [
            -(k12 + kel + r) * y[0] + k21 * y[1] + syn,
            k12 * y[0] - k21 * y[1],
            r * y[0],  # plasma-amount units removed
        ]

    t, y = 0.0, np.array([*x, 0.0])
    pre, post, removed = [], [], []
    opts = {"method": "DOP853", "rtol": 1e-12, "atol": 1e-15}
    for start, dur, vol in zip(case.start_h, case.duration_h, case.volume_ml, strict=True):
        if start > t:
            y = solve_ivp(rhs, (t, start), y, args=(0.0,), **opts).y[:, -1]
        pre.append(y[0])
        y[2] = 0.0
        r = vol / case.pv_ml / dur
        y = solve_ivp(rhs, (start, start + dur), y, args=(r,), **opts).y[:, -1]
        post.append(y[0])
        removed.append(y[2] * case.pv_ml / 1000.0)
        t = start + dur
    return pre, post, removed


@settings(max_examples=30, deadline=None)
@given(cases())
def test_equals_solve_ivp_to_1e_6_relative(case: Case) -> None:
    res = case.simulate(amounts=True)
    pre, post, removed = reference(case)
    np.testing.assert_allclose(res.pre[0], pre, rtol=1e-6, atol=0)
    np.testing.assert_allclose(res.post[0], post, rtol=1e-6, atol=0)
    np.testing.assert_allclose(
        res.removed[0],
        removed,
        rtol=1e-6,
        atol=1e-12,
    )


@pytest.mark.parametrize("key", sorted(SUBSTANCES))
@pytest.mark.parametrize("initial", ["steady_state", "after_infusion"])
def test_shipped_substances_equal_solve_ivp(key: str, initial: str) -> None:
    sub = SUBSTANCES[key]
    case = Case(
        sub.intravascular_fraction,
        sub.redistribution_half_time_h,
        sub.elimination_half_life_h,
        sub.synthesis,
        initial,
        3058.0,
        (1.0, 49.0, 97.0, 145.0, 193.0, 241.0, 289.0),
        (2.0,) * 7,
        (3058.0, 3500.0, 4587.0, 3058.0, 3058.0, 3500.0, 4587.0),
    )
    res = case.simulate()
    pre, post, _ = reference(case)
    np.testing.assert_allclose(res.pre[0], pre, rtol=1e-9)
    np.testing.assert_allclose(res.post[0], post, rtol=1e-9)


def _gauss(a: float, b: float, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * x + 0.5 * (b + a), 0.5 * (b - a) * w


@settings(max_examples=30, deadline=None)
@given(cases(max_exchanges=4))
def test_mass_balance_removed_plus_catabolised_minus_synthesised(case: Case) -> None:
    """Over every segment: change in body amount = -(removed + catabolised - synthesised).

    The catabolised amount is integrated independently (Gauss-Legendre on the sampled curve).
    """
    if not case.start_h:
        return
    _, _, kel, syn, _ = _rates(case)
    edges = [0.0]
    for start, dur in zip(case.start_h, case.duration_h, strict=True):
        edges += [start, start + dur]
    nodes, weights = zip(*(_gauss(a, b) for a, b in itertools.pairwise(edges)), strict=True)
    res = case.simulate(amounts=True, sample_times_h=np.concatenate(nodes))
    litres = case.pv_ml / 1000.0
    curve = res.curve[0]
    body = [res.body_initial[0]]
    for i in range(len(case.start_h)):
        body += [res.body_pre[0, i], res.body_post[0, i]]
    m = len(nodes[0])
    for seg, (a, b) in enumerate(itertools.pairwise(edges)):
        plasma_integral = float(np.dot(curve[seg * m : (seg + 1) * m], weights[seg])) * litres
        catabolised = kel * plasma_integral
        synthesised = syn * (b - a) * litres
        removed = res.removed[0, seg // 2] if seg % 2 else 0.0
        change = body[seg + 1] - body[seg]
        scale = max(abs(body[seg]), 1e-300)
        assert (change + removed + catabolised - synthesised) / scale == pytest.approx(
            0.0, abs=1e-9
        )


@settings(max_examples=30, deadline=None)
@given(cases(max_exchanges=5), st.floats(1.0, 2.0))
def test_more_volume_removes_more(case: Case, factor: float) -> None:
    if not case.start_h:
        return
    more = Case(**{**case.__dict__, "volume_ml": tuple(v * factor for v in case.volume_ml)})
    a = case.simulate(amounts=True)
    b = more.simulate(amounts=True)
    assert np.all(b.post <= a.post * (1 + 1e-12))
    assert np.all(b.pre <= a.pre * (1 + 1e-12))
    # relative and absolute round-off: a vanishing exchange removes ~1e-16 or exactly 0
    assert b.removed.sum() >= a.removed.sum() * (1 - 1e-12) - 1e-12
    assert np.all(a.removed >= 0)


@pytest.mark.parametrize("key", ["igg", "fibrinogen"])
def test_endogenous_protein_returns_to_baseline_long_after_the_course(key: str) -> None:
    t_e = SUBSTANCES[key].elimination_half_life_h
    res = simulate_cohort(
        key,
        plasma_volume_ml=3000.0,
        exchange_volume_ml=4500.0,
        exchange_start_h=np.arange(7) * 48.0,
        exchange_duration_h=2.5,
        baseline=9.0,
        sample_times_h=[350.0, 350.0 + 30 * t_e],
    )
    assert res.curve[0, 0] < 8.0
    assert res.curve[0, 1] == pytest.approx(9.0, rel=1e-6)


def test_cohort_equals_predict_course_patient_by_patient() -> None:
    rng = np.random.default_rng(8)
    keys = sorted(SUBSTANCES)
    n, k = 12, 5
    which = rng.integers(0, len(keys), n)
    subs = [SUBSTANCES[keys[j]] for j in which]
    pv = rng.uniform(2200, 4000, n)
    vol = pv[:, None] * rng.uniform(0.5, 1.5, (n, k))
    dur = rng.uniform(1.5, 3.0, (n, k))
    start = np.arange(k) * 48.0 + rng.uniform(0, 4, (n, k))
    res = simulate_cohort(
        plasma_volume_ml=pv,
        exchange_volume_ml=vol,
        exchange_start_h=start,
        exchange_duration_h=dur,
        intravascular_fraction=[s.intravascular_fraction for s in subs],
        redistribution_half_time_h=[s.redistribution_half_time_h for s in subs],
        elimination_half_life_h=[s.elimination_half_life_h for s in subs],
        synthesis=[s.synthesis for s in subs],
        chunk_size=5,
    )
    for p, sub in enumerate(subs):
        events = [ExchangeEvent(start[p, i], dur[p, i], vol[p, i]) for i in range(k)]
        course = predict_course(sub, plasma_volume_ml=float(pv[p]), exchanges=events)
        np.testing.assert_allclose(res.pre[p], course.pre, rtol=1e-12)
        np.testing.assert_allclose(res.post[p], course.post, rtol=1e-12)


def _cohort(**kw: Any) -> CohortResult:
    args: dict[str, object] = {
        "plasma_volume_ml": 3000.0,
        "exchange_volume_ml": 3000.0,
        "exchange_start_h": [1.0, 49.0, 97.0],
        "exchange_duration_h": 2.0,
        **kw,
    }
    substance = args.pop("substance", "igg")
    return simulate_cohort(substance, **args)


def test_shared_and_per_patient_inputs_give_the_same_answer() -> None:
    n = 7
    shared = _cohort(baseline=np.full(n, 11.0), amounts=True, sample_times_h=[0.0, 2.0, 60.0])
    full = _cohort(
        plasma_volume_ml=np.full(n, 3000.0),
        exchange_volume_ml=np.full((n, 3), 3000.0),
        exchange_start_h=np.tile([1.0, 49.0, 97.0], (n, 1)),
        exchange_duration_h=np.full((n, 3), 2.0),
        intravascular_fraction=np.full(n, 0.45),
        redistribution_half_time_h=np.full(n, 16.0),
        elimination_half_life_h=np.full(n, 504.0),
        synthesis=np.ones(n, dtype=bool),
        baseline=11.0,
        amounts=True,
        sample_times_h=[0.0, 2.0, 60.0],
        chunk_size=3,
        threads=2,
    )
    for name in ("pre", "post", "removed", "body_pre", "body_post", "body_initial", "curve"):
        np.testing.assert_allclose(
            getattr(full, name), getattr(shared, name), rtol=1e-13, err_msg=name
        )
    assert shared.pre.shape == (n, 3)
    assert shared.pre[0, 0] == 11.0


def test_one_patient_by_default_and_units_follow_the_baseline() -> None:
    res = _cohort(baseline=10.0, amounts=True)
    frac = _cohort(amounts=True)
    assert res.pre.shape == (1, 3)
    np.testing.assert_allclose(res.post, 10.0 * frac.post, rtol=1e-14)
    # grams removed for a baseline in g/L: 10 g/L x 3 L x ~0.64 plasma volumes
    assert res.removed[0, 0] == pytest.approx(10 * 3 * 0.638, rel=0.01)
    assert res.sample_times_h is None and res.curve is None


def test_per_patient_durations_with_shared_starts_and_parameters() -> None:
    a = _cohort(exchange_duration_h=[[2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    b = _cohort(exchange_duration_h=[3.0, 3.0, 3.0])
    np.testing.assert_allclose(a.post[1], b.post[0], rtol=1e-14)


def test_drugs_and_zero_volume_exchanges() -> None:
    res = _cohort(substance="ocrelizumab", exchange_volume_ml=[0.0, 3000.0, 0.0], amounts=True)
    pre, post = res.pre[0], res.post[0]
    assert post[0] < pre[0] and post[0] == pytest.approx(pre[0], rel=5e-3)  # only decay
    assert res.removed[0, 0] == 0.0 and res.removed[0, 1] > 0


def test_no_catabolism_and_no_redistribution_keeps_exact_e_minus_x() -> None:
    res = _cohort(
        substance=None,
        intravascular_fraction=1.0,
        redistribution_half_time_h=1.0,
        elimination_half_life_h=math.inf,
        synthesis=True,
        exchange_volume_ml=[0.0, 3000.0, 6000.0],
        amounts=True,
    )
    # synthesis with no catabolism: nothing made, nothing lost between exchanges
    np.testing.assert_allclose(res.post[0], [1.0, math.exp(-1), math.exp(-3)], rtol=1e-12)
    assert res.removed[0, 0] == 0.0


def test_long_curves_are_evaluated_in_blocks() -> None:
    times = np.linspace(0.0, 200.0, 5001)
    res = _cohort(plasma_volume_ml=np.linspace(2500, 3500, 60), sample_times_h=times)
    one = _cohort(plasma_volume_ml=2500.0, sample_times_h=times)
    assert res.curve.shape == (60, 5001)
    np.testing.assert_allclose(res.curve[0], one.curve[0], rtol=1e-13)


def test_no_exchanges() -> None:
    res = _cohort(exchange_start_h=np.empty(0), exchange_volume_ml=np.empty(0), amounts=True)
    assert res.pre.shape == (1, 0)


def test_rate_constants_match_the_cohort_derivation() -> None:
    rc = rate_constants(SUBSTANCES["fibrinogen"])
    case = Case(0.8, 24.0, 74.0, True, "steady_state", 3000.0, (), (), ())
    k12, k21, kel, _, _ = _rates(case)
    assert (rc.k12_per_h, rc.k21_per_h) == pytest.approx((k12, k21), rel=1e-14)
    assert rc.kel_per_h == pytest.approx(kel, rel=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial": "before"}, "initial"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"threads": 0}, "threads"),
        ({"exchange_start_h": 1.0}, "exchange_start_h"),
        ({"exchange_start_h": np.zeros((1, 1, 3))}, "exchange_start_h"),
        ({"exchange_start_h": ["a", "b", "c"]}, "exchange_start_h"),
        ({"exchange_volume_ml": [1.0, 2.0]}, "exchange_volume_ml"),
        ({"exchange_volume_ml": np.zeros((1, 1, 3))}, "exchange_volume_ml"),
        ({"exchange_volume_ml": [3000.0, -1.0, 3000.0]}, "exchange_volume_ml"),
        ({"exchange_volume_ml": [[3000.0, 1.0, math.inf]]}, "exchange_volume_ml"),
        ({"exchange_duration_h": 0.0}, "exchange_duration_h"),
        ({"exchange_duration_h": 30.0}, "exchange_duration_h"),
        ({"exchange_volume_ml": [3000.0, 40000.0, 0.0]}, "exchange_volume_ml"),
        ({"intravascular_fraction": 0.001}, "intravascular_fraction"),
        ({"exchange_duration_h": [[2.0, 2.0, math.nan]]}, "exchange_duration_h"),
        ({"exchange_start_h": [-1.0, 49.0, 97.0]}, "exchange_start_h"),
        ({"exchange_start_h": [1.0, 2.0, 97.0]}, "exchange_start_h"),
        ({"exchange_start_h": [[1.0, 49.0, 97.0], [1.0, 49.0, 50.0]]}, "exchange_start_h"),
        ({"exchange_start_h": [[1.0, 49.0, math.inf]]}, "exchange_start_h"),
        ({"substance": None}, "intravascular_fraction"),
        ({"plasma_volume_ml": [3000.0, 3000.0], "baseline": [1.0, 2.0, 3.0]}, "baseline"),
        ({"plasma_volume_ml": [[3000.0]]}, "plasma_volume_ml"),
        ({"plasma_volume_ml": -1.0}, "plasma_volume_ml"),
        ({"plasma_volume_ml": [3000.0, math.nan]}, "plasma_volume_ml"),
        ({"baseline": 0.0}, "baseline"),
        ({"baseline": 1e300}, "baseline"),
        ({"plasma_volume_ml": 1e300}, "plasma_volume_ml"),
        ({"intravascular_fraction": [0.5, 1.5]}, "intravascular_fraction"),
        ({"redistribution_half_time_h": 0.0}, "redistribution_half_time_h"),
        ({"elimination_half_life_h": [504.0, 20.0]}, "elimination_half_life_h"),
        ({"synthesis": 0.5}, "synthesis"),
        ({"sample_times_h": [-1.0]}, "sample_times_h"),
        ({"sample_times_h": [[1.0]]}, "sample_times_h"),
        ({"sample_times_h": [1.0, math.nan]}, "sample_times_h"),
    ],
)
def test_bad_input_names_the_field_and_the_range(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        _cohort(**kwargs)
    assert info.value.field == field
    assert info.value.allowed


def test_errors_point_at_the_patient_and_exchange() -> None:
    start = np.tile([1.0, 49.0, 97.0], (10, 1))
    start[7, 2] = 50.0
    with pytest.raises(InputError, match=r"exchange_start_h\[7, 2\] starts before exchange 1"):
        _cohort(exchange_start_h=start, chunk_size=4, threads=2)
    pv = np.full(10, 3000.0)
    pv[6] = 0.0
    with pytest.raises(InputError, match=r"plasma_volume_ml\[6\] = 0.0"):
        _cohort(plasma_volume_ml=pv, chunk_size=4)
    vol = np.full((10, 3), 3000.0)
    vol[9, 1] = -5.0
    with pytest.raises(InputError, match=r"exchange_volume_ml\[9, 1\] = -5.0"):
        _cohort(exchange_volume_ml=vol, chunk_size=4)
    with pytest.raises(InputError, match=r"exchange_volume_ml\[8, 2\] is more than 10"):
        _cohort(exchange_volume_ml=np.where(np.arange(30).reshape(10, 3) == 26, 4e4, 3e3))
    with pytest.raises(InputError, match=r"exchange_start_h\[0\] is before time 0"):
        _cohort(exchange_start_h=[-1.0, 49.0, 97.0])


def test_an_empty_cohort_gives_empty_arrays() -> None:
    res = _cohort(plasma_volume_ml=np.empty(0), sample_times_h=[1.0], amounts=True)
    assert res.pre.shape == (0, 3) and res.curve.shape == (0, 1)


def test_exchanges_may_touch_within_rounding() -> None:
    res = _cohort(exchange_start_h=[1.0, 3.0 - 1e-12, 5.0])
    assert res.pre[0, 1] == pytest.approx(res.post[0, 0], rel=1e-12)
