"""``plexms calc cohort``: protocols compared on one virtual cohort (issue 18 item 2), as one
JSON object (:mod:`plexms.core.kinetics.protocols`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict

from plexms.core.kinetics.population import LITERATURE, Population
from plexms.core.kinetics.protocols import (
    MAX_EXCHANGES,
    CohortComparison,
    Protocol,
    compare_protocols,
)
from plexms.core.policy import CentrePolicy
from plexms.core.sources import source_dict
from plexms.services.calc import Calculator

__all__ = [
    "CALCULATOR",
    "MAX_N",
    "MAX_PROTOCOLS",
    "CohortRequest",
    "ProtocolIn",
    "comparison_json",
    "compute",
]

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Count = Annotated[int, Strict()]
#: Most virtual patients one request may ask for (the command line; the API caps lower).
MAX_N = 10_000_000
MAX_PROTOCOLS = 8


class ProtocolIn(BaseModel):
    """One protocol to compare."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, description="Label, unique in the request.")
    plasma_volumes_per_exchange: Number = Field(ge=0.5, le=2.0, description="0.5-2.0")
    exchanges: Count = Field(ge=1, le=MAX_EXCHANGES, description=f"1-{MAX_EXCHANGES}")
    interval_days: Count = Field(ge=1, le=7, description="Days between exchanges, 1-7.")


class CohortRequest(BaseModel):
    """Protocols, cohort size and seed."""

    model_config = ConfigDict(extra="forbid")

    protocols: list[ProtocolIn] = Field(min_length=1, max_length=MAX_PROTOCOLS)
    n: Count = Field(10_000, ge=1, le=MAX_N, description="Virtual patients (same for all).")
    seed: Count = Field(0, ge=0, le=2**63 - 1, description="Same seed, same answer.")


def compute(
    request: CohortRequest,
    policy: CentrePolicy,
    now: dt.datetime | None = None,
    population: Population = LITERATURE,
) -> CohortComparison:
    """Answer one cohort request with the centre's prescription settings (``now`` unused:
    nothing here depends on the day)."""
    protocols = [
        Protocol(p.name, p.plasma_volumes_per_exchange, p.exchanges, p.interval_days)
        for p in request.protocols
    ]
    return compare_protocols(protocols, request.n, request.seed, policy.prescription, population)


def comparison_json(result: CohortComparison) -> dict[str, Any]:
    """The contract's JSON form of a comparison."""
    return {
        "protocols": [
            {
                "name": s.protocol.name,
                "plasma_volumes_per_exchange": s.protocol.plasma_volumes_per_exchange,
                "exchanges": s.protocol.exchanges,
                "interval_days": s.protocol.interval_days,
                "igg_reduction": {
                    "median": round(s.igg_reduction_median, 4),
                    "p10": round(s.igg_reduction_p10, 4),
                    "p90": round(s.igg_reduction_p90, 4),
                },
                "p_fibrinogen_below_hold": round(s.p_fibrinogen_below_hold, 4),
                "sessions_needing_plasma": round(s.sessions_needing_plasma, 3),
                "chair_hours": round(s.chair_hours, 2),
                "albumin_vials": round(s.albumin_vials, 2),
                "cost": round(s.cost, 2),
                "course_days": s.protocol.course_days,
            }
            for s in result.protocols
        ],
        "population": result.population.to_dict(),
        "n": result.n,
        "seed": result.seed,
        "settings": {
            "fibrinogen_threshold_g_l": result.fibrinogen_threshold_g_l,
            "albumin_price_per_g": result.price_per_g,
            "currency": result.currency,
            "price_source": "LOCAL_POLICY",
        },
        "sources": [source_dict(k) for k in dict.fromkeys(result.sources)],
    }


_HELP = """\
Request (JSON object; unknown fields are refused):
  protocols   1-8 of {"name", "plasma_volumes_per_exchange" 0.5-2.0,
              "exchanges" 1-10, "interval_days" 1-7}; names unique
  n           virtual patients, default 10000 (1-10,000,000 here; the API
              takes at most 100,000)
  seed        integer >= 0, default 0: the same request gives the same JSON

Every protocol is applied to the same virtual patients (sex, height, weight,
haematocrit, baseline IgG and fibrinogen and the kinetic parameters drawn
from published distributions: see "population"), with albumin-only
replacement, an exchange every interval_days, the exact two-compartment
model and the centre's prescription settings.

Response (JSON object):
  protocols: list of {name, plasma_volumes_per_exchange, exchanges,
    interval_days,
    igg_reduction {median, p10, p90}: fraction of the pre-course IgG
      removed at the end of the last exchange,
    p_fibrinogen_below_hold: share of patients whose fibrinogen is
      predicted below the centre's threshold (default 1.0 g/L) before some
      exchange (the pre-session check holds an albumin-only exchange),
    sessions_needing_plasma: mean such sessions per course (albumin-only
      course: an upper bound),
    chair_hours (run + setup), albumin_vials (whole vials), cost (vials'
      albumin x the centre's price per gram, local policy): means per course,
    course_days: first to last exchange, closures not counted},
  population: the distributions used and their sources, n, seed,
  settings: {fibrinogen_threshold_g_l, albumin_price_per_g, currency,
    price_source}, sources."""

CALCULATOR: Calculator[CohortRequest, CohortComparison] = Calculator(
    name="cohort",
    summary="Protocols compared on one virtual cohort: IgG reduction, fibrinogen below the "
    "threshold, sessions needing plasma, chair-hours, albumin vials and cost, course days.",
    request_model=CohortRequest,
    compute=compute,
    to_json=comparison_json,
    help=_HELP,
)
