"""Whole virtual cohorts: per-patient arrays in, pre/post levels per exchange out (issue 8).

The exact per-segment solution (:mod:`plexms.core.kinetics.exact`) is applied to chunks of
patients (default 8,192, so the working set stays in cache), each chunk one pass of NumPy
ufuncs per segment with preallocated buffers; chunks can run on several threads (NumPy
releases the GIL inside ufuncs). Inputs shared by every patient (one exchange timetable, one
parameter set) are passed as scalars or per-exchange vectors and never expanded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from plexms.core.errors import InputError
from plexms.core.kinetics.exact import TINY, ChunkModel, ChunkOut, propagator, solve_chunk
from plexms.core.kinetics.substances import (
    FRACTION_MIN,
    REDISTRIBUTION_MAX_H,
    REDISTRIBUTION_MIN_H,
    Substance,
    resolve_substance,
)

__all__ = ["CohortResult", "simulate_cohort"]

F64 = NDArray[np.float64]
Initial = Literal["steady_state", "after_infusion"]
_LN2 = math.log(2.0)
_CURVE_BLOCK = 1 << 18  # (patients x samples) evaluated at once when sampling curves
DURATION_MIN_H = 1 / 60  # one minute
DURATION_MAX_H = 24.0
MAX_VOLUMES_PER_EXCHANGE = 10.0  # plasma volumes; keeps exchange rates finite
# Wide numeric guards (amounts = baseline x litres must stay finite), not clinical limits.
PLASMA_VOLUME_MIN_ML = 1.0
PLASMA_VOLUME_MAX_ML = 1e6
BASELINE_MAX = 1e12


@dataclass(frozen=True)
class CohortResult:
    """Levels per patient and exchange, in the units of ``baseline`` (fractions by default).

    ``removed``, ``body_pre``, ``body_post`` and ``body_initial`` (with ``amounts=True``) are
    amounts in baseline units x litres of plasma (grams for a baseline in g/L): removed by each
    exchange, and in the whole body (plasma + extravascular) before/after it and at time 0.
    """

    pre: F64
    post: F64
    sample_times_h: F64 | None = None
    curve: F64 | None = None
    removed: F64 | None = None
    body_pre: F64 | None = None
    body_post: F64 | None = None
    body_initial: F64 | None = None


def simulate_cohort(
    substance: Substance | str | None = None,
    *,
    plasma_volume_ml: ArrayLike,
    exchange_volume_ml: ArrayLike,
    exchange_start_h: ArrayLike,
    exchange_duration_h: ArrayLike,
    intravascular_fraction: ArrayLike | None = None,
    redistribution_half_time_h: ArrayLike | None = None,
    elimination_half_life_h: ArrayLike | None = None,
    synthesis: ArrayLike | None = None,
    baseline: ArrayLike = 1.0,
    initial: Initial = "steady_state",
    sample_times_h: ArrayLike | None = None,
    amounts: bool = False,
    chunk_size: int = 8192,
    threads: int = 1,
) -> CohortResult:
    """Pre- and post-exchange levels of every course of a cohort (exact two-compartment model).

    Per-patient inputs are 0-d (shared) or shape (n,): ``plasma_volume_ml``, the compartment
    parameters (default: those of ``substance``), ``synthesis`` and ``baseline`` (the time-0
    plasma level; results are in its units). Per-exchange inputs are shape (k,) (shared
    timetable) or (n, k): ``exchange_volume_ml`` (>= 0; 0 = no exchange),
    ``exchange_start_h`` (hours from time 0, each at or after the end of the previous
    exchange), ``exchange_duration_h`` (> 0). ``initial`` as in
    :func:`plexms.core.kinetics.predict_course`. ``sample_times_h`` (m,) adds the level at
    those times as ``curve`` (n, m). Sources: REVERBERI_2007 (model), ONE_COMPARTMENT.

    >>> res = simulate_cohort(
    ...     "igg",
    ...     plasma_volume_ml=[3000.0, 2500.0],
    ...     exchange_volume_ml=[3000.0, 3000.0],
    ...     exchange_start_h=[1.0, 49.0],
    ...     exchange_duration_h=2.0,
    ...     baseline=[10.0, 8.0],
    ... )
    >>> res.pre.shape, float(res.pre[0, 0]), bool(res.post[1, 0] / 8 < res.post[0, 0] / 10)
    ((2, 2), 10.0, True)
    """
    if initial not in ("steady_state", "after_infusion"):
        raise InputError(
            "initial", f"unknown initial state {initial!r}", allowed="steady_state, after_infusion"
        )
    if not (isinstance(chunk_size, int) and chunk_size >= 1):
        raise InputError("chunk_size", f"{chunk_size!r} is not a positive integer", allowed=">= 1")
    if not (isinstance(threads, int) and threads >= 1):
        raise InputError("threads", f"{threads!r} is not a positive integer", allowed=">= 1")
    start = _as_f64("exchange_start_h", exchange_start_h)
    if start.ndim not in (1, 2):
        raise InputError(
            "exchange_start_h",
            f"has {start.ndim} dimensions",
            allowed="shape (k,) shared or (n_patients, k)",
        )
    n_ex = start.shape[-1]
    vol = _exchange_array("exchange_volume_ml", exchange_volume_ml, n_ex)
    dur = _exchange_array("exchange_duration_h", exchange_duration_h, n_ex)
    params = _parameters(
        substance,
        intravascular_fraction,
        redistribution_half_time_h,
        elimination_half_life_h,
        synthesis,
    )
    arrays = {
        "plasma_volume_ml": _as_f64("plasma_volume_ml", plasma_volume_ml),
        "baseline": _as_f64("baseline", baseline),
        **params,
    }
    n = _patient_count(arrays, (start, vol, dur))
    times = _sample_times(sample_times_h)
    for name, arr in (("exchange_volume_ml", vol), ("exchange_duration_h", dur)):
        if arr.ndim == 1:
            _check_exchange_array(name, arr, 0)

    shape = (n, n_ex)
    pre = np.empty(shape)
    post = np.empty(shape)
    curve = None if times is None else np.empty((n, times.size))
    removed, body_pre, body_post = (
        (np.empty(shape), np.empty(shape), np.empty(shape)) if amounts else (None, None, None)
    )
    body_initial = np.empty(n) if amounts else None

    def run(lo: int) -> None:
        hi = min(lo + chunk_size, n)

        def cut(arr: F64) -> F64:
            return arr[lo:hi] if arr.ndim == 2 else arr

        v, d, s = cut(vol), cut(dur), cut(start)
        if v.ndim == 2:
            _check_exchange_array("exchange_volume_ml", v, lo)
        if d.ndim == 2:
            _check_exchange_array("exchange_duration_h", d, lo)
        model, pv, scale = _chunk_model(arrays, lo, hi, initial)
        # exchange-major (k, c) contiguous rows: each segment reads contiguous memory
        x_ex = _rows(v, pv, hi - lo)
        _check_volumes(x_ex, lo)
        d, s = _rows(d, None, hi - lo), _rows(s, None, hi - lo)
        out = ChunkOut(
            pre=pre[lo:hi],
            post=post[lo:hi],
            scale=scale,
            offset=lo,
            removed=None if removed is None else removed[lo:hi],
            body_pre=None if body_pre is None else body_pre[lo:hi],
            body_post=None if body_post is None else body_post[lo:hi],
            volume_l=pv / 1000.0,
            states=None if curve is None else np.empty((4, n_ex, hi - lo)),
        )
        solve_chunk(model, x_ex, d, s, out)
        if body_initial is not None:
            ss = model.sigma * (1.0 + model.k12 / model.k21)
            body_initial[lo:hi] = (model.y1 + model.y2 + ss) * scale * pv / 1000.0
        if curve is not None and times is not None:
            _sample(model, x_ex, d, s, out, times, curve[lo:hi])

    _run_chunks(run, n, chunk_size, threads)
    return CohortResult(
        pre=pre,
        post=post,
        sample_times_h=times,
        curve=curve,
        removed=removed,
        body_pre=body_pre,
        body_post=body_post,
        body_initial=body_initial,
    )


def _rows(arr: F64, pv: F64 | None, c: int) -> F64:
    """``arr`` (c, k) or (k,) as exchange-major rows, divided by ``pv`` when given."""
    if arr.ndim == 2 or (pv is not None and pv.ndim):
        rows = np.empty((arr.shape[-1], c))
        src = arr.T if arr.ndim == 2 else arr[:, None]
        if pv is None:
            np.copyto(rows, src)
        else:
            np.divide(src, pv, out=rows)
        return rows
    return arr if pv is None else arr / pv


def _run_chunks(run: Callable[[int], None], n: int, chunk_size: int, threads: int) -> None:
    starts = range(0, n, chunk_size)
    if threads == 1 or len(starts) == 1:
        for lo in starts:
            run(lo)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(run, starts):
            pass


# --- validation -------------------------------------------------------------------------


def _as_f64(name: str, value: ArrayLike) -> F64:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(name, "is not numeric", allowed="numbers or arrays of numbers") from None
    return arr


def _exchange_array(name: str, value: ArrayLike, n_ex: int) -> F64:
    arr = _as_f64(name, value)
    if arr.ndim == 0:
        return np.broadcast_to(arr, (n_ex,))
    if arr.ndim > 2 or arr.shape[-1] != n_ex:
        raise InputError(
            name,
            f"has shape {arr.shape}, exchange_start_h has {n_ex} exchanges",
            allowed=f"a number, shape ({n_ex},) or (n_patients, {n_ex})",
        )
    return arr


def _first_bad(bad: NDArray[np.bool_], offset: int) -> str:
    idx = [int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape)]
    if idx:
        idx[0] += offset
    return "[" + ", ".join(map(str, idx)) + "]" if idx else ""


def _require(
    name: str, arr: F64, ok: bool, bad: Callable[[], NDArray[np.bool_]], allowed: str, offset: int
) -> None:
    if not ok:
        mask = bad()
        where = _first_bad(mask, offset)
        value = arr[np.unravel_index(int(np.argmax(mask)), mask.shape)] if arr.ndim else arr
        raise InputError(name, f"{name}{where} = {float(value)!r} is out of range", allowed=allowed)


def _check_exchange_array(name: str, arr: F64, offset: int) -> None:
    if arr.size == 0:
        return
    lo, hi = float(arr.min()), float(arr.max())
    if name == "exchange_volume_ml":
        ok = lo >= 0.0 and hi < math.inf
        _require(name, arr, ok, lambda: ~((arr >= 0) & (arr < math.inf)), ">= 0 mL, finite", offset)
    else:
        ok = lo >= DURATION_MIN_H and hi <= DURATION_MAX_H
        _require(
            name,
            arr,
            ok,
            lambda: ~((arr >= DURATION_MIN_H) & (arr <= DURATION_MAX_H)),
            f"{DURATION_MIN_H:.4g}-{DURATION_MAX_H:g} h",
            offset,
        )


def _check_volumes(x_ex: F64, offset: int) -> None:
    """At most MAX_VOLUMES_PER_EXCHANGE plasma volumes per exchange (x_ex is exchange-major)."""
    if x_ex.size == 0 or float(x_ex.max()) <= MAX_VOLUMES_PER_EXCHANGE:
        return
    bad = np.asarray(x_ex > MAX_VOLUMES_PER_EXCHANGE)
    i, *p = np.unravel_index(int(np.argmax(bad)), bad.shape)
    where = f"[{offset + int(p[0])}, {int(i)}]" if p else f"[{int(i)}]"
    raise InputError(
        "exchange_volume_ml",
        f"exchange_volume_ml{where} is more than {MAX_VOLUMES_PER_EXCHANGE:g} plasma volumes",
        allowed=f"0 to {MAX_VOLUMES_PER_EXCHANGE:g} x plasma_volume_ml per exchange",
    )


def _parameters(
    substance: Substance | str | None,
    fraction: ArrayLike | None,
    redistribution: ArrayLike | None,
    elimination: ArrayLike | None,
    synthesis: ArrayLike | None,
) -> dict[str, F64]:
    base = None if substance is None else resolve_substance(substance)
    given = {
        "intravascular_fraction": fraction,
        "redistribution_half_time_h": redistribution,
        "elimination_half_life_h": elimination,
        "synthesis": synthesis,
    }
    out: dict[str, F64] = {}
    for name, value in given.items():
        if value is None:
            if base is None:
                raise InputError(
                    name, "is required when no substance is given", allowed="a substance key"
                )
            value = getattr(base, name)
        out[name] = _as_f64(name, value)
    return out


def _patient_count(arrays: dict[str, F64], exchange: tuple[F64, ...]) -> int:
    sizes: dict[str, int] = {}
    for name, arr in arrays.items():
        if arr.ndim > 1:
            raise InputError(name, f"has shape {arr.shape}", allowed="a number or shape (n,)")
        if arr.ndim == 1:
            sizes[name] = arr.shape[0]
    for name, arr in zip(
        ("exchange_start_h", "exchange_volume_ml", "exchange_duration_h"), exchange, strict=True
    ):
        if arr.ndim == 2:
            sizes[name] = arr.shape[0]
    counts = set(sizes.values())
    if len(counts) > 1:
        first = next(iter(sizes.values()))
        raise InputError(
            next(name for name, size in sizes.items() if size != first),
            "per-patient arrays differ in length: "
            + ", ".join(f"{k}={v}" for k, v in sorted(sizes.items())),
            allowed="the same number of patients in every per-patient array",
        )
    return counts.pop() if counts else 1


def _chunk_model(
    arrays: dict[str, F64], lo: int, hi: int, initial: Initial
) -> tuple[ChunkModel, F64, F64]:
    """Validate one chunk's per-patient inputs and derive its rate constants (in cache)."""

    def cut(name: str) -> F64:
        arr = arrays[name]
        return arr[lo:hi] if arr.ndim else arr

    pv, base = cut("plasma_volume_ml"), cut("baseline")
    frac, t_r = cut("intravascular_fraction"), cut("redistribution_half_time_h")
    t_e, syn = cut("elimination_half_life_h"), cut("synthesis")
    _require(
        "plasma_volume_ml",
        pv,
        _all(pv, PLASMA_VOLUME_MIN_ML, PLASMA_VOLUME_MAX_ML, closed=True),
        lambda: ~_in(pv, PLASMA_VOLUME_MIN_ML, PLASMA_VOLUME_MAX_ML, closed=True),
        f"{PLASMA_VOLUME_MIN_ML:g}-{PLASMA_VOLUME_MAX_ML:g} mL",
        lo,
    )
    _require(
        "baseline",
        base,
        _all(base, 0.0, BASELINE_MAX),
        lambda: ~_in(base, 0.0, BASELINE_MAX),
        f"> 0 and < {BASELINE_MAX:g}",
        lo,
    )
    _require(
        "intravascular_fraction",
        frac,
        _all(frac, FRACTION_MIN, 1.0, closed=True),
        lambda: ~_in(frac, FRACTION_MIN, 1.0, closed=True),
        f"{FRACTION_MIN} <= f <= 1",
        lo,
    )
    _require(
        "redistribution_half_time_h",
        t_r,
        _all(t_r, REDISTRIBUTION_MIN_H, REDISTRIBUTION_MAX_H, closed=True),
        lambda: ~_in(t_r, REDISTRIBUTION_MIN_H, REDISTRIBUTION_MAX_H, closed=True),
        f"{REDISTRIBUTION_MIN_H}-{REDISTRIBUTION_MAX_H:g} h",
        lo,
    )
    slow = np.asarray(t_e * frac > t_r)
    _require(
        "elimination_half_life_h",
        t_e,
        bool(slow.all()),
        lambda: ~slow,
        "> redistribution_half_time_h / intravascular_fraction (inf = no catabolism)",
        lo,
    )
    binary = np.asarray((syn == 0) | (syn == 1))
    _require("synthesis", syn, bool(binary.all()), lambda: ~binary, "true or false", lo)
    k = _LN2 / t_r
    ke = _LN2 / t_e
    k21 = frac * k
    k12 = k - k21
    kel = ke * (k - ke) / (k21 - ke)
    if initial == "steady_state":
        sigma = syn
        y1 = 1.0 - sigma
        y2 = y1 * k12 / (k21 - ke)  # drug: terminal-phase (slow eigenvector) distribution
    else:
        sigma = np.zeros_like(syn)
        y1 = np.ones_like(syn)
        y2 = np.zeros_like(syn)
    model = ChunkModel(
        k12=np.asarray(k12),
        k21=np.asarray(k21),
        kel=np.asarray(kel),
        sigma=np.asarray(sigma),
        y1=np.asarray(y1),
        y2=np.asarray(y2),
    )
    return model, pv, base


