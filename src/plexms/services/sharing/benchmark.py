"""Centre benchmarking of adverse events (issue 18 item 4) over the registry.

For the actor's centre and the registry filter: adverse events per 100 procedures by type
(procedures with that type, Wilson 95% intervals, events by WAA severity) and by WAA severity
against the WAA 2025 rates (labelled "all procedure types": no plasma-exchange-only rates are
published in our sources, so the registry's pooled rate is the like-for-like target of the
funnel); a funnel plot of every centre's proportion of procedures with an adverse event
(other centres anonymous: "centre 1", "centre 2", ...; aggregate counts only); and a Bernoulli
CUSUM of the centre's most recent procedures (:data:`CUSUM_LIMIT`) against the centre's
benchmark settings (reference rate WAA_2025, odds ratio STEINER_2000, h local policy).
Definitions and sources: :mod:`plexms.core.benchmark`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from plexms.core.adverse_events import WaaRates, waa_rates
from plexms.core.benchmark import (
    Cusum,
    Funnel,
    TypeRate,
    bernoulli_cusum,
    funnel,
    rates_by_type,
)
from plexms.core.policy import BenchmarkPolicy
from plexms.interop.registry.writer import neutralise
from plexms.services import audit
from plexms.services._replica import read_stale
from plexms.services._usecase import use_case
from plexms.services.admin.centres import centre_policy
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.store.registry_benchmark import centre_names
from plexms.store.registry_dashboard import RegistryFilter
from plexms.store.registry_rollup import (  # read from the registry's precomputed facts
    outcomes_in_time_order,
    procedures_by_centre,
    type_severity,
    worst_severity_counts,
)

__all__ = ["CUSUM_LIMIT", "SOURCES", "Benchmark", "benchmark", "benchmark_csv"]

#: Most recent procedures the CUSUM runs over (the chart's window).
CUSUM_LIMIT = 20_000
SOURCES = (
    "WAA_2025",
    "WAA_2016",
    "WILSON_1927",
    "NEWCOMBE_1998",
    "SPIEGELHALTER_2005",
    "STEINER_2000",
)


@dataclass(frozen=True)
class Benchmark:
    """Everything the benchmarking section and its report show."""

    filters: RegistryFilter
    centre_label: str
    procedures: int
    by_type: tuple[TypeRate, ...]
    waa: WaaRates | None
    funnel: Funnel
    own_label: str | None  # the actor's centre on the funnel (None: the system sees all)
    cusum: Cusum
    cusum_first: dt.datetime | None
    cusum_last: dt.datetime | None
    cusum_signal_dates: tuple[dt.datetime, ...]
    settings: BenchmarkPolicy
    sources: tuple[str, ...] = SOURCES


def _own(ctx: ServiceContext) -> int | None:
    return None if ctx.actor is None or ctx.actor.is_system else ctx.actor.centre_id


@use_case(Permission.PATIENT_READ)
def benchmark(ctx: ServiceContext, filters: RegistryFilter | None = None) -> Benchmark:
    """The centre's adverse-event benchmark (audited as a registry search)."""
    f = filters or RegistryFilter()
    own = _own(ctx)
    settings = centre_policy(ctx).benchmark if own is not None else BenchmarkPolicy()

    def read(session: Session) -> tuple[Any, ...]:
        return (
            centre_names(session),
            procedures_by_centre(session, f),
            type_severity(session, own, f),
            worst_severity_counts(session, own, f),
            outcomes_in_time_order(session, own, f, CUSUM_LIMIT),
        )

    # the registry's counting: on the read replica when there is one, like the dashboard
    (names, per_centre, (types, severities), worst, outcomes), _ = read_stale(ctx, read)
    procedures = sum(n for c, n, _ in per_centre if own is None or c == own)
    others = 0
    points = []
    own_label = None
    for centre_id, n, k in per_centre:
        if own is None:
            label = names.get(centre_id, (str(centre_id), ""))[0]
        elif centre_id == own:
            label = own_label = f"your centre ({names.get(centre_id, ('?', ''))[0]})"
        else:
            others += 1
            label = f"centre {others}"
        points.append((label, k, n))
    y = np.array([event for _, event in outcomes], dtype=np.int64)
    cusum = bernoulli_cusum(
        y, settings.cusum_reference_per_100 / 100.0, settings.cusum_odds_ratio, settings.cusum_h
    )
    result = Benchmark(
        filters=f,
        centre_label=own_label or "all centres",
        procedures=procedures,
        by_type=rates_by_type(procedures, types, severities),
        waa=waa_rates(procedures, worst) if procedures else None,
        funnel=funnel(points),
        own_label=own_label,
        cusum=cusum,
        cusum_first=outcomes[0][0] if outcomes else None,
        cusum_last=outcomes[-1][0] if outcomes else None,
        cusum_signal_dates=tuple(outcomes[i][0] for i in cusum.signals),
        settings=settings,
    )
    audit.record_alone(
        ctx, "search", entity="registry", detail={"filters": f.to_dict(), "use_case": "benchmark"}
    )
    return result


def _rows(b: Benchmark) -> list[list[object]]:
    rows: list[list[object]] = [
        [
            "section",
            "item",
            "count",
            "procedures",
            "per_100",
            "ci95_low",
            "ci95_high",
            "reference_per_100",
            "note",
        ]
    ]
    for r in b.by_type:
        severity = "; ".join(f"{k} {v}" for k, v in r.by_severity.items() if v)
        rows.append(
            [
                "type",
                r.event_type,
                r.procedures_with_event,
                b.procedures,
                r.per_100,
                *r.ci95_per_100,
                "",
                severity,
            ]
        )
    if b.waa is not None:
        for s in b.waa.rows:
            rows.append(
                [
                    "severity",
                    s.severity,
                    s.count,
                    b.procedures,
                    s.per_100,
                    *s.ci95_per_100,
                    "" if s.reference_per_100 is None else s.reference_per_100,
                    f"{s.comparison} (WAA 2025, {s.reference_scope})",
                ]
            )
    target = round(100 * b.funnel.target, 4)
    for p in b.funnel.points:
        rows.append(
            [
                "funnel",
                p.label,
                p.events,
                p.procedures,
                round(100 * p.rate, 4),
                "",
                "",
                target,
                f"{p.position} (z {p.z})",
            ]
        )
    c = b.cusum
    last = float(c.values[-1]) if c.values.size else 0.0
    rows.append(
        [
            "cusum",
            b.centre_label,
            len(c.signals),
            int(c.values.size),
            round(100 * c.p0, 4),
            "",
            "",
            round(100 * c.p1, 4),
            f"h {c.h:g}, odds ratio {c.odds_ratio:g}; last value {last:.3f}; "
            "signals at "
            + (", ".join(d.date().isoformat() for d in b.cusum_signal_dates) or "none"),
        ]
    )
    return rows


@use_case(Permission.EXPORT)
def benchmark_csv(ctx: ServiceContext, filters: RegistryFilter | None = None) -> str:
    """The benchmark as CSV (counts and rates only, no patient data), audited as an export."""
    b = benchmark(ctx, filters)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in _rows(b):
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    audit.record_alone(
        ctx,
        "export",
        entity="registry_benchmark",
        detail={"format": "csv", "filters": b.filters.to_dict()},
    )
    return out.getvalue()
