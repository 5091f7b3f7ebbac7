"""Adverse event: the CTCAE-style grade and whether it was life-threatening, as fields (the
grade used to be written into the free-text notes by the web form only).

Revision ID: 0006_adverse_event_grade
Revises: 0005_registry_course_id_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_adverse_event_grade"
down_revision = "0005_registry_course_id_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("adverse_event", sa.Column("ctcae_grade", sa.Integer(), nullable=True))
    op.add_column(
        "adverse_event",
        sa.Column("life_threatening", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("adverse_event") as batch:
        batch.drop_column("life_threatening")
        batch.drop_column("ctcae_grade")
