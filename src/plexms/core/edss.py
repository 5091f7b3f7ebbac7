"""Expanded Disability Status Scale (EDSS) from the functional systems and the ambulation score.

Rules (``shared/reference/edss.md``; NEUROSTATUS_2010 refining KURTZKE_1983):

1. The seven raw functional-system (FS) scores are converted: visual 6->4, 5->3, 4->3, 3->2;
   bowel/bladder 6->5, 5->4, 4->3. The others enter as they are.
2. The FS-derived step comes from the highest converted grade and how many FS reach each grade
   (:func:`fs_step`, one branch per row of the rule table).
3. The ambulation score (AS, 0-16) sets a minimum EDSS (:data:`AMBULATION_MINIMUM`). A walk
   (distance in metres and the aid used) is converted to the AS by
   :func:`ambulation_score_from_walks`, taking the patient's best performance.
4. EDSS = max(FS-derived step, ambulation minimum).

An FS that is not assessable (``None``) or recorded as not due to MS is not counted (it enters as
grade 0) and is reported; when a not-assessable FS could have changed the EDSS, the result says
it is uncertain and gives the range the EDSS would span over that FS's possible grades.

Two known ambiguities are options (:class:`EdssOptions`): cerebral grade 1 counts (Neurostatus,
default) or not (Kurtzke 1983); AS 1 gives at least 2.0 (Neurostatus, default) or 4.0
(Kurtzke-literal reading).

>>> fs = {"visual": 1, "brainstem": 2, "pyramidal": 1, "cerebellar": 3, "sensory": 1,
...       "bowel_bladder": 4, "cerebral": 2}
>>> result = score_edss(fs, ambulation_score=1)
>>> result.edss, result.fs_step, result.ambulation_minimum, result.decided_by
(4.0, 4.0, 2.0, 'functional_systems')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple, get_args

from plexms.core.errors import InputError
from plexms.core.vocabulary import EDSS_STEPS

__all__ = [
    "AMBULATION_DESCRIPTIONS",
    "AMBULATION_MINIMUM",
    "BOWEL_BLADDER_CONVERSION",
    "EDSS_SOURCES",
    "EDSS_STEPS",
    "FS_MAX",
    "FS_NAMES",
    "KURTZKE_LITERAL",
    "NEUROSTATUS",
    "VISUAL_CONVERSION",
    "WALKING_AIDS",
    "DecidedBy",
    "EdssOptions",
    "EdssResult",
    "Exclusion",
    "Walk",
    "WalkingAid",
    "ambulation_minimum",
    "ambulation_score_from_walks",
    "convert_fs",
    "fs_step",
    "fs_step_rule",
    "is_valid_edss",
    "score_edss",
]

FS_NAMES: tuple[str, ...] = (
    "visual",
    "brainstem",
    "pyramidal",
    "cerebellar",
    "sensory",
    "bowel_bladder",
    "cerebral",
)
# Highest raw grade of each FS (NEUROSTATUS_2010).
FS_MAX: dict[str, int] = {
    "visual": 6,
    "brainstem": 5,
    "pyramidal": 6,
    "cerebellar": 5,
    "sensory": 6,
    "bowel_bladder": 6,
    "cerebral": 5,
}
# Converted grade by raw grade (NEUROSTATUS_2010; KURTZKE_1983).
VISUAL_CONVERSION: tuple[int, ...] = (0, 1, 2, 2, 3, 3, 4)
BOWEL_BLADDER_CONVERSION: tuple[int, ...] = (0, 1, 2, 3, 3, 4, 5)
_CONVERSIONS: dict[str, tuple[int, ...]] = {
    "visual": VISUAL_CONVERSION,
    "bowel_bladder": BOWEL_BLADDER_CONVERSION,
}

# Minimum EDSS set by each ambulation score 0-16 (NEUROSTATUS_2010; 13-16 the common extension).
AMBULATION_MINIMUM: tuple[float, ...] = (
    0.0, 2.0, 4.5, 5.0, 5.5, 6.0, 6.0, 6.0, 6.5, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0,
)  # fmt: skip
AMBULATION_DESCRIPTIONS: tuple[str, ...] = (
    "unrestricted walking",
    "fully ambulatory but restricted (500 m or more without aid)",
    "walks 300-499 m without aid",
    "walks 200-299 m without aid",
    "walks 100-199 m without aid",
    "walks less than 100 m without aid",
    "walks 50 m or more with unilateral aid",
    "walks 120 m or more with bilateral aid",
    "walks less than 50 m with unilateral aid",
    "walks 5-119 m with bilateral aid",
    "unable to walk 5 m even with aid; wheelchair without help (transfers alone)",
    "wheelchair with help",
    "restricted to bed or chair, effective use of arms",
    "restricted to bed much of the day",
    "helpless bed patient, can communicate and eat",
    "totally helpless bed patient, unable to eat or swallow",
    "death due to MS",
)
# Valid EDSS values: 0, 1.0, 1.5, ..., 9.5, 10 (there is no 0.5; KURTZKE_1983).
_EDSS_STEP_SET = frozenset(EDSS_STEPS)
EDSS_SOURCES: tuple[str, ...] = ("NEUROSTATUS_2010", "KURTZKE_1983")

WalkingAid = Literal[
    "none",
    "unilateral",
    "bilateral",
    "wheelchair_without_help",
    "wheelchair_with_help",
    "bed_chair",
]
WALKING_AIDS: tuple[str, ...] = get_args(WalkingAid)
DecidedBy = Literal["functional_systems", "ambulation", "both"]
_WHEELCHAIR_SCORES = {"wheelchair_without_help": 10, "wheelchair_with_help": 11, "bed_chair": 12}
# Neurostatus EDSS 7.0: "unable to walk beyond approximately 5 m even with aid".
_SHORTEST_WALK_M = 5.0


@dataclass(frozen=True, slots=True)
class EdssOptions:
    """The two known ambiguities of the EDSS rules; the defaults follow Neurostatus."""

    cerebral_grade_1_counts: bool = True
    ambulation_score_1_minimum: float = 2.0

    def __post_init__(self) -> None:
        if self.ambulation_score_1_minimum not in (2.0, 4.0):
            raise InputError(
                "ambulation_score_1_minimum", "must be 2.0 or 4.0", allowed="2.0 or 4.0"
            )

    @property
    def name(self) -> str:
        """``neurostatus``, ``kurtzke_1983`` (both literal readings) or ``custom``."""
        if self.cerebral_grade_1_counts and self.ambulation_score_1_minimum == 2.0:
            return "neurostatus"
        if not self.cerebral_grade_1_counts and self.ambulation_score_1_minimum == 4.0:
            return "kurtzke_1983"
        return "custom"


NEUROSTATUS = EdssOptions()
KURTZKE_LITERAL = EdssOptions(cerebral_grade_1_counts=False, ambulation_score_1_minimum=4.0)


@dataclass(frozen=True, slots=True)
class Walk:
    """One observed walk: the distance in metres and the aid used.

    ``restricted`` separates AS 1 from AS 0 for walks of 500 m or more without aid.
    ``distance_m`` is needed for walking (aid ``none``, ``unilateral``, ``bilateral``) and is
    not used for ``wheelchair_without_help``, ``wheelchair_with_help`` and ``bed_chair``.
    """

    aid: str = "none"
    distance_m: float | None = None
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An FS that was not counted, and why (``not_assessable`` or ``not_due_to_ms``)."""

    fs: str
    reason: Literal["not_assessable", "not_due_to_ms"]


