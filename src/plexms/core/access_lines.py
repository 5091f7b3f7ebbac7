"""Vascular access lines: line-days, line infections per 1,000 line-days, and the access a
pre-session check takes from the record.

Definitions (documented in ``docs`` via MERGE_NOTES and on the registry page):

- A *line-day* is a calendar day on which the line is in place (CDC_NHSN_CLABSI counts a
  central line-day for each day a patient has a central line). Both the day of insertion and
  the day of removal count, so a line inserted and removed on the same day is **1 line-day**;
  a line still in place is counted up to and including the "as of" day; a line inserted after
  the "as of" day has 0 line-days. With a window (``since``), only the days inside it count.
- The *rate* is infections / line-days x 1,000 (CDC_NHSN_CLABSI: CLABSI per 1,000 central
  line-days), with an exact (Garwood) Poisson 95% interval (GARWOOD_1936), which is defined
  at 0 events and never below 0.

>>> line_days(dt.date(2026, 11, 2), dt.date(2026, 11, 2), as_of=dt.date(2026, 11, 26))
1
>>> line_days(dt.date(2026, 11, 2), None, as_of=dt.date(2026, 11, 26))
25
>>> r = line_rate(2, 1000)
>>> r.per_1000, tuple(round(x, 3) for x in r.ci95_per_1000)
(2.0, (0.242, 7.225))
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.vocabulary import LINE_KINDS

__all__ = [
    "INFECTION_EVENTS",
    "LINE_TYPE_KIND",
    "PROBLEM_EVENTS",
    "RULE_VERSION",
    "SOURCES",
    "LineRate",
    "access_for_precheck",
    "line_days",
    "line_rate",
    "poisson_interval",
]

RULE_VERSION = "access-lines-1"
SOURCES = ("CDC_NHSN_CLABSI", "GARWOOD_1936")

#: The kind (peripheral or central) each line type is (core.vocabulary.LINE_TYPES).
LINE_TYPE_KIND: dict[str, str] = {
    "peripheral_cannula": "peripheral",
    "midline": "peripheral",
    "non_tunnelled_cvc": "central",
    "tunnelled_cvc": "central",
    "apheresis_catheter": "central",
    "port": "central",
}
#: Line events that are infections (counted in the rate) and problems (shown, not counted).
INFECTION_EVENTS = ("exit_site_infection", "tunnel_infection", "clabsi")
PROBLEM_EVENTS = ("occlusion", "poor_flow", "dislodgement", "thrombosis", "other_problem")

_Z_LEVEL = 0.95


def line_days(
    inserted_on: dt.date,
    removed_on: dt.date | None,
    *,
    as_of: dt.date,
    since: dt.date | None = None,
) -> int:
    """Calendar days the line was in place, both ends included, up to ``as_of`` (and from
    ``since`` when given). Insertion and removal on one day is 1 line-day (CDC_NHSN_CLABSI).

    >>> line_days(dt.date(2026, 11, 1), dt.date(2026, 11, 10), as_of=dt.date(2026, 11, 26),
    ...           since=dt.date(2026, 11, 5))
    6
    """
    if removed_on is not None and removed_on < inserted_on:
        raise InputError(
            "removed_on", f"{removed_on} is before insertion", allowed=f">= {inserted_on}"
        )
    first = inserted_on if since is None else max(inserted_on, since)
    last = as_of if removed_on is None else min(removed_on, as_of)
    return max(0, (last - first).days + 1)


def _poisson_cdf(k: int, mu: float) -> float:
    """P(X <= k) for X ~ Poisson(mu > 0), summed in log space (stable for large mu)."""
    log_mu = math.log(mu)
    return math.fsum(math.exp(i * log_mu - mu - math.lgamma(i + 1)) for i in range(k + 1))


def _solve(target: float, k: int, lo: float, hi: float) -> float:
    """The mean mu in [lo, hi] with P(X <= k; mu) = target (the CDF falls as mu grows)."""
    while hi - lo > 1e-12 * max(1.0, hi):  # bisection to a relative 1e-12
        mid = (lo + hi) / 2
        if _poisson_cdf(k, mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def poisson_interval(events: int, level: float = _Z_LEVEL) -> tuple[float, float]:
    """Exact (Garwood) two-sided interval for a Poisson mean, given ``events`` observed
    (GARWOOD_1936): the lower bound solves P(X >= k) = a/2, the upper P(X <= k) = a/2.

    >>> tuple(round(x, 4) for x in poisson_interval(0))
    (0.0, 3.6889)
    >>> tuple(round(x, 4) for x in poisson_interval(2))
    (0.2422, 7.2247)
    """
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise InputError("events", f"{events!r} is not a count", allowed=">= 0")
    if not 0.0 < level < 1.0:
        raise InputError("level", f"{level!r} is not a probability", allowed="0 < level < 1")
    alpha = 1.0 - level
    hi = events + 10.0 * math.sqrt(events + 1.0) + 10.0
    upper = _solve(alpha / 2, events, 0.0, hi)
    lower = 0.0 if events == 0 else _solve(1.0 - alpha / 2, events - 1, 0.0, hi)
    return lower, upper


@dataclass(frozen=True)
class LineRate:
    """Infections per 1,000 line-days, with the exact Poisson 95% interval (per 1,000)."""

    infections: int
    line_days: int
    per_1000: float | None
    ci95_per_1000: tuple[float, float] | None
    sources: tuple[str, ...] = SOURCES
    rule_version: str = RULE_VERSION


def line_rate(infections: int, days: int) -> LineRate:
    """Infections / line-days x 1,000 and its exact Poisson 95% interval; no rate (None)
    without line-days.

    >>> line_rate(0, 0).per_1000 is None
    True
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise InputError("line_days", f"{days!r} is not a count", allowed=">= 0")
    low, high = poisson_interval(infections)
    if days == 0:
        return LineRate(infections, 0, None, None)
    scale = 1000.0 / days
    return LineRate(
        infections,
        days,
        round(infections * scale, 4),
        (round(low * scale, 4), round(high * scale, 4)),
    )


def access_for_precheck(active_kinds: Iterable[str]) -> str | None:
    """The pre-session check's access from the patient's lines in place: ``central`` when a
    central line is in place (its infection risk is what the check names), ``peripheral``
    when only peripheral ones are, None (ask the nurse) when none is.

    >>> access_for_precheck(["peripheral", "central"]), access_for_precheck([])
    ('central', None)
    """
    kinds = set(active_kinds)
    unknown = kinds - set(LINE_KINDS.values)
    if unknown:
        allowed = ", ".join(LINE_KINDS.values)
        raise InputError("kind", f"{sorted(unknown)[0]!r} unknown", allowed=allowed)
    if "central" in kinds:
        return "central"
    return "peripheral" if kinds else None
