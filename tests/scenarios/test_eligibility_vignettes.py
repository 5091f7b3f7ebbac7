"""Clinical vignettes for eligibility (issue 14): each asserts the recommendation and the rule
that decided it (``Assessment.decided_by``, which is always one of the reasons shown).

The base case is a steroid-refractory MS relapse: onset 1 March 2026, IV methylprednisolone
1 g x 5 days from 2 March without response, assessed 12 March (day 11), EDSS 2.0 -> 4.5,
attack confirmed (48 h, no fever or infection, not on natalizumab).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from plexms.core.eligibility import (
    Conditions,
    EligibilityRequest,
    Logmar,
    Mri,
    RelapseCheck,
    SteroidCourse,
    TargetedDeficit,
    assess,
    example_request,
)
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, EligibilityPolicy

ONSET = dt.date(2026, 3, 1)
CONFIRMED = RelapseCheck(symptom_hours=48.0, fever=False, infection=False, on_natalizumab=False)
SAFE = Conditions(*(False,) * 7)
NO_STEROIDS: tuple[SteroidCourse, ...] = ()


def _day(n: int) -> dt.date:
    return ONSET + dt.timedelta(days=n)


def _req(**changes: Any) -> EligibilityRequest:
    base = dataclasses.replace(example_request(), relapse=CONFIRMED)
    return dataclasses.replace(base, **changes)


def _cond(**flags: bool) -> Conditions:
    return dataclasses.replace(SAFE, **flags)


REQUIRE_STEROIDS = CentrePolicy(eligibility=EligibilityPolicy(nmosd_requires_steroid_failure=True))
PREGNANCY_ABSOLUTE = CentrePolicy(
    eligibility=EligibilityPolicy(absolute_contraindications=("pregnant",))
)

# (id, changes, policy, recommendation, deciding rule, other rules that must be among reasons)
VIGNETTES: list[tuple[str, dict[str, Any], CentrePolicy | None, str, str, tuple[str, ...]]] = [
    # --- MS relapse --------------------------------------------------------------------------
    ("ms_refractory_disabling", {}, None, "indicated", "ELIG-CATEGORY", ("ELIG-DEFICIT",)),
    ("ms_mild_rise", {"edss_now": 2.5}, None, "consider", "ELIG-CATEGORY", ("ELIG-DEFICIT",)),
    (
        "ms_from_zero_rise_1_0_not_disabling",
        {"edss_pre_relapse": 0.0, "edss_now": 1.0},
        None,
        "consider",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT",),
    ),
    (
        "ms_from_zero_rise_1_5_disabling",
        {"edss_pre_relapse": 0.0, "edss_now": 1.5},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT",),
    ),
    (
        "ms_from_6_0_half_step_disabling",
        {"edss_pre_relapse": 6.0, "edss_now": 6.5},
        None,
        "indicated",
        "ELIG-CATEGORY",
        (),
    ),
    (
        "ms_from_5_5_half_step_mild",
        {"edss_pre_relapse": 5.5, "edss_now": 6.0},
        None,
        "consider",
        "ELIG-CATEGORY",
        (),
    ),
    ("ms_recovered", {"edss_now": 2.0}, None, "not_indicated", "ELIG-NO-DEFICIT", ()),
    (
        "ms_steroids_not_tried",
        {"steroids": NO_STEROIDS},
        None,
        "defer",
        "ELIG-STEROID-NOT-TRIED",
        (),
    ),
    (
        "ms_full_steroid_response",
        {"steroids": (SteroidCourse("methylprednisolone", "iv", 1000.0, _day(1), 5, "full"),)},
        None,
        "not_indicated",
        "ELIG-STEROID-RESPONDED",
        (),
    ),
    (
        "ms_within_steroid_wait",
        {"assessment_date": _day(7)},
        None,
        "defer",
        "ELIG-STEROID-WAIT",
        (),
    ),
    (
        "ms_symptoms_23_5_hours",
        {"relapse": dataclasses.replace(CONFIRMED, symptom_hours=23.5)},
        None,
        "defer",
        "ELIG-RELAPSE-DURATION",
        (),
    ),
    (
        "ms_symptoms_exactly_24_hours",
        {"relapse": dataclasses.replace(CONFIRMED, symptom_hours=24.0)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-RELAPSE-CONFIRMED",),
    ),
    (
        "ms_fever_pseudo_relapse",
        {"relapse": dataclasses.replace(CONFIRMED, fever=True)},
        None,
        "defer",
        "ELIG-PSEUDO-RELAPSE",
        (),
    ),
    (
        "ms_urinary_infection_pseudo_relapse",
        {"relapse": dataclasses.replace(CONFIRMED, infection=True)},
        None,
        "defer",
        "ELIG-PSEUDO-RELAPSE",
        (),
    ),
    (
        "ms_natalizumab_pml_not_excluded",
        {
            "relapse": dataclasses.replace(
                CONFIRMED, on_natalizumab=True, jcv_status="positive", pml_excluded=False
            )
        },
        None,
        "defer",
        "ELIG-PML",
        (),
    ),
    (
        "ms_natalizumab_pml_excluded",
        {
            "relapse": dataclasses.replace(
                CONFIRMED, on_natalizumab=True, jcv_status="positive", pml_excluded=True
            )
        },
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-PML-EXCLUDED",),
    ),
    (
        "ms_natalizumab_jcv_not_stated",
        {"relapse": dataclasses.replace(CONFIRMED, on_natalizumab=True, pml_excluded=True)},
        None,
        "incomplete",
        "ELIG-MISSING",
        (),
    ),
    (
        "ms_new_walking_aid_small_edss_rise",
        {"edss_pre_relapse": 3.0, "edss_now": 3.5, "deficit": TargetedDeficit(None, None, True)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT-TARGETED",),
    ),
    (
        "ms_motor_grade_2_small_edss_rise",
        {"edss_now": 2.5, "deficit": TargetedDeficit(5, 2, False)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT-TARGETED",),
    ),
    (
        "ms_motor_grade_4_no_edss_rise_mild",
        {"edss_now": 2.0, "deficit": TargetedDeficit(5, 4, False)},
        None,
        "consider",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT-TARGETED",),
    ),
    (
        "ms_relapse_with_one_eye_measured",
        {"logmar": Logmar(None, 1.0)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT",),
    ),
    (
        "ms_relapse_with_severe_visual_loss_small_edss_rise",
        {"edss_now": 2.5, "logmar": Logmar(0.0, 1.0)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT-VISION",),
    ),
    (
        "ms_active_infection_contraindication",
        {"conditions": _cond(active_infection=True)},
        None,
        "defer",
        "ELIG-CONTRA-TEMPORARY",
        (),
    ),
    # --- early and late from onset -----------------------------------------------------------
    ("day_60_still_acute", {"assessment_date": _day(60)}, None, "indicated", "ELIG-CATEGORY", ()),
    (
        "day_61_past_acute_window",
        {"assessment_date": _day(61)},
        None,
        "consider",
        "ELIG-ACUTE-WINDOW",
        (),
    ),
    (
        "day_90_at_outer_limit",
        {"assessment_date": _day(90)},
        None,
        "consider",
        "ELIG-ACUTE-WINDOW",
        (),
    ),
    (
        "day_91_no_longer_acute",
        {"assessment_date": _day(91)},
        None,
        "not_indicated",
        "ELIG-LATE",
        (),
    ),
    (
        "day_400_no_longer_acute",
        {"assessment_date": _day(400)},
        None,
        "not_indicated",
        "ELIG-LATE",
        (),
    ),
    # --- optic neuritis ----------------------------------------------------------------------
    (
        "optic_neuritis_severe_acuity",
        {"presentation": "optic_neuritis", "edss_now": 2.0, "logmar": Logmar(1.0, 0.0)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT-VISION", "ELIG-ASFA-ON"),
    ),
    (
        "optic_neuritis_moderate_acuity",
        {"presentation": "optic_neuritis", "edss_now": 2.0, "logmar": Logmar(0.0, 0.3)},
        None,
        "consider",
        "ELIG-CATEGORY",
        ("ELIG-DEFICIT-VISION",),
    ),
    (
        "optic_neuritis_recovered",
        {"presentation": "optic_neuritis", "edss_now": 2.0, "logmar": Logmar(0.1, 0.0)},
        None,
        "not_indicated",
        "ELIG-NO-DEFICIT",
        (),
    ),
    # --- tumefactive -------------------------------------------------------------------------
    (
        "tumefactive_ring_enhancing",
        {"presentation": "tumefactive", "mri": Mri(1, True, True, 35.0)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-TUMEFACTIVE", "ELIG-ASFA-TUMEFACTIVE"),
    ),
    (
        "tumefactive_without_mri",
        {"presentation": "tumefactive", "mri": None},
        None,
        "incomplete",
        "ELIG-MISSING",
        (),
    ),
    # --- CIS ---------------------------------------------------------------------------------
    (
        "cis_aggressive_refractory",
        {"diagnosis": "cis", "presentation": "cis_aggressive"},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-ASFA-CIS",),
    ),
    (
        "cis_progression_has_no_rule",
        {"diagnosis": "cis", "presentation": "progression"},
        None,
        "incomplete",
        "ELIG-ASFA-NONE",
        (),
    ),
    # --- progressive MS ----------------------------------------------------------------------
    (
        "progressive_ms_progression",
        {"diagnosis": "progressive_ms", "presentation": "progression"},
        None,
        "not_indicated",
        "ELIG-PROGRESSIVE",
        (),
    ),
    (
        "progressive_ms_progression_2016",
        {
            "diagnosis": "progressive_ms",
            "presentation": "progression",
            "guideline_edition": "asfa-2016",
        },
        None,
        "not_indicated",
        "ELIG-PROGRESSIVE",
        ("ELIG-ASFA-GAP",),
    ),
    (
        "progressive_ms_superimposed_relapse",
        {"diagnosis": "progressive_ms"},
        None,
        "indicated",
        "ELIG-CATEGORY",
        (),
    ),
    # --- NMOSD -------------------------------------------------------------------------------
    (
        "nmosd_severe_day_0_with_steroids_starting",
        {"diagnosis": "nmosd", "assessment_date": ONSET, "steroids": NO_STEROIDS},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-NMOSD-EARLY",),
    ),
    (
        "nmosd_mild_attack",
        {"diagnosis": "nmosd", "edss_now": 2.5, "steroids": NO_STEROIDS},
        None,
        "consider",
        "ELIG-CATEGORY",
        ("ELIG-NMOSD-EARLY",),
    ),
    (
        "nmosd_2016_edition_row",
        {"diagnosis": "nmosd", "guideline_edition": "asfa-2016", "steroids": NO_STEROIDS},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-ASFA",),
    ),
    (
        "nmosd_centre_requires_steroid_failure",
        {"diagnosis": "nmosd", "steroids": NO_STEROIDS},
        REQUIRE_STEROIDS,
        "defer",
        "ELIG-STEROID-NOT-TRIED",
        (),
    ),
    (
        "nmosd_progression_has_no_rule",
        {"diagnosis": "nmosd", "presentation": "progression"},
        None,
        "incomplete",
        "ELIG-ASFA-NONE",
        (),
    ),
    # --- MOGAD -------------------------------------------------------------------------------
    (
        "mogad_severe_optic_neuritis_day_2",
        {
            "diagnosis": "mogad",
            "presentation": "optic_neuritis",
            "assessment_date": _day(2),
            "steroids": NO_STEROIDS,
            "edss_now": 2.0,
            "logmar": Logmar(1.3, 0.0),
        },
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-ASFA-MOGAD", "ELIG-NMOSD-EARLY"),
    ),
    (
        "mogad_2016_edition",
        {"diagnosis": "mogad", "guideline_edition": "asfa-2016", "steroids": NO_STEROIDS},
        None,
        "indicated",
        "ELIG-CATEGORY",
        ("ELIG-ASFA-MOGAD",),
    ),
    # --- ADEM --------------------------------------------------------------------------------
    (
        "adem_child_steroid_refractory",
        {"diagnosis": "adem", "age": 8},
        None,
        "indicated",
        "ELIG-CATEGORY",
        (),
    ),
    (
        "adem_after_febrile_illness_is_not_a_pseudo_relapse",
        {"diagnosis": "adem", "relapse": dataclasses.replace(CONFIRMED, fever=True)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        (),
    ),
    (
        "adem_steroids_not_tried",
        {"diagnosis": "adem", "steroids": NO_STEROIDS},
        None,
        "defer",
        "ELIG-STEROID-NOT-TRIED",
        (),
    ),
    (
        "adem_2016_edition_row",
        {"diagnosis": "adem", "guideline_edition": "asfa-2016"},
        None,
        "indicated",
        "ELIG-CATEGORY",
        (),
    ),
    # --- pregnancy ---------------------------------------------------------------------------
    (
        "pregnant_relapse",
        {"conditions": _cond(pregnant=True)},
        None,
        "indicated",
        "ELIG-CATEGORY",
        (),
    ),
    (
        "pregnant_centre_excludes_pregnancy",
        {"conditions": _cond(pregnant=True)},
        PREGNANCY_ABSOLUTE,
        "not_indicated",
        "ELIG-CONTRA-ABSOLUTE",
        (),
    ),
    # --- children and the elderly ------------------------------------------------------------
    ("child_12_relapse", {"age": 12}, None, "indicated", "ELIG-CATEGORY", ()),
    ("infant_adem", {"diagnosis": "adem", "age": 0}, None, "indicated", "ELIG-CATEGORY", ()),
    ("elderly_85_relapse", {"age": 85}, None, "indicated", "ELIG-CATEGORY", ()),
    ("age_120_relapse", {"age": 120}, None, "indicated", "ELIG-CATEGORY", ()),
    # --- no rule -----------------------------------------------------------------------------
    (
        "other_diagnosis_has_no_rule",
        {"diagnosis": "other"},
        None,
        "incomplete",
        "ELIG-ASFA-NONE",
        (),
    ),
]


@pytest.mark.parametrize(
    ("changes", "policy", "recommendation", "rule", "also"),
    [pytest.param(*v[1:], id=v[0]) for v in VIGNETTES],
)
def test_vignette(
    changes: dict[str, Any],
    policy: CentrePolicy | None,
    recommendation: str,
    rule: str,
    also: tuple[str, ...],
) -> None:
    result = assess(_req(**changes), policy)
    rules = [r.rule for r in result.reasons]
    assert (result.recommendation, result.decided_by) == (recommendation, rule), rules
    assert rule in rules
    assert set(also) <= set(rules), rules
    if recommendation == "incomplete":
        assert result.missing
    else:
        assert not result.missing


def test_there_are_at_least_35_vignettes() -> None:
    assert len(VIGNETTES) >= 35
    assert len({v[0] for v in VIGNETTES}) == len(VIGNETTES)


@pytest.mark.parametrize("age", [0, 12, 17])
def test_children_get_the_paediatric_precaution(age: int) -> None:
    precautions = [p.rule for p in assess(_req(age=age)).precautions]
    assert "ELIG-PRECAUTION-PAEDIATRIC" in precautions
    assert "ELIG-PRECAUTION-PAEDIATRIC" not in [p.rule for p in assess(_req(age=18)).precautions]


def test_pregnancy_is_a_precaution_by_default() -> None:
    result = assess(_req(conditions=_cond(pregnant=True)))
    assert "ELIG-PRECAUTION-PREGNANT" in [p.rule for p in result.precautions]


def test_the_reasons_say_local_policy_for_the_time_bounds() -> None:
    late = assess(_req(assessment_date=_day(91)))
    reason = next(r for r in late.reasons if r.rule == "ELIG-LATE")
    assert reason.local_policy and "91 days" in reason.text and "unverified" in reason.text
    window = next(
        r for r in assess(_req(assessment_date=_day(61))).reasons if r.rule == "ELIG-ACUTE-WINDOW"
    )
    assert window.source == "ASFA_FACT_SHEET_TIMING" and "local policy" in window.text


@pytest.mark.parametrize("name", ["edss_now", "edss_pre_relapse"])
def test_edss_10_is_refused(name: str) -> None:
    with pytest.raises(InputError) as info:
        assess(_req(**{name: 10.0}))
    assert info.value.field == name
