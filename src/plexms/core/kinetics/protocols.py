"""Protocols compared on one virtual cohort (issue 18 item 2): what each would do to the same
patients.

Every protocol (plasma volumes per exchange, exchanges, days between them) is applied to the
*same* virtual patients (:mod:`plexms.core.kinetics.population`, drawn once per chunk), so the
differences between protocols are not sampling noise. Per patient and protocol:

* the exchange volume (plasma volumes x Nadler plasma volume), the run time as the
  prescription computes it (whole blood processed at the removal efficiency, ACD-A added at
  the inlet:AC ratio, the inlet flow lowered to the ACD-A rate limit for small patients:
  :func:`plexms.core.prescription.prescribe`), the chair time (run + setup);
* IgG and fibrinogen through the course by the exact two-compartment solution
  (:mod:`plexms.core.kinetics.exact`). A protocol's timetable is regular (an exchange every
  ``interval_days`` from time 0), so each patient has one exchange propagator and one gap
  propagator: they are computed once (four exponentials) and the course is a few
  multiply-adds per exchange, over all patients of a chunk at once;
* albumin-only replacement dispensed in the centre's whole vials (as
  :func:`~plexms.core.prescription.round_to_vials`), its cost at the centre's price.

Reported per protocol (:class:`ProtocolSummary`): IgG reduction at the end of the last exchange
(fraction of the pre-course level; median, 10th and 90th centiles), the share of patients whose
fibrinogen is predicted below the centre's threshold before some exchange (the pre-session
check holds an albumin-only exchange there: WODAJO_2024), the mean number of such sessions per
course (each would need plasma; counted on the albumin-only course, so an upper bound: plasma
given at one session raises the level before the next), and per course on average chair-hours,
albumin vials and their cost, and the course length in days (first to last exchange, clinic
closures not counted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plexms.core.errors import InputError
from plexms.core.kinetics.exact import propagator
from plexms.core.kinetics.population import LITERATURE, Draw, Population, draw_patients
from plexms.core.policy import PrescriptionPolicy
from plexms.core.prescription import round_to_vials

__all__ = [
    "CHUNK",
    "MAX_EXCHANGES",
    "CohortComparison",
    "CourseArrays",
    "Protocol",
    "ProtocolSummary",
    "compare_protocols",
    "simulate_protocol",
]

F64 = NDArray[np.float64]
_LN2 = math.log(2.0)
CHUNK = 8192  # patients drawn and simulated at once (same chunks -> same numbers)
MAX_EXCHANGES = 10
_VOLUMES_RANGE = (0.5, 2.0)  # plasma volumes per exchange (prescription's accepted range)
_INTERVAL_RANGE = (1, 7)  # days between exchanges


@dataclass(frozen=True)
class Protocol:
    """One protocol: a name, plasma volumes per exchange, exchanges, days between them."""

    name: str
    plasma_volumes_per_exchange: float
    exchanges: int
    interval_days: int

    def __post_init__(self) -> None:
        lo, hi = _VOLUMES_RANGE
        if not lo <= self.plasma_volumes_per_exchange <= hi:
            raise InputError(
                "plasma_volumes_per_exchange",
                f"{self.plasma_volumes_per_exchange!r} is out of range",
                allowed=f"{lo:g}-{hi:g}",
            )
        if not 1 <= self.exchanges <= MAX_EXCHANGES:
            raise InputError("exchanges", f"{self.exchanges!r}", allowed=f"1-{MAX_EXCHANGES}")
        if not _INTERVAL_RANGE[0] <= self.interval_days <= _INTERVAL_RANGE[1]:
            raise InputError(
                "interval_days",
                f"{self.interval_days!r}",
                allowed=f"{_INTERVAL_RANGE[0]}-{_INTERVAL_RANGE[1]}",
            )

    @property
    def course_days(self) -> int:
        """First to last exchange, both counted."""
        return (self.exchanges - 1) * self.interval_days + 1


@dataclass(frozen=True)
class CourseArrays:
    """One protocol on one chunk of patients (all shape (n,)): fractions of the pre-course
    level, counts and hours."""

    igg_reduction: F64
    fibrinogen_pre_min_g_l: F64
    sessions_below: F64
    chair_hours: F64
    vials: F64
    albumin_g: F64


@dataclass(frozen=True)
class ProtocolSummary:
    """What one protocol does to the cohort (module docstring)."""

    protocol: Protocol
    igg_reduction_median: float
    igg_reduction_p10: float
    igg_reduction_p90: float
    p_fibrinogen_below_hold: float
    sessions_needing_plasma: float
    chair_hours: float
    albumin_vials: float
    cost: float


@dataclass(frozen=True)
class CohortComparison:
    """Every protocol's summary, the population, the cohort size and seed, the settings used."""

    protocols: tuple[ProtocolSummary, ...]
    population: Population
    n: int
    seed: int
    fibrinogen_threshold_g_l: float
    price_per_g: float
    currency: str
    sources: tuple[str, ...]


