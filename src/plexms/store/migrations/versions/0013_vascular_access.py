"""Vascular access lifecycle (issue 17, item 3): access lines and their events, and the
session sheet's post-run line care (lock solution and volume, flush, dressing).

Revision ID: 0013_vascular_access
Revises: 0012_resources
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_vascular_access"
down_revision = "0012_resources"
branch_labels = None
depends_on = None

_KINDS = ("peripheral", "central")
_TYPES = (
    "peripheral_cannula",
    "midline",
    "non_tunnelled_cvc",
    "tunnelled_cvc",
    "apheresis_catheter",
    "port",
)
_EVENTS = (
    "dressing_change",
    "flush",
    "occlusion",
    "poor_flow",
    "dislodgement",
    "thrombosis",
    "other_problem",
    "exit_site_infection",
    "tunnel_infection",
    "clabsi",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _clinical(table: str) -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f(f"fk_{table}_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f(f"fk_{table}_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "access_line",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("line_type", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("lumens", sa.Integer(), nullable=False),
        sa.Column("inserted_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removal_reason", sa.String(length=32), nullable=False),
        sa.Column("lock_solution", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        *_clinical("access_line"),
        sa.CheckConstraint(_in("kind", _KINDS), name=op.f("ck_access_line_kind")),
        sa.CheckConstraint(_in("line_type", _TYPES), name=op.f("ck_access_line_line_type")),
    )
    op.create_table(
        "line_event",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        *_clinical("line_event"),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["access_line.id"],
            name=op.f("fk_line_event_line_id_access_line"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_in("event_type", _EVENTS), name=op.f("ck_line_event_event_type")),
    )
    for table, columns in (
        ("access_line", ("centre_id", "patient_id")),
        ("line_event", ("centre_id", "patient_id", "line_id")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    with op.batch_alter_table("exchange_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("line_lock_solution", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("line_lock_volume_ml", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("line_flush_ml", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("line_dressing", sa.String(length=16), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_session", schema=None) as batch_op:
        for name in ("line_dressing", "line_flush_ml", "line_lock_volume_ml", "line_lock_solution"):
            batch_op.drop_column(name)
    op.drop_table("line_event")
    op.drop_table("access_line")
