"""EDSS (and visual acuity) entry: the form's values become a ``plexms calc`` request.

The EDSS itself comes from the ``edss`` calculator (its typed answer, shown through
:class:`~plexms.web.calc_views.EdssView`); this module only names the fields and puts the
calculator's refusal beside the form field it is about.
"""

from __future__ import annotations

from typing import Any

from plexms.core.edss import FS_MAX, WALKING_AIDS
from plexms.core.errors import InputError
from plexms.services.calc import edss as edss_calc
from plexms.web.calc_views import EdssView
from plexms.web.forms import FormReader, field_errors

__all__ = ["AMBULATION_CHOICES", "FS_FIELDS", "WALKING_AID_LABELS", "edss_request", "score_edss"]

FS_FIELDS: tuple[tuple[str, str, int], ...] = tuple(
    (name, label, FS_MAX[name])
    for name, label in (
        ("visual", "Visual"),
        ("brainstem", "Brainstem"),
        ("pyramidal", "Pyramidal"),
        ("cerebellar", "Cerebellar"),
        ("sensory", "Sensory"),
        ("bowel_bladder", "Bowel and bladder"),
        ("cerebral", "Cerebral"),
    )
)
AMBULATION_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "From walking distance and aid below"),
    ("0", "0 – unrestricted"),
    ("1", "1 – fully ambulatory, restricted (≥ 500 m)"),
    ("2", "2 – 300–499 m without aid"),
    ("3", "3 – 200–299 m"),
    ("4", "4 – 100–199 m"),
    ("5", "5 – < 100 m without aid"),
    ("6", "6 – unilateral aid, ≥ 50 m"),
    ("7", "7 – bilateral aid, ≥ 120 m"),
    ("8", "8 – unilateral aid, < 50 m"),
    ("9", "9 – bilateral aid, 5–119 m"),
    ("10", "10 – wheelchair without help"),
    ("11", "11 – wheelchair with help"),
    ("12", "12 – restricted to bed or chair"),
    ("13", "13 – bed much of the day"),
    ("14", "14 – helpless, can eat"),
    ("15", "15 – helpless, cannot eat"),
    ("16", "16 – death due to MS"),
)
WALKING_AID_LABELS = {
    "none": "No aid",
    "unilateral": "Unilateral aid (cane, crutch)",
    "bilateral": "Bilateral aid",
    "wheelchair_without_help": "Wheelchair, transfers alone",
    "wheelchair_with_help": "Wheelchair with help",
    "bed_chair": "Restricted to bed or chair",
}
assert set(WALKING_AID_LABELS) == set(WALKING_AIDS)  # noqa: S101 - the core's list is the truth


def edss_request(reader: FormReader) -> dict[str, Any] | None:
    """The ``calc edss`` request from the form, or ``None`` with errors beside the fields."""
    fs: dict[str, Any] = {}
    for name, _, top in FS_FIELDS:
        raw = reader.raw(f"fs_{name}")
        if raw.upper() == "X":
            fs[name] = None
            continue
        grade = reader.number(f"fs_{name}", lo=0, hi=top, required=True, integer=True)
        fs[name] = int(grade) if grade is not None else None
    body: dict[str, Any] = {"fs": fs}
    score = reader.number("ambulation_score", lo=0, hi=16, integer=True)
    if score is not None:
        body["ambulation_score"] = int(score)
    else:
        aid = reader.choice("walking_aid", tuple(WALKING_AID_LABELS)) or "none"
        distance = reader.number("walking_distance_m", lo=0, hi=100_000)
        if distance is None and aid in ("none", "unilateral", "bilateral"):
            if aid == "none" and not reader.raw("walking_distance_m"):
                body["ambulation_score"] = 0
            else:
                reader.fail(
                    "walking_distance_m", "Enter the distance walked (m), or an ambulation score."
                )
        else:
            body["walking"] = {
                "aid": aid,
                "distance_m": distance,
                "restricted": reader.flag("walking_restricted"),
            }
    not_due = [name for name, _, _ in FS_FIELDS if reader.flag(f"not_ms_{name}")]
    if not_due:
        body["not_due_to_ms"] = not_due
    return body if reader.ok else None


_FIELD_MAP = {f"fs.{name}": f"fs_{name}" for name, _, _ in FS_FIELDS} | {
    "ambulation_score": "ambulation_score",
    "walking": "walking_distance_m",
    "walking.distance_m": "walking_distance_m",
}


def score_edss(reader: FormReader) -> EdssView | None:
    """The EDSS for the form, or ``None`` with ``reader.errors`` filled in."""
    request = edss_request(reader)
    if request is None:
        return None
    try:
        result = edss_calc.CALCULATOR.evaluate(request, now=None)
    except InputError as exc:
        reader.errors.update(field_errors(exc, _FIELD_MAP))
        return None
    return EdssView.of(result)
