"""Baseline-dependent disability steps, relapse confirmation and the stop/continue review:
each rule at its boundary (>= vs >), each input missing, each decision."""

from __future__ import annotations

import pytest

from plexms.core.disability import (
    EdssSteps,
    TargetedDeficit,
    check_assessable_edss,
    disabling_rise,
    targeted_findings,
    worsening_needed,
)
from plexms.core.errors import InputError
from plexms.core.policy import ResponsePolicy
from plexms.core.relapse import RelapseCheck, confirm_relapse, confirmation_missing
from plexms.core.review import REVIEW_DECISIONS, review_course

# --- EDSS steps: >= 1.5 from 0, >= 1.0 from 1.0-5.5, >= 0.5 from >= 6.0 ----------------------


@pytest.mark.parametrize(
    ("before", "after", "disabling"),
    [
        (0.0, 1.0, False),
        (0.0, 1.5, True),  # exactly the step: >=
        (1.0, 1.5, False),
        (1.0, 2.0, True),
        (5.5, 6.0, False),  # 0.5 is not enough below 6.0
        (5.5, 6.5, True),
        (6.0, 6.5, True),
        (6.0, 6.0, False),
        (9.0, 9.5, True),
    ],
)
def test_disabling_rise_boundaries(before: float, after: float, disabling: bool) -> None:
    assert disabling_rise(before, after) is disabling


def test_steps_are_settings() -> None:
    steps = EdssSteps(from_zero=2.0, low=1.5, high=1.0)
    assert [worsening_needed(b, steps) for b in (0.0, 3.0, 6.0)] == [2.0, 1.5, 1.0]


@pytest.mark.parametrize("value", [10.0])
def test_edss_10_is_refused(value: float) -> None:
    with pytest.raises(InputError) as info:
        check_assessable_edss("edss_now", value)
    assert info.value.field == "edss_now" and info.value.allowed == "0-9.5"
    check_assessable_edss("edss_now", 9.5)
    check_assessable_edss("edss_now", None)


@pytest.mark.parametrize(
    ("deficit", "logmar", "found"),
    [
        (TargetedDeficit(), None, 0),
        (TargetedDeficit(), 0.69, 0),
        (TargetedDeficit(), 0.7, 1),  # >= the severe threshold
        (TargetedDeficit(5, 4, False), None, 0),  # grade 4 is above the threshold
        (TargetedDeficit(5, 3, False), None, 1),  # <= 3
        (TargetedDeficit(3, 3, False), None, 0),  # no drop from before
        (TargetedDeficit(None, 2, None), None, 1),  # no grade before: the grade now counts
        (TargetedDeficit(None, None, True), None, 1),
        (TargetedDeficit(5, 0, True), 1.0, 3),
    ],
)
def test_targeted_findings(deficit: TargetedDeficit, logmar: float | None, found: int) -> None:
    assert len(targeted_findings(deficit, logmar, severe_logmar=0.7, motor_grade_max=3)) == found


# --- relapse confirmation -------------------------------------------------------------------

OK = RelapseCheck(symptom_hours=24.0, fever=False, infection=False, on_natalizumab=False)


def test_each_confirmation_field_missing_is_named() -> None:
    assert confirmation_missing(None) == ()
    assert confirmation_missing(OK) == ()
    for name in ("symptom_hours", "fever", "infection", "on_natalizumab"):
        check = RelapseCheck(**{**OK.__dict__, name: None})
        assert confirmation_missing(check) == (f"relapse.{name}",)
    on = RelapseCheck(**{**OK.__dict__, "on_natalizumab": True})
    assert confirmation_missing(on) == ("relapse.jcv_status", "relapse.pml_excluded")


@pytest.mark.parametrize(
    ("changes", "diagnosis", "status", "rule"),
    [
        ({}, "relapsing_ms", "confirmed", "ELIG-RELAPSE-CONFIRMED"),  # exactly 24 h: >=
        ({"symptom_hours": 23.9}, "relapsing_ms", "unconfirmed", "ELIG-RELAPSE-DURATION"),
        ({"symptom_hours": 0.0}, "cis", "unconfirmed", "ELIG-RELAPSE-DURATION"),
        ({"fever": True}, "relapsing_ms", "unconfirmed", "ELIG-PSEUDO-RELAPSE"),
        ({"infection": True}, "nmosd", "unconfirmed", "ELIG-PSEUDO-RELAPSE"),
        ({"fever": True}, "adem", "confirmed", "ELIG-RELAPSE-CONFIRMED"),
        (
            {"on_natalizumab": True, "jcv_status": "negative", "pml_excluded": False},
            "relapsing_ms",
            "unconfirmed",
            "ELIG-PML",
        ),
        (
            {"on_natalizumab": True, "jcv_status": "positive", "pml_excluded": True},
            "relapsing_ms",
            "confirmed",
            "ELIG-RELAPSE-CONFIRMED",
        ),
    ],
)
def test_confirmation_rules(
    changes: dict[str, object], diagnosis: str, status: str, rule: str
) -> None:
    check = RelapseCheck(**{**OK.__dict__, **changes})
    found, reasons = confirm_relapse(check, diagnosis, 24.0)
    assert found == status
    assert reasons[0].rule == rule
    assert all(r.source in ("MCDONALD_2017", "TYSABRI_PML") for r in reasons)


