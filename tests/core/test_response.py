"""Response definitions: each one's boundary cases, missing inputs, and its source."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.edss import EDSS_STEPS
from plexms.core.errors import InputError
from plexms.core.response import (
    CRITERIA,
    INDICATIONS,
    TND_GRADES,
    Assessment,
    Criterion,
    classify_response,
)


def _edss(before: float | None, after: float | None, **kwargs: object) -> dict[str, Criterion]:
    return classify_response(Assessment(edss=before), Assessment(edss=after), **kwargs)  # type: ignore[arg-type]


# --- edss_standard: >= 1.0 from <= 5.5, >= 0.5 from >= 6.0; worsening >= 1.5 from 0 --------
@pytest.mark.parametrize(
    ("before", "after", "result"),
    [
        (5.5, 4.5, "improved"),  # 1.0 from 5.5
        (5.5, 5.0, "unchanged"),  # 0.5 is not enough below 6.0
        (6.0, 5.5, "improved"),  # 0.5 from 6.0
        (6.0, 6.0, "unchanged"),
        (5.5, 6.5, "worsened"),
        (5.5, 6.0, "unchanged"),
        (6.0, 6.5, "worsened"),
        (0.0, 1.0, "unchanged"),  # from 0 worsening needs >= 1.5 (issue 14)
        (0.0, 1.5, "worsened"),
        (1.0, 2.0, "worsened"),  # 1.0 from 1.0-5.5
        (1.0, 1.5, "unchanged"),
        (1.0, 0.0, "improved"),
        (3.0, 2.0, "improved"),
        (3.0, 2.5, "unchanged"),
        (7.5, 7.0, "improved"),
        (9.5, 10.0, "worsened"),
    ],
)
def test_edss_standard_boundaries(before: float, after: float, result: str) -> None:
    criterion = _edss(before, after)["edss_standard"]
    assert criterion.result == result
    assert criterion.source == "EDSS_CHANGE_2007"
    assert criterion.details["edss_change"] == after - before
    assert criterion.responder is (result == "improved")


# --- llufriu_2009: fall >= 1.0 from <= 7.5, >= 1.5 from >= 8.0 --------------------------
@pytest.mark.parametrize(
    ("before", "after", "result"),
    [
        (7.5, 6.5, "improved"),  # 1.0 from 7.5
        (7.5, 7.0, "not_improved"),
        (8.0, 7.0, "not_improved"),  # 1.0 is not enough from 8.0
        (8.0, 6.5, "improved"),  # 1.5 from 8.0
        (6.0, 5.5, "not_improved"),  # improved by edss_standard, not by Llufriu
        (6.0, 5.0, "improved"),
        (3.0, 4.0, "not_improved"),
        (9.5, 8.0, "improved"),
    ],
)
def test_llufriu_edss_boundaries(before: float, after: float, result: str) -> None:
    criterion = _edss(before, after)["llufriu_2009"]
    assert criterion.result == result
    assert criterion.source == "LLUFRIU_2009"
    assert criterion.responder is (result == "improved")


def test_definitions_disagree_and_are_not_blended() -> None:
    report = _edss(6.0, 5.5)
    assert report["edss_standard"].result == "improved"
    assert report["llufriu_2009"].result == "not_improved"
    assert list(report) == list(CRITERIA)


# --- llufriu_2009 for optic neuritis: > 2 lines (> 0.2 logMAR) in the affected eye -------
def _optic(
    before: tuple[float | None, float | None],
    after: tuple[float | None, float | None],
    affected_eye: str | None = None,
) -> Criterion:
    return classify_response(
        Assessment(edss=3.0, logmar_right=before[0], logmar_left=before[1]),
        Assessment(edss=3.0, logmar_right=after[0], logmar_left=after[1]),
        indication="optic_neuritis",
        affected_eye=affected_eye,
    )["llufriu_2009"]


@pytest.mark.parametrize(
    ("before", "after", "result", "gain"),
    [
        ((1.0, 0.1), (0.79, 0.1), "improved", 0.21),
        ((1.0, 0.1), (0.8, 0.1), "not_improved", 0.2),  # exactly 2 lines is not more than 2
        ((1.3, 0.0), (1.1, 0.0), "not_improved", 0.2),  # 1.3 - 1.1 in floating point
        ((0.7, 0.0), (0.5, 0.0), "not_improved", 0.2),
        ((1.0, 0.1), (0.7, 0.1), "improved", 0.3),
        ((1.0, 0.1), (1.2, 0.1), "not_improved", -0.2),
        ((1.9, 0.0), (1.0, 0.0), "improved", 0.9),  # CF to 20/200
    ],
)
def test_optic_neuritis_boundaries(
    before: tuple[float, float], after: tuple[float, float], result: str, gain: float
) -> None:
    criterion = _optic(before, after)
    assert criterion.result == result
    assert criterion.details["eye"] == "right"
    assert criterion.details["eye_chosen"] == "worse at baseline"
    assert criterion.details["logmar_gain"] == pytest.approx(gain)


def test_optic_neuritis_affected_eye_given_wins() -> None:
    # The right eye is worse at baseline, but the left is the affected eye.
    criterion = _optic((1.0, 0.6), (1.0, 0.3), affected_eye="left")
    assert criterion.result == "improved"
    assert (criterion.details["eye"], criterion.details["eye_chosen"]) == ("left", "given")
    assert _optic((0.2, 1.0), (0.2, 0.5)).details["eye"] == "left"


def test_optic_neuritis_equal_eyes_is_not_guessed() -> None:
    criterion = _optic((0.5, 0.5), (0.2, 0.5))
    assert criterion.result == "not_assessable"
    assert criterion.missing == ("affected_eye",)
    assert criterion.responder is None
    assert _optic((0.5, 0.5), (0.2, 0.5), affected_eye="right").result == "improved"


@pytest.mark.parametrize(
    ("before", "after", "eye", "missing"),
    [
        ((None, None), (None, None), None, ("baseline.logmar.right", "baseline.logmar.left")),
        ((1.0, None), (0.5, None), None, ("baseline.logmar.left",)),
        ((1.0, 0.1), (None, 0.1), None, ("followup.logmar.right",)),
        ((None, None), (None, None), "left", ("baseline.logmar.left", "followup.logmar.left")),
        ((1.0, None), (0.5, None), "right", ()),
    ],
)
def test_optic_neuritis_missing_acuity(
    before: tuple[float | None, float | None],
    after: tuple[float | None, float | None],
    eye: str | None,
    missing: tuple[str, ...],
) -> None:
    criterion = _optic(before, after, affected_eye=eye)
    if not missing:
        assert criterion.result == "improved"
        return
    assert criterion.result == "not_assessable"
    assert all(name in criterion.missing for name in missing)


def test_other_indications_use_the_edss() -> None:
    for indication in INDICATIONS:
        if indication == "optic_neuritis":
            continue
        report = _edss(7.5, 6.5, indication=indication)
        assert report["llufriu_2009"].result == "improved"


# --- tnd (Weinshenker 1999) -------------------------------------------------------------
@pytest.mark.parametrize(
    ("grade", "result"),
    [
        ("marked", "responder"),
        ("moderate", "responder"),
        ("mild", "non_responder"),
        ("none", "non_responder"),
        ("worse", "non_responder"),
    ],
)
def test_tnd(grade: str, result: str) -> None:
    criterion = _edss(None, None, tnd=grade)["tnd"]
    assert criterion.result == result
    assert criterion.source == "WEINSHENKER_1999"
    assert criterion.details == {"grade": grade}
    assert criterion.responder is (result == "responder")
    assert set(TND_GRADES) == {"marked", "moderate", "mild", "none", "worse"}


# --- recovery and relapse severity ------------------------------------------------------
@pytest.mark.parametrize(
    ("pre", "before", "after", "result"),
    [
        (3.0, 6.0, 3.0, "complete"),
        (3.0, 6.0, 2.5, "complete"),
        (3.0, 6.0, 3.5, "partial"),
        (3.0, 6.0, 5.5, "partial"),
        (3.0, 6.0, 6.0, "none"),
        (3.0, 6.0, 6.5, "none"),
        (3.0, 3.0, 3.0, "complete"),
        (3.0, 3.0, 3.5, "none"),
    ],
)
def test_recovery(pre: float, before: float, after: float, result: str) -> None:
    criterion = _edss(before, after, pre_relapse_edss=pre)["recovery"]
    assert criterion.result == result
    assert criterion.source == "RELAPSE_SEVERITY_2019"
    assert criterion.responder is None


@pytest.mark.parametrize(
    ("pre", "before", "result"),
    [
        (3.0, 3.0, "no_edss_rise"),
        (3.0, 2.5, "no_edss_rise"),
        (3.0, 3.5, "mild"),
        (3.0, 4.0, "moderate"),
        (3.0, 4.5, "moderate"),
        (3.0, 5.0, "severe"),
        (0.0, 1.0, "moderate"),  # there is no EDSS 0.5
        (1.0, 1.5, "mild"),
        (6.0, 8.5, "severe"),
    ],
)
def test_relapse_severity(pre: float, before: float, result: str) -> None:
    criterion = _edss(before, None, pre_relapse_edss=pre)["relapse_severity"]
    assert criterion.result == result
    assert criterion.details["edss_rise"] == before - pre


# --- missing inputs ---------------------------------------------------------------------
def test_everything_missing_names_what_is_missing() -> None:
    report = classify_response(Assessment(), Assessment())
    assert all(c.result == "not_assessable" for c in report.values())
    assert report["edss_standard"].missing == ("baseline.edss", "followup.edss")
    assert report["llufriu_2009"].missing == ("baseline.edss", "followup.edss")
    assert report["tnd"].missing == ("tnd",)
    assert report["recovery"].missing == ("pre_relapse.edss", "baseline.edss", "followup.edss")
    assert report["relapse_severity"].missing == ("pre_relapse.edss", "baseline.edss")
    assert all(c.rule for c in report.values())


def test_only_followup_missing() -> None:
    report = _edss(6.0, None, pre_relapse_edss=3.0)
    assert report["edss_standard"].missing == ("followup.edss",)
    assert report["recovery"].missing == ("followup.edss",)
    assert report["relapse_severity"].result == "severe"


# --- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"baseline": Assessment(edss=0.5)}, "baseline.edss"),
        ({"followup": Assessment(edss=6.25)}, "followup.edss"),
        ({"followup": Assessment(edss=10.5)}, "followup.edss"),
        ({"pre_relapse_edss": -1.0}, "pre_relapse.edss"),
        ({"pre_relapse_edss": True}, "pre_relapse.edss"),
        ({"baseline": Assessment(logmar_right=3.5)}, "baseline.logmar.right"),
        ({"followup": Assessment(logmar_left=-0.5)}, "followup.logmar.left"),
        ({"followup": Assessment(logmar_left=True)}, "followup.logmar.left"),  # type: ignore[arg-type]
        ({"tnd": "great"}, "tnd"),
        ({"indication": "migraine"}, "indication"),
        ({"affected_eye": "both"}, "affected_eye"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"baseline": Assessment(), "followup": Assessment()}
    args.update(kwargs)
    baseline = args.pop("baseline")
    followup = args.pop("followup")
    with pytest.raises(InputError) as caught:
        classify_response(baseline, followup, **args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.allowed


# --- properties -------------------------------------------------------------------------
_steps = st.sampled_from(EDSS_STEPS)


@given(before=_steps, after=_steps)
def test_edss_standard_direction(before: float, after: float) -> None:
    result = _edss(before, after)["edss_standard"].result
    if result == "improved":
        assert after < before
    elif result == "worsened":
        assert after > before
    if before == after:
        assert result == "unchanged"
    if abs(after - before) >= 1.5 or (abs(after - before) >= 1.0 and before > 0):
        assert result != "unchanged"


@given(before=_steps, after=_steps)
def test_llufriu_is_never_more_lenient_than_the_standard_on_edss(
    before: float, after: float
) -> None:
    # Llufriu needs at least as large a fall as edss_standard at every baseline.
    report = _edss(before, after)
    if report["llufriu_2009"].result == "improved":
        assert report["edss_standard"].result == "improved"


@given(pre=_steps, before=_steps, after=_steps)
def test_recovery_is_consistent(pre: float, before: float, after: float) -> None:
    result = _edss(before, after, pre_relapse_edss=pre)["recovery"].result
    assert (result == "complete") == (after <= pre)
    if result == "partial":
        assert pre < after < before
