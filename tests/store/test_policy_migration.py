"""Migration 0010: centres that stored the old eligibility defaults get the safe new ones."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from plexms.core.policy import CentrePolicy, policy_from_dict, policy_to_dict
from plexms.store.migrate import upgrade

OLD = "0009_course_closed_reply"  # before 0010


def _policy(**eligibility: object) -> dict:  # type: ignore[type-arg]
    stored = policy_to_dict(CentrePolicy())
    stored["eligibility"].update(eligibility)
    return stored


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({"max_days_from_onset": None, "nmosd_requires_steroid_failure": True}, (90, False)),
        ({"max_days_from_onset": 45, "nmosd_requires_steroid_failure": False}, (45, False)),
        ({"max_days_from_onset": 120}, (120, False)),
    ],
)
def test_old_defaults_move_to_the_safe_defaults_and_choices_stay(
    db_url: str,
    stored: dict,
    expected: tuple,  # type: ignore[type-arg]
) -> None:
    import json

    upgrade(db_url, OLD)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO centre (code, name, address_line, city, region, postal_code,"
                    " country, phone, email, time_zone, holiday_calendar, units, policy,"
                    " created_at, version) VALUES ('c', 'C', '', '', '', '', 'NL', '', '',"
                    " 'UTC', '', 'si', :p, CURRENT_TIMESTAMP, 1)"
                ),
                {"p": json.dumps(_policy(**stored))},
            )
        upgrade(db_url)
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT policy FROM centre")).scalar_one()
    finally:
        engine.dispose()
    policy = policy_from_dict(raw if isinstance(raw, dict) else json.loads(raw))
    got = (
        policy.eligibility.max_days_from_onset,
        policy.eligibility.nmosd_requires_steroid_failure,
    )
    assert got == expected
