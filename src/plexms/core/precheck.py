"""Pre-session go/no-go: is today's exchange safe to start?

Each check compares one measurement with the centre's band (:class:`PrecheckPolicy`: hold
below, caution below, caution above, hold above) and says which threshold applied and where
it comes from; thresholds with no published figure are labelled "local policy". The decision
is ``hold`` if any check holds (including a missing vital sign, a missing required lab or
missing vascular access: safety first), ``proceed_with_caution`` if any check cautions, else
``proceed``. Actions say what to do (plasma in the replacement for low fibrinogen, calcium for
low calcium, hold the ACE inhibitor, ...). Rules ``PRE-*`` are listed in ``docs/rules.md``.

Comparisons: a low limit holds or cautions strictly below it (``<``); a high limit at or above
it (``>=``: a temperature of 38.0 °C holds). Fibrinogen below the centre's threshold holds an
albumin-only exchange (Wodajo 2024) unless plasma is prescribed for it; several cautions at
once (``escalate_cautions``) hold by rule PRE-ESCALATE. A lab drawn before the last completed
exchange is never current: it is listed as stale with its time (PRE-LAB-STALE) and counts as
missing, or, where the centre allows, is replaced by the model's prediction, labelled so.

>>> check = precheck(example_precheck())
>>> check.decision
'proceed'
>>> low = dataclasses.replace(example_precheck().labs, fibrinogen_g_l=0.8)
>>> precheck(example_precheck(labs=low)).decision
'hold'
>>> precheck(example_precheck(labs=low, plasma_in_replacement=True)).decision
'proceed_with_caution'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, PrecheckPolicy
from plexms.core.rules import RULE_VERSION, Reason, sources_of
from plexms.core.sources import LOCAL_POLICY
from plexms.core.vocabulary import PRECHECK_ACCESS
from plexms.core.vocabulary import SYMPTOMS as _SYMPTOMS

__all__ = [
    "ACCESS",
    "DECISIONS",
    "SYMPTOMS",
    "Check",
    "Labs",
    "Precheck",
    "PrecheckRequest",
    "StaleLab",
    "Vitals",
    "example_precheck",
    "precheck",
]

DECISIONS = ("proceed", "proceed_with_caution", "hold")
ACCESS = PRECHECK_ACCESS.values
SYMPTOMS = _SYMPTOMS.values


@dataclass(frozen=True)
class Vitals:
    """Pre-session vital signs."""

    systolic_bp: float | None = None
    diastolic_bp: float | None = None
    heart_rate: float | None = None
    temperature_c: float | None = None
    spo2: float | None = None


@dataclass(frozen=True)
class Labs:
    """Most recent laboratory values before the session."""

    fibrinogen_g_l: float | None = None
    ionized_calcium_mmol_l: float | None = None
    total_calcium_mmol_l: float | None = None
    hemoglobin_g_dl: float | None = None
    platelets_10e9_l: float | None = None
    potassium_mmol_l: float | None = None


@dataclass(frozen=True)
class StaleLab:
    """A lab drawn before the last completed exchange: not current (``name`` a Labs field)."""

    name: str
    value: float
    taken_at: str
    last_exchange_ended_at: str | None = None


@dataclass(frozen=True)
class PrecheckRequest:
    """``hours_since_ace_inhibitor`` None: not on one; ``hours_since_last_exchange`` None: first.

    ``days_since_last_exchange``: calendar days between the last exchange and this one in the
    centre's time zone (None: unknown, the hours are compared). ``plasma_in_replacement``: the
    prescription gives plasma for part of the replacement. ``stale_labs``: labs left out as
    drawn before the last exchange; ``predicted_labs``: Labs fields whose value is the model's
    prediction, not a measurement.
    """

    vitals: Vitals = field(default_factory=Vitals)
    labs: Labs = field(default_factory=Labs)
    symptoms: tuple[str, ...] = ()
    hours_since_ace_inhibitor: float | None = None
    hours_since_last_exchange: float | None = None
    access: str | None = None
    days_since_last_exchange: int | None = None
    plasma_in_replacement: bool = False
    stale_labs: tuple[StaleLab, ...] = ()
    predicted_labs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One check: its level (ok, caution, hold), the value, the threshold and its source."""

    rule: str
    level: str
    text: str
    source: str
    value: object = None
    threshold: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "rule": self.rule,
            "level": self.level,
            "text": self.text,
            "source": self.source,
            "local_policy": self.source == LOCAL_POLICY,
            "value": self.value,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Precheck:
    """The go/no-go answer."""

    decision: str
    missing: tuple[str, ...]
    reasons: tuple[Check, ...]
    actions: tuple[Reason, ...]
    rule_version: str = RULE_VERSION

    def to_dict(self) -> dict[str, object]:
        """JSON form of the ``calc precheck`` response."""
        keys = [c.source for c in self.reasons] + [a.source for a in self.actions]
        return {
            "decision": self.decision,
            "missing": list(self.missing),
            "reasons": [c.to_dict() for c in self.reasons],
            "actions": [a.to_dict() for a in self.actions],
            "sources": sources_of(keys),
            "rule_version": self.rule_version,
        }


