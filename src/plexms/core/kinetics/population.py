"""Virtual patients for protocol comparisons: who they are and how their kinetics vary.

A :class:`Population` gives the distribution of each patient attribute a protocol comparison
needs (issue 18 item 2), each with its source:

* sex: women with share ``female_share`` (about two in three people with MS: MS_ATLAS_2020);
* height (normal) and weight (log-normal) by sex (ADULT_ANTHROPOMETRY_QUOTED), haematocrit
  (normal) by sex, centred on the neurology TPE cohort's mean of 40.2 % (NEURO_TPE_COHORT)
  with the spread and sex difference of the reference intervals (HEMATOCRIT_REFERENCE_QUOTED);
  with Nadler's formula these give a median
  plasma volume of 2.60 L (IQR 2.32-2.96 L), 15 % below the 3058 mL (IQR 2533-3359 mL) of a
  neurology TPE cohort (NEURO_TPE_COHORT, whose volume method our source does not give): the
  ranges overlap (tested); a centre whose patients are larger uses its own registry;
* baseline IgG and fibrinogen (log-normal, the 2.5th-97.5th percentiles at the ends of the
  laboratory reference interval: IGG_REFERENCE_QUOTED 7-16 g/L, FIBRINOGEN_REFERENCE_QUOTED
  2-4 g/L);
* the kinetic parameters of :mod:`plexms.core.kinetics.substances`, each log-normal around
  the shipped value with a spread that nobody has published for TPE patients
  (MODEL_ASSUMPTION: 10 % for the intravascular fraction, 30 % for the redistribution
  half-time, 20 % for the elimination half-life).

Every normal or log-normal draw is clipped to its plausible range (``low``-``high``). A
centre can replace the demographic part with its own patients: ``empirical`` holds their
values (NaN where not recorded); each virtual patient is then one of them drawn with
replacement (so sex, size and haematocrit keep their joint distribution), and only a missing
value is drawn from the literature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from plexms.core.errors import InputError
from plexms.core.kinetics.substances import SUBSTANCES

__all__ = [
    "KINETIC_PARAMETERS",
    "LITERATURE",
    "PATIENT_FIELDS",
    "Clipped",
    "Draw",
    "Population",
    "draw_patients",
    "nadler_plasma_volume_ml",
]

F64 = NDArray[np.float64]
_Z975 = 1.959963984540054
#: Per-patient attributes of a draw (and the columns of ``Population.empirical``).
PATIENT_FIELDS = ("female", "height_cm", "weight_kg", "hematocrit", "igg_g_l", "fibrinogen_g_l")
#: The kinetic parameters that vary between virtual patients.
KINETIC_PARAMETERS = (
    "intravascular_fraction",
    "redistribution_half_time_h",
    "elimination_half_life_h",
)
# NADLER_1962: TBV (L) = a H^3 + b W + c (H in metres, W in kg), female and male.
_NADLER_FEMALE = (0.3561, 0.03308, 0.1833)
_NADLER_MALE = (0.3669, 0.03219, 0.6041)


@dataclass(frozen=True)
class Clipped:
    """A normal (``log=False``: centre = mean) or log-normal (``log=True``: centre = median)
    distribution with spread ``sd`` (on the log scale for a log-normal), clipped to
    ``low``-``high``."""

    centre: float
    sd: float
    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (self.sd >= 0 and self.low <= self.centre <= self.high):
            raise InputError("population", f"bad distribution {self}", allowed="low<=centre<=high")

    @classmethod
    def reference_interval(cls, low: float, high: float, clip: tuple[float, float]) -> Clipped:
        """A log-normal whose 2.5th and 97.5th percentiles are ``low`` and ``high``.

        >>> d = Clipped.reference_interval(7.0, 16.0, (2.0, 40.0))
        >>> round(d.centre, 2), round(d.sd, 3)
        (10.58, 0.211)
        """
        return cls(
            math.sqrt(low * high), math.log(high / low) / (2 * _Z975), clip[0], clip[1], log=True
        )

    def sample(self, rng: np.random.Generator, n: int) -> F64:
        """``n`` draws."""
        z = rng.standard_normal(n)
        values = (
            np.exp(math.log(self.centre) + self.sd * z) if self.log else self.centre + self.sd * z
        )
        return np.clip(values, self.low, self.high)

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "distribution": "log-normal" if self.log else "normal",
            "median" if self.log else "mean": round(self.centre, 4),
            "sd_log" if self.log else "sd": round(self.sd, 4),
            "range": [self.low, self.high],
        }


def _by_sex(female: Clipped, male: Clipped) -> Mapping[str, Clipped]:
    return MappingProxyType({"female": female, "male": male})


@dataclass(frozen=True)
class Population:
    """Distributions of a virtual cohort (see the module docstring); ``empirical``: the
    centre's own patients' values per :data:`PATIENT_FIELDS` (NaN = not recorded)."""

    name: str
    female_share: float
    height_cm: Mapping[str, Clipped]
    weight_kg: Mapping[str, Clipped]
    hematocrit: Mapping[str, Clipped]
    igg_g_l: Clipped
    fibrinogen_g_l: Clipped
    # relative spread (log-normal sd) of each kinetic parameter around the shipped value
    kinetic_spread: Mapping[str, float]
    sources: tuple[str, ...]
    empirical: Mapping[str, F64] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.female_share <= 1.0:
            raise InputError("female_share", f"{self.female_share!r}", allowed="0-1")
        if self.empirical is not None:
            sizes = {np.asarray(v).shape for v in self.empirical.values()}
            if set(self.empirical) != set(PATIENT_FIELDS) or len(sizes) != 1:
                raise InputError(
                    "empirical",
                    "needs one equal-length array per field",
                    allowed=", ".join(PATIENT_FIELDS),
                )
            if next(iter(sizes)) in ((0,), ()):
                raise InputError("empirical", "has no patients", allowed=">= 1 patient")

    @property
    def empirical_patients(self) -> int:
        """How many of the centre's patients are resampled (0: literature only)."""
        return 0 if self.empirical is None else int(np.asarray(self.empirical["female"]).size)

    def to_dict(self) -> dict[str, object]:
        """JSON form: every distribution and its sources."""
        return {
            "name": self.name,
            "female_share": self.female_share,
            "height_cm": {k: v.to_dict() for k, v in self.height_cm.items()},
            "weight_kg": {k: v.to_dict() for k, v in self.weight_kg.items()},
            "hematocrit": {k: v.to_dict() for k, v in self.hematocrit.items()},
            "igg_g_l": self.igg_g_l.to_dict(),
            "fibrinogen_g_l": self.fibrinogen_g_l.to_dict(),
            "kinetics": {
                key: {
                    p: {"median": getattr(SUBSTANCES[key], p), "sd_log": self.kinetic_spread[p]}
                    for p in KINETIC_PARAMETERS
                }
                for key in ("igg", "fibrinogen")
            },
            "empirical_patients": self.empirical_patients,
            "sources": list(self.sources),
        }


