"""Exact solution of the linear two-compartment model, one constant-rate segment at a time.

State x = (x1, x2): plasma and extravascular amounts, both in units of the baseline plasma
amount (so x1 is the plasma level as a fraction of baseline; isovolaemic exchange keeps the
plasma volume constant). On a segment where plasma is exchanged at r = Q / PV per hour::

    x' = A x + u,   A = [[-a, k21], [k12, -k21]],   a = k12 + kel + r,   u = (s, 0)

with s = sigma * kel (sigma = 1 for an endogenous protein at steady state, else 0). With
y = x - sigma * (1, k12/k21), the deviation from the steady state, the gaps between exchanges
are homogeneous, y' = A0 y, and an exchange has the fixed point y* = -w (1, k12/k21) with
w = sigma r / (kel + r).

The propagator is the closed-form 2x2 matrix exponential (Sylvester's formula; model:
REVERBERI_2007). With h = (k21 - a) / 2, m = -(k21 + a) / 2, delta = sqrt(h^2 + k12 k21) and
the real eigenvalues lambda_1,2 = m +/- delta, e_i = exp(lambda_i t)::

    exp(A t) = e2 I + (e1 - e2) P1,   P1 = [[h + delta, k21], [k12, delta - h]] / (2 delta)

P1 is the spectral projector on the slow mode. Between exchanges it depends on the patient
only, so it is computed once per chunk and each gap costs two exponentials and a few
multiply-adds; an exchange segment recomputes delta for its own rate. Every step is a NumPy
ufunc over all patients of a chunk, writing into preallocated buffers. 1e-300 is added under
the square root so the degenerate one-pool case (k12 = 0 with equal diagonal) stays finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from plexms.core.errors import InputError

__all__ = ["ChunkModel", "ChunkOut", "check_gap", "propagator", "solve_chunk"]

F64 = NDArray[np.float64]
TINY = 1e-300
# Exchanges may touch: a start up to this much before the previous end (rounding in a caller's
# sum of times) counts as touching; the overlap is far below any clinical time scale.
GAP_TOLERANCE_H = 1e-9


def propagator(
    a: F64 | float, k12: F64 | float, k21: F64 | float, tau: F64 | float
) -> tuple[F64, F64, F64, F64]:
    """exp(A tau) for A = [[-a, k21], [k12, -k21]], elementwise: (E11, E12, E21, E22).

    >>> e11, e12, e21, e22 = propagator(1.0, 0.0, 0.5, 2.0)  # no flow from plasma to tissue
    >>> [round(float(e), 6) for e in (e11, e12, e21, e22)]  # e^-2, e^-1 - e^-2, 0, e^-1
    [0.135335, 0.232544, 0.0, 0.367879]
    """
    h = 0.5 * np.subtract(k21, a)
    m = -0.5 * np.add(k21, a)
    delta = np.sqrt(h * h + np.multiply(k12, k21) + TINY)
    e1 = np.exp((m + delta) * tau)
    e2 = np.exp((m - delta) * tau)
    g = (e1 - e2) / (2.0 * delta)
    return e2 + g * (h + delta), g * np.asarray(k21), g * np.asarray(k12), e2 + g * (delta - h)


@dataclass(frozen=True)
class ChunkModel:
    """Per-patient constants of one chunk (shape (c,), or 0-d when shared by all)."""

    k12: F64
    k21: F64
    kel: F64
    sigma: F64  # 1.0: endogenous at steady state (synthesis on), 0.0 otherwise
    y1: F64  # initial deviation from steady state, plasma
    y2: F64  # initial deviation from steady state, extravascular

    @property
    def has_sigma(self) -> bool:
        """False when no patient has synthesis: the exchange input term is skipped."""
        return bool(np.any(self.sigma))


@dataclass(frozen=True)
class ChunkOut:
    """Views into the caller's output arrays for one chunk (None = not requested)."""

    pre: F64  # (c, k)
    post: F64  # (c, k)
    scale: F64  # (c,) or 0-d: baseline concentration
    offset: int = 0  # index of the chunk's first patient (for error messages)
    removed: F64 | None = None  # (c, k), amount units (scale x litres of plasma)
    body_pre: F64 | None = None
    body_post: F64 | None = None
    volume_l: F64 | float = 1.0  # plasma volume in litres (amount units)
    states: F64 | None = None  # (4, k, c): y1 pre, y2 pre, y1 post, y2 post (for curves)


