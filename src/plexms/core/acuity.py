"""Visual acuity in every notation, and the Visual FS grade that both eyes' acuities imply.

Every notation is converted to logMAR, the one canonical value:

- Snellen ``"20/40"`` (feet), ``"6/12"`` (metres) or any ``"n/d"`` (e.g. ``"3/60"``):
  decimal = n / d, logMAR = -log10(decimal).
- Letter-by-letter Snellen ``"20/40-2"``, ``"20/40+1"``: each letter missed adds 0.02 logMAR,
  each letter read on the next line subtracts 0.02 (5-letter lines, 0.1 logMAR per line;
  FERRIS_1982). Our reading on charts with other line lengths too, and stated in every answer.
  One to four letters are allowed; five letters are a whole line: record that line instead.
- Decimal and logMAR as such; ETDRS letters: logMAR = (85 - letters) / 50 (GREGORI_2010).
- Low vision: CF 1.9, HM 2.3, LP 2.7, NLP 3.0 logMAR (SCHULZE_BONSEL_2006; the usual
  convention, e.g. the R package ``eye``).

Acceptable range: logMAR -0.3 (20/10) to 3.0 (NLP).

>>> acuity = parse_acuity("20/40-2")
>>> round(acuity.logmar, 2), acuity.snellen_20, acuity.snellen_6, acuity.etdrs_letters
(0.34, '20/40-2', '6/12-2', 68)
>>> parse_acuity(0.5, "decimal").snellen_20
'20/40'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, get_args

from plexms.core.errors import InputError

__all__ = [
    "ACUITY_SOURCES",
    "LETTER_LOGMAR",
    "LOGMAR_RANGE",
    "LOW_VISION_LOGMAR",
    "VISUAL_FS_NOTE",
    "Acuity",
    "Eye",
    "NumericNotation",
    "VisualFsGrade",
    "acuity_from_decimal",
    "acuity_from_etdrs",
    "acuity_from_logmar",
    "acuity_from_snellen",
    "decimal_band_grade",
    "parse_acuity",
    "visual_fs_grade",
]

NumericNotation = Literal["decimal", "logmar", "etdrs"]
_NUMERIC: tuple[str, ...] = get_args(NumericNotation)
Eye = Literal["right", "left"]

# SCHULZE_BONSEL_2006 (convention of the R package `eye`): logMAR of the low-vision categories.
LOW_VISION_LOGMAR: dict[str, float] = {"CF": 1.9, "HM": 2.3, "LP": 2.7, "NLP": 3.0}
_CATEGORY_NAMES = {
    "CF": "counting fingers",
    "HM": "hand motion",
    "LP": "light perception",
    "NLP": "no light perception",
}
_ALIASES = {
    "CF": "CF",
    "COUNT FINGERS": "CF",
    "COUNTING FINGERS": "CF",
    "HM": "HM",
    "HAND MOTION": "HM",
    "HAND MOVEMENT": "HM",
    "HAND MOVEMENTS": "HM",
    "LP": "LP",
    "PL": "LP",
    "LIGHT PERCEPTION": "LP",
    "PERCEPTION OF LIGHT": "LP",
    "NLP": "NLP",
    "NPL": "NLP",
    "NO LIGHT PERCEPTION": "NLP",
}
# FERRIS_1982: 5 letters a line, 0.1 logMAR a line, so 0.02 logMAR a letter.
LETTER_LOGMAR = 0.02
_LETTERS_PER_LINE = 5
# Best (20/10: decimal 2.0, logMAR -0.301) to worst (NLP) value accepted.
LOGMAR_RANGE = (-math.log10(2.0), 3.0)
# GREGORI_2010: ETDRS letters = 85 - 50 x logMAR.
_ETDRS_AT_ZERO = 85
_ETDRS_PER_LOGMAR = 50
_ETDRS_RANGE = (0, 100)
# Conventional chart lines: denominators of logMAR 0.0-0.9 (x 10^k for other decades).
_FEET_MANTISSA = (20, 25, 32, 40, 50, 63, 80, 100, 125, 160)
_METRE_MANTISSA = (6, 7.5, 9.5, 12, 15, 19, 24, 30, 38, 48)
_SNELLEN = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(?:([+-])\s*(\d+))?\s*$"
)  # e.g. "20/40", "6/12", "20/40-2", "3/60"
ACUITY_SOURCES: tuple[str, ...] = (
    "GREGORI_2010",
    "SCHULZE_BONSEL_2006",
    "FERRIS_1982",
)
# Tolerance for comparing logMAR values built from floating-point arithmetic.
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Acuity:
    """One eye's acuity; ``logmar`` is canonical, the other notations are derived from it."""

    logmar: float
    category: str | None = None
    # From a Snellen string: the decimal of its line (n/d) and the letters missed (+) or read
    # beyond it (-), so that "20/30" is shown as 20/30 and 6/9, not as the nearest ETDRS line.
    snellen_line: float | None = None
    letters: int = 0

    @property
    def decimal(self) -> float:
        """Decimal acuity 10^-logMAR (a conventional equivalent for CF/HM/LP/NLP)."""
        return float(10.0**-self.logmar)

    @property
    def etdrs_letters(self) -> int:
        """ETDRS letter score 85 - 50 x logMAR, rounded, within 0-100 (GREGORI_2010)."""
        letters = math.floor(_ETDRS_AT_ZERO - _ETDRS_PER_LOGMAR * self.logmar + 0.5)
        return min(max(letters, _ETDRS_RANGE[0]), _ETDRS_RANGE[1])

    @property
    def snellen_20(self) -> str:
        """Snellen in feet on the nearest chart line, with letters (e.g. ``20/40-2``)."""
        return self.category or self._snellen(20, _FEET_MANTISSA)

    @property
    def snellen_6(self) -> str:
        """Snellen in metres on the nearest chart line, with letters (e.g. ``6/12-2``)."""
        return self.category or self._snellen(6, _METRE_MANTISSA)

    def _snellen(self, distance: int, mantissa: tuple[float, ...]) -> str:
        if self.snellen_line is not None:
            # As written; on a conventional chart line when within half a letter of one
            # (6/19 is shown as 20/63, not 20/63.3).
            line_logmar = -math.log10(self.snellen_line)
            tenths = math.floor(line_logmar * 10 + 0.5)
            if abs(line_logmar - tenths / 10) <= LETTER_LOGMAR / 2:
                denominator = _line_denominator(tenths, mantissa)
            else:
                denominator = distance / self.snellen_line
            extra = self.letters
        else:
            # Nearest letter, then nearest conventional chart line; -2..+2 letters remain.
            letters = math.floor(self.logmar / LETTER_LOGMAR + 0.5)
            line = _LETTERS_PER_LINE * math.floor(letters / _LETTERS_PER_LINE + 0.5)
            extra = letters - line
            denominator = _line_denominator(line // _LETTERS_PER_LINE, mantissa)
        return _with_letters(f"{distance}/{round(denominator, 1):g}", extra)


def _line_denominator(tenths: int, mantissa: tuple[float, ...]) -> float:
    decade, step = divmod(tenths, 10)
    return mantissa[step] * 10.0**decade


def _with_letters(text: str, extra: int) -> str:
    if extra > 0:
        return f"{text}-{extra}"
    if extra < 0:
        return f"{text}+{-extra}"
    return text


def acuity_from_logmar(logmar: float, *, field: str = "value") -> Acuity:
    """An acuity given in logMAR (-0.3 to 3.0).

    >>> acuity_from_logmar(1.0).snellen_20, acuity_from_logmar(1.0).decimal
    ('20/200', 0.1)
    """
    if not isinstance(logmar, int | float) or isinstance(logmar, bool):
        raise InputError(field, f"{logmar!r} is not a number", allowed=_LOGMAR_ALLOWED)
    if not LOGMAR_RANGE[0] - _EPS <= logmar <= LOGMAR_RANGE[1] + _EPS:  # also refuses NaN
        raise InputError(field, f"logMAR {logmar} is out of range", allowed=_LOGMAR_ALLOWED)
    return Acuity(float(logmar))


_LOGMAR_ALLOWED = "logMAR -0.3 (20/10) to 3.0 (NLP)"


def acuity_from_decimal(decimal: float, *, field: str = "value") -> Acuity:
    """An acuity given as a decimal fraction (0.001-2.0).

    >>> round(acuity_from_decimal(0.5).logmar, 3)
    0.301
    """
    if not isinstance(decimal, int | float) or isinstance(decimal, bool):
        raise InputError(field, f"{decimal!r} is not a number", allowed=_DECIMAL_ALLOWED)
    if not 0 < decimal <= 2.0 + _EPS:
        raise InputError(field, f"decimal {decimal} is out of range", allowed=_DECIMAL_ALLOWED)
    return acuity_from_logmar(-math.log10(decimal), field=field)


_DECIMAL_ALLOWED = "decimal 0.001-2.0 (use CF, HM, LP or NLP below that)"


def acuity_from_etdrs(letters: int, *, field: str = "value") -> Acuity:
    """An acuity given as an ETDRS letter score 0-100: logMAR = (85 - letters) / 50.

    >>> acuity_from_etdrs(70).logmar, acuity_from_etdrs(85).snellen_20
    (0.3, '20/20')
    """
    if type(letters) is float and letters.is_integer():
        letters = int(letters)
    if type(letters) is not int or not _ETDRS_RANGE[0] <= letters <= _ETDRS_RANGE[1]:
        raise InputError(
            field, f"{letters!r} is not an ETDRS letter score", allowed="whole letters 0-100"
        )
    return Acuity((_ETDRS_AT_ZERO - letters) / _ETDRS_PER_LOGMAR)


def acuity_from_snellen(text: str, *, field: str = "value") -> Acuity:
    """An acuity given in Snellen (``"20/40"``, ``"6/12"``, ``"20/40-2"``) or as CF/HM/LP/NLP.

    >>> acuity_from_snellen("6/12+1").snellen_20, acuity_from_snellen("hand motion").logmar
    ('20/40+1', 2.3)
    """
    category = _ALIASES.get(" ".join(text.upper().split()))
    if category is not None:
        return Acuity(LOW_VISION_LOGMAR[category], category=category)
    match = _SNELLEN.match(text)
    if match is None:
        raise InputError(field, f"{text!r} is not a Snellen acuity", allowed=_SNELLEN_ALLOWED)
    numerator, denominator = float(match[1]), float(match[2])
    if numerator <= 0 or denominator <= 0:
        raise InputError(field, f"{text!r} has a zero in it", allowed=_SNELLEN_ALLOWED)
    letters = 0
    if match[3]:
        letters = int(match[4])
        if not 1 <= letters < _LETTERS_PER_LINE:
            raise InputError(
                field,
                f"{text!r}: {letters} letters; a whole line is 5, record that line instead",
                allowed="1-4 letters after the line, e.g. 20/40-2",
            )
        letters = letters if match[3] == "-" else -letters
    line = numerator / denominator
    base = acuity_from_logmar(-math.log10(line) + letters * LETTER_LOGMAR, field=field)
    return Acuity(base.logmar, snellen_line=line, letters=letters)


_SNELLEN_ALLOWED = "20/x, 6/x or n/d (with -1..-4 or +1..+4 letters), CF, HM, LP, NLP"


def parse_acuity(
    value: str | float, notation: str | None = None, *, field: str = "value"
) -> Acuity:
    """An acuity in any notation: strings are Snellen or a category; numbers need ``notation``.

    >>> parse_acuity("CF").logmar, parse_acuity(55, "etdrs").logmar
    (1.9, 0.6)
    """
    if isinstance(value, str):
        if notation is not None:
            raise InputError(
                "notation",
                "a Snellen string or category needs no notation",
                allowed="omit notation for strings; decimal, logmar or etdrs for numbers",
            )
        return acuity_from_snellen(value, field=field)
    if notation == "decimal":
        return acuity_from_decimal(value, field=field)
    if notation == "logmar":
        return acuity_from_logmar(value, field=field)
    if notation == "etdrs":
        return acuity_from_etdrs(value, field=field)  # type: ignore[arg-type]
    raise InputError("notation", "a number needs its notation", allowed=", ".join(_NUMERIC))


@dataclass(frozen=True, slots=True)
class VisualFsGrade:
    """The Visual FS grade implied by both eyes' acuities (NEUROSTATUS_2010)."""

    grade: int
    worse_eye: Eye | None  # None when both eyes are equal
    worse_eye_band: int
    better_eye_at_most_0_33: bool
    rule: str


VISUAL_FS_NOTE = (
    "From acuity alone: disc pallor or a small scotoma (grade 1) and a large scotoma (grade 3) "
    "can raise the grade; the examiner's Visual FS score prevails."
)


# NEUROSTATUS_2010 bands on the worse eye's decimal acuity, rounded to hundredths as printed:
# (lowest hundredths in band, grade, band in words).
_BANDS: tuple[tuple[int, int, str], ...] = (
    (100, 0, "1.0 or better"),
    (68, 1, "below 1.0 but better than 0.67"),
    (34, 2, "0.67-0.34"),
    (21, 3, "0.33-0.21"),
    (10, 4, "0.20-0.10"),
    (0, 5, "below 0.10"),
)
_BETTER_EYE_LIMIT = 33  # hundredths: "better eye 0.33 or less" raises grades 3, 4, 5 by one


def _hundredths(acuity: Acuity) -> int:
    return math.floor(acuity.decimal * 100 + 0.5)


def decimal_band_grade(acuity: Acuity) -> tuple[int, str]:
    """The Neurostatus acuity band of one eye: ``(grade 0-5, band in words)``.

    >>> decimal_band_grade(parse_acuity("20/30")), decimal_band_grade(parse_acuity("20/100"))
    ((2, '0.67-0.34'), (4, '0.20-0.10'))
    """
    hundredths = _hundredths(acuity)
    for lowest, grade, words in _BANDS:  # pragma: no branch - the last band starts at 0
        if hundredths >= lowest:
            return grade, words
    raise AssertionError("unreachable")  # pragma: no cover


def visual_fs_grade(right: Acuity, left: Acuity) -> VisualFsGrade:
    """The Visual FS grade from both eyes' corrected acuities (NEUROSTATUS_2010).

    The worse eye's decimal acuity (rounded to hundredths) gives grade 0-5; when the better eye
    is 0.33 or less, worse-eye grades 3, 4 and 5 become 4, 5 and 6.

    >>> visual_fs_grade(parse_acuity("20/50"), parse_acuity("20/70")).grade
    3
    >>> visual_fs_grade(parse_acuity("20/70"), parse_acuity("20/300")).grade
    6
    """
    if right.logmar > left.logmar + _EPS:
        worse_eye: Eye | None = "right"
        worse, better = right, left
    elif left.logmar > right.logmar + _EPS:
        worse_eye, worse, better = "left", left, right
    else:
        worse_eye, worse, better = None, left, right
    band, words = decimal_band_grade(worse)
    better_low = _hundredths(better) <= _BETTER_EYE_LIMIT
    grade = band + 1 if better_low and band >= 3 else band
    which = f"worse eye ({worse_eye})" if worse_eye else "both eyes equal"
    rule = f"{which}: decimal {worse.decimal:.2f} is in band {words} (grade {band})"
    if grade != band:
        rule += f"; better eye {better.decimal:.2f} is 0.33 or less, so grade {grade}"
    return VisualFsGrade(grade, worse_eye, band, better_low, rule)
