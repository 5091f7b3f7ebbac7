"""Lots and serials of each session (the sheet's ``lots`` and the recall index
``session_lot``) and the unit's stock counts (``supply_stock``) (issue 17, items 4 and 5).

Revision ID: 0014_lots_supplies
Revises: 0013_vascular_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_lots_supplies"
down_revision = "0013_vascular_access"
branch_labels = None
depends_on = None

_KINDS = "'albumin', 'acd_a', 'saline', 'calcium', 'tubing_set', 'machine'"
_ITEMS = "'albumin', 'acd_a', 'calcium', 'tubing_set'"


def upgrade() -> None:
    op.add_column(
        "exchange_session",
        sa.Column("lots", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.create_table(
        "session_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name=op.f("ck_session_lot_kind")),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_session_lot_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_session_lot_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exchange_session.id"],
            name=op.f("fk_session_lot_session_id_exchange_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_lot")),
    )
    op.create_index("ix_session_lot_centre_lot", "session_lot", ["centre_id", "lot"])
    op.create_index("ix_session_lot_centre_serial", "session_lot", ["centre_id", "serial"])
    op.create_index(op.f("ix_session_lot_session_id"), "session_lot", ["session_id"])
    op.create_table(
        "supply_stock",
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"item IN ({_ITEMS})", name=op.f("ck_supply_stock_item")),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_supply_stock_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_stock")),
    )
    op.create_index(op.f("ix_supply_stock_centre_id"), "supply_stock", ["centre_id"])


def downgrade() -> None:
    op.drop_table("supply_stock")
    op.drop_table("session_lot")
    with op.batch_alter_table("exchange_session") as batch:
        batch.drop_column("lots")
