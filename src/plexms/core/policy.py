"""Centre settings used by the calculations and the decision rules, each with its source.

A centre's settings are data: stored per centre (as the dict from :func:`policy_to_dict`) and
passed into core functions as arguments. Every setting names the source of its default in its
field metadata (``source`` key, see :mod:`plexms.core.sources`); ``LOCAL_POLICY`` marks a
setting for which the literature gives no number, shown as "local policy" wherever it is used.

>>> policy = CentrePolicy()
>>> policy.prescription.calcium_gluconate_ml_per_l_return
10.0
>>> setting_source(PrescriptionPolicy, "calcium_gluconate_ml_per_l_return")
'WEINSTEIN_1996'
>>> policy_from_dict(policy_to_dict(policy)) == policy
True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from plexms.core.errors import InputError
from plexms.core.sources import LOCAL_POLICY, SOURCES

__all__ = [
    "DEFAULT_TIME_ZONE",
    "BenchmarkPolicy",
    "CentrePolicy",
    "ClinicHours",
    "EligibilityPolicy",
    "MeasurePolicy",
    "PrecheckPolicy",
    "PrescriptionPolicy",
    "ResourcePolicy",
    "ResponsePolicy",
    "SchedulePolicy",
    "SuppliesPolicy",
    "policy_from_dict",
    "policy_to_dict",
    "setting",
    "setting_source",
]


def setting(default: Any, source: str, note: str = "") -> Any:
    """A dataclass field whose default comes from ``source`` (a key of ``SOURCES``)."""
    if source not in SOURCES:  # pragma: no cover - caught at import time by any test
        raise KeyError(source)
    return field(default=default, metadata={"source": source, "note": note})


def setting_source(cls: type, name: str) -> str:
    """The source key of setting ``name`` of policy class ``cls``."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return str(f.metadata.get("source", LOCAL_POLICY))
    raise KeyError(name)


#: The time zone of a centre that has not set one (the seed protocol's clinic, La Jolla, CA).
#: Defined once: the centre settings, the pages and the demo take it from here.
DEFAULT_TIME_ZONE = "America/Los_Angeles"

_SEED_HOURS: tuple[tuple[str, str] | None, ...] = (
    ("09:00", "17:00"),  # Monday
    ("09:00", "17:00"),
    ("09:00", "17:00"),
    ("09:00", "17:00"),  # Thursday
    ("09:00", "16:00"),  # Friday
    None,  # Saturday: closed
    None,  # Sunday: closed
)


@dataclass(frozen=True)
class ClinicHours:
    """Opening hours per weekday (Monday first; ``None`` = closed) and closed dates.

    Times are local wall-clock ``"HH:MM"`` strings in the centre's time zone.
    ``closed_dates`` holds public holidays and any other closure, resolved by the service
    layer from the centre's holiday calendar (core has no calendar of its own).
    """

    weekly: tuple[tuple[str, str] | None, ...] = setting(_SEED_HOURS, "SEED_PROTOCOL")
    closed_dates: frozenset[dt.date] = setting(frozenset(), LOCAL_POLICY)
    time_zone: str = setting(DEFAULT_TIME_ZONE, "SEED_PROTOCOL")
    holiday_country: str = setting("US", "SEED_CLINIC", "holiday calendar (ISO 3166 country)")
    holiday_subdivision: str | None = setting("CA", "SEED_CLINIC", "state: La Jolla, CA")

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise InputError("opening_hours", "needs one entry per weekday", allowed="7 entries")
        for day, hours in enumerate(self.weekly):
            if hours is None:
                continue
            opens, closes = (_parse_hhmm(f"opening_hours[{day}]", t) for t in hours)
            if closes <= opens:
                raise InputError(f"opening_hours[{day}]", "closing time must be after opening time")

    def hours_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """Opening and closing time on ``day``, or ``None`` when the clinic is closed."""
        if day in self.closed_dates:
            return None
        hours = self.weekly[day.weekday()]
        if hours is None:
            return None
        return _parse_hhmm("opening_hours", hours[0]), _parse_hhmm("opening_hours", hours[1])


