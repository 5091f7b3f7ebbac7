"""Outcome measures beyond the EDSS: timed 25-foot walk, 9-hole peg test per hand, SDMT,
low-contrast letter acuity per eye and patient-reported scores, one row per measure and side
of an outcome visit, with the change from baseline computed when recorded.

Revision ID: 0016_outcome_measures
Revises: 0015_feeds_reminders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_outcome_measures"
down_revision = "0015_feeds_reminders"
branch_labels = None
depends_on = None

# As defined in plexms.core.vocabulary when this revision was written (a migration does not
# follow later edits of the vocabulary).
_MEASURES = (
    "t25fw",
    "nhpt",
    "sdmt",
    "lcla_2_5",
    "msis29_physical",
    "msis29_psychological",
    "msws12",
    "mfis",
    "fss",
)
_SIDES = ("dominant", "non_dominant", "right", "left", "both")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "outcome_measure",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("measure", _MEASURES), name=op.f("ck_outcome_measure_measure")),
        sa.CheckConstraint(_in("side", _SIDES), name=op.f("ck_outcome_measure_side")),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_outcome_measure_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_outcome_measure_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["outcome_assessment.id"],
            name=op.f("fk_outcome_measure_outcome_id_outcome_assessment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_measure")),
    )
    with op.batch_alter_table("outcome_measure", schema=None) as batch_op:
        for column in ("centre_id", "patient_id", "outcome_id"):
            batch_op.create_index(
                batch_op.f(f"ix_outcome_measure_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("outcome_measure")
