"""Small-cell suppression for aggregate answers that leave a centre (issue 19, item 3).

A count between 1 and ``k - 1`` can identify a patient, so it is withheld (``None``); a zero
is shown (it says nobody, not who). When a set of counts is published with its total and only
one of them was withheld, it could be recovered by subtraction: the smallest other non-zero
count is withheld too (complementary suppression). ``k`` = 5 is the usual threshold of
registries and statistics offices (local policy of the federation; a setting).

>>> suppress({"a": 12, "b": 3, "c": 0, "d": 40}, k=5)
{'a': None, 'b': None, 'c': 0, 'd': 40}
>>> suppress({"a": 12, "b": 30}, k=5)
{'a': 12, 'b': 30}
"""

from __future__ import annotations

from collections.abc import Mapping

from plexms.core.errors import InputError

__all__ = ["DEFAULT_K", "is_small", "suppress"]

#: Cells below this count are withheld unless a federation sets another ``k``.
DEFAULT_K = 5


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError("k", f"{k!r} is not a cell-size threshold", allowed="an integer >= 1")


def is_small(count: int, k: int) -> bool:
    """Whether ``count`` is a small cell (1 to ``k - 1``) that must not be published.

    >>> [is_small(n, 5) for n in (0, 1, 4, 5)]
    [False, True, True, False]
    """
    _check_k(k)
    return 0 < count < k


def suppress(cells: Mapping[str, int], k: int = DEFAULT_K) -> dict[str, int | None]:
    """``cells`` with small counts withheld, and one more when a single withheld count could
    be recovered from the published total."""
    _check_k(k)
    for key, count in cells.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(f"cells.{key}", f"{count!r} is not a count", allowed=">= 0")
    out: dict[str, int | None] = {
        key: None if is_small(count, k) else count for key, count in cells.items()
    }
    withheld = [key for key, value in out.items() if value is None]
    if len(withheld) == 1:
        shown = sorted((v, key) for key, v in out.items() if v)
        if shown:
            out[shown[0][1]] = None
    return out
