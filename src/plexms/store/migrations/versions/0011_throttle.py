"""Throttle counters shared by every worker: failed sign-ins by client address, wrong current
passwords by user, used referral-form stamps (issue 15, items 9 and 10).

Revision ID: 0011_throttle
Revises: 0010_safe_eligibility_defaults
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_throttle"
down_revision = "0010_safe_eligibility_defaults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_throttle_kind")),
    )


def downgrade() -> None:
    op.drop_table("throttle")
