"""The prescription of one exchange: volume, replacement, calcium, anticoagulant, time, balance.

Every derived number carries its formula and source keys in :attr:`Prescription.derivations`.

- Exchange volume = plasma volume x plasma volumes per exchange (1.0-1.5 for MS,
  ASFA_MS_FACT_SHEET; 0.5-2.0 accepted with a warning, LOCAL_POLICY).
- Replacement (isovolaemic, equal to the exchange volume): 5% albumin (50 g/L, TM_CALCULATOR),
  dispensed in whole vials of the centre's sizes (the combination covering the albumin volume
  with the least waste, then the fewest vials); optionally a saline share up to the centre's
  limit (LOCAL_POLICY) and plasma only with a stated reason (low fibrinogen: WODAJO_2024).
- Calcium gluconate 10%: 10 mL per litre of replacement fluid (WEINSTEIN_1996).
- Whole blood processed = exchange volume / ((1 - Hct) x plasma removal efficiency 0.87), i.e.
  about 1.15 blood volumes per plasma volume (SPECTRA_OPTIA).
- ACD-A at an inlet:AC ratio R (inlet = whole blood + AC; 10:1, warning above 15:1,
  SPECTRA_OPTIA): AC volume = inlet volume / R; its citrate from the label (ACD_A_LABEL).
  Citrate mixes into the plasma phase, so the removal efficiency's share of it leaves with the
  discarded plasma; the rest reaches the patient (as measured in donor plasmapheresis,
  CITRATE_DONOR_2016). That returned citrate per kg per minute is compared with the centre's
  limit (OLSON_1977); the circuit rate (all ACD-A) is reported too.
- ACD-A infusion rate = ACD-A pump flow (inlet flow / R) per litre of total blood volume,
  against the centre's maximum (device range 0.8-1.2 mL/min/L, SPECTRA_OPTIA); the inlet flow
  limit that follows scales with the patient: max rate x TBV (L) x R.
- Extracorporeal volume share = circuit volume / TBV, warning above 15%
  (EXTRACORPOREAL_15_PERCENT): it matters for small patients and children.
- A centre cap on the exchange volume of one session (LOCAL_POLICY) lowers the volume, with a
  warning naming the plasma volumes actually exchanged.
- Duration = inlet volume / inlet flow; chair time adds the centre's setup minutes.
- Fluid balance: in = replacement + ACD-A + calcium; out = plasma removed + the ACD-A in it.

>>> from plexms.core.policy import PrescriptionPolicy
>>> from plexms.core.volumes import estimate_volumes
>>> est = estimate_volumes("male", height_cm=175, weight_kg=70, hematocrit=0.40)
>>> rx = prescribe(est, PrescriptionPolicy())
>>> round(rx.exchange_volume_ml), rx.replacement.albumin_5pct_ml, rx.calcium_gluconate_10pct_ml
(2894, 3000.0, 28.9)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

from plexms.core.errors import InputError
from plexms.core.patient_size import size_warnings
from plexms.core.policy import PrescriptionPolicy
from plexms.core.volumes import VolumeEstimate

__all__ = [
    "ACD_A_CITRATE_MG_PER_ML",
    "ACD_A_CITRATE_MMOL_PER_L",
    "Anticoagulant",
    "Derivation",
    "FluidBalance",
    "Prescription",
    "Replacement",
    "Targets",
    "VialCount",
    "prescribe",
    "round_to_vials",
]

# Plasma volumes per exchange: MS protocol range (ASFA_MS_FACT_SHEET, SEED_PROTOCOL) and the
# wider range accepted with a warning (LOCAL_POLICY, as set in the programme's issue).
PROTOCOL_PV_RANGE = (1.0, 1.5)
ACCEPTED_PV_RANGE = (0.5, 2.0)
# Accepted inlet flow and inlet:AC ratio (LOCAL_POLICY plausibility limits).
INLET_FLOW_RANGE_ML_MIN = (10.0, 150.0)
INLET_TO_AC_RANGE = (6.0, 25.0)
# Fibrinogen input: g/L (a value of 20 or more looks like mg/dL).
FIBRINOGEN_RANGE_G_L = (0.0, 15.0)

# ACD_A_LABEL: per litre 22.0 g sodium citrate dihydrate (294.10 g/mol) and 7.3 g citric acid
# anhydrous (192.12 g/mol); citrate counted as the citrate anion (189.10 g/mol), as in the
# donor citrate-infusion-rate literature (CITRATE_DONOR_2016).
ACD_A_CITRATE_MMOL_PER_L = 22.0 / 294.10 * 1000 + 7.3 / 192.12 * 1000
ACD_A_CITRATE_MG_PER_ML = ACD_A_CITRATE_MMOL_PER_L * 189.10 / 1000


@dataclass(frozen=True)
class Derivation:
    """How one number was obtained."""

    quantity: str
    formula: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class VialCount:
    """``count`` vials of ``size_ml``."""

    size_ml: int
    count: int


@dataclass(frozen=True)
class Replacement:
    """Replacement fluid of one exchange (``*_needed_*`` = infused; ``albumin_5pct_ml`` =
    dispensed in whole vials)."""

    total_ml: float
    albumin_needed_ml: float
    albumin_needed_g: float
    albumin_5pct_ml: float
    albumin_g: float
    albumin_vials: tuple[VialCount, ...]
    albumin_waste_ml: float
    saline_share: float
    saline_ml: float
    plasma_share: float
    plasma_ml: float
    plasma_reason: str | None
    rounding: str


@dataclass(frozen=True)
class Anticoagulant:
    """ACD-A of one exchange and the citrate it brings."""

    solution: str
    inlet_to_ac_ratio: float
    volume_ml: float
    flow_ml_min: float
    citrate_mmol: float
    citrate_mg: float
    citrate_returned_mg: float
    citrate_infusion_rate_mg_kg_min: float
    circuit_citrate_rate_mg_kg_min: float
    citrate_limit_mg_kg_min: float
    above_limit: bool
    # ACD-A pump flow per litre of total blood volume and the inlet flow it allows.
    rate_ml_min_per_l: float = 0.0
    rate_limit_ml_min_per_l: float = 0.0
    inlet_flow_limit_ml_min: float = 0.0


@dataclass(frozen=True)
class FluidBalance:
    """Volume given to and taken from the patient in one exchange (mL; net > 0 = gain)."""

    replacement_in_ml: float
    anticoagulant_in_ml: float
    calcium_in_ml: float
    removed_out_ml: float
    in_ml: float
    out_ml: float
    net_ml: float


@dataclass(frozen=True)
class Targets:
    """What the session sheet shows beside the recorded values (issue 14 item 5, issue 16)."""

    exchange_volume_ml: float
    albumin_5pct_ml: float
    plasma_ml: float
    calcium_gluconate_10pct_ml: float
    acd_a_ml: float
    acd_a_rate_ml_min_per_l: float
    acd_a_rate_limit_ml_min_per_l: float
    citrate_mg_kg_min: float
    citrate_limit_mg_kg_min: float
    inlet_flow_ml_min: float
    inlet_flow_limit_ml_min: float
    inlet_to_ac_ratio: float
    extracorporeal_share: float
    run_minutes: int
    weight_kg: float


@dataclass(frozen=True)
class Prescription:
    """Everything prescribed for one exchange, with warnings and derivations."""

    plasma_volume_ml: float
    plasma_volumes_per_exchange: float
    exchange_volume_ml: float
    replacement: Replacement
    calcium_gluconate_10pct_ml: float
    anticoagulant: Anticoagulant
    whole_blood_processed_ml: float
    inlet_volume_ml: float
    blood_volumes_processed: float
    inlet_flow_ml_min: float
    run_minutes: int
    session_minutes: int
    fluid_balance: FluidBalance
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    derivations: tuple[Derivation, ...]
    sources: tuple[str, ...]
    extracorporeal_volume_ml: float = 0.0
    extracorporeal_share: float = 0.0
    targets: Targets | None = None
    # Rule ids (docs/rules.md, "Prescription") of the size and citrate findings, in order.
    rules: tuple[str, ...] = ()


def round_to_vials(volume_ml: float, sizes_ml: tuple[int, ...]) -> tuple[VialCount, ...]:
    """Whole vials covering ``volume_ml`` with the least waste, then the fewest vials.

    >>> round_to_vials(2894.3, (250, 500))
    (VialCount(size_ml=500, count=6),)
    >>> round_to_vials(2100, (250, 500))
    (VialCount(size_ml=250, count=1), VialCount(size_ml=500, count=4))
    """
    if not sizes_ml or any(size <= 0 for size in sizes_ml):
        raise InputError(
            "albumin_vial_sizes_ml", "needs at least one positive vial size", allowed="> 0 mL"
        )
    sizes = sorted(set(sizes_ml))
    if volume_ml <= 0:
        return ()
    unit = reduce(math.gcd, sizes)
    target = math.ceil(volume_ml / unit - 1e-9)
    limit = target + sizes[-1] // unit
    # fewest[u] = fewest vials holding exactly u units; last[u] = size of one vial in it.
    fewest = [0] + [limit + 1] * limit
    last = [0] * (limit + 1)
    for total in range(1, limit + 1):
        for size in sizes:
            step = size // unit
            if step <= total and fewest[total - step] + 1 < fewest[total]:
                fewest[total] = fewest[total - step] + 1
                last[total] = size
    total = next(u for u in range(target, limit + 1) if fewest[u] <= limit)
    counts: dict[int, int] = {}
    while total:
        counts[last[total]] = counts.get(last[total], 0) + 1
        total -= last[total] // unit
    return tuple(VialCount(size, counts[size]) for size in sorted(counts))


def _check_range(field: str, value: float, bounds: tuple[float, float], note: str = "") -> None:
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(
            field, f"{value:g} is outside the accepted range{note}", allowed=f"{low:g}-{high:g}"
        )


def _replacement(
    exchange_ml: float,
    policy: PrescriptionPolicy,
    saline_share: float,
    plasma_share: float,
    plasma_reason: str | None,
    fibrinogen_g_l: float | None,
    warnings: list[str],
    notes: list[str],
) -> Replacement:
    _check_range("saline_share", saline_share, (0.0, policy.saline_share_max), " (LOCAL_POLICY)")
    _check_range("plasma_share", plasma_share, (0.0, 1.0))
    if saline_share + plasma_share > 1.0:
        raise InputError(
            "plasma_share",
            "saline and plasma shares together exceed the whole replacement",
            allowed=f"0-{1.0 - saline_share:g} with saline_share {saline_share:g}",
        )
    reason = (plasma_reason or "").strip() or None
    threshold = policy.fibrinogen_plasma_threshold_g_l
    if fibrinogen_g_l is not None:
        if math.isfinite(fibrinogen_g_l) and 20 <= fibrinogen_g_l <= 1000:
            raise InputError(
                "fibrinogen_g_l",
                f"{fibrinogen_g_l:g} looks like mg/dL: give g/L (e.g. {fibrinogen_g_l / 100:g})",
                allowed="0-15 g/L",
            )
        _check_range("fibrinogen_g_l", fibrinogen_g_l, FIBRINOGEN_RANGE_G_L)
    if plasma_share > 0 and reason is None:
        raise InputError(
            "plasma_reason", "plasma replacement needs a stated reason (e.g. low_fibrinogen)"
        )
    if reason is not None and plasma_share == 0:
        raise InputError(
            "plasma_share", "a plasma reason was given but no plasma share", allowed="> 0-1"
        )
    if reason == "low_fibrinogen":
        if fibrinogen_g_l is None or fibrinogen_g_l >= threshold:
            raise InputError(
                "fibrinogen_g_l",
                f"low_fibrinogen needs a fibrinogen below {threshold:g} g/L (WODAJO_2024)",
                allowed=f"< {threshold:g} g/L",
            )
    if reason is not None:
        notes.append(f"Plasma for {plasma_share:.0%} of replacement: {reason}.")
        warnings.append(
            "Plasma replacement: citrate in the plasma units is not included in the citrate "
            "infusion rate."
        )
    elif fibrinogen_g_l is not None and fibrinogen_g_l < threshold:
        warnings.append(
            f"Fibrinogen {fibrinogen_g_l:g} g/L is below {threshold:g} g/L: consider plasma for "
            "part of the replacement (WODAJO_2024)."
        )
    saline_ml = exchange_ml * saline_share
    plasma_ml = exchange_ml * plasma_share
    albumin_ml = max(0.0, exchange_ml - saline_ml - plasma_ml)
    vials = round_to_vials(albumin_ml, policy.albumin_vial_sizes_ml)
    dispensed_ml = float(sum(v.size_ml * v.count for v in vials))
    g_per_ml = policy.albumin_g_per_l / 1000.0
    return Replacement(
        total_ml=exchange_ml,
        albumin_needed_ml=albumin_ml,
        albumin_needed_g=albumin_ml * g_per_ml,
        albumin_5pct_ml=dispensed_ml,
        albumin_g=dispensed_ml * g_per_ml,
        albumin_vials=vials,
        albumin_waste_ml=dispensed_ml - albumin_ml,
        saline_share=saline_share,
        saline_ml=saline_ml,
        plasma_share=plasma_share,
        plasma_ml=plasma_ml,
        plasma_reason=reason,
        rounding=(
            "up to whole vials of "
            + ", ".join(f"{s} mL" for s in sorted(set(policy.albumin_vial_sizes_ml)))
            + " covering the albumin volume with the least waste, then the fewest vials"
        ),
    )


def prescribe(
    volumes: VolumeEstimate,
    policy: PrescriptionPolicy,
    *,
    plasma_volumes_per_exchange: float = 1.0,
    inlet_flow_ml_min: float | None = None,
    inlet_to_ac_ratio: float | None = None,
    saline_share: float = 0.0,
    plasma_share: float = 0.0,
    plasma_reason: str | None = None,
    fibrinogen_g_l: float | None = None,
) -> Prescription:
    """Prescribe one exchange for a patient with ``volumes`` under the centre's ``policy``.

    Sources: see the module docstring; each number's are in ``derivations``.

    >>> from plexms.core.policy import PrescriptionPolicy
    >>> from plexms.core.volumes import estimate_volumes
    >>> est = estimate_volumes("female", height_cm=165, weight_kg=60, hematocrit=0.40)
    >>> rx = prescribe(est, PrescriptionPolicy(), plasma_volumes_per_exchange=1.5)
    >>> round(rx.exchange_volume_ml), rx.run_minutes, round(rx.inlet_flow_ml_min, 1)
    (3391, 160, 45.2)
    """
    warnings: list[str] = []
    notes: list[str] = []
    rules: list[str] = []
    pv_per = plasma_volumes_per_exchange
    _check_range("plasma_volumes_per_exchange", pv_per, ACCEPTED_PV_RANGE, " (MS protocol 1.0-1.5)")
    if not PROTOCOL_PV_RANGE[0] <= pv_per <= PROTOCOL_PV_RANGE[1]:
        warnings.append(
            f"{pv_per:g} plasma volumes per exchange is outside the MS protocol range "
            "1.0-1.5 (ASFA_MS_FACT_SHEET): accepted, check the prescription."
        )
    flow = policy.inlet_flow_ml_min if inlet_flow_ml_min is None else inlet_flow_ml_min
    _check_range("inlet_flow_ml_min", flow, INLET_FLOW_RANGE_ML_MIN, " (mL/min)")
    ratio = policy.inlet_to_ac_ratio if inlet_to_ac_ratio is None else inlet_to_ac_ratio
    _check_range("inlet_to_ac_ratio", ratio, INLET_TO_AC_RANGE)
    tbv_l = volumes.total_blood_volume_ml / 1000.0
    acd_max = policy.acd_a_rate_max_ml_min_per_l
    flow_limit = acd_max * tbv_l * ratio
    if inlet_flow_ml_min is None and flow > flow_limit:
        # The centre's default flow, lowered to what this patient's size allows (as the
        # device does): the limit scales with the blood volume.
        notes.append(
            f"Inlet flow {flow_limit:.1f} mL/min, lowered from the centre's {flow:g} mL/min: "
            f"ACD-A at most {acd_max:g} mL/min per litre of blood volume (SPECTRA_OPTIA) for "
            f"{tbv_l:.2f} L at {ratio:g}:1."
        )
        flow = max(INLET_FLOW_RANGE_ML_MIN[0], flow_limit)
        rules.append("RX-INLET-SCALED")
    if ratio > policy.inlet_to_ac_ratio_warning_above:
        warnings.append(
            f"Inlet:AC ratio {ratio:g}:1 is above {policy.inlet_to_ac_ratio_warning_above:g}:1 "
            "(SPECTRA_OPTIA): less anticoagulant, more risk of clotting in the circuit."
        )
    efficiency = policy.plasma_removal_efficiency
    _check_range("plasma_removal_efficiency", efficiency, (0.5, 1.0))

    hct = volumes.hematocrit
    weight = volumes.weight_kg
    sized = size_warnings(volumes, policy)
    warnings += sized
    rules += ["RX-PAEDIATRIC" if "Paediatric" in w else "RX-BMI" for w in sized]
    exchange_ml = volumes.plasma_volume_ml * pv_per
    cap = policy.max_exchange_volume_ml
    if cap is not None and exchange_ml > cap:
        warnings.append(
            f"Exchange volume {exchange_ml:.0f} mL is above the centre's cap of {cap:g} mL per "
            f"session (local policy): {cap:g} mL prescribed, "
            f"{cap / volumes.plasma_volume_ml:.2f} plasma volumes."
        )
        exchange_ml = float(cap)
        rules.append("RX-CAP")
    replacement = _replacement(
        exchange_ml,
        policy,
        saline_share,
        plasma_share,
        plasma_reason,
        fibrinogen_g_l,
        warnings,
        notes,
    )
    calcium_ml = round(policy.calcium_gluconate_ml_per_l_return * replacement.total_ml / 1000, 1)

    blood_ml = exchange_ml / ((1.0 - hct) * efficiency)
    inlet_ml = blood_ml * ratio / (ratio - 1.0)
    ac_ml = inlet_ml / ratio
    run_minutes = math.ceil(inlet_ml / flow - 1e-9)
    citrate_mmol = ac_ml * ACD_A_CITRATE_MMOL_PER_L / 1000.0
    citrate_mg = ac_ml * ACD_A_CITRATE_MG_PER_ML
    returned_mg = citrate_mg * (1.0 - efficiency)
    exact_minutes = inlet_ml / flow
    rate = returned_mg / weight / exact_minutes
    limit = policy.citrate_limit_mg_kg_min
    if rate > limit:
        rules.append("RX-CITRATE")
        warnings.append(
            f"Citrate infusion rate {rate:.2f} mg/kg/min is above the centre's limit "
            f"{limit:g} mg/kg/min (OLSON_1977): lower the inlet flow or raise the inlet:AC ratio."
        )
    acd_rate = flow / ratio / tbv_l
    if acd_rate > acd_max + 1e-9:
        rules.append("RX-ACD-RATE")
        warnings.append(
            f"ACD-A infusion rate {acd_rate:.2f} mL/min per litre of blood volume is above the "
            f"centre's {acd_max:g} (SPECTRA_OPTIA, device range 0.8-1.2): for this patient's "
            f"{tbv_l:.2f} L the inlet flow is at most {flow_limit:.0f} mL/min at {ratio:g}:1."
        )
    ecv_ml = policy.extracorporeal_volume_ml
    ecv_share = ecv_ml / volumes.total_blood_volume_ml
    if ecv_share > policy.extracorporeal_share_warning_above:
        rules.append("RX-ECV")
        warnings.append(
            f"Extracorporeal volume {ecv_ml:g} mL is {ecv_share:.0%} of the blood volume, above "
            f"{policy.extracorporeal_share_warning_above:.0%} (EXTRACORPOREAL_15_PERCENT): prime "
            "the circuit (albumin or red cells) and watch for hypotension."
        )
    anticoagulant = Anticoagulant(
        solution="ACD-A",
        inlet_to_ac_ratio=ratio,
        volume_ml=ac_ml,
        flow_ml_min=flow / ratio,
        citrate_mmol=citrate_mmol,
        citrate_mg=citrate_mg,
        citrate_returned_mg=returned_mg,
        citrate_infusion_rate_mg_kg_min=rate,
        circuit_citrate_rate_mg_kg_min=citrate_mg / weight / exact_minutes,
        citrate_limit_mg_kg_min=limit,
        above_limit=rate > limit,
        rate_ml_min_per_l=acd_rate,
        rate_limit_ml_min_per_l=acd_max,
        inlet_flow_limit_ml_min=flow_limit,
    )
    removed_ml = exchange_ml + ac_ml * efficiency
    given_ml = replacement.total_ml + ac_ml + calcium_ml
    balance = FluidBalance(
        replacement_in_ml=replacement.total_ml,
        anticoagulant_in_ml=ac_ml,
        calcium_in_ml=calcium_ml,
        removed_out_ml=removed_ml,
        in_ml=given_ml,
        out_ml=removed_ml,
        net_ml=given_ml - removed_ml,
    )
    derivations = (
        *(
            Derivation(name, volumes.formula, volumes.sources)
            for name in ("total_blood_volume_ml", "plasma_volume_ml")
        ),
        Derivation(
            "exchange_volume_ml",
            "plasma volume x plasma volumes per exchange",
            ("ASFA_MS_FACT_SHEET", "SEED_PROTOCOL"),
        ),
        Derivation(
            "replacement",
            "replacement = exchange volume; albumin = replacement x (1 - saline - plasma "
            "shares); grams = mL x 50 g/L; " + replacement.rounding,
            ("TM_CALCULATOR", "LOCAL_POLICY"),
        ),
        Derivation(
            "calcium_gluconate_10pct_ml",
            f"{policy.calcium_gluconate_ml_per_l_return:g} mL per litre of replacement fluid",
            ("WEINSTEIN_1996",),
        ),
        Derivation(
            "whole_blood_processed_ml",
            f"exchange volume / ((1 - Hct) x plasma removal efficiency {efficiency:g})",
            ("SPECTRA_OPTIA",),
        ),
        Derivation(
            "anticoagulant",
            "inlet = whole blood x R / (R - 1); ACD-A = inlet / R; citrate "
            f"{ACD_A_CITRATE_MMOL_PER_L:.1f} mmol/L = {ACD_A_CITRATE_MG_PER_ML:.2f} mg/mL; "
            f"returned = citrate x (1 - {efficiency:g}); rate = returned / kg / run minutes",
            ("SPECTRA_OPTIA", "ACD_A_LABEL", "CITRATE_DONOR_2016", "OLSON_1977"),
        ),
        Derivation(
            "acd_a_rate_ml_min_per_l",
            "ACD-A flow (inlet flow / R) / total blood volume (L); inlet flow limit = "
            f"{acd_max:g} x TBV (L) x R; extracorporeal share = {ecv_ml:g} mL / TBV",
            ("SPECTRA_OPTIA", "EXTRACORPOREAL_15_PERCENT"),
        ),
        Derivation(
            "run_minutes",
            "inlet volume / inlet flow (rounded up); session = run + setup minutes",
            ("LOCAL_POLICY",),
        ),
        Derivation(
            "fluid_balance",
            "in = replacement + ACD-A + calcium; out = plasma removed + ACD-A removed with it",
            ("SPECTRA_OPTIA", "WEINSTEIN_1996"),
        ),
    )
    sources = tuple(dict.fromkeys(key for d in derivations for key in d.sources))
    for key in ("WODAJO_2024", "LEMMENS_2006", "DEVINE_1974", "PAEDIATRIC_BLOOD_VOLUME"):
        if key not in sources and (
            any(key in w for w in warnings)
            or (key == "WODAJO_2024" and replacement.plasma_reason == "low_fibrinogen")
        ):
            sources += (key,)
    # LOCAL_POLICY (the cap's label) is already among the sources (run_minutes derivation).
    targets = Targets(
        exchange_volume_ml=exchange_ml,
        albumin_5pct_ml=replacement.albumin_5pct_ml,
        plasma_ml=replacement.plasma_ml,
        calcium_gluconate_10pct_ml=calcium_ml,
        acd_a_ml=ac_ml,
        acd_a_rate_ml_min_per_l=acd_rate,
        acd_a_rate_limit_ml_min_per_l=acd_max,
        citrate_mg_kg_min=rate,
        citrate_limit_mg_kg_min=limit,
        inlet_flow_ml_min=flow,
        inlet_flow_limit_ml_min=flow_limit,
        inlet_to_ac_ratio=ratio,
        extracorporeal_share=ecv_share,
        run_minutes=run_minutes,
        weight_kg=weight,
    )
    return Prescription(
        plasma_volume_ml=volumes.plasma_volume_ml,
        plasma_volumes_per_exchange=pv_per,
        exchange_volume_ml=exchange_ml,
        replacement=replacement,
        calcium_gluconate_10pct_ml=calcium_ml,
        anticoagulant=anticoagulant,
        whole_blood_processed_ml=blood_ml,
        inlet_volume_ml=inlet_ml,
        blood_volumes_processed=blood_ml / volumes.total_blood_volume_ml,
        inlet_flow_ml_min=flow,
        run_minutes=run_minutes,
        session_minutes=run_minutes + policy.setup_minutes,
        fluid_balance=balance,
        warnings=tuple(warnings),
        notes=tuple(notes),
        derivations=derivations,
        sources=sources,
        extracorporeal_volume_ml=ecv_ml,
        extracorporeal_share=ecv_share,
        targets=targets,
        rules=tuple(rules),
    )