def example_precheck(**changes: object) -> PrecheckRequest:
    """A complete, unremarkable request before a second exchange (tests and docs)."""
    request = PrecheckRequest(
        vitals=Vitals(122.0, 76.0, 72.0, 36.7, 98.0),
        labs=Labs(2.1, 1.18, 2.3, 13.2, 240.0, 4.1),
        symptoms=(),
        hours_since_ace_inhibitor=None,
        hours_since_last_exchange=48.0,
        access="peripheral",
    )
    return dataclasses.replace(request, **changes)  # type: ignore[arg-type]


_Range = tuple[float, float]
_VITALS: dict[str, tuple[str, str, str, _Range, str]] = {  # rule, label, unit, range, band
    "systolic_bp": ("PRE-SBP", "Systolic blood pressure", "mmHg", (40, 300), "systolic_bp_mmhg"),
    "diastolic_bp": ("PRE-DBP", "Diastolic blood pressure", "mmHg", (20, 200), "diastolic_bp_mmhg"),
    "heart_rate": ("PRE-HR", "Heart rate", "/min", (20, 250), "heart_rate_bpm"),
    "temperature_c": ("PRE-TEMP", "Temperature", "°C", (30, 45), "temperature_c"),
    "spo2": ("PRE-SPO2", "SpO2", "%", (50, 100), "spo2_percent"),
}
_LABS: dict[str, tuple[str, str, str, _Range]] = {
    "ionized_calcium_mmol_l": ("PRE-ICA", "Ionised calcium", "mmol/L", (0.3, 3.0)),
    "total_calcium_mmol_l": ("PRE-TCA", "Total calcium", "mmol/L", (0.5, 5.0)),
    "hemoglobin_g_dl": ("PRE-HB", "Haemoglobin", "g/dL", (2, 25)),
    "platelets_10e9_l": ("PRE-PLT", "Platelets", "x10^9/L", (0, 2000)),
    "potassium_mmol_l": ("PRE-K", "Potassium", "mmol/L", (1.5, 10)),
}
_FIBRINOGEN_RANGE = (0.0, 15.0)