def test_confirmation_not_recorded_is_said() -> None:
    status, reasons = confirm_relapse(None, "relapsing_ms", 24.0)
    assert status == "not_recorded" and reasons[0].rule == "ELIG-RELAPSE-NOT-RECORDED"


# --- stop/continue review after exchange 3 ----------------------------------------------------


@pytest.mark.parametrize(
    ("done", "kwargs", "decision", "rule", "target"),
    [
        (0, {"tnd": "marked"}, "not_due", "RESP-REVIEW-NOT-DUE", None),
        (2, {"tnd": "marked"}, "not_due", "RESP-REVIEW-NOT-DUE", None),
        (3, {}, "incomplete", "RESP-REVIEW-MISSING", None),
        (3, {"tnd": "mild"}, "continue", "RESP-REVIEW-IMPROVING", 5),
        (4, {"tnd": "moderate"}, "continue", "RESP-REVIEW-IMPROVING", 5),
        (5, {"tnd": "moderate"}, "continue", "RESP-REVIEW-IMPROVING", 7),
        (6, {"tnd": "marked"}, "continue", "RESP-REVIEW-IMPROVING", 7),
        (7, {"tnd": "marked"}, "stop", "RESP-REVIEW-COURSE-DONE", None),
        (3, {"tnd": "worse"}, "stop", "RESP-REVIEW-WORSE", None),
        (3, {"tnd": "none"}, "continue", "RESP-REVIEW-UNCHANGED", 5),
        (4, {"tnd": "none"}, "continue", "RESP-REVIEW-UNCHANGED", 5),
        (5, {"tnd": "none"}, "stop", "RESP-REVIEW-UNCHANGED", None),
        # EDSS: any fall improves; a rise by the baseline-dependent step is worse
        (3, {"baseline_edss": 4.0, "current_edss": 3.5}, "continue", "RESP-REVIEW-IMPROVING", 5),
        (3, {"baseline_edss": 4.0, "current_edss": 4.5}, "continue", "RESP-REVIEW-UNCHANGED", 5),
        (3, {"baseline_edss": 4.0, "current_edss": 5.0}, "stop", "RESP-REVIEW-WORSE", None),
        (3, {"baseline_edss": 0.0, "current_edss": 1.0}, "continue", "RESP-REVIEW-UNCHANGED", 5),
        (3, {"baseline_edss": 6.0, "current_edss": 6.5}, "stop", "RESP-REVIEW-WORSE", None),
        (3, {"baseline_edss": 4.0}, "incomplete", "RESP-REVIEW-MISSING", None),
        # acuity: a gain >= 0.1 logMAR improves (1.3 -> 1.2 counts as exactly 0.1)
        (3, {"logmar_gain": 1.3 - 1.2}, "continue", "RESP-REVIEW-IMPROVING", 5),
        (3, {"logmar_gain": 0.09}, "continue", "RESP-REVIEW-UNCHANGED", 5),
        (3, {"logmar_gain": -0.1}, "stop", "RESP-REVIEW-WORSE", None),
        # worse on one measure wins over improving on another
        (3, {"tnd": "moderate", "logmar_gain": -0.2}, "stop", "RESP-REVIEW-WORSE", None),
    ],
)
def test_review_decisions(
    done: int, kwargs: dict[str, object], decision: str, rule: str, target: int | None
) -> None:
    review = review_course(done, **kwargs)  # type: ignore[arg-type]
    assert (review.decision, review.rule, review.target_exchanges) == (decision, rule, target)
    assert review.decision in REVIEW_DECISIONS
    assert review.to_dict()["rule"] == rule


def test_review_settings() -> None:
    strict = ResponsePolicy(continue_if_unchanged=False)
    assert review_course(3, tnd="none", policy=strict).decision == "stop"
    later = ResponsePolicy(review_after_exchange=4)
    assert review_course(3, tnd="mild", policy=later).decision == "not_due"
    assert review_course(3, tnd="none").missing == ()
    assert review_course(3).missing == ("tnd", "edss", "logmar")


@pytest.mark.parametrize(
    ("done", "tnd", "field"), [(-1, None, "exchanges_done"), (3, "great", "tnd")]
)
def test_review_refuses_out_of_domain(done: int, tnd: str | None, field: str) -> None:
    with pytest.raises(InputError) as info:
        review_course(done, tnd=tnd)
    assert info.value.field == field
