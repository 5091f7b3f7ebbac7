"""``plexms calc edss``: the EDSS from the seven functional systems and the ambulation."""

from __future__ import annotations

import datetime as dt
import gc
from functools import cache, lru_cache
from typing import Annotated, Any, Literal, NotRequired, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from plexms.core.edss import (
    EDSS_SOURCES,
    FS_MAX,
    KURTZKE_LITERAL,
    NEUROSTATUS,
    WALKING_AIDS,
    EdssOptions,
    EdssResult,
    Exclusion,
    Walk,
    WalkingAid,
    score_edss,
)
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy
from plexms.core.sources import cite
from plexms.services.calc import Calculator, run_one

__all__ = [
    "CALCULATOR",
    "EdssRequest",
    "FunctionalSystems",
    "WalkingInput",
    "compute",
    "result_dict",
    "run_batch",
    "to_json",
    "variant_name",
]

_MAX_DISTANCE_M = 100_000
FsName = Literal[
    "visual", "brainstem", "pyramidal", "cerebellar", "sensory", "bowel_bladder", "cerebral"
]


def _grade(top: int) -> Any:
    """A raw FS grade 0-``top``; ``null`` or ``"X"`` = not assessable (not counted, reported)."""
    expected = f'0-{top}, or null or "X" when not assessable'

    def check(value: Any) -> int | None:
        if value is None or value == "X" or value == "x":
            return None
        if type(value) is not int:
            raise PydanticCustomError(
                "fs_grade", "must be a whole-number grade", {"expected": expected}
            )
        if not 0 <= value <= top:
            raise PydanticCustomError(
                "fs_grade", "{value} is out of range", {"value": value, "expected": expected}
            )
        return value

    schema = {
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": top},
            {"type": "null"},
            {"enum": ["X", "x"]},
        ],
        "description": f"Raw grade 0-{top}; null or 'X' when not assessable.",
    }
    return Annotated[int | None, BeforeValidator(check), WithJsonSchema(schema)]


class FunctionalSystems(TypedDict):
    """The seven raw FS scores (visual and bowel/bladder are converted inside).

    A TypedDict rather than a model: validated as strictly, but a batch of 100,000 requests
    does not build 100,000 model objects.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    visual: _grade(FS_MAX["visual"])  # type: ignore[valid-type]
    brainstem: _grade(FS_MAX["brainstem"])  # type: ignore[valid-type]
    pyramidal: _grade(FS_MAX["pyramidal"])  # type: ignore[valid-type]
    cerebellar: _grade(FS_MAX["cerebellar"])  # type: ignore[valid-type]
    sensory: _grade(FS_MAX["sensory"])  # type: ignore[valid-type]
    bowel_bladder: _grade(FS_MAX["bowel_bladder"])  # type: ignore[valid-type]
    cerebral: _grade(FS_MAX["cerebral"])  # type: ignore[valid-type]


class WalkingInput(TypedDict):
    """One observed walk; several walks are scored by the best performance.

    ``aid`` defaults to ``none``; ``distance_m`` is needed for none, unilateral and bilateral;
    ``restricted`` (default false) marks 500 m or more without aid but not unrestricted (AS 1).
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    aid: NotRequired[WalkingAid]
    distance_m: NotRequired[Annotated[StrictFloat | None, Field(ge=0, le=_MAX_DISTANCE_M)]]
    restricted: NotRequired[StrictBool]


def _as_list(value: Any) -> Any:
    # One walk or several: errors then name the walk as walking.0, walking.1, ...
    return [value] if isinstance(value, dict) else value


def _one_or_many(schema: dict[str, Any]) -> None:
    # The schema says what _as_list accepts: one walk object, or a list of them.
    array = next(option for option in schema["anyOf"] if option.get("type") == "array")
    schema["anyOf"].insert(0, dict(array["items"]))


class EdssRequest(BaseModel):
    """One EDSS assessment."""

    model_config = ConfigDict(extra="forbid")

    fs: FunctionalSystems
    ambulation_score: StrictInt | None = Field(default=None, ge=0, le=16)
    walking: Annotated[list[WalkingInput], BeforeValidator(_as_list)] | None = Field(
        default=None,
        description="One walk, or a list of walks (the best one is scored).",
        json_schema_extra=_one_or_many,
    )
    not_due_to_ms: list[FsName] = Field(
        default_factory=list, description="FS scored but not due to MS: reported, not counted."
    )
    variant: Literal["neurostatus", "kurtzke_1983"] = "neurostatus"
    cerebral_grade_1_counts: StrictBool | None = Field(
        default=None, description="Overrides the variant: true (Neurostatus), false (Kurtzke)."
    )
    ambulation_score_1_minimum: StrictFloat | None = Field(
        default=None,
        description="Overrides the variant: 2.0 (Neurostatus) or 4.0.",
        json_schema_extra={"enum": [2.0, 4.0, None]},
    )


