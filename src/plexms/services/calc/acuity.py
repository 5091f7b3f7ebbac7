"""``plexms calc acuity``: visual acuity in every notation, and the Visual FS grade of two eyes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from plexms.core.acuity import (
    ACUITY_SOURCES,
    LETTER_LOGMAR,
    VISUAL_FS_NOTE,
    Acuity,
    VisualFsGrade,
    decimal_band_grade,
    parse_acuity,
    visual_fs_grade,
)
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.core.sources import source_dict
from plexms.services.calc import Calculator

__all__ = [
    "CALCULATOR",
    "AcuityAnswer",
    "AcuityReport",
    "AcuityRequest",
    "EyeAcuity",
    "VisualFsBand",
    "acuity_dict",
    "acuity_report",
    "compute",
    "to_json",
]

AcuityValue = StrictStr | StrictInt | StrictFloat
Notation = Literal["decimal", "logmar", "etdrs"]
_ETDRS_FLOOR_LOGMAR = 1.7  # 85 - 50 x 1.7 = 0 letters (GREGORI_2010)


class EyeAcuity(BaseModel):
    """One eye: a Snellen string or category, or a number with its notation."""

    model_config = ConfigDict(extra="forbid")

    value: AcuityValue = Field(description='"20/40", "6/12", "20/40-2", "CF", or a number.')
    notation: Notation | None = Field(default=None, description="Needed for numbers only.")


class AcuityRequest(BaseModel):
    """One acuity (``value``), or each eye (``right``, ``left``; both give the Visual FS)."""

    model_config = ConfigDict(extra="forbid")

    value: AcuityValue | None = Field(
        default=None, description='"20/40", "6/12", "20/40-2", "CF", or a number with notation.'
    )
    notation: Notation | None = None
    right: EyeAcuity | None = None
    left: EyeAcuity | None = None


@dataclass(frozen=True, slots=True)
class VisualFsBand:
    """The Neurostatus acuity band of one eye: the grade it implies and the band in words."""

    grade: int
    band: str


@dataclass(frozen=True, slots=True)
class AcuityReport:
    """One eye's acuity as reported (and stored): logMAR to 2 places, decimal to 3 figures,
    every notation, the Neurostatus band and the notes on how it was read."""

    logmar: float
    decimal: float
    snellen_20: str
    snellen_6: str
    etdrs_letters: int
    category: str | None
    visual_fs_band: VisualFsBand
    notes: tuple[str, ...]


def acuity_report(acuity: Acuity) -> AcuityReport:
    """The report of one eye's acuity (what :func:`acuity_dict` writes as JSON)."""
    band, words = decimal_band_grade(acuity)
    notes = []
    if acuity.letters:
        count = abs(acuity.letters)
        where = "missed on the line" if acuity.letters > 0 else "read on the next line"
        notes.append(f"{count} letter(s) {where}: {LETTER_LOGMAR} logMAR each (5-letter lines)")
    if acuity.category:
        notes.append(
            "low-vision category: logMAR and decimal are conventional equivalents "
            "(CF 1.9, HM 2.3, LP 2.7, NLP 3.0), not measured acuities"
        )
    elif acuity.snellen_line is None:
        notes.append("Snellen shown on the nearest chart line, +/- letters of 0.02 logMAR")
    if acuity.logmar > _ETDRS_FLOOR_LOGMAR:
        notes.append("below the ETDRS chart: 0 letters")
    return AcuityReport(
        logmar=round(acuity.logmar, 2) + 0.0,
        decimal=float(f"{acuity.decimal:.3g}"),
        snellen_20=acuity.snellen_20,
        snellen_6=acuity.snellen_6,
        etdrs_letters=acuity.etdrs_letters,
        category=acuity.category,
        visual_fs_band=VisualFsBand(band, words),
        notes=tuple(notes),
    )