def precheck(req: PrecheckRequest, policy: CentrePolicy | None = None) -> Precheck:
    """Go/no-go for one session against the centre's thresholds.

    Sources: fibrinogen (Wodajo 2024: plasma when < 1.0 g/L), ACE inhibitors (Owen & Brecher
    1994: >= 24 h), calcium (Weinstein 1996); the vital-sign and other lab bands are local
    policy. Missing vital signs, required labs or access hold the session (listed in
    ``missing``); a missing optional lab gives caution.

    >>> precheck(example_precheck(hours_since_ace_inhibitor=6.0)).decision
    'hold'
    """
    policy = policy or CentrePolicy()
    pol = policy.precheck
    if pol.interval_basis not in ("calendar_days", "hours"):
        raise InputError(
            "precheck.interval_basis",
            f"{pol.interval_basis!r} unknown",
            allowed="calendar_days, hours",
        )
    _validate(req)
    missing: list[str] = []
    checks: list[Check] = []
    actions: list[Reason] = []
    for name, (rule, label, unit, _, band) in _VITALS.items():
        value = getattr(req.vitals, name)
        if value is None:
            missing.append(f"vitals.{name}")
            continue
        checks.append(_band(rule, label, unit, value, pol, band))
    _lab_checks(req, pol, policy, missing, checks, actions)
    if missing:
        required = [m for m in missing if _required(m, pol)]
        level = "hold" if required else "caution"
        text = f"Not recorded: {', '.join(missing)}."
        if required:
            text += " Vital signs, required labs and access must be recorded before starting."
        checks.insert(0, Check("PRE-MISSING", level, text, LOCAL_POLICY, list(missing)))
    checks += _timing_checks(req, pol, actions)
    checks += _symptom_checks(req.symptoms, pol, policy, actions)
    if req.access is None:
        missing.append("access")
        checks.insert(0, Check("PRE-MISSING", "hold", "Vascular access not stated.", LOCAL_POLICY))
    elif req.access == "central":
        text = "Central venous access: catheter infection is a known risk."
        checks.append(Check("PRE-ACCESS", "ok", text, "SEED_ARTICLE", req.access))
        text = "Inspect the catheter exit site before connecting; hold if red, hot or discharging."
        actions.append(Reason("PRE-ACT-CATHETER", text, "SEED_ARTICLE"))
    else:
        checks.append(Check("PRE-ACCESS", "ok", "Peripheral access.", LOCAL_POLICY, req.access))
    checks += _escalation(checks, pol)
    levels = {c.level for c in checks}
    decision = (
        "hold" if "hold" in levels else "proceed_with_caution" if "caution" in levels else "proceed"
    )
    return Precheck(decision, tuple(missing), tuple(checks), tuple(dict.fromkeys(actions)))


def _required(path: str, pol: PrecheckPolicy) -> bool:
    group, _, name = path.partition(".")
    return group == "vitals" or name in pol.required_labs


def _band_values(pol: PrecheckPolicy, name: str) -> tuple[float | None, ...]:
    band: tuple[float | None, ...] = getattr(pol, name)
    limits = [b for b in band if b is not None]
    if len(band) != 4 or limits != sorted(limits):
        raise InputError(
            f"precheck.{name}",
            f"{list(band)} is not a band",
            allowed="[hold below, caution below, caution above, hold above], ascending or null",
        )
    return band


def _band(rule: str, label: str, unit: str, value: float, pol: PrecheckPolicy, name: str) -> Check:
    hold_low, caution_low, caution_high, hold_high = _band_values(pol, name)
    parts = [
        f"{word} {op} {limit:g}"
        for word, op, limit in (
            ("hold", "<", hold_low),
            ("caution", "<", caution_low),
            ("caution", ">=", caution_high),
            ("hold", ">=", hold_high),
        )
        if limit is not None
    ]
    source = _source(name)
    threshold = f"{', '.join(parts)} {unit}" + (" (local policy)" if source == LOCAL_POLICY else "")
    level = "ok"
    # Low limits are strict (< 90 mmHg), high limits inclusive (>= 38.0 °C): docs/rules.md.
    if (hold_low is not None and value < hold_low) or (
        hold_high is not None and value >= hold_high
    ):
        level = "hold"
    elif (caution_low is not None and value < caution_low) or (
        caution_high is not None and value >= caution_high
    ):
        level = "caution"
    text = f"{label} {value:g} {unit}: {'within limits' if level == 'ok' else level}."
    return Check(rule, level, text, source, value, threshold)


