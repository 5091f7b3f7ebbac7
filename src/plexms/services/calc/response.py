"""``plexms calc response``: response to TPE under every published definition at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from plexms.core.policy import CentrePolicy
from plexms.core.response import Assessment, Criterion, classify_response
from plexms.core.review import Review, review_course
from plexms.core.sources import source_dict
from plexms.core.vocabulary import PRESENTATIONS, TND_GRADES
from plexms.services.calc import Calculator
from plexms.services.schemas.common import OneOf

__all__ = [
    "CALCULATOR",
    "AssessmentInput",
    "Response",
    "ResponseRequest",
    "compute",
    "criterion_dict",
    "to_json",
]

_LOGMAR_MIN = -0.302  # 20/10 = decimal 2.0 = logMAR -0.301
_RESPONSE_DEFINITIONS = ("edss_standard", "llufriu_2009", "tnd")
Indication = Annotated[str, OneOf(PRESENTATIONS, contract=True)]
TndGrade = Annotated[str, OneOf(TND_GRADES)]


class EyesLogmar(BaseModel):
    """Corrected logMAR of each eye (convert other notations with ``plexms calc acuity``)."""

    model_config = ConfigDict(extra="forbid")

    right: StrictFloat | None = Field(default=None, ge=_LOGMAR_MIN, le=3.0)
    left: StrictFloat | None = Field(default=None, ge=_LOGMAR_MIN, le=3.0)


class AssessmentInput(BaseModel):
    """An assessment: EDSS (0, 1.0, 1.5, ... 10) and logMAR of each eye, each optional."""

    model_config = ConfigDict(extra="forbid")

    edss: StrictFloat | None = Field(default=None, ge=0, le=10)
    logmar: EyesLogmar | None = None


class PreRelapse(BaseModel):
    """The EDSS before the relapse."""

    model_config = ConfigDict(extra="forbid")

    edss: StrictFloat = Field(ge=0, le=10)


class ResponseRequest(BaseModel):
    """Baseline and follow-up assessments and what else each definition needs."""

    model_config = ConfigDict(extra="forbid")

    baseline: AssessmentInput = Field(default_factory=AssessmentInput)
    followup: AssessmentInput = Field(default_factory=AssessmentInput)
    pre_relapse: PreRelapse | None = None
    tnd: TndGrade | None = Field(
        default=None, description="Targeted neurological deficit: marked ... worse."
    )
    indication: Indication = "relapse"
    affected_eye: Literal["right", "left"] | None = Field(
        default=None, description="Optic neuritis: the affected eye (default: worse at baseline)."
    )
    exchanges_done: StrictInt | None = Field(
        default=None,
        ge=0,
        le=20,
        description="Exchanges done so far in the course: adds the stop/continue review.",
    )


def _assessment(given: AssessmentInput) -> Assessment:
    logmar = given.logmar or EyesLogmar()
    return Assessment(edss=given.edss, logmar_right=logmar.right, logmar_left=logmar.left)


def criterion_dict(name: str, criterion: Criterion) -> dict[str, Any]:
    """The JSON form of one criterion."""
    body: dict[str, Any] = {"result": criterion.result}
    if name in _RESPONSE_DEFINITIONS:
        body["responder"] = criterion.responder
    if criterion.missing:
        body["missing"] = list(criterion.missing)
    body.update(criterion.details)
    body["rule"] = criterion.rule
    body["source"] = source_dict(criterion.source)
    return body


@dataclass(frozen=True)
class Response:
    """Every published definition's verdict on one baseline/follow-up pair, by name."""

    criteria: Mapping[str, Criterion]
    review: Review | None = None


def _logmar_gain(request: ResponseRequest) -> float | None:
    """Baseline minus follow-up logMAR of the affected eye (given, else worse at baseline)."""
    before = request.baseline.logmar or EyesLogmar()
    after = request.followup.logmar or EyesLogmar()
    eye = request.affected_eye
    if eye is None and before.right is not None and before.left is not None:
        if before.right != before.left:
            eye = "right" if before.right > before.left else "left"
    if eye is None:
        return None
    was, now = getattr(before, eye), getattr(after, eye)
    return None if was is None or now is None else was - now


def compute(
    request: ResponseRequest, policy: CentrePolicy, now: dt.datetime | None = None
) -> Response:
    """Classify one baseline/follow-up pair (the definitions are published); with
    ``exchanges_done``, also the stop/continue review under ``policy.response``."""
    report = classify_response(
        _assessment(request.baseline),
        _assessment(request.followup),
        pre_relapse_edss=request.pre_relapse.edss if request.pre_relapse else None,
        tnd=request.tnd,
        indication=request.indication,
        affected_eye=request.affected_eye,
    )
    review = None
    if request.exchanges_done is not None:
        review = review_course(
            request.exchanges_done,
            tnd=request.tnd,
            baseline_edss=request.baseline.edss,
            current_edss=request.followup.edss,
            logmar_gain=_logmar_gain(request),
            policy=policy.response,
        )
    return Response(criteria=dict(report), review=review)


def to_json(response: Response) -> dict[str, Any]:
    """The JSON form of the answer."""
    body: dict[str, Any] = {
        "criteria": {name: criterion_dict(name, c) for name, c in response.criteria.items()}
    }
    if response.review is not None:
        review = response.review.to_dict()
        review["source"] = source_dict(response.review.source)
        body["review"] = review
    return body


CALCULATOR: Calculator[ResponseRequest, Response] = Calculator(
    name="response",
    summary="Response to treatment under every published definition, each with its source.",
    request_model=ResponseRequest,
    compute=compute,
    to_json=to_json,
    help=(
        'Request: {"baseline": {"edss": 6.0, "logmar": {"right": 1.0, "left": 0.1}}, '
        '"followup": {"edss": 5.5, "logmar": {...}}, "pre_relapse": {"edss": 3.0}, '
        '"tnd": "moderate", "indication": "relapse" | "optic_neuritis" | '
        '"clinically_isolated_syndrome" | "tumefactive" | "other", "affected_eye": "right"}. '
        'Response: {"criteria": {"edss_standard", "llufriu_2009", "tnd", "recovery", '
        '"relapse_severity"}}, each with result, rule and source; a criterion whose inputs are '
        'missing says "result": "not_assessable" and lists them in "missing". '
        "edss_standard: improved by >= 1.0 from baseline <= 5.5, >= 0.5 from >= 6.0; worsened "
        "by >= 1.5 from 0, >= 1.0 from 1.0-5.5, >= 0.5 from >= 6.0. "
        "llufriu_2009: fall >= 1.0 from <= 7.5, >= 1.5 from >= 8.0; optic neuritis: affected "
        "eye (given, else worse at baseline) gains more than 0.2 logMAR. tnd: responder = "
        "moderate or marked. recovery: complete / partial / none against the pre-relapse EDSS. "
        "relapse_severity: EDSS rise mild 0.5, moderate 1.0-1.5, severe >= 2.0. "
        'With "exchanges_done": n, "review" says continue or stop (after exchange 3: worse -> '
        "stop; improving -> continue to 5, up to 7; unchanged -> finish 5, then stop; "
        "docs/rules.md)."
    ),
)