_OPTIONS: dict[tuple[str, bool | None, float | None], EdssOptions] = {}


def _options(request: EdssRequest) -> EdssOptions:
    key = (request.variant, request.cerebral_grade_1_counts, request.ambulation_score_1_minimum)
    options = _OPTIONS.get(key)
    if options is None:
        base = NEUROSTATUS if request.variant == "neurostatus" else KURTZKE_LITERAL
        options = _OPTIONS[key] = EdssOptions(
            cerebral_grade_1_counts=(
                base.cerebral_grade_1_counts
                if request.cerebral_grade_1_counts is None
                else request.cerebral_grade_1_counts
            ),
            ambulation_score_1_minimum=(
                base.ambulation_score_1_minimum
                if request.ambulation_score_1_minimum is None
                else request.ambulation_score_1_minimum
            ),
        )
    return options


def compute(
    request: EdssRequest, policy: CentrePolicy, now: dt.datetime | None = None
) -> EdssResult:
    """Score one request (``policy`` and ``now`` are not used: the EDSS rules are published)."""
    walks = [_walk(w) for w in request.walking or ()]
    return score_edss(
        cast(dict[str, int | None], request.fs),
        ambulation_score=request.ambulation_score,
        walks=walks,
        not_due_to_ms=request.not_due_to_ms,
        options=_options(request),
    )


def to_json(result: EdssResult) -> dict[str, Any]:
    """The JSON form of one answer, in containers of its own (its caller may keep and change
    it; the batch path shares them through :func:`result_dict`)."""
    body = result_dict(result)
    body["not_counted"] = [dict(item) for item in body["not_counted"]]
    body["edss_range"] = list(body["edss_range"])
    body["sources"] = list(body["sources"])
    return body


def _walk(walk: WalkingInput) -> Walk:
    return Walk(walk.get("aid", "none"), walk.get("distance_m"), walk.get("restricted", False))


def result_dict(result: EdssResult) -> dict[str, Any]:
    """The JSON form of an :class:`EdssResult` (its nested values are shared: read-only).

    Everything but ``converted_fs`` repeats across a registry batch (a few thousand distinct
    answers), so it is built once per distinct answer and copied: faster to build, and about
    twice as fast to serialise as 100,000 separately built objects.
    """
    options = result.options
    body = dict(
        _template(
            result.explanation,
            result.edss,
            result.fs_step,
            result.fs_rule,
            result.ambulation_score,
            result.ambulation_minimum,
            result.decided_by,
            result.not_counted,
            result.edss_range,
            options.cerebral_grade_1_counts,
            options.ambulation_score_1_minimum,
        )
    )
    body["converted_fs"] = result.converted_fs
    return body


@lru_cache(maxsize=16384)
def _template(
    explanation: str,
    edss: float,
    fs_step: float,
    fs_rule: str,
    ambulation_score: int,
    ambulation_minimum: float,
    decided_by: str,
    not_counted: tuple[Exclusion, ...],
    edss_range: tuple[float, float],
    cerebral_grade_1_counts: bool,
    ambulation_score_1_minimum: float,
) -> dict[str, Any]:
    low, high = edss_range
    return {
        "edss": edss,
        "fs_step": fs_step,
        "fs_rule": fs_rule,
        "ambulation_score": ambulation_score,
        "ambulation_minimum": ambulation_minimum,
        "decided_by": decided_by,
        "converted_fs": None,  # per answer
        "not_counted": [{"fs": e.fs, "reason": e.reason} for e in not_counted],
        "uncertain": low != high,
        "edss_range": list(edss_range),
        "variant": _variant(cerebral_grade_1_counts, ambulation_score_1_minimum),
        "explanation": explanation,
        # Source keys, not the full citations: those are in ``--help`` and in
        # plexms.core.sources; 100,000 copies of two citation objects would double the JSON
        # a registry batch writes.
        "sources": list(EDSS_SOURCES),
    }


def variant_name(options: EdssOptions) -> str:
    """The name of the rules applied, as the answer gives it (``custom: ...`` spelled out)."""
    return _variant(options.cerebral_grade_1_counts, options.ambulation_score_1_minimum)


@cache
def _variant(cerebral_grade_1_counts: bool, ambulation_score_1_minimum: float) -> str:
    # A name, spelled out when custom (keyed on plain values: cheap in a 100k batch).
    name = EdssOptions(cerebral_grade_1_counts, ambulation_score_1_minimum).name
    if name != "custom":
        return name
    cerebral = "counts" if cerebral_grade_1_counts else "does not count"
    return (
        f"custom: cerebral grade 1 {cerebral}, ambulation score 1 gives at least "
        f"{ambulation_score_1_minimum:.1f}"
    )


