"""Visual acuity per eye in the clinic's notation, through the ``acuity`` calculator.

A Snellen chart value (``20/40``, ``20/40-2``, ``6/12``) or a low-vision category (CF, HM, LP,
NLP) is sent as a string; decimal, logMAR and ETDRS letters as a number with its notation. The
typed answer (:class:`~plexms.web.calc_views.AcuityView`) carries every notation; the page
shows the clinic's (Snellen in feet for a US centre, in metres otherwise) beside logMAR.
"""

from __future__ import annotations

import math
from typing import Any

from plexms.core import acuity as core_acuity
from plexms.core.errors import InputError
from plexms.services.calc import acuity as acuity_calc
from plexms.web.calc_views import AcuityView
from plexms.web.forms import FormReader

__all__ = ["EYES", "NOTATIONS", "acuity_of", "default_notation", "read_eyes", "show"]

EYES: tuple[tuple[str, str], ...] = (("right", "Right eye (OD)"), ("left", "Left eye (OS)"))
NOTATIONS: tuple[tuple[str, str], ...] = (
    ("snellen", "Snellen (20/x or 6/x; CF, HM, LP, NLP)"),
    ("decimal", "Decimal"),
    ("logmar", "logMAR"),
    ("etdrs", "ETDRS letters"),
)
_NUMERIC = {"decimal", "logmar", "etdrs"}


def default_notation(units_system: str) -> str:
    """The notation a clinic types by default (both conventions use Snellen charts)."""
    return "snellen" if units_system in ("us", "si") else "logmar"


def _request(text: str, notation: str) -> dict[str, Any]:
    if notation in _NUMERIC:
        number = float(text.replace(",", "."))
        if not math.isfinite(number):  # nan, inf, 1e400: float() takes them, nothing else does
            raise ValueError(text)
        if notation == "etdrs":
            if number != int(number):
                raise InputError("value", "ETDRS letters are a whole number", allowed="0-100")
            return {"value": int(number), "notation": notation}
        return {"value": number, "notation": notation}
    return {"value": text}


def acuity_of(text: str, notation: str) -> AcuityView:
    """Every notation of one eye's acuity typed as ``text`` in ``notation`` (InputError if bad)."""
    try:
        request = _request(text, notation)
    except ValueError:
        raise InputError("value", f"“{text}” is not a number", allowed=notation) from None
    try:
        answer = acuity_calc.CALCULATOR.evaluate(request, now=None)
    except InputError as exc:
        raise InputError("value", exc.message, allowed=exc.allowed) from None
    if answer.acuity is None:  # pragma: no cover - a request with "value" is answered so
        raise TypeError(answer)
    return AcuityView.of(acuity_calc.acuity_report(answer.acuity))


def read_eyes(reader: FormReader, prefix: str = "va") -> dict[str, AcuityView | None]:
    """Both eyes from fields ``{prefix}_right``/``{prefix}_left`` and ``{prefix}_notation``.

    An empty field is ``None`` (not measured); a bad one leaves its message beside the field.
    """
    notation = reader.choice(f"{prefix}_notation", [n for n, _ in NOTATIONS]) or "snellen"
    eyes: dict[str, AcuityView | None] = {}
    for eye, _ in EYES:
        name = f"{prefix}_{eye}"
        text = reader.raw(name)
        eyes[eye] = None
        if not text:
            continue
        try:
            eyes[eye] = acuity_of(text, notation)
        except InputError as exc:
            allowed = f" (allowed: {exc.allowed})" if exc.allowed else ""
            reader.fail(name, f"{exc.message}{allowed}")
    return eyes


def show(logmar: float | None, units_system: str) -> str:
    """A stored logMAR in the clinic's Snellen notation with logMAR beside it."""
    if logmar is None:
        return "—"
    found = core_acuity.acuity_from_logmar(logmar)
    snellen = found.snellen_20 if units_system == "us" else found.snellen_6
    return f"{snellen} (logMAR {logmar:.2f})"