def check_gap(gap: F64, index: int, offset: int) -> None:
    """InputError unless every gap before exchange ``index`` is finite and >= 0.

    >>> check_gap(np.array([0.0, 46.0]), 1, 0)
    >>> check_gap(np.array([0.0, -1.0]), 1, 10)
    Traceback (most recent call last):
    ...
    plexms.core.errors.InputError: exchange_start_h: exchange_start_h[11, 1] starts before \
exchange 0 ends (allowed: >= 0 h, finite, each at or after the end of the previous exchange)
    """
    if gap.size and float(gap.min()) >= -GAP_TOLERANCE_H and float(gap.max()) < math.inf:
        return
    bad = ~((gap >= -GAP_TOLERANCE_H) & (gap < math.inf))
    where = f"[{offset + int(np.argmax(bad))}, {index}]" if gap.ndim else f"[{index}]"
    message = (
        f"exchange_start_h{where} is before time 0 or not finite"
        if index == 0
        else f"exchange_start_h{where} starts before exchange {index - 1} ends"
    )
    raise InputError(
        "exchange_start_h",
        message,
        allowed=">= 0 h, finite, each at or after the end of the previous exchange",
    )


@dataclass(slots=True)
class _Scratch:
    """Scratch arrays of one chunk, allocated once and reused by every segment."""

    t1: F64
    t2: F64
    t3: F64
    h: F64
    dl: F64
    w: F64
    v1: F64
    r: F64
    bb: F64
    end: F64
    wr: F64
    ee: F64  # (2, c): both exponents, then both exponentials, in one exp call

    @classmethod
    def of(cls, shape: tuple[int, ...]) -> _Scratch:
        return cls(*(np.zeros((2, *shape) if f.name == "ee" else shape) for f in fields(cls)))


@dataclass(slots=True)
class _GapScratch:
    """Scratch arrays of the gaps: shape (c,), or 0-d when timetable and parameters are shared."""

    gap: F64
    ee: F64  # (2, ...): exponents, then exponentials
    lam: F64  # (2, ...): the two eigenvalues (negative rates)

    @classmethod
    def of(cls, shape: tuple[int, ...]) -> _GapScratch:
        return cls(np.zeros(shape), np.zeros((2, *shape)), np.zeros((2, *shape)))