# --- the batch path ---------------------------------------------------------------------
# A registry batch (100,000 assessments in one call) is mostly requests of one plain shape:
# seven whole-number grades in range and an ambulation score or one simple walk. Those are
# answered without building a pydantic model; every other request, valid or not, takes the
# validated path of ``run_one``. The answers are the same either way (tested).
_WALK_KEYS = frozenset({"aid", "distance_m", "restricted"})
_WHEELCHAIR_AIDS = frozenset({"wheelchair_without_help", "wheelchair_with_help", "bed_chair"})


def _plain_walk(walking: Any) -> Walk | None:
    if type(walking) is not dict or not walking.keys() <= _WALK_KEYS:
        return None
    aid = walking.get("aid", "none")
    distance = walking.get("distance_m")
    restricted = walking.get("restricted", False)
    if type(aid) is not str or aid not in WALKING_AIDS or type(restricted) is not bool:
        return None
    if distance is None:
        return Walk(aid, None, restricted) if aid in _WHEELCHAIR_AIDS else None
    if type(distance) not in (int, float) or not 0 <= distance <= _MAX_DISTANCE_M:
        return None
    return Walk(aid, float(distance), restricted)


def _plain_answer(item: Any) -> dict[str, Any] | None:
    """The answer to a request of the plain shape, or ``None`` to take the validated path.

    The core checks the grades itself: what it accepts (seven FS, each a whole number in
    range or null) pydantic accepts too, unchanged; anything else it refuses, and the request
    is answered again by the validated path, which gives the contract's error.
    """
    if type(item) is not dict or len(item) != 2:
        return None
    fs = item.get("fs")
    if type(fs) is not dict:
        return None
    score = item.get("ambulation_score")
    try:
        if score is not None:
            if type(score) is not int:
                return None
            return result_dict(score_edss(fs, ambulation_score=score))
        walk = _plain_walk(item.get("walking"))
        if walk is None:
            return None
        return result_dict(score_edss(fs, walks=[walk]))
    except InputError:
        return None


def run_batch(items: list[Any], policy: CentrePolicy) -> list[tuple[dict[str, Any], bool]]:
    """Answer a batch exactly as :func:`plexms.services.calc.run_one` would, element by element.

    The cyclic garbage collector is paused for the loop: it makes no reference cycles, and a
    registry batch would otherwise trigger several full collections over every object alive.
    """
    answers: list[tuple[dict[str, Any], bool]] = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for item in items:
            body = _plain_answer(item)
            answers.append((body, True) if body is not None else run_one(CALCULATOR, item, policy))
    finally:
        if was_enabled:
            gc.enable()
    return answers


CALCULATOR: Calculator[EdssRequest, EdssResult] = Calculator(
    name="edss",
    summary="EDSS from the seven functional systems and the ambulation (Neurostatus).",
    request_model=EdssRequest,
    compute=compute,
    to_json=to_json,
    run_batch=run_batch,
    help=(
        'Request: {"fs": {"visual": 3, "brainstem": 1, "pyramidal": 2, "cerebellar": 0, '
        '"sensory": 1, "bowel_bladder": 0, "cerebral": 1}, "ambulation_score": 2} or, instead '
        'of the score, "walking": {"distance_m": 250, "aid": "none"} (aids: none, unilateral, '
        "bilateral, wheelchair_without_help, wheelchair_with_help, bed_chair). Walk to "
        'ambulation score: no aid >= 500 m 0 (1 with "restricted": true), 300-499 m 2, '
        "200-299 m 3, 100-199 m 4, 5-99 m 5; unilateral aid >= 50 m 6, 5-49 m 8; bilateral "
        "aid >= 120 m 7, 5-119 m 9; under 5 m with or without aid, or wheelchair_without_help "
        "10; wheelchair_with_help 11; bed_chair 12 (for 13-16 give ambulation_score). A list "
        "of walks is scored by the best performance (the lowest score). Raw FS grades; null "
        'or "X" = not assessable, "not_due_to_ms": a list of FS names scored but not due to '
        "MS; both are reported in not_counted and not counted; a not-assessable FS that could "
        'change the EDSS makes it uncertain, with edss_range. "variant": "neurostatus" '
        '(default) or "kurtzke_1983"; "cerebral_grade_1_counts" and '
        '"ambulation_score_1_minimum" override it. Response: edss, fs_step, fs_rule, '
        "ambulation_score, ambulation_minimum, decided_by, converted_fs, not_counted, "
        "uncertain, edss_range (lowest, highest), variant (neurostatus, kurtzke_1983 or "
        "custom: ...), explanation, sources (keys: "
        + "; ".join(f"{key} = {cite(key)}" for key in EDSS_SOURCES)
        + ")."
    ),
)