def acuity_dict(acuity: Acuity) -> dict[str, Any]:
    """The JSON form of one eye's acuity (logMAR to 2 places, decimal to 3 figures)."""
    report = acuity_report(acuity)
    band = report.visual_fs_band
    return {
        "logmar": report.logmar,
        "decimal": report.decimal,
        "snellen_20": report.snellen_20,
        "snellen_6": report.snellen_6,
        "etdrs_letters": report.etdrs_letters,
        "category": report.category,
        "visual_fs_band": {"grade": band.grade, "band": band.band},
        "notes": list(report.notes),
    }


def _eye(name: str, eye: EyeAcuity) -> Acuity:
    try:
        return parse_acuity(eye.value, eye.notation, field=f"{name}.value")
    except InputError as exc:
        if exc.field == "notation":
            raise InputError(f"{name}.notation", exc.message, allowed=exc.allowed) from None
        raise


@dataclass(frozen=True)
class AcuityAnswer:
    """One acuity (``acuity``), or each eye given, with the Visual FS grade when both are."""

    acuity: Acuity | None = None
    right: Acuity | None = None
    left: Acuity | None = None
    visual_fs: VisualFsGrade | None = None


def compute(
    request: AcuityRequest, policy: CentrePolicy, now: dt.datetime | None = None
) -> AcuityAnswer:
    """Convert one acuity, or each eye's (``policy`` and ``now`` are not used)."""
    if request.value is not None:
        if request.right is not None or request.left is not None:
            raise InputError(
                "value", "give value, or right and left, not both", allowed="one of the two"
            )
        return AcuityAnswer(acuity=parse_acuity(request.value, request.notation))
    if request.notation is not None:
        raise InputError("notation", "goes with value", allowed="value with notation")
    right = _eye("right", request.right) if request.right is not None else None
    left = _eye("left", request.left) if request.left is not None else None
    if right is None and left is None:
        raise InputError(
            "value", "an acuity is needed", allowed='value, or right and/or left: {"value": ...}'
        )
    both = visual_fs_grade(right, left) if right is not None and left is not None else None
    return AcuityAnswer(right=right, left=left, visual_fs=both)


def to_json(answer: AcuityAnswer) -> dict[str, Any]:
    """The JSON form of the answer (sources last)."""
    sources = [source_dict(key) for key in ACUITY_SOURCES]
    if answer.acuity is not None:
        return {**acuity_dict(answer.acuity), "sources": sources}
    body: dict[str, Any] = {}
    for name, acuity in (("right", answer.right), ("left", answer.left)):
        if acuity is not None:
            body[name] = acuity_dict(acuity)
    if answer.visual_fs is not None:
        fs = answer.visual_fs
        body["visual_fs"] = {
            "grade": fs.grade,
            "worse_eye": fs.worse_eye,
            "rule": fs.rule,
            "note": VISUAL_FS_NOTE,
            "source": source_dict("NEUROSTATUS_2010"),
        }
        sources.append(source_dict("NEUROSTATUS_2010"))
    body["sources"] = sources
    return body


CALCULATOR: Calculator[AcuityRequest, AcuityAnswer] = Calculator(
    name="acuity",
    summary="Visual acuity in every notation (Snellen, decimal, logMAR, ETDRS, CF/HM/LP/NLP).",
    request_model=AcuityRequest,
    compute=compute,
    to_json=to_json,
    help=(
        'Request: {"value": "20/40"} (strings with "/" are Snellen, e.g. "6/12" or "20/40-2"; '
        '"CF", "HM", "LP", "NLP" are categories) or {"value": 0.5, "notation": "decimal"} '
        '(numbers need notation: decimal, logmar or etdrs); or each eye, {"right": {"value": '
        '"20/40"}, "left": {"value": "CF"}}, which adds the Visual FS grade (Neurostatus bands). '
        "Response: logmar, decimal, snellen_20, snellen_6, etdrs_letters, category, "
        "visual_fs_band, notes, sources. Letters: each letter missed (-) or read beyond the "
        "line (+) is 0.02 logMAR. CF 1.9, HM 2.3, LP 2.7, NLP 3.0 logMAR by convention; ETDRS "
        "letters = 85 - 50 x logMAR (0-100)."
    ),
)
