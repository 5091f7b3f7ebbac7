"""Centres seeded before rule set 1.1.0 stored the old eligibility defaults explicitly: no outer
limit on the time from onset (``max_days_from_onset = null``, so an attack two years old could
be "indicated") and NMOSD waiting for steroids to fail. Those were never a centre's choice but
the defaults of the time, written out in full by ``policy_to_dict``; this moves them to the
new defaults (90 days, local policy; exchange alongside steroids, BONNAN_2018). A centre that
wants the old behaviour sets it again in its settings (audited there).

Revision ID: 0010_safe_eligibility_defaults
Revises: 0009_course_closed_reply
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010_safe_eligibility_defaults"
down_revision = "0009_course_closed_reply"
branch_labels = None
depends_on = None

_CENTRE = sa.table("centre", sa.column("id", sa.Integer), sa.column("policy", sa.JSON))
#: the old default -> the new default of each setting moved here
_MOVED: dict[str, tuple[Any, Any]] = {
    "max_days_from_onset": (None, 90),
    "nmosd_requires_steroid_failure": (True, False),
}


def upgrade() -> None:
    conn = op.get_bind()
    for centre_id, policy in conn.execute(sa.select(_CENTRE.c.id, _CENTRE.c.policy)).all():
        eligibility = (policy or {}).get("eligibility")
        if not isinstance(eligibility, dict):
            continue  # nothing stored: the new defaults apply already
        changed = False
        for name, (old, new) in _MOVED.items():
            if name in eligibility and eligibility[name] == old:
                eligibility[name] = new
                changed = True
        if changed:
            updated = {**policy, "eligibility": eligibility}
            conn.execute(sa.update(_CENTRE).where(_CENTRE.c.id == centre_id).values(policy=updated))


def downgrade() -> None:
    """Nothing to undo: the old values are the old code's defaults, which it fills in itself
    when a setting is missing, and a centre's own choice is not known any more."""
