"""Course state ``closed`` (handed back); the referral's patient sex and the drafted reply to
the referrer when a referral is declined.

Revision ID: 0009_course_closed_reply
Revises: 0008_course_cosign
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_course_closed_reply"
down_revision = "0008_course_cosign"
branch_labels = None
depends_on = None

_OLD = "status IN ('planned', 'active', 'completed', 'stopped')"
_NEW = "status IN ('planned', 'active', 'completed', 'closed', 'stopped')"


def _course_check(condition: str) -> None:
    with op.batch_alter_table("course") as batch:
        batch.drop_constraint(op.f("ck_course_status"), type_="check")
        batch.create_check_constraint("status", condition)


def upgrade() -> None:
    _course_check(_NEW)
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("patient_sex", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("reply_draft", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.execute("UPDATE course SET status = 'completed' WHERE status = 'closed'")
    _course_check(_OLD)
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("reply_draft")
        batch.drop_column("patient_sex")
