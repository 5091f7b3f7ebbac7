"""Clinical use cases filled from the record: eligibility (presentation from the episode),
outcome response against the baseline, the pre-session check and the DMT hand-back timing."""

from __future__ import annotations

import datetime as dt

import pytest

from plexms.services import courses, patients
from plexms.services.schemas import EpisodeIn
from plexms.services.schemas.clinical import AssessmentIn


def _episode(world, pid: int, presentation: str) -> int:  # type: ignore[no-untyped-def]
    ctx = world.ctx("physician")
    data = EpisodeIn(onset_date=dt.date(2026, 11, 10), presentation=presentation)
    return patients.add_episode(ctx, pid, data).id


@pytest.mark.parametrize(
    ("presentation", "expected"),
    [
        ("relapse", "relapse"),
        ("optic_neuritis", "optic_neuritis"),
        ("tumefactive", "tumefactive"),
        ("cis", None),
        ("other", None),
    ],
)
def test_assessment_presentation_from_the_episode(world, presentation, expected) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    episode = _episode(world, pid, presentation)
    out = courses.assess_eligibility(
        world.ctx("physician"), pid, AssessmentIn(episode_id=episode, request={})
    )
    assert out.inputs.get("presentation") == expected
    assert out.inputs["onset_date"] == "2026-11-10"
    if expected is None:
        assert out.recommendation == "incomplete"
        assert "presentation" in out.result["missing"]


def test_the_request_presentation_wins_over_the_episode(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    episode = _episode(world, pid, "cis")
    out = courses.assess_eligibility(
        world.ctx("physician"),
        pid,
        AssessmentIn(episode_id=episode, request={"presentation": "cis_aggressive"}),
    )
    assert out.inputs["presentation"] == "cis_aggressive"
    assert "presentation" not in out.result["missing"]


# --- outcome visits: acuity in any notation, response against the baseline -------------

FS = {
    "visual": 0,
    "brainstem": 1,
    "pyramidal": 3,
    "cerebellar": 2,
    "sensory": 2,
    "bowel_bladder": 1,
    "cerebral": 0,
}


def _visit(world, pid: int, **values):  # type: ignore[no-untyped-def]
    from plexms.services import outcomes
    from plexms.services.schemas.clinical import OutcomeIn

    body = {"timepoint": "1_month", "assessed_on": dt.date(2026, 12, 20), **values}
    return outcomes.record_outcome(world.ctx("nurse"), pid, OutcomeIn.model_validate(body))


def test_acuity_per_eye_in_any_notation(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    out = _visit(
        world,
        pid,
        timepoint="baseline",
        acuity={"right": {"value": "20/40"}, "left": {"value": 0.5, "notation": "decimal"}},
        va_right_logmar=None,
    )
    assert (out.va_right_logmar, out.va_left_logmar) == (0.3, 0.3)
    assert out.result["acuity"]["right"]["snellen_6"] == "6/12"
    assert "acuity:" in out.rule_version and "response" not in out.result
    only_left = _visit(world, pid, va_right_logmar=0.1, acuity={"left": {"value": "CF"}})
    assert (only_left.va_right_logmar, only_left.va_left_logmar) == (0.1, 1.9)


def test_acuity_and_logmar_for_one_eye_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.core.errors import InputError

    pid = world.patient().id
    with pytest.raises(InputError) as err:
        _visit(world, pid, va_right_logmar=0.1, acuity={"right": {"value": "20/40"}})
    assert err.value.field == "acuity.right"
    with pytest.raises(InputError) as err:
        _visit(world, pid, acuity={"left": {"value": 0.5}})
    assert err.value.field == "acuity.left.notation"


def test_response_against_the_baseline_visit_with_the_episodes_pre_relapse_edss(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    ctx = world.ctx("physician")
    patients.add_episode(
        ctx,
        pid,
        EpisodeIn(onset_date=dt.date(2026, 11, 10), presentation="relapse", edss_pre_relapse=2.0),
    )
    base = _visit(
        world,
        pid,
        timepoint="baseline",
        assessed_on=dt.date(2026, 11, 29),
        edss={"fs": FS, "ambulation_score": 0},
    )
    assert "response" not in base.result
    after = _visit(
        world,
        pid,
        edss={"fs": {**FS, "pyramidal": 2, "cerebellar": 1}, "ambulation_score": 0},
        targeted_deficit="moderate",
    )
    assert after.edss is not None and base.edss is not None and after.edss < base.edss
    response = after.result["response"]
    assert response["baseline"] == {"from": "outcome", "id": base.id, "date": "2026-11-29"}
    assert after.inputs["response"] == {
        "baseline": {"edss": base.edss},
        "followup": {"edss": after.edss},
        "indication": "relapse",
        "pre_relapse": {"edss": 2.0},
        "tnd": "moderate",
    }
    assert response["criteria"]["tnd"]["responder"] is True
    assert response["criteria"]["recovery"]["result"] != "not_assessable"
    assert "response:" in after.rule_version and "edss:" in after.rule_version


def test_response_against_the_latest_assessment_without_a_baseline_visit(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    episode = _episode(world, pid, "optic_neuritis")
    courses.assess_eligibility(
        world.ctx("physician"),
        pid,
        AssessmentIn(
            episode_id=episode,
            request={"edss_now": 3.0, "logmar": {"right": 1.0, "left": 0.0}},
        ),
    )
    after = _visit(world, pid, va_right_logmar=0.4, va_left_logmar=0.0)
    response = after.result["response"]
    assert response["baseline"]["from"] == "assessment"
    request = after.inputs["response"]
    assert request["indication"] == "optic_neuritis"
    assert request["baseline"] == {"edss": 3.0, "logmar": {"right": 1.0, "left": 0.0}}
    assert response["criteria"]["llufriu_2009"]["responder"] is True


def test_no_baseline_no_response(world) -> None:  # type: ignore[no-untyped-def]
    out = _visit(world, world.patient().id, edss={"fs": FS, "ambulation_score": 0})
    assert "response" not in out.result and out.rule_version.startswith("edss:")
