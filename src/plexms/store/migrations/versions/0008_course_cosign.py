"""Two signatures on a prescription: the course records whether the centre required a
co-signature when it was planned, who co-signed and when; a pharmacist role may co-sign.

Revision ID: 0008_course_cosign
Revises: 0007_session_addendum
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_course_cosign"
down_revision = "0007_session_addendum"
branch_labels = None
depends_on = None

_OLD_ROLES = "role IN ('admin', 'physician', 'nurse', 'coordinator', 'viewer')"
_NEW_ROLES = "role IN ('admin', 'physician', 'pharmacist', 'nurse', 'coordinator', 'viewer')"


def upgrade() -> None:
    op.add_column(
        "course",
        sa.Column("cosign_required", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("course", sa.Column("cosigned_by", sa.String(length=64), nullable=True))
    op.add_column("course", sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(op.f("ck_app_user_role"), type_="check")
        batch.create_check_constraint(op.f("ck_app_user_role"), _NEW_ROLES)


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(op.f("ck_app_user_role"), type_="check")
        batch.create_check_constraint(op.f("ck_app_user_role"), _OLD_ROLES)
    with op.batch_alter_table("course") as batch:
        batch.drop_column("cosigned_at")
        batch.drop_column("cosigned_by")
        batch.drop_column("cosign_required")
