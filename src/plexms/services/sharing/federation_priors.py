"""The federated registry's ``priors`` query (issue 19, item 3): kinetic-prior summaries.

**Node.** :func:`node_cells` fits the newest courses of every centre of this instance
(:func:`plexms.services.clinical.course_fit.registry_estimates`) and, per fitted substance and
kinetic parameter, publishes the moments of the courses' estimates
(:mod:`plexms.core.kinetics.prior_moments`: n, mean and sum of squared deviations on the
prior's scale, mean posterior variance). A substance whose estimates come from 1 to k - 1
patients is withheld: its cells carry ``n`` = ``None`` and no numbers. No estimate leaves.

**Hub.** :func:`read_cells` checks a node's answer; :func:`pooled_prior` pools the nodes'
moments exactly (as if the hub had every estimate) into the pooled log-normal (median and 90%
range), the empirical-Bayes prior learned from it, and the nodes that contributed or withheld.
:func:`plexms.services.sharing.federation.federated_priors` asks the nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.core.kinetics.prior_moments import (
    EMPTY,
    Moments,
    learned_prior,
    lognormal_range,
    moments,
    pool,
    publishable,
)
from plexms.core.kinetics.priors import PARAMETERS, population_prior
from plexms.services.clinical.course_fit import FITTED, registry_estimates

__all__ = ["SCALE", "Cells", "PooledPrior", "node_cells", "order", "pooled_prior", "read_cells"]

SCALE = "log (logit for intravascular_fraction); n = courses fitted"
Cells = dict[tuple[str, str], Moments | None]
"""(substance, parameter) -> the moments a node published, ``None`` where it withheld them."""
_ORDER = {name: i for i, name in enumerate(PARAMETERS)}


def node_cells(session: Session, k: int) -> tuple[list[dict[str, Any]], int]:
    """This node's priors answer (one cell per substance and parameter) and how many cells it
    withheld."""
    cells, withheld = [], 0
    for substance, rows in registry_estimates(session).items():
        patients = len({patient for patient, _ in rows})
        for name in PARAMETERS:
            m = publishable(moments([e[name] for _, e in rows if name in e]), patients, k)
            withheld += m is None
            cell: dict[str, Any] = {"n": None, "mean": None, "m2": None, "noise": None}
            if m is not None:
                cell = {**cell, "n": 0} if m.n == 0 else m.to_dict()
            cells.append({"substance": substance, "parameter": name, **cell})
    return cells, withheld


def read_cells(body: dict[str, Any]) -> Cells:
    """A node's priors answer read back; InputError (the hub reports the node as answering
    badly) on anything but cells of the fitted substances and parameters."""
    cells = body.get("priors")
    if body.get("kind") != "priors" or not isinstance(cells, list):
        raise InputError("priors", "is not a priors answer", allowed="a list of cells")
    out: Cells = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("parameter") not in PARAMETERS:
            raise InputError(
                "priors.parameter", "is not a kinetic parameter", allowed=", ".join(PARAMETERS)
            )
        substance = cell.get("substance")
        if substance not in FITTED:
            raise InputError(
                "priors.substance", "is not a fitted substance", allowed=", ".join(FITTED)
            )
        n = cell.get("n")
        out[(substance, cell["parameter"])] = (
            None if n is None else EMPTY if n == 0 else Moments.from_dict(cell)
        )
    return out


def order(key: tuple[str, str]) -> tuple[int, int]:
    """Sort key of a (substance, parameter) cell: the fitted substances', then the fit's
    parameter order."""
    return FITTED.index(key[0]), _ORDER[key[1]]


@dataclass(frozen=True)
class PooledPrior:
    """One kinetic parameter pooled over the nodes that published it.

    ``n``: courses fitted; ``mean``/``sd``: of their estimates on the prior's scale (log; logit
    for the intravascular fraction); ``median``/``low``/``high``: the pooled log-normal's
    median and 90% range; ``learned_*``: the empirical-Bayes prior learned from the same
    estimates (:func:`plexms.core.kinetics.prior_moments.learned_prior`); ``withheld_by``: the
    nodes whose patients were fewer than k.
    """

    substance: str
    parameter: str
    nodes: int
    n: int
    mean: float | None
    sd: float | None
    median: float | None
    low: float | None
    high: float | None
    learned_median: float | None
    learned_sd_log: float | None
    withheld_by: tuple[str, ...]


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def pooled_prior(substance: str, name: str, parts: dict[str, Moments | None]) -> PooledPrior:
    """``parts`` (node -> its moments, ``None`` where withheld) pooled."""
    m = pool(parts.values())
    median = low = high = None
    learned = None
    if m.n > 0:
        median, low, high = lognormal_range(name, m)
        if m.sd is None:
            low = high = None
        old = population_prior(substance).get(name)
        learned = learned_prior(name, old, m) if old is not None else None
    return PooledPrior(
        substance=substance,
        parameter=name,
        nodes=sum(1 for p in parts.values() if p is not None and p.n > 0),
        n=m.n,
        mean=_round(m.mean) if m.n else None,
        sd=_round(m.sd),
        median=_round(median),
        low=_round(low),
        high=_round(high),
        learned_median=learned.median if learned else None,
        learned_sd_log=learned.sd_log if learned else None,
        withheld_by=tuple(node for node, p in parts.items() if p is None),
    )