def _rates(params: dict[str, F64]) -> tuple[F64, F64, F64]:
    k = _LN2 / params["redistribution_half_time_h"]
    ke = _LN2 / params["elimination_half_life_h"]
    k21 = params["intravascular_fraction"] * k
    k12 = k - k21
    kel = ke * (k - ke) / (k21 - ke)
    return k12, k21, kel


def _course(
    params: dict[str, F64],
    volumes: float,
    duration_h: F64,
    interval_h: float,
    exchanges: int,
    limit: F64 | None = None,
) -> tuple[F64, F64 | None, F64 | None]:
    """The level after the last exchange (n,), as a fraction of the steady state (exact
    solution; REVERBERI_2007); with ``limit`` (fractions, (n,)) also how many pre-exchange
    levels fall below it and the lowest pre-exchange level."""
    k12, k21, kel = _rates(params)
    r = volumes / duration_h
    e11, e12, e21, e22 = propagator(k12 + kel + r, k12, k21, duration_h)
    gap = np.maximum(interval_h - duration_h, 0.0)
    g11, g12, g21, g22 = propagator(k12 + kel, k12, k21, gap)
    w = r / (kel + r)  # the exchange's fixed point is -w (1, rho)
    wr = w * k12 / k21
    y1 = np.zeros_like(w)
    y2 = np.zeros_like(w)
    below = lowest = None
    if limit is not None:
        below = np.zeros_like(w)
        lowest = np.zeros_like(w)
        drop = limit - 1.0  # pre level below limit <=> deviation y1 below limit - 1
    for i in range(exchanges):  # exchanges, not patients: at most MAX_EXCHANGES steps
        if i:
            y1, y2 = g11 * y1 + g12 * y2, g21 * y1 + g22 * y2
        if below is not None and lowest is not None:
            below += y1 < drop
            np.minimum(lowest, y1, out=lowest)
        z1, z2 = y1 + w, y2 + wr
        y1, y2 = e11 * z1 + e12 * z2 - w, e21 * z1 + e22 * z2 - wr
    return 1.0 + y1, below, None if lowest is None else lowest + 1.0


def _vial_table(policy: PrescriptionPolicy, max_ml: float) -> tuple[float, F64, F64]:
    """Vials and dispensed mL for every whole number of the vials' common unit."""
    sizes = policy.albumin_vial_sizes_ml
    unit = float(math.gcd(*sizes)) if sizes and all(s > 0 for s in sizes) else 0.0
    if unit <= 0:
        round_to_vials(1.0, sizes)  # raises the InputError naming the setting
    units = math.ceil(max_ml / unit) + 1
    counts = np.zeros(units + 1)
    dispensed = np.zeros(units + 1)
    for u in range(1, units + 1):
        vials = round_to_vials(u * unit, sizes)
        counts[u] = sum(v.count for v in vials)
        dispensed[u] = sum(v.count * v.size_ml for v in vials)
    return unit, counts, dispensed


def simulate_protocol(
    draw: Draw,
    protocol: Protocol,
    policy: PrescriptionPolicy,
    threshold_g_l: float,
    vials: tuple[float, F64, F64] | None = None,
) -> CourseArrays:
    """``protocol`` on the patients of ``draw`` (albumin-only replacement)."""
    pv = draw.plasma_volume_ml
    tbv_l = draw.total_blood_volume_ml / 1000.0
    exchange_ml = pv * protocol.plasma_volumes_per_exchange
    ratio = policy.inlet_to_ac_ratio
    # as prescribe(): flow lowered to the ACD-A rate limit (SPECTRA_OPTIA), at least 10 mL/min
    flow = np.maximum(
        np.minimum(policy.inlet_flow_ml_min, policy.acd_a_rate_max_ml_min_per_l * tbv_l * ratio),
        10.0,
    )
    blood_ml = exchange_ml / ((1.0 - draw.hematocrit) * policy.plasma_removal_efficiency)
    run_min = np.ceil(blood_ml * ratio / (ratio - 1.0) / flow - 1e-9)
    duration_h = run_min / 60.0
    interval_h = 24.0 * protocol.interval_days
    k = protocol.exchanges
    igg_post, _, _ = _course(
        dict(draw.kinetics["igg"]), protocol.plasma_volumes_per_exchange, duration_h, interval_h, k
    )
    _, below, lowest = _course(
        dict(draw.kinetics["fibrinogen"]),
        protocol.plasma_volumes_per_exchange,
        duration_h,
        interval_h,
        k,
        threshold_g_l / draw.fibrinogen_g_l,
    )
    assert below is not None and lowest is not None  # noqa: S101 - asked for with a limit
    unit, counts, dispensed = vials or _vial_table(policy, float(exchange_ml.max()))
    idx = np.ceil(exchange_ml / unit - 1e-9).astype(np.int64)
    return CourseArrays(
        igg_reduction=1.0 - igg_post,
        fibrinogen_pre_min_g_l=lowest * draw.fibrinogen_g_l,
        sessions_below=below,
        chair_hours=k * (run_min + policy.setup_minutes) / 60.0,
        vials=k * counts[idx],
        albumin_g=k * dispensed[idx] * policy.albumin_g_per_l / 1000.0,
    )


