"""Session sheet: addenda that correct a signed sheet (who, when, why, each field's old and
new value), the patient's weight before and after the exchange and the inlet flow run.

Revision ID: 0007_session_addendum
Revises: 0006_adverse_event_grade
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_session_addendum"
down_revision = "0006_adverse_event_grade"
branch_labels = None
depends_on = None

_COLUMNS = ("pre_weight_kg", "post_weight_kg", "inlet_flow_ml_min")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("exchange_session", sa.Column(name, sa.Float(), nullable=True))
    op.create_table(
        "session_addendum",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_session_addendum_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_session_addendum_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exchange_session.id"],
            name=op.f("fk_session_addendum_session_id_exchange_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_addendum")),
    )
    with op.batch_alter_table("session_addendum", schema=None) as batch_op:
        for column in ("centre_id", "patient_id", "session_id"):
            batch_op.create_index(
                batch_op.f(f"ix_session_addendum_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("session_addendum")
    with op.batch_alter_table("exchange_session") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
