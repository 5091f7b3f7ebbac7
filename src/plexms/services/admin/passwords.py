"""Which passwords are too weak to accept (issue 15, item 9; NIST SP 800-63B 5.1.1.2 asks
for a check against commonly used and expected passwords).

Beyond the length rule of :func:`plexms.services.admin.auth.validate_password`, a password
is refused when it is blank (all whitespace), has fewer than :data:`MIN_DISTINCT` different
characters (``aaaaaaaaaaaa``, ``121212121212``), is one run of a keyboard or the alphabet
(``123456789012``), repeats a short piece, is the username, or is a common password: one of
the roots shipped in ``common_passwords.json`` (keyboard walks, names, words, seasons,
months, and this service's own words) once lower-cased, with ``@ $ 0 1 3 4 5 7`` read as
letters, and with the digits and symbols at either end taken off (``P@ssw0rd2024!`` is
``password``). Local policy; no third-party estimator is needed.
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path

__all__ = ["MIN_DISTINCT", "weakness"]

MIN_DISTINCT = 5
_LIST = Path(__file__).with_name("common_passwords.json")
_EDGES = string.digits + string.punctuation + string.whitespace
_LEET = str.maketrans(
    {"@": "a", "$": "s", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
)
_RUNS = (
    "0123456789012345678901234567890",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1234567890qwertyuiopasdfghjklzxcvbnm",
)


@cache
def _common() -> frozenset[str]:
    return frozenset(json.loads(_LIST.read_text(encoding="utf-8"))["words"])


def _forms(password: str) -> set[str]:
    lower = password.lower()
    core = lower.strip(_EDGES)
    squeezed = "".join(core.split())
    forms = {lower, core, squeezed, lower.translate(_LEET), core.translate(_LEET)}
    forms.add(squeezed.translate(_LEET).strip(_EDGES))
    return {f for f in forms if f}


def _is_run(text: str) -> bool:
    return len(text) >= 4 and any(text in run or text in run[::-1] for run in _RUNS)


def _repeats(text: str) -> bool:
    """``text`` is a piece of at most a third of it said again and again."""
    n = len(text)
    return any(n % k == 0 and text == text[:k] * (n // k) for k in range(1, n // 3 + 1))


def weakness(password: str, username: str = "") -> str | None:
    """Why ``password`` is too weak, or ``None`` when it may be used.

    >>> weakness("P@ssw0rd2024!")
    'is a common password'
    >>> weakness("correct horse battery") is None
    True
    """
    if not password.strip():
        return "is blank"
    if len(set(password)) < MIN_DISTINCT:
        return f"has fewer than {MIN_DISTINCT} different characters"
    forms = _forms(password)
    user = username.strip().lower()
    if user and len(user) >= 3 and (user in forms or any(f.strip(_EDGES) == user for f in forms)):
        return "is the username"
    common = _common()
    for form in forms:
        if form in common:
            return "is a common password"
        if _is_run(form) or _is_run(password.lower()):
            return "is a run of the keyboard or the alphabet"
        if _repeats(form):
            return "repeats a short piece"
        stripped = form.strip(_EDGES)
        if stripped in common or (len(stripped) >= 4 and _repeats(stripped)):
            return "is a common password" if stripped in common else "repeats a short piece"
    return None
