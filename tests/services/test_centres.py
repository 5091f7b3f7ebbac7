"""Centre settings: stored policies from before a setting was merged still load."""

from __future__ import annotations

import pytest

from plexms.core.policy import CentrePolicy, policy_to_dict
from plexms.services.admin.centres import load_policy
from plexms.services.errors import Unauthenticated
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


def test_a_changed_setting_is_read_at_once_despite_the_cache(world) -> None:  # type: ignore[no-untyped-def]
    from plexms.services.admin import auth, centres
    from plexms.services.schemas.admin import CentreUpdate

    ctx = world.ctx("admin")
    token = world.tokens[("a", "admin")]
    actor, centre, policy = auth.authenticate_in_centre(ctx, token)
    assert actor == ctx.actor and centre is not None
    assert centres.centre_policy(ctx) is policy  # the same settings: cached
    stored = policy_to_dict(policy)
    stored["prescription"]["fibrinogen_plasma_threshold_g_l"] = 0.8
    centres.update_centre(ctx, CentreUpdate(policy=stored), expected_version=centre.version)
    changed = auth.authenticate_in_centre(ctx, token)[2]
    assert changed.prescription.fibrinogen_plasma_threshold_g_l == 0.8
    assert centres.centre_policy(ctx) == changed
    other = centres.centre_policy(world.ctx("admin", "b"))
    assert other.prescription.fibrinogen_plasma_threshold_g_l == 1.0  # centre b unchanged
    with pytest.raises(Unauthenticated):
        auth.authenticate_in_centre(ctx, "not-a-token")