def solve_chunk(model: ChunkModel, x_ex: F64, dur: F64, start: F64, out: ChunkOut) -> None:
    """Run one chunk of courses in place into ``out``.

    ``x_ex`` (plasma volumes exchanged), ``dur`` (hours) and ``start`` (hours from time 0) are
    indexed by exchange on their first axis: shape (k, c), or (k,) when shared.

    >>> out = ChunkOut(pre=np.empty((1, 1)), post=np.empty((1, 1)), scale=np.asarray(1.0))
    >>> one_pool = ChunkModel(*(np.asarray(v) for v in (0.0, 1.0, 0.0, 0.0, 1.0, 0.0)))
    >>> solve_chunk(one_pool, np.array([1.0]), np.array([2.0]), np.array([0.5]), out)
    >>> float(out.pre[0, 0]), round(float(out.post[0, 0]), 4)  # one plasma volume: e^-1
    (1.0, 0.3679)
    """
    c, n_ex = out.pre.shape
    k12, k21, kel, sigma = model.k12, model.k21, model.kel, model.sigma
    q = k12 * k21 + TINY
    h0 = 0.5 * (k21 - k12 - kel)  # h and m without exchange
    m0 = -0.5 * (k21 + k12 + kel)
    d0 = np.sqrt(h0 * h0 + q)
    lam1, lam2 = m0 + d0, m0 - d0
    p11, p12 = (h0 + d0) / (2 * d0), k21 / (2 * d0)  # slow-mode projector, gaps
    p21, p22 = k12 / (2 * d0), (d0 - h0) / (2 * d0)
    rho = k12 / k21
    kel_t = kel + TINY
    has_sigma = model.has_sigma
    unit_scale = np.ndim(out.scale) == 0 and float(out.scale) == 1.0
    y1 = np.array(np.broadcast_to(model.y1, (c,)), dtype=np.float64)
    y2 = np.array(np.broadcast_to(model.y2, (c,)), dtype=np.float64)
    b = _Scratch.of((c,))
    per_patient_gap = start.ndim == 2 or dur.ndim == 2
    gshape = np.broadcast_shapes(np.shape(lam1), (c,) if per_patient_gap else ())
    g = _GapScratch.of(gshape)
    g.lam[0] = lam1
    g.lam[1] = lam2
    sigma_one = np.ndim(sigma) == 0 and float(sigma) == 1.0
    for i in range(n_ex):
        s_i, tau, x = start[i], dur[i], x_ex[i]
        # gap before exchange i: y <- e2 y + (e1 - e2) P1 y
        end = b.end if per_patient_gap else float(b.end[0])
        np.subtract(s_i, end, out=g.gap)
        check_gap(g.gap, i, out.offset)
        np.multiply(g.lam, g.gap, out=g.ee)
        np.exp(g.ee, out=g.ee)
        ge1, ge2 = g.ee
        ge1 -= ge2  # e1 - e2
        np.multiply(p11, y1, out=b.t1)
        np.multiply(p12, y2, out=b.t2)
        b.t1 += b.t2  # (P1 y)_1
        np.multiply(p21, y1, out=b.t2)
        np.multiply(p22, y2, out=b.t3)
        b.t2 += b.t3  # (P1 y)_2
        y1 *= ge2
        b.t1 *= ge1
        y1 += b.t1
        y2 *= ge2
        b.t2 *= ge1
        y2 += b.t2
        np.add(s_i, tau, out=b.end)
        _store(out, out.pre, out.body_pre, i, y1, y2, sigma, rho, unit_scale, b.t1)
        if out.states is not None:
            out.states[0, i] = y1
            out.states[1, i] = y2
        if out.removed is not None:
            np.add(y1, y2, out=b.bb)  # body deviation before the exchange
        # exchange i at rate r = x / tau: y <- y* + exp(A tau) (y - y*)
        r = b.r
        np.divide(x, tau, out=r)
        np.multiply(r, -0.5, out=b.h)
        b.h += h0  # h = h0 - r / 2
        np.multiply(b.h, b.h, out=b.dl)
        b.dl += q
        np.sqrt(b.dl, out=b.dl)  # delta
        np.multiply(m0, tau, out=b.t1)
        np.multiply(x, 0.5, out=b.t2)
        b.t1 -= b.t2  # m tau
        np.multiply(b.dl, tau, out=b.t2)  # delta tau
        e1, e2 = b.ee
        np.add(b.t1, b.t2, out=e1)
        np.subtract(b.t1, b.t2, out=e2)
        np.exp(b.ee, out=b.ee)
        e1 -= e2
        np.divide(e1, b.dl, out=e1)
        e1 *= 0.5  # gfac = (e1 - e2) / (2 delta)
        if has_sigma:
            np.add(kel_t, r, out=b.w)
            np.divide(r, b.w, out=b.w)
            if not sigma_one:
                b.w *= sigma  # w; y* = -w (1, rho)
            y1 += b.w  # v = y - y*
            np.multiply(b.w, rho, out=b.wr)
            y2 += b.wr
        # u1 = (h + delta) v1 + k21 v2 ; u2 = k12 v1 + (delta - h) v2
        np.add(b.h, b.dl, out=b.t1)
        b.t1 *= y1
        np.multiply(k21, y2, out=b.v1)
        b.t1 += b.v1  # u1
        u2 = b.t3
        np.subtract(b.dl, b.h, out=u2)
        u2 *= y2
        np.multiply(k12, y1, out=b.v1)
        u2 += b.v1
        y1 *= e2
        b.t1 *= e1
        y1 += b.t1
        y2 *= e2
        u2 *= e1
        y2 += u2
        if has_sigma:
            y1 -= b.w
            y2 -= b.wr
        if out.removed is not None:
            _removed(out.removed, i, y1, y2, b.bb, r, kel, sigma, tau, out)
        _store(out, out.post, out.body_post, i, y1, y2, sigma, rho, unit_scale, b.t1)
        if out.states is not None:
            out.states[2, i] = y1
            out.states[3, i] = y2


def _removed(
    removed: F64,
    i: int,
    y1: F64,
    y2: F64,
    before: F64,
    r: F64,
    kel: F64,
    sigma: F64,
    tau: F64,
    out: ChunkOut,
) -> None:
    """Amount removed by exchange i, from the mass balance of the segment.

    d(x1 + x2)/dt = s - (kel + r) x1, so int x1 dt = (sigma kel tau - delta_body) / (kel + r)
    and removed = r int x1 dt; ``before`` holds y1 + y2 at the start of the exchange.
    """
    delta_body = y1 + y2 - before
    integral = (sigma * kel * tau - delta_body) / (kel + r + TINY)
    # >= 0: for a near-zero exchange the balance is rounding noise around 0
    removed[:, i] = np.maximum(r * integral, 0.0) * out.scale * out.volume_l


def _store(
    out: ChunkOut,
    level: F64,
    body: F64 | None,
    i: int,
    y1: F64,
    y2: F64,
    sigma: F64,
    rho: F64,
    unit_scale: bool,
    t1: F64,
) -> None:
    """Write the plasma level (and body amount when asked) at a segment boundary."""
    col = level[:, i]
    if unit_scale:
        np.add(y1, sigma, out=col)
    else:
        np.add(y1, sigma, out=t1)
        np.multiply(t1, out.scale, out=col)
    if body is not None:
        np.add(y1, y2, out=t1)
        t1 += sigma * (1.0 + rho)
        body[:, i] = t1 * out.scale * out.volume_l
