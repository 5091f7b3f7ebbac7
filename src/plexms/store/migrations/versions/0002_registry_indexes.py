"""Registry dashboard indexes (covering indexes on course, episode, outcome visits, sessions and
adverse events; see ``plexms.store.models.indexes``).

Revision ID: 0002_registry_indexes
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002_registry_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "course": (
        "ix_course_registry",
        ["centre_id", "start_date", "indication", "episode_id", "deleted_at"],
    ),
    "episode": ("ix_episode_registry", ["id", "onset_date", "deleted_at"]),
    "outcome_assessment": (
        "ix_outcome_assessment_registry",
        ["course_id", "assessed_on", "timepoint", "targeted_deficit", "deleted_at"],
    ),
    "exchange_session": (
        "ix_exchange_session_registry",
        ["course_id", "status", "deleted_at"],
    ),
    "adverse_event": (
        "ix_adverse_event_registry",
        ["course_id", "event_type", "severity", "session_id", "deleted_at"],
    ),
}


def upgrade() -> None:
    for table, (name, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, (name, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