def _source(name: str) -> str:
    for f in dataclasses.fields(PrecheckPolicy):
        if f.name == name:
            return str(f.metadata["source"])
    raise KeyError(name)  # pragma: no cover - the tables above name real settings


def _lab_checks(
    req: PrecheckRequest,
    pol: PrecheckPolicy,
    policy: CentrePolicy,
    missing: list[str],
    checks: list[Check],
    actions: list[Reason],
) -> None:
    labs = req.labs
    checks += _stale_checks(req, pol)
    fibrinogen = labs.fibrinogen_g_l
    if fibrinogen is None:
        missing.append("labs.fibrinogen_g_l")
    else:
        checks.append(_fibrinogen_check(req, fibrinogen, policy, actions))
    for name, (rule, label, unit, _) in _LABS.items():
        value = getattr(labs, name)
        if value is None:
            continue
        check = _band(rule, label, unit, value, pol, name)
        checks.append(check)
        if rule in ("PRE-ICA", "PRE-TCA") and check.level != "ok":
            actions.append(_calcium_action(policy))
    if labs.ionized_calcium_mmol_l is None and labs.total_calcium_mmol_l is None:
        missing.append("labs.calcium")
    missing += [
        f"labs.{name}"
        for name in ("hemoglobin_g_dl", "platelets_10e9_l", "potassium_mmol_l")
        if getattr(labs, name) is None
    ]


def _fibrinogen_check(
    req: PrecheckRequest, fibrinogen: float, policy: CentrePolicy, actions: list[Reason]
) -> Check:
    """Below the threshold: hold an albumin-only exchange; caution when plasma is prescribed."""
    limit = policy.prescription.fibrinogen_plasma_threshold_g_l
    low = fibrinogen < limit
    predicted = "fibrinogen_g_l" in req.predicted_labs
    label = "Fibrinogen (model prediction, not a measurement)" if predicted else "Fibrinogen"
    threshold = f"< {limit:g} g/L: hold unless plasma is in the replacement"
    if not low:
        text = f"{label} {fibrinogen:g} g/L."
        return Check("PRE-FIBRINOGEN", "ok", text, "WODAJO_2024", fibrinogen, threshold)
    if req.plasma_in_replacement:
        text = f"{label} {fibrinogen:g} g/L: below {limit:g} g/L; plasma is prescribed for it."
        return Check("PRE-FIBRINOGEN", "caution", text, "WODAJO_2024", fibrinogen, threshold)
    text = (
        f"{label} {fibrinogen:g} g/L: below {limit:g} g/L, an albumin-only exchange would "
        "deplete it further: hold."
    )
    action = (
        "Prescribe plasma for part of the replacement fluid, or postpone (fibrinogen recovers "
        "over 48-72 h) and recheck."
    )
    actions.append(Reason("PRE-ACT-PLASMA", action, "WODAJO_2024"))
    return Check("PRE-FIBRINOGEN", "hold", text, "WODAJO_2024", fibrinogen, threshold)


def _stale_checks(req: PrecheckRequest, pol: PrecheckPolicy) -> list[Check]:
    checks = []
    for stale in req.stale_labs:
        predicted = stale.name in req.predicted_labs
        required = stale.name in pol.required_labs or (
            stale.name in ("ionized_calcium_mmol_l", "total_calcium_mmol_l")
            and "calcium" in pol.required_labs
        )
        after = (
            f" (the last exchange ended {stale.last_exchange_ended_at})"
            if stale.last_exchange_ended_at
            else ""
        )
        text = (
            f"{stale.name} {stale.value:g} drawn {stale.taken_at} is before the last "
            f"exchange{after}: not current. "
        )
        if predicted:
            level = "caution"
            text += "The model's prediction is used instead, labelled as such (centre setting)."
        else:
            level = "hold" if required else "caution"
            text += "Draw a new sample."
        threshold = "drawn after the last exchange"
        checks.append(Check("PRE-LAB-STALE", level, text, LOCAL_POLICY, stale.value, threshold))
    return checks