class EdssResult(NamedTuple):
    """An EDSS with every step of how it was reached.

    Immutable like the frozen dataclasses elsewhere in core, but a NamedTuple: it is built
    three times faster, which counts when a registry of 100,000 assessments is scored at once.
    """

    edss: float
    fs_step: float
    fs_rule: str
    ambulation_score: int
    ambulation_minimum: float
    decided_by: DecidedBy
    raw_fs: dict[str, int | None]
    converted_fs: dict[str, int | None]
    not_counted: tuple[Exclusion, ...]
    edss_range: tuple[float, float]
    options: EdssOptions
    explanation: str

    @property
    def uncertain(self) -> bool:
        """True when a not-assessable FS could have given a higher EDSS."""
        return self.edss_range[0] != self.edss_range[1]


def is_valid_edss(value: float) -> bool:
    """True for 0, 1.0, 1.5, ... 9.5, 10 (KURTZKE_1983).

    >>> is_valid_edss(0.5), is_valid_edss(6.5), is_valid_edss(6.25)
    (False, True, False)
    """
    return value in _EDSS_STEP_SET


def convert_fs(name: str, grade: int) -> int:
    """The converted grade of raw FS ``name`` (NEUROSTATUS_2010: visual and bowel/bladder).

    >>> convert_fs("visual", 6), convert_fs("bowel_bladder", 3), convert_fs("pyramidal", 6)
    (4, 3, 6)
    """
    _check_grade(name, grade)
    table = _CONVERSIONS.get(name)
    return grade if table is None else table[grade]