def compare_protocols(
    protocols: Sequence[Protocol],
    n: int,
    seed: int,
    policy: PrescriptionPolicy,
    population: Population = LITERATURE,
    threads: int = 1,
) -> CohortComparison:
    """Every protocol on the same ``n`` virtual patients drawn with ``seed`` (same inputs, same
    answer, to the bit, on any number of ``threads``: NumPy releases the GIL in its loops).
    Sources: the population's, REVERBERI_2007, WODAJO_2024, NADLER_1962.

    >>> from plexms.core.policy import PrescriptionPolicy
    >>> c = compare_protocols([Protocol("5 x 1.0", 1.0, 5, 2)], 2000, 7, PrescriptionPolicy())
    >>> s = c.protocols[0]
    >>> 0.8 < s.igg_reduction_median < 0.9, s.albumin_vials > 25, s.protocol.course_days
    (True, True, 9)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError("n", f"{n!r} is not a number of patients", allowed=">= 1")
    if not protocols:
        raise InputError("protocols", "is empty", allowed="at least one protocol")
    names = [p.name for p in protocols]
    if len(set(names)) != len(names):
        raise InputError("protocols", "two protocols have the same name", allowed="unique names")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InputError("threads", f"{threads!r} is not a positive integer", allowed=">= 1")
    threshold = policy.fibrinogen_plasma_threshold_g_l
    igg = [np.empty(n) for _ in protocols]
    most_volumes = max(p.plasma_volumes_per_exchange for p in protocols)
    tables: list[tuple[float, F64, F64]] = []

    def chunk(index: int) -> F64:
        """One chunk (its own generator: the same numbers on any number of threads); its
        IgG reductions go into ``igg``, its totals per protocol are returned."""
        lo = index * CHUNK
        hi = min(lo + CHUNK, n)
        draw = draw_patients(population, np.random.default_rng([seed, index]), hi - lo)
        most_ml = float(draw.plasma_volume_ml.max()) * most_volumes
        table = tables[-1] if tables else None
        if table is None or table[0] * (table[1].size - 1) < most_ml:
            table = _vial_table(policy, 1.5 * most_ml)  # any large enough table: same lookups
            tables.append(table)
        # per protocol: patients below, sessions below, chair-hours, vials, grams
        totals = np.zeros((len(protocols), 5))
        for j, protocol in enumerate(protocols):
            out = simulate_protocol(draw, protocol, policy, threshold, table)
            igg[j][lo:hi] = out.igg_reduction
            totals[j] = (
                np.count_nonzero(out.sessions_below),
                out.sessions_below.sum(),
                out.chair_hours.sum(),
                out.vials.sum(),
                out.albumin_g.sum(),
            )
        return totals

    chunks = range(-(-n // CHUNK))
    if threads == 1 or len(chunks) == 1:
        parts = [chunk(i) for i in chunks]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(chunk, chunks))
    sums = np.zeros((len(protocols), 5))
    for part in parts:  # in chunk order: the same sums to the bit
        sums += part
    below = [float(x) for x in sums[:, 0]]
    totals = [row[1:] for row in sums]
    summaries = []
    for j, protocol in enumerate(protocols):
        p10, p50, p90 = np.percentile(igg[j], [10.0, 50.0, 90.0])
        mean = totals[j] / n
        summaries.append(
            ProtocolSummary(
                protocol=protocol,
                igg_reduction_median=float(p50),
                igg_reduction_p10=float(p10),
                igg_reduction_p90=float(p90),
                p_fibrinogen_below_hold=below[j] / n,
                sessions_needing_plasma=float(mean[0]),
                chair_hours=float(mean[1]),
                albumin_vials=float(mean[2]),
                cost=float(mean[3]) * policy.albumin_price_per_g,
            )
        )
    return CohortComparison(
        protocols=tuple(summaries),
        population=population,
        n=n,
        seed=seed,
        fibrinogen_threshold_g_l=threshold,
        price_per_g=policy.albumin_price_per_g,
        currency=policy.currency,
        sources=(
            *population.sources,
            "REVERBERI_2007",
            "WODAJO_2024",
            "SPECTRA_OPTIA",
            "TM_CALCULATOR",
            "LOCAL_POLICY",
        ),
    )
