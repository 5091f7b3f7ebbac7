"""The unit's resources and bookings (issue 17 items 1 and 2): treatment places, machines,
maintenance blocks, nurse profiles and shifts, bookings.

Revision ID: 0012_resources
Revises: 0011_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_resources"
down_revision = "0011_throttle"
branch_labels = None
depends_on = None


def _clinical(table: str) -> list[sa.schema.SchemaItem]:
    """The columns of every clinical row (``ClinicalMixin``)."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f(f"fk_{table}_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _span(table: str) -> list[sa.Column[object] | sa.CheckConstraint]:
    return [
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f(f"ck_{table}_span")),
    ]


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "treatment_place",
        *_clinical("treatment_place"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("central_line_ok", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('chair', 'bed', 'room')", name=op.f("ck_treatment_place_kind")
        ),
    )
    _index("treatment_place", "centre_id")
    op.create_table(
        "machine",
        *_clinical("machine"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    _index("machine", "centre_id")
    op.create_table(
        "maintenance_block",
        *_clinical("maintenance_block"),
        sa.Column("machine_id", sa.Integer(), nullable=False),
        *_span("maintenance_block"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["machine_id"],
            ["machine.id"],
            name=op.f("fk_maintenance_block_machine_id_machine"),
            ondelete="CASCADE",
        ),
    )
    _index("maintenance_block", "centre_id", "machine_id")
    op.create_table(
        "nurse_profile",
        *_clinical("nurse_profile"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("apheresis_competent", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_nurse_profile_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_nurse_profile_user_id")),
    )
    _index("nurse_profile", "centre_id")
    op.create_table(
        "nurse_shift",
        *_clinical("nurse_shift"),
        sa.Column("nurse_user_id", sa.Integer(), nullable=False),
        *_span("nurse_shift"),
        sa.ForeignKeyConstraint(
            ["nurse_user_id"],
            ["app_user.id"],
            name=op.f("fk_nurse_shift_nurse_user_id_app_user"),
            ondelete="CASCADE",
        ),
    )
    _index("nurse_shift", "centre_id", "nurse_user_id", "start_at")
    op.create_table(
        "booking",
        *_clinical("booking"),
        sa.Column("exchange_session_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("nurse_user_id", sa.Integer(), nullable=False),
        *_span("booking"),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'completed', 'released')", name=op.f("ck_booking_status")
        ),
        sa.ForeignKeyConstraint(
            ["exchange_session_id"],
            ["exchange_session.id"],
            name=op.f("fk_booking_exchange_session_id_exchange_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["treatment_place.id"], name=op.f("fk_booking_place_id_treatment_place")
        ),
        sa.ForeignKeyConstraint(
            ["machine_id"], ["machine.id"], name=op.f("fk_booking_machine_id_machine")
        ),
        sa.ForeignKeyConstraint(
            ["nurse_user_id"], ["app_user.id"], name=op.f("fk_booking_nurse_user_id_app_user")
        ),
    )
    _index("booking", "centre_id", "exchange_session_id", "place_id", "machine_id", "nurse_user_id")
    op.create_index("ix_booking_centre_start", "booking", ["centre_id", "start_at"], unique=False)


def downgrade() -> None:
    for table in (
        "booking",
        "nurse_shift",
        "nurse_profile",
        "maintenance_block",
        "machine",
        "treatment_place",
    ):
        op.drop_table(table)