def fs_step(grades: Sequence[int]) -> float:
    """The EDSS step implied by the converted FS grades (rule table of NEUROSTATUS_2010).

    >>> fs_step([3, 2, 0, 0, 0, 0, 0]), fs_step([4, 2, 0, 0, 0, 0, 0])
    (3.5, 4.5)
    """
    return fs_step_rule(grades)[0]


def fs_step_rule(grades: Sequence[int]) -> tuple[float, str]:
    """The FS-derived step and the row of the rule table, in words, that gave it.

    >>> fs_step_rule([1, 1, 0, 0, 0, 0, 0])
    (1.5, 'two or more FS grade 1, none higher')
    """
    counts = [0, 0, 0, 0, 0, 0, 0]
    for grade in grades:
        counts[grade] += 1
    return _rule_from_counts(counts)


def _rule_from_counts(counts: list[int]) -> tuple[float, str]:
    n1, n2, n3, n4 = counts[1], counts[2], counts[3], counts[4]
    if counts[5] or counts[6]:
        return 5.0, "an FS grade 5 or more"
    if n4:
        if n4 >= 2:
            return 5.0, "two or more FS grade 4"
        if n3 >= 3:
            return 5.0, "one FS grade 4 with three or more grade 3"
        if n3:
            return 4.5, "one FS grade 4 with one or two grade 3"
        if n2:
            return 4.5, "one FS grade 4 with grade 2 (no grade 3)"
        return 4.0, "one FS grade 4, others 0 or 1"
    if n3:
        return _grade_3_rule(n3, n2)
    if n2:
        return _GRADE_2_RULES[n2]
    if n1:
        return (1.0, "one FS grade 1") if n1 == 1 else (1.5, "two or more FS grade 1, none higher")
    return 0.0, "all FS grade 0"


_GRADE_2_RULES: tuple[tuple[float, str], ...] = (
    (0.0, ""),  # not used: n2 >= 1 here
    (2.0, "one FS grade 2, others 0 or 1"),
    (2.5, "two FS grade 2, others 0 or 1"),
    (3.0, "three or four FS grade 2, others 0 or 1"),
    (3.0, "three or four FS grade 2, others 0 or 1"),
    (3.5, "five FS grade 2, others 0 or 1"),
    (4.0, "six or seven FS grade 2"),
    (4.0, "six or seven FS grade 2"),
)


def _grade_3_rule(n3: int, n2: int) -> tuple[float, str]:
    if n3 >= 6:
        return 5.0, "six or more FS grade 3"
    if n3 == 5:
        return 4.5, "five FS grade 3"
    if n3 >= 3:
        return 4.0, "three or four FS grade 3"
    if n3 == 2:
        if n2:
            return 4.0, "two FS grade 3 with grade 2"
        return 3.5, "two FS grade 3, others 0 or 1"
    if n2 == 0:
        return 3.0, "one FS grade 3, others 0 or 1"
    if n2 <= 2:
        return 3.5, "one FS grade 3 with one or two grade 2"
    return 4.0, "one FS grade 3 with three or more grade 2"


