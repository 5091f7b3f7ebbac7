"""Registry course index in id order within the centre (``centre_id, id, ...``): the dashboard's
aggregates then visit the courses in id order, so SQLite's lookups of their episodes and
responses go through those in order too (onset-band query on the 100,000-patient registry:
534 -> 362 ms; PostgreSQL unchanged). See ``plexms.store.models.indexes``.

Revision ID: 0005_registry_course_id_order
Revises: 0004_registry_partial_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0005_registry_course_id_order"
down_revision = "0004_registry_partial_indexes"
branch_labels = None
depends_on = None

NAME = "ix_course_registry"
NEW = ["centre_id", "id", "indication", "start_date", "episode_id", "deleted_at"]
OLD = ["centre_id", "start_date", "id", "indication", "episode_id", "deleted_at"]  # 0004


def upgrade() -> None:
    op.drop_index(NAME, table_name="course")
    op.create_index(NAME, "course", NEW, unique=False)


def downgrade() -> None:
    op.drop_index(NAME, table_name="course")
    op.create_index(NAME, "course", OLD, unique=False)
