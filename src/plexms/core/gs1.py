"""GS1 element strings, as a barcode scanner or a label prints them (GS1 General
Specifications, section 3 "GS1 Application Identifier definitions" and 7.8 "Processing of
data from a GS1 symbol using the GS1 Application Identifiers"; source ``GS1_GENSPECS``).

Two spellings are read:

- the human-readable interpretation, each application identifier (AI) in parentheses:
  ``(01)09506000134352(17)201225(10)ABC123``;
- the raw scan: AIs and values run together, a variable-length value ended by the group
  separator (FNC1 transmitted as ``\\x1d``) unless it is the last; an optional symbology
  identifier (``]C1``, ``]d2``, ``]Q3``, ``]e0``) in front is dropped.

The medicines and devices a session uses carry (01) GTIN, (17) expiry, (10) lot and
(21) serial; the other common AIs are known so that a label carrying them still parses.

>>> scan = parse("(01)09506000134352(17)201225(10)ABC123", reference_year=2026)
>>> scan.gtin, scan.lot, scan.expiry.isoformat()
('09506000134352', 'ABC123', '2020-12-25')
>>> parse("0109506000134352" "10ABC123\\x1d" "21XYZ", reference_year=2026).serial
'XYZ'
>>> encode({"01": "09506000134352", "10": "ABC123"})
'(01)09506000134352(10)ABC123'
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from plexms.core.errors import InputError

__all__ = [
    "AI_SPECS",
    "GROUP_SEPARATOR",
    "AiSpec",
    "Gs1Data",
    "check_digit",
    "encode",
    "expiry_date",
    "parse",
]

GROUP_SEPARATOR = "\x1d"
_FIELD = "barcode"


@dataclass(frozen=True, slots=True)
class AiSpec:
    """One application identifier: its data title, whether the value is digits only, and its
    length (``fixed`` = exactly ``max_length``; otherwise 1 to ``max_length``)."""

    ai: str
    title: str
    numeric: bool
    max_length: int
    fixed: bool


def _spec(ai: str, title: str, fmt: str) -> AiSpec:
    numeric = fmt[0] == "N"
    if ".." in fmt:
        return AiSpec(ai, title, numeric, int(fmt.split("..")[1]), fixed=False)
    return AiSpec(ai, title, numeric, int(fmt[1:]), fixed=True)


#: The AIs read (GS1 General Specifications, section 3.2, format column).
AI_SPECS: dict[str, AiSpec] = {
    s.ai: s
    for s in (
        _spec("00", "SSCC", "N18"),
        _spec("01", "GTIN", "N14"),
        _spec("02", "CONTENT", "N14"),
        _spec("10", "BATCH/LOT", "X..20"),
        _spec("11", "PROD DATE", "N6"),
        _spec("12", "DUE DATE", "N6"),
        _spec("13", "PACK DATE", "N6"),
        _spec("15", "BEST BEFORE", "N6"),
        _spec("16", "SELL BY", "N6"),
        _spec("17", "USE BY OR EXPIRY", "N6"),
        _spec("20", "VARIANT", "N2"),
        _spec("21", "SERIAL", "X..20"),
        _spec("22", "CPV", "X..20"),
        _spec("30", "VAR. COUNT", "N..8"),
        _spec("37", "COUNT", "N..8"),
        _spec("240", "ADDITIONAL ID", "X..30"),
        _spec("241", "CUST. PART No.", "X..30"),
        _spec("250", "SECONDARY SERIAL", "X..30"),
        _spec("90", "INTERNAL", "X..30"),
    )
}

# GS1 AI encodable character set 82 (General Specifications figure 7.11-1).
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_SYMBOLOGY_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_BRACKETED = re.compile(r"\((\d{2,4})\)")
_DATE_AIS = ("11", "12", "13", "15", "16", "17")


@dataclass(frozen=True)
class Gs1Data:
    """What a GS1 string carries: every element (AI -> value, in order) and the four a
    session records, typed."""

    elements: dict[str, str] = field(default_factory=dict)
    gtin: str = ""
    lot: str = ""
    serial: str = ""
    expiry: dt.date | None = None


def check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of ``digits`` (the GTIN without its last digit).

    Weights 3 and 1 alternate from the right (General Specifications 7.9.1).

    >>> check_digit("0950600013435")
    2
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def expiry_date(yymmdd: str, *, reference_year: int) -> dt.date:
    """A YYMMDD date of a GS1 AI; DD ``00`` means the month's last day (General
    Specifications 3.4.7). The century follows 7.12: a year more than 50 years ahead of
    ``reference_year`` is in the past century, more than 49 behind in the next.

    >>> expiry_date("270200", reference_year=2026)
    datetime.date(2027, 2, 28)
    >>> expiry_date("991231", reference_year=2026)
    datetime.date(1999, 12, 31)
    """
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        raise InputError(_FIELD, f"date {yymmdd!r} is not YYMMDD", allowed="6 digits")
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = reference_year - reference_year % 100
    difference = yy - reference_year % 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    year = century + yy
    if not 1 <= month <= 12:
        raise InputError(_FIELD, f"date {yymmdd!r} has month {month:02d}", allowed="01-12")
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise InputError(_FIELD, f"date {yymmdd!r} has day {day:02d}", allowed=f"00-{last:02d}")
    return dt.date(year, month, day or last)


def _spec_at(text: str, pos: int) -> AiSpec:
    for size in (2, 3, 4):
        spec = AI_SPECS.get(text[pos : pos + size])
        if spec is not None:
            return spec
    raise InputError(
        _FIELD,
        f"unknown application identifier at {text[pos : pos + 4]!r}",
        allowed=", ".join(f"({ai})" for ai in AI_SPECS),
    )


def _check_value(spec: AiSpec, value: str) -> None:
    name = f"({spec.ai}) {spec.title}"
    if spec.fixed and len(value) != spec.max_length:
        raise InputError(
            _FIELD, f"{name} has {len(value)} characters", allowed=str(spec.max_length)
        )
    if not 1 <= len(value) <= spec.max_length:
        raise InputError(
            _FIELD, f"{name} has {len(value)} characters", allowed=f"1-{spec.max_length}"
        )
    if spec.numeric and not value.isdigit():
        raise InputError(_FIELD, f"{name} must be digits: {value!r}")
    if not _CSET82.fullmatch(value):
        raise InputError(_FIELD, f"{name} {value!r} has a character GS1 does not allow")


def _split_bracketed(text: str) -> list[tuple[str, str]]:
    parts = _BRACKETED.split(text)
    if parts[0]:
        raise InputError(_FIELD, f"text before the first (AI): {parts[0]!r}")
    pairs = []
    for ai, value in zip(parts[1::2], parts[2::2], strict=True):
        if ai not in AI_SPECS:
            raise InputError(
                _FIELD, f"unknown application identifier ({ai})", allowed=", ".join(AI_SPECS)
            )
        pairs.append((ai, value.rstrip(GROUP_SEPARATOR)))
    return pairs


def _split_raw(text: str) -> list[tuple[str, str]]:
    pairs = []
    pos = 0
    while pos < len(text):
        if text[pos] == GROUP_SEPARATOR:
            pos += 1
            continue
        spec = _spec_at(text, pos)
        start = pos + len(spec.ai)
        if spec.fixed:
            end = start + spec.max_length
        else:
            gs = text.find(GROUP_SEPARATOR, start)
            end = len(text) if gs < 0 else gs
        pairs.append((spec.ai, text[start:end]))
        pos = end
    return pairs


def parse(text: str, *, reference_year: int) -> Gs1Data:
    """The elements of a GS1 string (bracketed or raw); :class:`InputError` on ``barcode``
    for an unknown AI, a value of the wrong length or characters, a repeated AI, a GTIN
    whose check digit is wrong or an impossible date. ``reference_year`` (the current year,
    from the caller) places a two-digit year in its century.

    >>> parse("]d2" "0109501101530003" "17140704" "10AB-123", reference_year=2026).lot
    'AB-123'
    """
    text = _SYMBOLOGY_ID.sub("", text.strip())
    if not text:
        raise InputError(_FIELD, "is empty")
    pairs = _split_bracketed(text) if text.startswith("(") else _split_raw(text)
    elements: dict[str, str] = {}
    for ai, value in pairs:
        if ai in elements:
            raise InputError(_FIELD, f"({ai}) appears twice")
        _check_value(AI_SPECS[ai], value)
        elements[ai] = value
    for ai in ("00", "01", "02"):
        code = elements.get(ai)
        if code is not None and int(code[-1]) != check_digit(code[:-1]):
            raise InputError(
                _FIELD,
                f"({ai}) {code} fails its check digit",
                allowed=f"last digit {check_digit(code[:-1])}",
            )
    dates = {
        ai: expiry_date(elements[ai], reference_year=reference_year)
        for ai in _DATE_AIS
        if ai in elements
    }
    return Gs1Data(
        elements=elements,
        gtin=elements.get("01", ""),
        lot=elements.get("10", ""),
        serial=elements.get("21", ""),
        expiry=dates.get("17"),
    )


def encode(elements: dict[str, str], *, bracketed: bool = True) -> str:
    """A GS1 string of ``elements`` (AI -> value, in order): bracketed, or raw with a group
    separator after each variable-length value that is not the last.

    >>> encode({"10": "A1", "17": "270131"}, bracketed=False)
    '10A1\\x1d17270131'
    """
    if bracketed:
        return "".join(f"({ai}){value}" for ai, value in elements.items())
    out = []
    items = list(elements.items())
    for i, (ai, value) in enumerate(items):
        out.append(ai + value)
        if not AI_SPECS[ai].fixed and i < len(items) - 1:
            out.append(GROUP_SEPARATOR)
    return "".join(out)