def ambulation_minimum(score: int, options: EdssOptions = NEUROSTATUS) -> float:
    """The minimum EDSS set by ambulation score ``score`` (0-16; NEUROSTATUS_2010).

    >>> ambulation_minimum(1), ambulation_minimum(1, KURTZKE_LITERAL), ambulation_minimum(9)
    (2.0, 4.0, 6.5)
    """
    _check_ambulation_score(score)
    if score == 1:
        return options.ambulation_score_1_minimum
    return AMBULATION_MINIMUM[score]


def ambulation_score_from_walks(walks: Sequence[Walk]) -> int:
    """The ambulation score (0-12) of the best of the observed walks (NEUROSTATUS_2010).

    Mapping (distance in metres):

    - no aid: 500 m or more -> 0 (1 when ``restricted``); 300-499 -> 2; 200-299 -> 3;
      100-199 -> 4; 5-99 -> 5;
    - unilateral aid: 50 m or more -> 6; 5-49 -> 8;
    - bilateral aid: 120 m or more -> 7; 5-119 -> 9;
    - any walk shorter than 5 m, or ``wheelchair_without_help`` -> 10 (Neurostatus EDSS 7.0:
      unable to walk 5 m even with aid); ``wheelchair_with_help`` -> 11; ``bed_chair`` -> 12.

    With several walks the lowest score wins: the patient's best performance is scored
    (e.g. bilateral aid 130 m and unilateral aid 40 m -> AS 7, EDSS 6.0; Neurostatus ruling).
    Scores 13-16 cannot be derived from a walk: give the ambulation score itself.

    >>> ambulation_score_from_walks([Walk("none", 250)])
    3
    >>> ambulation_score_from_walks([Walk("bilateral", 130), Walk("unilateral", 40)])
    7
    """
    if len(walks) == 1:
        return _walk_score(walks[0], 0, 1)
    if not walks:
        raise InputError("walking", "at least one walk is needed", allowed="1 or more walks")
    return min(_walk_score(walk, index, len(walks)) for index, walk in enumerate(walks))


def _walk_score(walk: Walk, index: int, count: int) -> int:
    field = "walking" if count == 1 else f"walking.{index}"
    if walk.aid in _WHEELCHAIR_SCORES:
        return _WHEELCHAIR_SCORES[walk.aid]
    if walk.aid not in WALKING_AIDS:
        raise InputError(
            f"{field}.aid", f"unknown aid {walk.aid!r}", allowed=", ".join(WALKING_AIDS)
        )
    distance = walk.distance_m
    if distance is None:
        raise InputError(
            f"{field}.distance_m", f"needed when walking with aid {walk.aid!r}", allowed=">= 0"
        )
    if not distance >= 0:  # also refuses NaN
        raise InputError(f"{field}.distance_m", f"{distance} is out of range", allowed=">= 0")
    if distance < _SHORTEST_WALK_M:
        return 10
    if walk.aid == "unilateral":
        return 6 if distance >= 50 else 8
    if walk.aid == "bilateral":
        return 7 if distance >= 120 else 9
    if distance >= 500:
        return 1 if walk.restricted else 0
    for lower, score in ((300, 2), (200, 3), (100, 4)):
        if distance >= lower:
            return score
    return 5


