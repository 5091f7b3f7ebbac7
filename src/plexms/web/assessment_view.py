"""The eligibility form's fields and the ``calc assess`` request built from them.

Nothing is decided here: an empty field stays out of the request, so the rules name it in
``missing`` (and the page flags it) instead of anything being guessed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plexms.core import vocabulary
from plexms.services.schemas import EpisodeOut, SteroidOut
from plexms.web import acuity_view
from plexms.web.forms import FormReader

__all__ = [
    "CONDITIONS",
    "DIAGNOSES",
    "EXTRA_CONDITIONS",
    "PRESENTATIONS",
    "assess_request",
    "initial_values",
    "input_label",
    "input_rows",
    "values_from_inputs",
]

DIAGNOSES = vocabulary.DIAGNOSES.options
PRESENTATIONS = vocabulary.ASFA_PRESENTATIONS.options
CONDITIONS = (
    ("hemodynamic_instability", "Haemodynamic instability"),
    ("active_infection", "Active infection"),
    ("active_bleeding", "Active bleeding"),
    ("albumin_allergy", "Allergy to albumin"),
    ("ace_inhibitor", "Takes an ACE inhibitor"),
    ("pregnant", "Pregnant"),
    ("poor_venous_access", "Poor peripheral venous access"),
)
EXTRA_CONDITIONS = (
    ("anticoagulated", "Anticoagulated"),
    ("hypocalcaemia", "Hypocalcaemia"),
    ("steroid_contraindication", "Steroids contraindicated"),
)
TRISTATE = (("", "Not stated"), ("no", "No"), ("yes", "Yes"))
_LABELS = {
    "relapse": "Relapse",
    "jcv_status": "JC virus antibody status",
    "pml_excluded": "PML excluded (MRI)",
    "on_natalizumab": "on natalizumab",
    "hours": "symptoms for (hours)",
    "fever": "fever",
    "infection": "infection",
    "diagnosis": "Diagnosis",
    "presentation": "Presentation",
    "onset_date": "Onset",
    "assessment_date": "Assessed on",
    "edss_pre_relapse": "EDSS before the attack",
    "edss_now": "EDSS now",
    "steroids": "Corticosteroids for this attack",
    "drug": "drug",
    "route": "route",
    "dose_mg_per_day": "dose (mg/day)",
    "start_date": "first day",
    "days": "days",
    "response": "response",
    "logmar": "Visual acuity (logMAR)",
    "right": "right eye",
    "left": "left eye",
    "mri": "MRI",
    "gd_enhancing_lesions": "Gd-enhancing lesions",
    "ring_enhancement": "ring enhancement",
    "mass_effect": "mass effect",
    "largest_lesion_mm": "largest lesion (mm)",
    "age": "Age",
    "sex": "Sex",
    "conditions": "Safety",
    "guideline_edition": "ASFA edition",
    **dict(CONDITIONS),
    **dict(EXTRA_CONDITIONS),
}
_WORDS = {"iv": "intravenous", "asfa-2023": "ASFA 2023 (9th)", "asfa-2016": "ASFA 2016 (7th)"}


def initial_values(
    today: dt.date, episodes: list[EpisodeOut], steroids: list[SteroidOut]
) -> dict[str, str]:
    """The form prefilled from the record: the latest episode and its steroid course."""
    values = {"assessment_date": today.isoformat(), "diagnosis": "relapsing_ms"}
    if episodes:
        latest = episodes[-1]
        values["episode_id"] = str(latest.id)
        values["onset_date"] = latest.onset_date.isoformat()
        if latest.presentation in dict(PRESENTATIONS):
            values["presentation"] = latest.presentation
        if latest.edss_at_onset is not None:
            values["edss_now"] = f"{latest.edss_at_onset:g}"
    if steroids:
        s = steroids[-1]
        values |= {
            "steroid_drug": s.drug,
            "steroid_route": s.route,
            "steroid_dose": f"{s.dose_mg_per_day:g}" if s.dose_mg_per_day else "",
            "steroid_start": s.start_date.isoformat(),
            "steroid_days": str((s.end_date - s.start_date).days + 1) if s.end_date else "",
            "steroid_response": s.response if s.response in ("none", "partial", "full") else "",
            "steroids_given": "yes",
        }
    return values


def _tristate(reader: FormReader, name: str) -> bool | None:
    value = reader.choice(name, ("no", "yes"))
    return None if value is None else value == "yes"


def _steroids(reader: FormReader) -> list[dict[str, Any]] | None:
    given = reader.choice("steroids_given", ("yes", "no"))
    if given == "no":
        return []
    if given is None:
        return None
    course: dict[str, Any] = {
        "drug": reader.text("steroid_drug", max_length=60),
        "route": reader.choice("steroid_route", ("iv", "oral")),
        "dose_mg_per_day": reader.number("steroid_dose", lo=1, hi=5000),
        "start_date": reader.date("steroid_start"),
        "days": reader.number("steroid_days", lo=1, hi=60, integer=True),
        "response": reader.choice("steroid_response", ("none", "partial", "full")),
    }
    if course["days"] is not None:
        course["days"] = int(course["days"])
    if course["start_date"] is not None:
        course["start_date"] = course["start_date"].isoformat()
    return [{k: v for k, v in course.items() if v is not None}]


def _edss(reader: FormReader, name: str) -> float | None:
    value = reader.number(name, lo=0, hi=9.5)  # 10 (death) is not an assessable score
    if value is not None and value != 0 and (value < 1 or (value * 2) != int(value * 2)):
        reader.fail(name, "EDSS steps are 0 and 1.0 to 9.5 by 0.5.")
        return None
    return value


def assess_request(reader: FormReader) -> tuple[dict[str, Any], int | None]:
    """The ``calc assess`` request (only what was entered) and the episode it is about."""
    request: dict[str, Any] = {}
    for name, value in (
        ("diagnosis", reader.choice("diagnosis", [d for d, _ in DIAGNOSES])),
        ("presentation", reader.choice("presentation", [p for p, _ in PRESENTATIONS])),
        ("onset_date", reader.date("onset_date")),
        ("assessment_date", reader.date("assessment_date")),
        ("edss_pre_relapse", _edss(reader, "edss_pre_relapse")),
        ("edss_now", _edss(reader, "edss_now")),
        ("steroids", _steroids(reader)),
    ):
        if value is not None:
            request[name] = value.isoformat() if isinstance(value, dt.date) else value
    eyes = acuity_view.read_eyes(reader)
    if any(eyes.values()):
        request["logmar"] = {eye: a.logmar for eye, a in eyes.items() if a is not None}
    mri: dict[str, Any] = {}
    gd = reader.number("mri_gd", lo=0, hi=1000, integer=True)
    if gd is not None:
        mri["gd_enhancing_lesions"] = int(gd)
    for name in ("ring_enhancement", "mass_effect"):
        flag = _tristate(reader, f"mri_{name}")
        if flag is not None:
            mri[name] = flag
    largest = reader.number("mri_largest_mm", lo=0, hi=300)
    if largest is not None:
        mri["largest_lesion_mm"] = largest
    if mri:
        request["mri"] = mri
    relapse: dict[str, Any] = {}
    hours = reader.number("relapse_hours", lo=0, hi=24 * 366)
    if hours is not None:
        relapse["symptom_hours"] = hours
    for name in ("fever", "infection", "on_natalizumab", "pml_excluded"):
        flag = _tristate(reader, f"relapse_{name}")
        if flag is not None:
            relapse[name] = flag
    jcv = reader.choice("relapse_jcv_status", ("negative", "positive"))
    if jcv is not None:
        relapse["jcv_status"] = jcv
    if relapse:
        request["relapse"] = relapse
    deficit: dict[str, Any] = {}
    for key, name in (
        ("motor_grade_before", "deficit_motor_before"),
        ("motor_grade_now", "deficit_motor_now"),
    ):
        grade = reader.number(name, lo=0, hi=5, integer=True)
        if grade is not None:
            deficit[key] = int(grade)
    aid = _tristate(reader, "deficit_new_walking_aid")
    if aid is not None:
        deficit["new_walking_aid"] = aid
    if deficit:
        request["deficit"] = deficit
    conditions: dict[str, Any] = {}
    for name, _ in CONDITIONS:
        flag = _tristate(reader, f"c_{name}")
        if flag is not None:
            conditions[name] = flag
    for name, _ in EXTRA_CONDITIONS:
        conditions[name] = reader.flag(f"c_{name}")
    request["conditions"] = conditions
    request["guideline_edition"] = (
        reader.choice("guideline_edition", ("asfa-2023", "asfa-2016")) or "asfa-2023"
    )
    episode = reader.number("episode_id", lo=1, integer=True)
    return request, int(episode) if episode else None


def _words(name: str) -> str:
    """A label for one dotted-name part: known words, else the name spelled out (an input
    the rules add later still reads as words, never as an identifier)."""
    index = ""
    if "[" in name:
        name, _, rest = name.partition("[")
        index = f" {int(rest.rstrip(']')) + 1}" if rest.rstrip("]").isdigit() else ""
    label = _LABELS.get(name) or name.replace("_", " ").capitalize()
    return f"{label}{index}"


def input_label(key: str) -> str:
    """Words for a dotted input name: ``conditions.pregnant`` -> "Safety: Pregnant"."""
    parts = [_words(p) for p in key.split(".")]
    return ": ".join(parts)


def _value(key: str, value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not stated"
    if key == "diagnosis" and value in vocabulary.DIAGNOSES:
        return vocabulary.DIAGNOSES.label(value)
    if key == "presentation" and value in vocabulary.ASFA_PRESENTATIONS:
        return vocabulary.ASFA_PRESENTATIONS.label(value)
    text = str(value)
    return _WORDS.get(text, text.replace("_", " "))


def input_rows(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}}`` -> ``[("A: b", "1")]``: the inputs table in words."""
    rows: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            rows += input_rows(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        if not data:
            rows.append((input_label(prefix), "none"))
        for i, value in enumerate(data):
            rows += input_rows(value, f"{prefix}[{i}]")
    else:
        rows.append((input_label(prefix), _value(prefix.rsplit(".", 1)[-1], data)))
    return rows


def _yes_no(value: Any) -> str:
    return "" if value is None else "yes" if value else "no"


def values_from_inputs(
    inputs: dict[str, Any], today: dt.date, episode_id: int | None
) -> dict[str, str]:
    """The form filled with a stored assessment's inputs ("Assess again" starts from the last
    answers); the date is today's, everything else as it was answered."""
    values: dict[str, str] = {"assessment_date": today.isoformat()}
    for name in ("diagnosis", "presentation", "onset_date", "guideline_edition"):
        if inputs.get(name) is not None:
            values[name] = str(inputs[name])
    for name in ("edss_pre_relapse", "edss_now"):
        if inputs.get(name) is not None:
            values[name] = f"{float(inputs[name]):g}"
    if episode_id is not None:
        values["episode_id"] = str(episode_id)
    steroids = inputs.get("steroids")
    if steroids == []:
        values["steroids_given"] = "no"
    elif steroids:
        s = steroids[0]
        values["steroids_given"] = "yes"
        for field, name in (
            ("steroid_drug", "drug"),
            ("steroid_route", "route"),
            ("steroid_start", "start_date"),
            ("steroid_days", "days"),
            ("steroid_response", "response"),
        ):
            values[field] = "" if s.get(name) is None else str(s[name])
        dose = s.get("dose_mg_per_day")
        values["steroid_dose"] = "" if dose is None else f"{float(dose):g}"
    logmar = inputs.get("logmar") or {}
    if any(v is not None for v in logmar.values()):
        values["va_notation"] = "logmar"
        for eye, _ in acuity_view.EYES:
            if logmar.get(eye) is not None:
                values[f"va_{eye}"] = f"{float(logmar[eye]):g}"
    mri = inputs.get("mri") or {}
    if mri.get("gd_enhancing_lesions") is not None:
        values["mri_gd"] = str(mri["gd_enhancing_lesions"])
    if mri.get("largest_lesion_mm") is not None:
        values["mri_largest_mm"] = f"{float(mri['largest_lesion_mm']):g}"
    for name in ("ring_enhancement", "mass_effect"):
        values[f"mri_{name}"] = _yes_no(mri.get(name))
    conditions = inputs.get("conditions") or {}
    for name, _ in CONDITIONS:
        values[f"c_{name}"] = _yes_no(conditions.get(name))
    for name, _ in EXTRA_CONDITIONS:
        if conditions.get(name):
            values[f"c_{name}"] = "on"
    return values