LITERATURE = Population(
    name="literature",
    female_share=0.69,  # MS_ATLAS_2020: about two women for each man
    height_cm=_by_sex(Clipped(164.0, 7.0, 140.0, 200.0), Clipped(178.0, 7.0, 150.0, 215.0)),
    weight_kg=_by_sex(
        Clipped(68.0, 0.20, 40.0, 180.0, log=True), Clipped(84.0, 0.18, 45.0, 200.0, log=True)
    ),
    # centred on the TPE cohort's mean 40.2 % (NEURO_TPE_COHORT), the women-men difference and
    # the spread of the reference intervals (HEMATOCRIT_REFERENCE_QUOTED)
    hematocrit=_by_sex(Clipped(0.395, 0.026, 0.28, 0.52), Clipped(0.425, 0.025, 0.30, 0.56)),
    igg_g_l=Clipped.reference_interval(7.0, 16.0, (2.0, 40.0)),
    fibrinogen_g_l=Clipped.reference_interval(2.0, 4.0, (0.8, 8.0)),
    kinetic_spread=MappingProxyType(
        {
            "intravascular_fraction": 0.10,
            "redistribution_half_time_h": 0.30,
            "elimination_half_life_h": 0.20,
        }
    ),
    sources=(
        "MS_ATLAS_2020",
        "ADULT_ANTHROPOMETRY_QUOTED",
        "HEMATOCRIT_REFERENCE_QUOTED",
        "NADLER_1962",
        "NEURO_TPE_COHORT",
        "IGG_REFERENCE_QUOTED",
        "FIBRINOGEN_REFERENCE_QUOTED",
        "REVERBERI_2007",
        "IGG_KINETICS_QUOTED",
        "FIBRINOGEN_QUOTED",
        "ORLIN_1980",
        "MODEL_ASSUMPTION",
    ),
)
"""The default population, from the literature (module docstring)."""