def score_edss(
    fs: Mapping[str, int | None],
    *,
    ambulation_score: int | None = None,
    walks: Sequence[Walk] = (),
    not_due_to_ms: Collection[str] = (),
    options: EdssOptions = NEUROSTATUS,
) -> EdssResult:
    """The EDSS from the seven raw FS scores and the ambulation (NEUROSTATUS_2010, KURTZKE_1983).

    ``fs`` maps each of :data:`FS_NAMES` to its raw grade, or to ``None`` when not assessable.
    Give either ``ambulation_score`` (0-16) or ``walks``.

    >>> fs = dict.fromkeys(FS_NAMES, 0) | {"visual": 6, "bowel_bladder": 6}
    >>> score_edss(fs, ambulation_score=0).edss
    5.0
    >>> score_edss(dict.fromkeys(FS_NAMES, 0), walks=[Walk("none", 250)]).edss
    5.0
    """
    if type(ambulation_score) is int and 0 <= ambulation_score <= 16 and not walks:
        score = ambulation_score
    else:
        score = _resolve_ambulation(ambulation_score, walks)
    raw, converted, excluded = _convert_all(fs, not_due_to_ms, options)
    counts = [0, 0, 0, 0, 0, 0, 0]
    for grade in converted.values():
        counts[grade or 0] += 1
    step, rule = _rule_from_counts(counts)
    minimum = options.ambulation_score_1_minimum if score == 1 else AMBULATION_MINIMUM[score]
    edss = step if step > minimum else minimum
    highest = edss
    if excluded:
        unknown = [e.fs for e in excluded if e.reason == "not_assessable"]
        if unknown:
            worst = [
                _worst_grade(name) if name in unknown else (grade or 0)
                for name, grade in converted.items()
            ]
            highest = max(fs_step(worst), minimum)
    decided: DecidedBy = (
        "both" if step == minimum else "functional_systems" if step > minimum else "ambulation"
    )
    changed: tuple[tuple[str, int | None, int | None], ...] = ()
    for name in _CONVERTED_NAMES:
        new = converted[name]
        if new is not None and new != raw[name]:
            changed += ((name, raw[name], new),)
    explanation = _explain(
        changed,
        excluded,
        step,
        rule,
        score,
        minimum,
        highest,
        decided,
        options.cerebral_grade_1_counts,
        options.ambulation_score_1_minimum,
    )
    return EdssResult(
        edss,
        step,
        rule,
        score,
        minimum,
        decided,
        raw,
        converted,
        excluded,
        (edss, highest),
        options,
        explanation,
    )


def _resolve_ambulation(ambulation_score: int | None, walks: Sequence[Walk]) -> int:
    # The slow path: a walk, no score at all, or a score that is not a valid one.
    if ambulation_score is None:
        if not walks:
            raise InputError(
                "ambulation_score",
                "the ambulation is needed: give ambulation_score or walking",
                allowed="0-16, or walking {distance_m, aid}",
            )
        return ambulation_score_from_walks(walks)
    if walks:
        raise InputError(
            "walking", "give ambulation_score or walking, not both", allowed="one of the two"
        )
    _check_ambulation_score(ambulation_score)
    return ambulation_score  # pragma: no cover - a valid score never takes this path


def _convert_all(
    fs: Mapping[str, int | None], not_due_to_ms: Collection[str], options: EdssOptions
) -> tuple[dict[str, int | None], dict[str, int | None], tuple[Exclusion, ...]]:
    if not fs.keys() <= _FS_KEYSET:
        unknown = sorted(set(fs) - _FS_KEYSET)[0]
        raise InputError(f"fs.{unknown}", "unknown functional system", allowed=_FS_LIST)
    if not_due_to_ms and not _FS_KEYSET.issuperset(not_due_to_ms):
        unknown = sorted(set(not_due_to_ms) - _FS_KEYSET)[0]
        raise InputError(
            "not_due_to_ms", f"unknown functional system {unknown!r}", allowed=_FS_LIST
        )
    raw: dict[str, int | None] = {}
    converted: dict[str, int | None] = {}
    excluded: list[Exclusion] = []
    for name, table, size in _TABLES:
        if name not in fs:
            raise InputError(
                f"fs.{name}", "missing: all seven FS are needed", allowed=_allowed_grade(name)
            )
        grade = raw[name] = fs[name]
        if type(grade) is int and 0 <= grade < size:
            if not_due_to_ms and name in not_due_to_ms:
                excluded.append(Exclusion(name, "not_due_to_ms"))
                converted[name] = None
            else:
                converted[name] = table[grade]
        elif grade is None:
            # Not due to MS wins: the FS is then left out for a known reason, not unknown.
            due_elsewhere = not_due_to_ms and name in not_due_to_ms
            excluded.append(Exclusion(name, "not_due_to_ms" if due_elsewhere else "not_assessable"))
            converted[name] = None
        else:
            raise InputError(
                f"fs.{name}", f"{grade!r} is out of range", allowed=_allowed_grade(name)
            )
    if converted["cerebral"] == 1 and not options.cerebral_grade_1_counts:
        converted["cerebral"] = 0  # Kurtzke 1983: cerebral grade 1 does not count
    return raw, converted, tuple(excluded)


