"""``plexms calc acuity``: visual acuity in every notation, and the Visual FS grade of two eyes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from plexms.core.acuity import (
    ACUITY_SOURCES,
    LETTER_LOGMAR,
    VISUAL_FS_NOTE,
    Acuity,
    decimal_band_grade,
    parse_acuity,
    visual_fs_grade,
)
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.core.sources import source_dict
from plexms.services.calc import Calculator

__all__ = ["CALCULATOR", "AcuityRequest", "EyeAcuity", "acuity_dict", "compute"]

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


def acuity_dict(acuity: Acuity) -> dict[str, Any]:
    """The JSON form of one eye's acuity (logMAR to 2 places, decimal to 3 figures)."""
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
    return {
        "logmar": round(acuity.logmar, 2) + 0.0,
        "decimal": float(f"{acuity.decimal:.3g}"),
        "snellen_20": acuity.snellen_20,
        "snellen_6": acuity.snellen_6,
        "etdrs_letters": acuity.etdrs_letters,
        "category": acuity.category,
        "visual_fs_band": {"grade": band, "band": words},
        "notes": notes,
    }


def _eye(name: str, eye: EyeAcuity) -> Acuity:
    try:
        return parse_acuity(eye.value, eye.notation, field=f"{name}.value")
    except InputError as exc:
        if exc.field == "notation":
            raise InputError(f"{name}.notation", exc.message, allowed=exc.allowed) from None
        raise


def compute(request: AcuityRequest, policy: CentrePolicy) -> dict[str, Any]:
    """Convert one acuity, or each eye's (``policy`` is not used)."""
    sources = [source_dict(key) for key in ACUITY_SOURCES]
    eyes = {"right": request.right, "left": request.left}
    if request.value is not None:
        if request.right is not None or request.left is not None:
            raise InputError(
                "value", "give value, or right and left, not both", allowed="one of the two"
            )
        acuity = parse_acuity(request.value, request.notation)
        return {**acuity_dict(acuity), "sources": sources}
    if request.notation is not None:
        raise InputError("notation", "goes with value", allowed="value with notation")
    given = {name: _eye(name, eye) for name, eye in eyes.items() if eye is not None}
    if not given:
        raise InputError(
            "value", "an acuity is needed", allowed='value, or right and/or left: {"value": ...}'
        )
    body: dict[str, Any] = {name: acuity_dict(acuity) for name, acuity in given.items()}
    if len(given) == 2:
        fs = visual_fs_grade(given["right"], given["left"])
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


CALCULATOR = Calculator(
    name="acuity",
    summary="Visual acuity in every notation (Snellen, decimal, logMAR, ETDRS, CF/HM/LP/NLP).",
    request_model=AcuityRequest,
    compute=compute,
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
