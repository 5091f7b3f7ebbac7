"""Registry dashboard indexes, second shape: the course index gains ``id`` after the start date
(the list's order, and PostgreSQL can read course ids from it), the outcome-visit and session
indexes become partial (graded visits after baseline; procedures done, with the session id).
See ``plexms.store.models.indexes``.

Revision ID: 0004_registry_partial_indexes
Revises: 0003_episode_pre_relapse
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_registry_partial_indexes"
down_revision = "0003_episode_pre_relapse"
branch_labels = None
depends_on = None

Shape = tuple[str, list[str], str | None]  # index name, columns, WHERE of a partial index

GRADED_VISIT = "deleted_at IS NULL AND timepoint != 'baseline' AND targeted_deficit IS NOT NULL"
PROCEDURE_DONE = "status = 'done' AND deleted_at IS NULL"

NEW: dict[str, Shape] = {
    "course": (
        "ix_course_registry",
        ["centre_id", "start_date", "id", "indication", "episode_id", "deleted_at"],
        None,
    ),
    "outcome_assessment": (
        "ix_outcome_assessment_registry",
        ["course_id", "assessed_on", "targeted_deficit", "timepoint", "deleted_at"],
        GRADED_VISIT,
    ),
    "exchange_session": (
        "ix_exchange_session_registry",
        ["course_id", "id", "status", "deleted_at"],
        PROCEDURE_DONE,
    ),
}
OLD: dict[str, Shape] = {  # 0002_registry_indexes
    "course": (
        "ix_course_registry",
        ["centre_id", "start_date", "indication", "episode_id", "deleted_at"],
        None,
    ),
    "outcome_assessment": (
        "ix_outcome_assessment_registry",
        ["course_id", "assessed_on", "timepoint", "targeted_deficit", "deleted_at"],
        None,
    ),
    "exchange_session": (
        "ix_exchange_session_registry",
        ["course_id", "status", "deleted_at"],
        None,
    ),
}


def _replace(shapes: dict[str, Shape]) -> None:
    for table, (name, columns, where) in shapes.items():
        op.drop_index(name, table_name=table)
        predicate: dict[str, Any] = {}
        if where is not None:
            predicate = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}
        op.create_index(name, table, columns, unique=False, **predicate)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
