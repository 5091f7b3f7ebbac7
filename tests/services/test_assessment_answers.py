"""Eligibility answers the clinician is not asked (pregnancy by sex and age) and agreement with
the advice, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from plexms.services.clinical import courses, web_assessments
from plexms.services.errors import StaleVersion
from plexms.services.schemas.clinical import AssessmentIn
from plexms.store.models import AuditEvent

SAFE = {
    "hemodynamic_instability": False,
    "active_infection": False,
    "active_bleeding": False,
    "albumin_allergy": False,
    "ace_inhibitor": False,
    "poor_venous_access": False,
}
REQUEST = {
    "diagnosis": "relapsing_ms",
    "presentation": "relapse",
    "onset_date": "2026-11-12",
    "edss_pre_relapse": 2.0,
    "edss_now": 4.5,
    "steroids": [
        {
            "drug": "methylprednisolone",
            "route": "iv",
            "dose_mg_per_day": 1000,
            "start_date": "2026-11-13",
            "days": 5,
            "response": "none",
        }
    ],
}


def _assess(world, pid: int, **conditions):  # type: ignore[no-untyped-def]
    request = {**REQUEST, "conditions": {**SAFE, **conditions}}
    return courses.assess_eligibility(world.ctx("physician"), pid, AssessmentIn(request=request))


def test_a_male_patient_is_not_pregnant_by_the_record(world) -> None:  # type: ignore[no-untyped-def]
    out = _assess(world, world.patient(sex="male").id)
    assert out.recommendation == "indicated"
    assert out.inputs["conditions"]["pregnant"] is False
    assert out.result["not_asked"] == {"conditions.pregnant": "male"}


@pytest.mark.parametrize(
    ("birth", "expected"),
    [(dt.date(1950, 1, 1), {"conditions.pregnant": "age 76"}), (dt.date(1984, 5, 17), None)],
)
def test_pregnancy_is_asked_inside_the_age_band(world, birth, expected) -> None:  # type: ignore[no-untyped-def]
    out = _assess(world, world.patient(birth_date=birth).id)
    if expected is None:
        assert out.recommendation == "incomplete"
        assert "conditions.pregnant" in out.result["missing"]
        assert out.result["not_asked"] == {}
    else:
        assert out.result["not_asked"] == expected
        assert out.recommendation == "indicated"


def test_an_answer_given_is_kept(world) -> None:  # type: ignore[no-untyped-def]
    out = _assess(world, world.patient().id, pregnant=True)
    assert out.inputs["conditions"]["pregnant"] is True
    assert out.result["not_asked"] == {}


def test_agreement_is_stored_audited_and_versioned(world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    out = _assess(world, pid, pregnant=False)
    ctx = world.ctx("physician")
    overridden = web_assessments.override_assessment(ctx, out.id, "defer", "fever", out.version)
    agreed = web_assessments.agree_assessment(ctx, out.id, overridden.version)
    assert agreed.recommendation == "indicated"
    assert agreed.result["agreement"]["advice"] == "indicated"
    assert agreed.result["agreement"]["clinician"] == ctx.username
    assert "override" not in agreed.result
    with pytest.raises(StaleVersion):
        web_assessments.agree_assessment(ctx, out.id, overridden.version)
    with world.db.read() as session:
        details = [
            e.detail
            for e in session.query(AuditEvent).filter_by(entity="assessment", entity_id=out.id)
        ]
    assert {"agreement": "indicated", "override_withdrawn": True} in details


def test_an_incomplete_assessment_cannot_be_agreed_with(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.core.errors import InputError

    out = _assess(world, world.patient().id)  # pregnancy not stated: incomplete
    with pytest.raises(InputError):
        web_assessments.agree_assessment(world.ctx("physician"), out.id, out.version)
