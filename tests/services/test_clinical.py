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