# Raw -> converted grade of every FS (identity for the FS that are not converted).
_TABLES: tuple[tuple[str, tuple[int, ...], int], ...] = tuple(
    (name, _CONVERSIONS.get(name, tuple(range(FS_MAX[name] + 1))), FS_MAX[name] + 1)
    for name in FS_NAMES
)
_FS_KEYSET = frozenset(FS_NAMES)
_FS_LIST = ", ".join(FS_NAMES)


def _worst_grade(name: str) -> int:
    top = FS_MAX[name]
    table = _CONVERSIONS.get(name)
    return top if table is None else table[top]


def _allowed_grade(name: str) -> str:
    return f"0-{FS_MAX[name]}, or null when not assessable"


def _check_grade(name: str, grade: int) -> None:
    if name not in FS_MAX:
        raise InputError(f"fs.{name}", "unknown functional system", allowed=_FS_LIST)
    if type(grade) is not int or not 0 <= grade <= FS_MAX[name]:
        raise InputError(f"fs.{name}", f"{grade!r} is out of range", allowed=_allowed_grade(name))


def _check_ambulation_score(score: int) -> None:
    if type(score) is not int or not 0 <= score <= 16:
        raise InputError("ambulation_score", f"{score!r} is out of range", allowed="0-16")


_CONVERTED_NAMES = ("visual", "bowel_bladder", "cerebral")


@lru_cache(maxsize=4096)
def _explain(
    changed: tuple[tuple[str, int | None, int | None], ...],
    excluded: tuple[Exclusion, ...],
    step: float,
    rule: str,
    score: int,
    minimum: float,
    highest: float,
    decided: DecidedBy,
    cerebral_grade_1_counts: bool,
    ambulation_score_1_minimum: float,
) -> str:
    # Cached (and keyed on plain values, cheap to hash): a registry's worth of assessments
    # repeats the same few thousand sentences.
    edss = max(step, minimum)
    parts = []
    if changed:
        text = ", ".join(f"{name.replace('_', '/')} {old} -> {new}" for name, old, new in changed)
        parts.append(f"Converted: {text}.")
    for item in excluded:
        why = "not assessable" if item.reason == "not_assessable" else "not due to MS"
        parts.append(f"{item.fs.replace('_', '/').capitalize()} {why}: not counted.")
    parts.append(f"FS step {step:.1f}: {rule}.")
    parts.append(
        f"Ambulation score {score} ({AMBULATION_DESCRIPTIONS[score]}): at least {minimum:.1f}."
    )
    if decided == "both":
        parts.append(f"EDSS {edss:.1f}: the FS and the ambulation agree.")
    elif decided == "functional_systems":
        parts.append(f"EDSS {edss:.1f}, decided by the functional systems.")
    else:
        parts.append(f"EDSS {edss:.1f}, decided by the ambulation.")
    if highest != edss:
        parts.append(
            f"Uncertain: had the not-assessable FS been scored, the EDSS could be up to "
            f"{highest:.1f}."
        )
    options = EdssOptions(cerebral_grade_1_counts, ambulation_score_1_minimum)
    if options == NEUROSTATUS:
        parts.append("Variant neurostatus.")
    else:
        cerebral = "counts" if cerebral_grade_1_counts else "does not count"
        parts.append(
            f"Variant {options.name}: cerebral grade 1 {cerebral}, ambulation score 1 gives at "
            f"least {ambulation_score_1_minimum:.1f}."
        )
    return " ".join(parts)
