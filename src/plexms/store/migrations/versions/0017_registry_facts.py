"""The registry dashboard's precomputed facts: one row per course (response, onset band,
procedures), its adverse events by type and worst WAA severity, and both summed per day of
course start (issue 19: the dashboard at 1,000,000 patients); and the procedures done newest
first, for the centre benchmarking's CUSUM.

The tables are created empty; ``plexms.store.migrate.upgrade`` counts them once after the
upgrade (``registry_facts.ensure_built``) with the code of the running version, and from then
on every write keeps them (``plexms.store.registry_facts``).

Revision ID: 0017_registry_facts
Revises: 0016_outcome_measures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_registry_facts"
down_revision = "0016_outcome_measures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_course",
        sa.Column("course_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("grade", sa.String(length=32), nullable=True),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("procedures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_registry_course")),
    )
    op.create_index(
        "ix_registry_course_list", "registry_course", ["centre_id", "start_date", "course_id"]
    )
    op.create_index(
        "ix_registry_course_response",
        "registry_course",
        ["centre_id", "response", "start_date", "course_id"],
    )
    op.create_table(
        "registry_course_event",
        sa.Column("course_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "kind", "key", name=op.f("pk_registry_course_event")),
    )
    op.create_table(
        "registry_cell",
        sa.Column("centre_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("courses", sa.Integer(), nullable=False),
        sa.Column("procedures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "centre_id",
            "start_date",
            "indication",
            "response",
            "band",
            name=op.f("pk_registry_cell"),
        ),
    )
    op.create_table(
        "registry_cell_event",
        sa.Column("centre_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "centre_id",
            "start_date",
            "indication",
            "response",
            "kind",
            "key",
            name=op.f("pk_registry_cell_event"),
        ),
    )

    done = "status = 'done' AND deleted_at IS NULL"
    op.create_index(
        "ix_exchange_session_done_time",
        "exchange_session",
        [sa.text("coalesce(actual_start, planned_start)"), "id"],
        postgresql_where=sa.text(done),
        sqlite_where=sa.text(done),
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_session_done_time", table_name="exchange_session")
    op.drop_table("registry_cell_event")
    op.drop_table("registry_cell")
    op.drop_table("registry_course_event")
    op.drop_index("ix_registry_course_response", table_name="registry_course")
    op.drop_index("ix_registry_course_list", table_name="registry_course")
    op.drop_table("registry_course")
