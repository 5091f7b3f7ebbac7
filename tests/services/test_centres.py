"""Centre settings: stored policies from before a setting was merged still load."""

from __future__ import annotations

from plexms.core.policy import CentrePolicy, policy_to_dict
from plexms.services.centres import load_policy
from plexms.store.models import Centre


def _stored(**sections: dict[str, object]) -> Centre:
    policy = policy_to_dict(CentrePolicy())
    for section, values in sections.items():
        policy[section].update(values)
    return Centre(policy=policy)


def test_retired_fibrinogen_hold_moves_to_the_prescription_threshold() -> None:
    centre = _stored(precheck={"fibrinogen_hold_g_l": 1.5})
    centre.policy["prescription"].pop("fibrinogen_plasma_threshold_g_l")
    assert load_policy(centre).prescription.fibrinogen_plasma_threshold_g_l == 1.5


def test_the_current_setting_wins_over_a_retired_copy() -> None:
    centre = _stored(
        precheck={"fibrinogen_hold_g_l": 1.5},
        prescription={"fibrinogen_plasma_threshold_g_l": 0.9},
    )
    assert load_policy(centre).prescription.fibrinogen_plasma_threshold_g_l == 0.9


def test_a_current_policy_loads_unchanged() -> None:
    assert load_policy(_stored()) == CentrePolicy()
    assert load_policy(Centre(policy=None)) == CentrePolicy()