def _escalation(checks: list[Check], pol: PrecheckPolicy) -> list[Check]:
    """Several cautions at once hold the session (PRE-ESCALATE, local policy)."""
    adding = [
        c.rule
        for c in checks
        if c.level == "caution"
        and c.rule in pol.escalate_cautions
        # a high blood pressure is not part of the bleeding/haemodynamic sum
        and not (c.rule == "PRE-SBP" and _high_side(c.value, pol.systolic_bp_mmhg))
    ]
    if pol.escalate_cautions_count < 1 or len(adding) < pol.escalate_cautions_count:
        return []
    text = (
        f"{len(adding)} cautions at once ({', '.join(adding)}): together they hold the session "
        f"(local policy: {pol.escalate_cautions_count} or more of "
        f"{', '.join(pol.escalate_cautions)})."
    )
    threshold = f">= {pol.escalate_cautions_count} cautions"
    return [Check("PRE-ESCALATE", "hold", text, LOCAL_POLICY, len(adding), threshold)]


def _high_side(value: object, band: tuple[float | None, ...]) -> bool:
    caution_high = band[2]
    return isinstance(value, float | int) and caution_high is not None and value >= caution_high


def _calcium_action(policy: CentrePolicy) -> Reason:
    ml = policy.prescription.calcium_gluconate_ml_per_l_return
    text = (
        f"Calcium supplementation: {ml:g} mL of 10% calcium gluconate per litre of return "
        "fluid, and recheck ionised calcium; correct before starting if symptomatic."
    )
    return Reason("PRE-ACT-CALCIUM", text, "WEINSTEIN_1996")


def _timing_checks(req: PrecheckRequest, pol: PrecheckPolicy, actions: list[Reason]) -> list[Check]:
    checks: list[Check] = []
    ace = req.hours_since_ace_inhibitor
    limit = pol.ace_inhibitor_hold_hours
    if ace is not None:
        level = "hold" if ace < limit else "ok"
        text = f"Last ACE inhibitor dose {ace:g} h ago (albumin exchange needs >= {limit:g} h)."
        checks.append(Check("PRE-ACE", level, text, "OWEN_BRECHER_1994", ace, f">= {limit:g} h"))
        if level == "hold":
            text = (
                f"Hold the ACE inhibitor; start the exchange no sooner than {limit - ace:g} h "
                "from now."
            )
            actions.append(Reason("PRE-ACT-ACE", text, "OWEN_BRECHER_1994"))
    last = req.hours_since_last_exchange
    days = req.days_since_last_exchange
    if last is None and days is None:
        text = "First exchange: adverse events are commoner in first procedures (8.4% vs 5.5%)."
        checks.append(Check("PRE-INTERVAL", "ok", text, "WAA_2016"))
    elif days is not None and (pol.interval_basis == "calendar_days" or last is None):
        checks.append(_days_check(days, last, pol))
    elif last is None:  # pragma: no cover - excluded by the two branches above
        raise AssertionError
    elif last < pol.min_hours_between_exchanges:
        text = f"Last exchange {last:g} h ago: too soon (local policy)."
        threshold = f">= {pol.min_hours_between_exchanges:g} h"
        checks.append(Check("PRE-INTERVAL", "hold", text, LOCAL_POLICY, last, threshold))
    elif last < pol.usual_hours_between_exchanges:
        text = (
            f"Last exchange {last:g} h ago: sooner than every other day; fibrinogen and "
            "clotting factors may not have recovered."
        )
        threshold = f">= {pol.usual_hours_between_exchanges:g} h"
        checks.append(Check("PRE-INTERVAL", "caution", text, "ASFA_MS_FACT_SHEET", last, threshold))
    else:
        text = f"Last exchange {last:g} h ago."
        checks.append(Check("PRE-INTERVAL", "ok", text, "ASFA_MS_FACT_SHEET", last))
    return checks


