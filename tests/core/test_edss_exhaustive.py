"""Every one of the 518,616 raw FS combinations, checked against a second implementation.

The second implementation is table-driven and vectorised: the rule table of
``shared/reference/edss.md`` written out as data (highest converted grade and ranges of the
counts per grade), applied with NumPy to all combinations at once. It shares no code with
``plexms.core.edss``. The production ``score_edss`` is called on every combination, once
with ambulation score 0 (the EDSS is then the FS step: it must never fall when any FS rises)
and once with each of the 17 ambulation scores in turn, and on the combinations where the
Kurtzke-literal variant differs; it must raise nothing, agree with the table (and the
ambulation minimum) everywhere, and give only valid EDSS steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import coverage
import numpy as np
import pytest

from plexms.core.edss import KURTZKE_LITERAL, NEUROSTATUS, EdssOptions, score_edss

NAMES = ("visual", "brainstem", "pyramidal", "cerebellar", "sensory", "bowel_bladder", "cerebral")
SHAPE = (7, 6, 7, 6, 7, 7, 6)  # raw grades 0-6, 0-5, 0-6, 0-5, 0-6, 0-6, 0-5
VISUAL = np.array([0, 1, 2, 2, 3, 3, 4])
BOWEL_BLADDER = np.array([0, 1, 2, 3, 3, 4, 5])
VALID_STEPS = np.array([0.0, *np.arange(1.0, 10.01, 0.5)])

# The rule table: (highest converted grade m, {grade k: (lowest, highest) count of FS at k}, step).
TABLE: list[tuple[int, dict[int, tuple[int, int]], float]] = [
    (0, {}, 0.0),
    (1, {1: (1, 1)}, 1.0),
    (1, {1: (2, 7)}, 1.5),
    (2, {2: (1, 1)}, 2.0),
    (2, {2: (2, 2)}, 2.5),
    (2, {2: (3, 4)}, 3.0),
    (2, {2: (5, 5)}, 3.5),
    (2, {2: (6, 7)}, 4.0),
    (3, {3: (1, 1), 2: (0, 0)}, 3.0),
    (3, {3: (1, 1), 2: (1, 2)}, 3.5),
    (3, {3: (1, 1), 2: (3, 7)}, 4.0),
    (3, {3: (2, 2), 2: (0, 0)}, 3.5),
    (3, {3: (2, 2), 2: (1, 7)}, 4.0),
    (3, {3: (3, 4)}, 4.0),
    (3, {3: (5, 5)}, 4.5),
    (3, {3: (6, 7)}, 5.0),
    (4, {4: (1, 1), 3: (0, 0), 2: (0, 0)}, 4.0),
    (4, {4: (1, 1), 3: (1, 2)}, 4.5),
    (4, {4: (1, 1), 3: (0, 0), 2: (1, 7)}, 4.5),
    (4, {4: (1, 1), 3: (3, 7)}, 5.0),
    (4, {4: (2, 7)}, 5.0),
    (5, {}, 5.0),
    (6, {}, 5.0),
]
MINIMUM = {
    0: 0.0, 1: 2.0, 2: 4.5, 3: 5.0, 4: 5.5, 5: 6.0, 6: 6.0, 7: 6.0, 8: 6.5,
    9: 6.5, 10: 7.0, 11: 7.5, 12: 8.0, 13: 8.5, 14: 9.0, 15: 9.5, 16: 10.0,
}  # fmt: skip


def _raw() -> np.ndarray:
    """All raw combinations, one row each, in C order of SHAPE."""
    return np.indices(SHAPE).reshape(7, -1).T


def table_steps(raw: np.ndarray, cerebral_1_counts: bool = True) -> np.ndarray:
    """The FS-derived step of every row of ``raw`` by the rule table (vectorised)."""
    converted = raw.copy()
    converted[:, 0] = VISUAL[raw[:, 0]]
    converted[:, 5] = BOWEL_BLADDER[raw[:, 5]]
    if not cerebral_1_counts:
        converted[:, 6] = np.where(raw[:, 6] == 1, 0, raw[:, 6])
    highest = converted.max(axis=1)
    counts = {k: (converted == k).sum(axis=1) for k in range(7)}
    steps = np.full(len(raw), np.nan)
    matches = np.zeros(len(raw), dtype=int)
    for m, conditions, step in TABLE:
        mask = highest == m
        for k, (low, high) in conditions.items():
            mask &= (counts[k] >= low) & (counts[k] <= high)
        steps[mask] = step
        matches += mask
    # The table is complete and unambiguous: every combination matches exactly one row.
    assert (matches == 1).all(), np.argwhere(matches != 1)[:5]
    return steps


@pytest.fixture(scope="module")
def raw() -> np.ndarray:
    grid = _raw()
    assert len(grid) == 518_616 == 7 * 6 * 7 * 6 * 7 * 7 * 6
    return grid


@pytest.fixture(scope="module")
def expected_steps(raw: np.ndarray) -> np.ndarray:
    return table_steps(raw)


@contextmanager
def _untraced() -> Iterator[None]:
    """Pause coverage tracing, if on, around half a million calls.

    Every line and branch of plexms.core.edss is covered by test_edss.py; tracing these loops
    would only make them three times slower.
    """
    current = coverage.Coverage.current()
    if current is None:
        yield
        return
    current.stop()
    try:
        yield
    finally:
        current.start()


def _production(
    raw: np.ndarray, ambulation: np.ndarray, options: EdssOptions
) -> tuple[np.ndarray, np.ndarray]:
    """The production EDSS and FS step of every row (ambulation score per row)."""
    edss = np.empty(len(raw))
    steps = np.empty(len(raw))
    with _untraced():
        for i, (row, score) in enumerate(zip(raw.tolist(), ambulation.tolist(), strict=True)):
            result = score_edss(dict(zip(NAMES, row, strict=True)), ambulation_score=score,
                                options=options)  # fmt: skip
            edss[i] = result.edss
            steps[i] = result.fs_step
    return edss, steps


def _assert_monotone(values: np.ndarray) -> None:
    grid = values.reshape(SHAPE)
    for axis in range(7):
        assert (np.diff(grid, axis=axis) >= 0).all(), f"EDSS falls when {NAMES[axis]} rises"


def test_every_combination_unrestricted_walking(
    raw: np.ndarray, expected_steps: np.ndarray
) -> None:
    # Ambulation score 0: the EDSS is the FS step itself, so monotonicity is seen directly.
    edss, steps = _production(raw, np.zeros(len(raw), dtype=int), NEUROSTATUS)
    np.testing.assert_array_equal(steps, expected_steps)
    np.testing.assert_array_equal(edss, expected_steps)
    assert np.isin(edss, VALID_STEPS).all()
    _assert_monotone(edss)


def test_every_combination_with_every_ambulation_score(
    raw: np.ndarray, expected_steps: np.ndarray
) -> None:
    # Each combination gets one of the 17 ambulation scores in turn (row index modulo 17),
    # so every score is met about 30,000 times across the whole grid.
    ambulation = np.arange(len(raw)) % 17
    edss, steps = _production(raw, ambulation, NEUROSTATUS)
    np.testing.assert_array_equal(steps, expected_steps)
    floor = np.array([MINIMUM[a] for a in range(17)])[ambulation]
    np.testing.assert_array_equal(edss, np.maximum(expected_steps, floor))
    assert np.isin(edss, VALID_STEPS).all()
    _assert_monotone(steps)  # and so, at any one ambulation score, max(step, minimum) too


def test_every_combination_where_kurtzke_differs(raw: np.ndarray) -> None:
    # Kurtzke-literal differs only for cerebral grade 1 and ambulation score 1: all 86,436
    # combinations with cerebral 1, each ambulation score in turn.
    subset = raw[raw[:, 6] == 1]
    assert len(subset) == 518_616 // 6
    ambulation = np.arange(len(subset)) % 17
    edss, steps = _production(subset, ambulation, KURTZKE_LITERAL)
    expected = table_steps(subset, cerebral_1_counts=False)
    np.testing.assert_array_equal(steps, expected)
    floor = np.array([{**MINIMUM, 1: 4.0}[a] for a in range(17)])[ambulation]
    np.testing.assert_array_equal(edss, np.maximum(expected, floor))
    assert np.isin(edss, VALID_STEPS).all()


def test_the_second_implementation_is_itself_right() -> None:
    # Spot checks of the vectorised table against the worked examples of edss.md.
    rows = np.array(
        [
            [6, 0, 0, 0, 0, 6, 0],  # -> 5.0
            [1, 2, 1, 3, 1, 4, 2],  # -> 4.0
            [0, 0, 4, 0, 0, 0, 0],  # -> 4.0
            [0, 0, 4, 2, 0, 0, 0],  # -> 4.5
            [0, 3, 3, 3, 3, 0, 3],  # -> 4.5
            [0, 0, 0, 0, 0, 0, 1],  # -> 1.0
        ]
    )
    np.testing.assert_array_equal(table_steps(rows), [5.0, 4.0, 4.0, 4.5, 4.5, 1.0])
    np.testing.assert_array_equal(table_steps(rows, cerebral_1_counts=False)[-1:], [0.0])