def _in(arr: F64, lo: float, hi: float, *, closed: bool = False) -> NDArray[np.bool_]:
    """Elementwise lo < arr < hi, or lo <= arr <= hi when ``closed`` (NaN is outside)."""
    if closed:
        return np.asarray((arr >= lo) & (arr <= hi))
    return np.asarray((arr > lo) & (arr < hi))


def _all(arr: F64, lo: float, hi: float, *, closed: bool = False) -> bool:
    """Whether every value lies in the interval (chunks are never empty)."""
    a, b = float(arr.min()), float(arr.max())
    return (lo <= a and b <= hi) if closed else (lo < a and b < hi)


def _sample_times(value: ArrayLike | None) -> F64 | None:
    if value is None:
        return None
    times = _as_f64("sample_times_h", value)
    if times.ndim != 1:
        raise InputError("sample_times_h", f"has shape {times.shape}", allowed="shape (m,)")
    ok = times.size == 0 or (float(times.min()) >= 0.0 and float(times.max()) < math.inf)
    _require(
        "sample_times_h",
        times,
        ok,
        lambda: ~((times >= 0) & (times < math.inf)),
        ">= 0 h, finite",
        0,
    )
    return times


# --- curves -------------------------------------------------------------------------------


def _blocks(m: int, c: int) -> Iterator[tuple[int, int]]:
    step = max(1, _CURVE_BLOCK // max(c, 1))
    for j in range(0, m, step):
        yield j, min(j + step, m)


def _sample(
    model: ChunkModel, x_ex: F64, dur: F64, start: F64, out: ChunkOut, times: F64, curve: F64
) -> None:
    """Level at each sample time: propagate from the last segment boundary before it."""
    states = np.asarray(out.states)
    c = curve.shape[0]
    n_ex = out.pre.shape[1]

    def col(arr: F64, i: int) -> F64:
        v: F64 = np.asarray(arr[i])
        return v[:, None] if v.ndim else v

    def per_patient(arr: F64) -> F64:
        return arr[:, None] if arr.ndim else arr

    k12, k21, kel = per_patient(model.k12), per_patient(model.k21), per_patient(model.kel)
    sigma, scale = per_patient(model.sigma), per_patient(np.asarray(out.scale))
    rho = k12 / k21
    for j0, j1 in _blocks(times.size, c):
        t = times[j0:j1][None, :]
        shape = (c, j1 - j0)
        bt = np.zeros(shape)
        y1 = np.array(np.broadcast_to(per_patient(model.y1), shape))
        y2 = np.array(np.broadcast_to(per_patient(model.y2), shape))
        rate = np.zeros(shape)
        for i in range(n_ex):
            s_i = col(start, i)
            e_i = s_i + col(dur, i)
            for edge, k1, k2, r_i in (
                (s_i, 0, 1, col(x_ex, i) / col(dur, i)),
                (e_i, 2, 3, 0.0),
            ):
                mask = np.broadcast_to(edge <= t, shape)
                np.copyto(bt, np.broadcast_to(edge, shape), where=mask)
                np.copyto(y1, states[k1, i][:, None], where=mask)
                np.copyto(y2, states[k2, i][:, None], where=mask)
                np.copyto(rate, np.broadcast_to(r_i, shape), where=mask)
        e11, e12, _, _ = propagator(rate + k12 + kel, k12, k21, t - bt)
        w = sigma * rate / (kel + rate + TINY)  # 0 between exchanges
        v1 = y1 + w
        v2 = y2 + w * rho
        level = e11 * v1 + e12 * v2 - w
        curve[:, j0:j1] = (level + sigma) * scale
