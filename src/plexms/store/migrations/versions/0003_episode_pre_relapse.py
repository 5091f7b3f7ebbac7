"""Episode: the EDSS before the relapse (the baseline of the recovery and severity criteria).

Revision ID: 0003_episode_pre_relapse
Revises: 0002_registry_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_episode_pre_relapse"
down_revision = "0002_registry_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("episode", sa.Column("edss_pre_relapse", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("episode") as batch:
        batch.drop_column("edss_pre_relapse")