def _days_check(days: int, hours: float | None, pol: PrecheckPolicy) -> Check:
    """Calendar days between sessions: every other day (Mon then Wed) is usual at any hour."""
    since = f"Last exchange {days} calendar day{'s' if days != 1 else ''} ago" + (
        f" ({hours:g} h)" if hours is not None else ""
    )
    if days < pol.min_days_between_exchanges:
        threshold = f">= {pol.min_days_between_exchanges} calendar days"
        text = f"{since}: too soon (local policy)."
        return Check("PRE-INTERVAL", "hold", text, LOCAL_POLICY, days, threshold)
    if days < pol.usual_days_between_exchanges:
        text = (
            f"{since}: sooner than every other day; fibrinogen and clotting factors may not "
            "have recovered."
        )
        threshold = f">= {pol.usual_days_between_exchanges} calendar days"
        return Check("PRE-INTERVAL", "caution", text, "ASFA_MS_FACT_SHEET", days, threshold)
    return Check("PRE-INTERVAL", "ok", f"{since}.", "ASFA_MS_FACT_SHEET", days)


def _symptom_checks(
    symptoms: tuple[str, ...], pol: PrecheckPolicy, policy: CentrePolicy, actions: list[Reason]
) -> list[Check]:
    checks = []
    for symptom in dict.fromkeys(symptoms):
        level = "hold" if symptom in pol.hold_symptoms else "caution"
        word = "hold the session" if level == "hold" else "review before starting"
        text = f"Reported symptom: {symptom.replace('_', ' ')}: {word} (local policy)."
        checks.append(Check("PRE-SYMPTOM", level, text, LOCAL_POLICY, symptom))
        if symptom in ("paraesthesia", "muscle_cramps"):
            actions.append(_calcium_action(policy))
    return checks


def _validate(req: PrecheckRequest) -> None:
    for name, vital in _VITALS.items():
        _check_range(f"vitals.{name}", getattr(req.vitals, name), *vital[3])
    for name, lab in _LABS.items():
        _check_range(f"labs.{name}", getattr(req.labs, name), *lab[3])
    _check_range("labs.fibrinogen_g_l", req.labs.fibrinogen_g_l, *_FIBRINOGEN_RANGE)
    _check_range("hours_since_ace_inhibitor", req.hours_since_ace_inhibitor, 0, 100_000)
    _check_range("hours_since_last_exchange", req.hours_since_last_exchange, 0, 100_000)
    _check_range("days_since_last_exchange", req.days_since_last_exchange, 0, 10_000)
    names = {f.name for f in dataclasses.fields(Labs)}
    for i, stale in enumerate(req.stale_labs):
        if stale.name not in names:
            raise InputError(
                f"stale_labs[{i}]", f"{stale.name!r} unknown", allowed=", ".join(names)
            )
    for i, name in enumerate(req.predicted_labs):
        if name not in names:
            raise InputError(f"predicted_labs[{i}]", f"{name!r} unknown", allowed=", ".join(names))
    systolic, diastolic = req.vitals.systolic_bp, req.vitals.diastolic_bp
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise InputError("vitals.diastolic_bp", "must be below systolic", allowed="< systolic")
    for i, symptom in enumerate(req.symptoms):
        if symptom not in SYMPTOMS:
            raise InputError(f"symptoms[{i}]", f"{symptom!r} unknown", allowed=", ".join(SYMPTOMS))
    if req.access is not None and req.access not in ACCESS:
        raise InputError("access", f"{req.access!r} unknown", allowed=", ".join(ACCESS))


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise InputError(name, f"{value:g} is out of range", allowed=f"{low:g}-{high:g}")