def _parse_hhmm(field_name: str, text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(field_name, f"{text!r} is not a time", allowed="HH:MM") from None


@dataclass(frozen=True)
class PrescriptionPolicy:
    """How the centre prescribes an exchange."""

    albumin_vial_sizes_ml: tuple[int, ...] = setting(
        (250, 500), LOCAL_POLICY, "5% albumin bottle sizes stocked"
    )
    albumin_g_per_l: float = setting(50.0, "TM_CALCULATOR", "5% albumin = 50 g/L")
    calcium_gluconate_ml_per_l_return: float = setting(10.0, "WEINSTEIN_1996")
    inlet_to_ac_ratio: float = setting(10.0, "SPECTRA_OPTIA")
    inlet_to_ac_ratio_warning_above: float = setting(15.0, "SPECTRA_OPTIA")
    citrate_limit_mg_kg_min: float = setting(1.08, "OLSON_1977")
    inlet_flow_ml_min: float = setting(60.0, LOCAL_POLICY, "default inlet flow")
    setup_minutes: int = setting(30, LOCAL_POLICY, "chair time before and after the run")
    fibrinogen_plasma_threshold_g_l: float = setting(
        1.0, "WODAJO_2024", "below this, plasma in the replacement (prescription and precheck)"
    )
    plasma_removal_efficiency: float = setting(0.87, "SPECTRA_OPTIA")
    saline_share_max: float = setting(
        0.25, LOCAL_POLICY, "largest share of replacement given as 0.9% saline"
    )
    cosign_required: bool = setting(
        False,
        LOCAL_POLICY,
        "a second physician or pharmacist co-signs each prescription before the course starts",
    )
    # Citrate and the circuit (issue 14 item 5).
    acd_a_rate_max_ml_min_per_l: float = setting(
        1.2,
        "SPECTRA_OPTIA",
        "ACD-A infusion rate, mL/min per litre of total blood volume; device range 0.8-1.2",
    )
    extracorporeal_volume_ml: float = setting(
        185.0, "SPECTRA_OPTIA", "circuit volume of the TPE set: ~141 mL typical, at most ~185 mL"
    )
    extracorporeal_share_warning_above: float = setting(
        0.15, "EXTRACORPOREAL_15_PERCENT", "share of total blood volume in the circuit"
    )
    # Volumes for large and small patients (issue 14 item 9).
    max_exchange_volume_ml: float | None = setting(
        None, LOCAL_POLICY, "cap on the exchange volume of one session; None: no cap"
    )
    obesity_bmi_warning: float = setting(
        30.0, "LEMMENS_2006", "BMI >= this: the adult formulas over-estimate blood volume"
    )
    treats_children: bool = setting(True, LOCAL_POLICY, "False: refuse plans for patients < 18")
    paediatric_age_below: int = setting(18, LOCAL_POLICY, "younger: weight-based volumes")
    paediatric_blood_ml_per_kg: float = setting(70.0, "PAEDIATRIC_BLOOD_VOLUME")
    infant_blood_ml_per_kg: float = setting(80.0, "PAEDIATRIC_BLOOD_VOLUME", "under one year")
    # Predicted levels before each exchange (issue 14 item 6).
    igg_warning_below_g_l: float = setting(
        2.0, LOCAL_POLICY, "predicted IgG below this before an exchange: warn"
    )
    # Costs of a protocol (issue 18 item 2): no published price; the centre's own.
    albumin_price_per_g: float = setting(
        2.0, LOCAL_POLICY, "price of 1 g of albumin dispensed (whole vials), in `currency`"
    )
    currency: str = setting("USD", LOCAL_POLICY, "currency of albumin_price_per_g")


@dataclass(frozen=True)
class SchedulePolicy:
    """How a course is laid out in time."""

    interval_days: int = setting(2, "ASFA_MS_FACT_SHEET", "every other day")
    min_course_days: int = setting(10, "SEED_PROTOCOL")
    max_course_days: int = setting(14, "SEED_PROTOCOL")
    default_start: str = setting("09:00", LOCAL_POLICY, "first appointment of the day")
    default_exchanges: int = setting(5, "SEED_PROTOCOL", "exchanges per course")


@dataclass(frozen=True)
class ResourcePolicy:
    """How exchanges are booked against the unit's places, machines and nurses (issue 17).

    None of these numbers comes from the literature: each is the unit's own rule.
    """

    patients_per_nurse: int = setting(
        2, LOCAL_POLICY, "patients one nurse runs at once (nurse-to-patient ratio 1:N)"
    )
    setup_minutes: int = setting(
        15,
        LOCAL_POLICY,
        "place and machine held before the appointment (priming the set, preparing the place)",
    )
    turnover_minutes: int = setting(
        15, LOCAL_POLICY, "place and machine held after the appointment (cleaning, new set)"
    )
    urgent_reserve_places: int = setting(
        0,
        LOCAL_POLICY,
        "places kept free of routine bookings at every moment, for urgent ones (0: none)",
    )
    slot_minutes: int = setting(15, LOCAL_POLICY, "start times are on this grid from opening")


@dataclass(frozen=True)
class PrecheckPolicy:
    """Thresholds of the pre-session go/no-go check (see :mod:`plexms.core.precheck`)."""

    # The fibrinogen threshold is PrescriptionPolicy.fibrinogen_plasma_threshold_g_l (one
    # setting for the prescription and the pre-session check, so the two cannot drift apart).
    ace_inhibitor_hold_hours: float = setting(24.0, "OWEN_BRECHER_1994")
    # Bands: (hold below, caution below, caution above, hold above); None = no limit.
    systolic_bp_mmhg: tuple[float | None, ...] = setting((90.0, 100.0, 160.0, 180.0), LOCAL_POLICY)
    diastolic_bp_mmhg: tuple[float | None, ...] = setting((None, None, 100.0, 110.0), LOCAL_POLICY)
    heart_rate_bpm: tuple[float | None, ...] = setting((40.0, 50.0, 100.0, 120.0), LOCAL_POLICY)
    temperature_c: tuple[float | None, ...] = setting((35.0, None, 37.5, 38.0), LOCAL_POLICY)
    spo2_percent: tuple[float | None, ...] = setting((92.0, 95.0, None, None), LOCAL_POLICY)
    ionized_calcium_mmol_l: tuple[float | None, ...] = setting((0.9, 1.1, None, None), LOCAL_POLICY)
    total_calcium_mmol_l: tuple[float | None, ...] = setting((1.9, 2.1, None, None), LOCAL_POLICY)
    hemoglobin_g_dl: tuple[float | None, ...] = setting((7.0, 8.0, None, None), LOCAL_POLICY)
    platelets_10e9_l: tuple[float | None, ...] = setting((50.0, 100.0, None, None), LOCAL_POLICY)
    potassium_mmol_l: tuple[float | None, ...] = setting((3.0, 3.5, 5.5, 6.0), LOCAL_POLICY)
    min_hours_between_exchanges: float = setting(24.0, LOCAL_POLICY, "hold when sooner")
    usual_hours_between_exchanges: float = setting(
        48.0, "ASFA_MS_FACT_SHEET", "every other day; sooner: check fibrinogen"
    )
    interval_basis: str = setting(
        "calendar_days",
        LOCAL_POLICY,
        "'calendar_days': compare the days between sessions when known (Mon then Wed is "
        "every other day at any hour); 'hours': compare the hours since the last exchange",
    )
    min_days_between_exchanges: int = setting(1, LOCAL_POLICY, "hold when fewer calendar days")
    usual_days_between_exchanges: int = setting(
        2, "ASFA_MS_FACT_SHEET", "every other day; fewer calendar days: caution"
    )
    escalate_cautions: tuple[str, ...] = setting(
        ("PRE-PLT", "PRE-HB", "PRE-SBP", "PRE-INTERVAL"),
        LOCAL_POLICY,
        "cautions that add up: low platelets, low haemoglobin, low blood pressure, short interval",
    )
    escalate_cautions_count: int = setting(
        2, LOCAL_POLICY, "this many of escalate_cautions at once hold the session"
    )
    predicted_labs_allowed: bool = setting(
        False,
        LOCAL_POLICY,
        "True: a lab drawn before the last exchange is replaced by the model's prediction, "
        "labelled as such (fibrinogen); False: a new sample is needed",
    )
    required_labs: tuple[str, ...] = setting(
        ("fibrinogen_g_l", "calcium", "hemoglobin_g_dl", "platelets_10e9_l"),
        LOCAL_POLICY,
        "missing one holds the session; 'calcium' = ionised or total",
    )
    hold_symptoms: tuple[str, ...] = setting(
        ("fever", "chest_pain", "dyspnoea", "bleeding", "catheter_site_infection", "syncope"),
        LOCAL_POLICY,
        "any other reported symptom means proceed with caution",
    )


@dataclass(frozen=True)
class EligibilityPolicy:
    """Windows and thresholds of the eligibility rules (see :mod:`plexms.core.eligibility`)."""

    early_treatment_days: int = setting(14, "MARRODAN_2025")
    acute_window_days: int = setting(
        60,
        LOCAL_POLICY,
        "past this many days from onset at most 'consider' (ASFA's own window: unverified)",
    )
    max_days_from_onset: int | None = setting(
        90,
        LOCAL_POLICY,
        "past this many days from onset the attack is no longer acute: 'not_indicated' for "
        "this attack; None: no outer limit",
    )
    steroid_drugs: tuple[str, ...] = setting(("methylprednisolone",), LOCAL_POLICY)
    steroid_routes: tuple[str, ...] = setting(("iv",), LOCAL_POLICY, "add 'oral' to accept it")
    steroid_min_mg_per_day: float = setting(500.0, LOCAL_POLICY, "IVMP 500-1000 mg/day")
    steroid_min_days: int = setting(3, LOCAL_POLICY, "IVMP for 3-5 days")
    steroid_wait_days: int = setting(
        5, LOCAL_POLICY, "days after the last steroid dose before calling the response inadequate"
    )
    nmosd_requires_steroid_failure: bool = setting(
        False, "BONNAN_2018", "NMOSD/MOGAD: exchange alongside steroids, not after they fail"
    )
    disabling_edss_rise_from_zero: float = setting(
        1.5, "EDSS_WORSENING_TRIALS", "EDSS rise that is disabling from a pre-attack EDSS of 0"
    )
    disabling_edss_rise: float = setting(
        1.0, "EDSS_CHANGE_2007", "EDSS rise that is disabling from a pre-attack EDSS 1.0-5.5"
    )
    disabling_edss_rise_high: float = setting(
        0.5, "EDSS_CHANGE_2007", "EDSS rise that is disabling from a pre-attack EDSS >= 6.0"
    )
    disabling_motor_grade_max: int = setting(
        3, LOCAL_POLICY, "MRC grade at or below this (and below before) is a disabling deficit"
    )
    optic_neuritis_severe_logmar: float = setting(
        0.7, LOCAL_POLICY, "worse eye; decimal 0.2, Neurostatus visual FS 4"
    )
    optic_neuritis_residual_logmar: float = setting(0.2, LOCAL_POLICY, "worse eye")
    tumefactive_min_lesion_mm: float = setting(20.0, LOCAL_POLICY)
    poor_outcome_edss: float = setting(7.5, "MARRODAN_2025")
    relapse_min_hours: float = setting(
        24.0, "MCDONALD_2017", "symptoms at least this long, without fever or infection"
    )
    adult_min_age: int = setting(18, LOCAL_POLICY, "younger: paediatric precaution")
    absolute_contraindications: tuple[str, ...] = setting((), LOCAL_POLICY)
    temporary_contraindications: tuple[str, ...] = setting(
        ("hemodynamic_instability", "active_infection", "active_bleeding"), LOCAL_POLICY
    )
    relative_contraindications: tuple[str, ...] = setting(("albumin_allergy",), LOCAL_POLICY)
    pregnancy_ages: tuple[int, int] = setting(
        (12, 55), LOCAL_POLICY, "ages (inclusive) at which the pregnancy question is asked"
    )


@dataclass(frozen=True)
class ResponsePolicy:
    """The review of the response during a course (see :mod:`plexms.core.review`)."""

    review_after_exchange: int = setting(
        3, "SEED_ARTICLE", "improvement typically begins after the second or third exchange"
    )
    full_course_exchanges: int = setting(5, "SEED_PROTOCOL", "course length when improving")
    max_course_exchanges: int = setting(7, "SEED_PROTOCOL", "5-7 exchanges")
    continue_if_unchanged: bool = setting(
        True, LOCAL_POLICY, "no change at the review: finish the 5-exchange course, then stop"
    )
    acuity_gain_logmar: float = setting(
        0.1, LOCAL_POLICY, "a gain of at least one line counts as improving at the review"
    )


@dataclass(frozen=True)
class SuppliesPolicy:
    """What the unit stocks, for the supplies forecast (every size is the centre's own)."""

    albumin_bottle_ml: int = setting(
        500,
        LOCAL_POLICY,
        "albumin bottle size counted and forecast (e.g. 500 mL of 5%, 100 mL of 25%)",
    )
    albumin_concentration_pct: float = setting(
        5.0, LOCAL_POLICY, "albumin stocked: 5 (% w/v, 50 g/L) or 25 (250 g/L)"
    )
    acd_a_bag_ml: int = setting(500, LOCAL_POLICY, "ACD-A bag size")
    calcium_ampoule_ml: float = setting(10.0, LOCAL_POLICY, "10% calcium gluconate ampoule size")
    tubing_sets_per_session: int = setting(1, LOCAL_POLICY, "disposable exchange sets per session")
    forecast_days: int = setting(14, LOCAL_POLICY, "days ahead the forecast and the board look")

    def __post_init__(self) -> None:
        for name in ("albumin_bottle_ml", "acd_a_bag_ml", "calcium_ampoule_ml"):
            if getattr(self, name) <= 0:
                raise InputError(f"supplies.{name}", "must be positive", allowed="> 0")
        if not 0 < self.albumin_concentration_pct <= 100:
            raise InputError(
                "supplies.albumin_concentration_pct", "is a percentage", allowed="0-100"
            )
        if self.tubing_sets_per_session < 0 or not 1 <= self.forecast_days <= 84:
            raise InputError(
                "supplies.forecast_days", "out of range", allowed="tubing sets >= 0; 1-84 days"
            )


@dataclass(frozen=True)
class BenchmarkPolicy:
    """Centre benchmarking of adverse events (see :mod:`plexms.core.benchmark`)."""

    cusum_reference_per_100: float = setting(
        3.8,
        "WAA_2025",
        "in-control rate of procedures with an adverse event: mild 1.6 + moderate 2.0 + severe "
        "0.20 per 100 (all procedure types)",
    )
    cusum_odds_ratio: float = setting(
        2.0, "STEINER_2000", "the CUSUM is tuned to detect a doubling of the odds of an event"
    )
    cusum_h: float = setting(
        4.5,
        LOCAL_POLICY,
        "signal threshold: at 3.8 per 100 about one false signal per 8,600 procedures; a "
        "doubled odds (7.3 per 100) signals after about 280 procedures (simulated)",
    )


@dataclass(frozen=True)
class MeasurePolicy:
    """The meaningful change of each outcome measure beyond the EDSS (see
    :mod:`plexms.core.measures`): a change counts when it reaches the threshold (>=)."""

    t25fw_percent: float = setting(
        20.0, "KRAGT_2006", "20% of the baseline time (Kaufman 2000; Kalinowski 2022)"
    )
    nhpt_percent: float = setting(20.0, "FEYS_2017", "20% of the baseline time, per hand")
    sdmt_points: float = setting(4.0, "BENEDICT_2017", "4 points, or sdmt_percent")
    sdmt_percent: float = setting(10.0, "BENEDICT_2017", "10% of baseline, or sdmt_points")
    lcla_letters: float = setting(7.0, "BALCER_2017", "7 letters at 2.5% contrast, per eye")
    msis29_physical_points: float = setting(
        8.0, "COSTELLOE_2007", "about 8 points (Phillips 2014: 7.5 for worsening)"
    )
    msis29_psychological_points: float = setting(
        8.0,
        LOCAL_POLICY,
        "no published meaningful change of the psychological subscale was confirmed; the "
        "physical subscale's 8 points is used until the centre sets its own",
    )
    msws12_points: float = setting(
        8.0,
        "MEHTA_2015",
        "published estimates range from 4 to 13 points and are not settled; 8 proposed by "
        "Mehta 2015 (some centres use 10)",
    )
    mfis_points: float = setting(4.0, "ROONEY_2019", "MFIS total: at least 4 points")
    fss_points: float = setting(0.45, "ROONEY_2019", "FSS mean score: at least 0.45 points")


@dataclass(frozen=True)
class CentrePolicy:
    """All of a centre's settings that the core uses."""

    hours: ClinicHours = field(default_factory=ClinicHours)
    prescription: PrescriptionPolicy = field(default_factory=PrescriptionPolicy)
    schedule: SchedulePolicy = field(default_factory=SchedulePolicy)
    resources: ResourcePolicy = field(default_factory=ResourcePolicy)
    precheck: PrecheckPolicy = field(default_factory=PrecheckPolicy)
    eligibility: EligibilityPolicy = field(default_factory=EligibilityPolicy)
    response: ResponsePolicy = field(default_factory=ResponsePolicy)
    supplies: SuppliesPolicy = field(default_factory=SuppliesPolicy)
    benchmark: BenchmarkPolicy = field(default_factory=BenchmarkPolicy)
    measures: MeasurePolicy = field(default_factory=MeasurePolicy)


def policy_to_dict(policy: Any) -> Any:
    """JSON-ready form of a policy dataclass (dates ISO, tuples and sets as lists)."""
    if dataclasses.is_dataclass(policy) and not isinstance(policy, type):
        return {f.name: policy_to_dict(getattr(policy, f.name)) for f in dataclasses.fields(policy)}
    if isinstance(policy, frozenset):
        return sorted(policy_to_dict(v) for v in policy)
    if isinstance(policy, tuple | list):
        return [policy_to_dict(v) for v in policy]
    if isinstance(policy, dt.date):
        return policy.isoformat()
    return policy


def policy_from_dict(data: dict[str, Any], cls: type[Any] = CentrePolicy, path: str = "") -> Any:
    """Build policy class ``cls`` from :func:`policy_to_dict` output; missing keys take defaults.

    Unknown keys and wrong types raise :class:`InputError` naming the setting.
    """
    if not isinstance(data, dict):
        raise InputError(path or "policy", "must be an object")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(f"{path}{unknown[0]}", "unknown setting", allowed=", ".join(sorted(names)))
    kwargs = {name: _coerce(hints[name], value, f"{path}{name}") for name, value in data.items()}
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return policy_from_dict(value, hint, path + ".")
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise InputError(path, "must be a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        return tuple(
            _coerce(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if origin is frozenset:
        if not isinstance(value, list | tuple | set | frozenset):
            raise InputError(path, "must be a list")
        return frozenset(_coerce(args[0], v, path) for v in value)
    if hint is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise InputError(path, f"{value!r} is not a date", allowed="YYYY-MM-DD") from None
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise InputError(path, f"{value!r} is not a {getattr(hint, '__name__', hint)}")