@dataclass(frozen=True)
class Draw:
    """One chunk of virtual patients: :data:`PATIENT_FIELDS` and, per substance, the kinetic
    parameters (``kinetics[substance][parameter]``), all shape (n,)."""

    female: NDArray[np.bool_]
    height_cm: F64
    weight_kg: F64
    hematocrit: F64
    igg_g_l: F64
    fibrinogen_g_l: F64
    kinetics: Mapping[str, Mapping[str, F64]]

    @cached_property
    def total_blood_volume_ml(self) -> F64:
        """Nadler total blood volume (NADLER_1962)."""
        return nadler_plasma_volume_ml(self.female, self.height_cm, self.weight_kg, 0.0)

    @cached_property
    def plasma_volume_ml(self) -> F64:
        """Nadler plasma volume (NADLER_1962)."""
        return np.asarray(self.total_blood_volume_ml * (1.0 - self.hematocrit))


def nadler_plasma_volume_ml(
    female: NDArray[np.bool_], height_cm: F64, weight_kg: F64, hematocrit: F64 | float
) -> F64:
    """Nadler plasma volume in mL, vectorised over patients (NADLER_1962).

    >>> pv = nadler_plasma_volume_ml(np.array([False, True]), np.array([175.0, 165.0]),
    ...                              np.array([70.0, 60.0]), np.array([0.0, 0.0]))
    >>> [round(float(v), 1) for v in pv]
    [4823.8, 3767.7]
    """
    h3 = (height_cm / 100.0) ** 3
    fa, fb, fc = _NADLER_FEMALE
    ma, mb, mc = _NADLER_MALE
    tbv_l = np.where(female, fa * h3 + fb * weight_kg + fc, ma * h3 + mb * weight_kg + mc)
    return np.asarray(tbv_l * 1000.0 * (1.0 - np.asarray(hematocrit)))


def _kinetics(
    population: Population, rng: np.random.Generator, n: int
) -> dict[str, dict[str, F64]]:
    out: dict[str, dict[str, F64]] = {}
    for key in ("igg", "fibrinogen"):
        s = SUBSTANCES[key]
        spread = population.kinetic_spread
        frac = np.clip(
            s.intravascular_fraction
            * np.exp(spread["intravascular_fraction"] * rng.standard_normal(n)),
            0.2,
            0.95,
        )
        t_e = s.elimination_half_life_h * np.exp(
            spread["elimination_half_life_h"] * rng.standard_normal(n)
        )
        t_r = s.redistribution_half_time_h * np.exp(
            spread["redistribution_half_time_h"] * rng.standard_normal(n)
        )
        # the terminal phase must stay the slower one (t_e f > t_r): at most half of it
        t_r = np.minimum(t_r, 0.5 * t_e * frac)
        out[key] = {
            "intravascular_fraction": frac,
            "redistribution_half_time_h": t_r,
            "elimination_half_life_h": t_e,
        }
    return out


def draw_patients(population: Population, rng: np.random.Generator, n: int) -> Draw:
    """``n`` virtual patients from ``population`` (``rng`` is advanced: same generator state,
    same patients).

    >>> d = draw_patients(LITERATURE, np.random.default_rng(1), 4)
    >>> d.height_cm.shape, bool((d.plasma_volume_ml > 1000).all())
    ((4,), True)
    """
    female = rng.random(n) < population.female_share
    sexed = {}
    for name in ("height_cm", "weight_kg", "hematocrit"):
        dist = getattr(population, name)
        sexed[name] = np.where(female, dist["female"].sample(rng, n), dist["male"].sample(rng, n))
    igg = population.igg_g_l.sample(rng, n)
    fib = population.fibrinogen_g_l.sample(rng, n)
    kinetics = _kinetics(population, rng, n)
    if population.empirical is not None:
        rows = rng.integers(0, population.empirical_patients, n)
        emp = {k: np.asarray(v, dtype=np.float64)[rows] for k, v in population.empirical.items()}
        known_sex = ~np.isnan(emp["female"])
        female = np.where(known_sex, emp["female"] == 1.0, female)
        values = {"igg_g_l": igg, "fibrinogen_g_l": fib, **sexed}
        for name, drawn in values.items():
            if name in sexed:  # redraw by the centre's patient's sex where it was known
                dist = getattr(population, name)
                drawn = np.where(female, dist["female"].sample(rng, n), dist["male"].sample(rng, n))
            values[name] = np.where(np.isnan(emp[name]), drawn, emp[name])
        sexed = {k: values[k] for k in sexed}
        igg, fib = values["igg_g_l"], values["fibrinogen_g_l"]
    return Draw(
        female=np.asarray(female, dtype=bool),
        height_cm=sexed["height_cm"],
        weight_kg=sexed["weight_kg"],
        hematocrit=sexed["hematocrit"],
        igg_g_l=igg,
        fibrinogen_g_l=fib,
        kinetics=kinetics,
    )
