"""Indexes for the registry dashboard (``plexms.services.registry``) on the existing tables.

Each one covers the columns a dashboard query reads, so the database can answer from the index
alone (PostgreSQL index-only scans after VACUUM; SQLite covering indexes) instead of reading
every wide row (JSON prescriptions, vitals) of a 150,000-course registry. Migration
``0002_registry_indexes`` creates them; ``bench/registry.py`` measures with and without.
"""

from __future__ import annotations

from sqlalchemy import Index

from plexms.store.models.course import AdverseEvent, Course, ExchangeSession
from plexms.store.models.outcome import OutcomeAssessment
from plexms.store.models.patient import Episode

__all__ = ["REGISTRY_INDEXES"]

REGISTRY_INDEXES: tuple[Index, ...] = (
    # the centre's courses by start date, with what the filters and the onset band need
    Index(
        "ix_course_registry",
        Course.centre_id,
        Course.start_date,
        Course.indication,
        Course.episode_id,
        Course.deleted_at,
    ),
    # onset date of a course's episode (days from onset)
    Index("ix_episode_registry", Episode.id, Episode.onset_date, Episode.deleted_at),
    # the latest graded outcome visit of each course (response)
    Index(
        "ix_outcome_assessment_registry",
        OutcomeAssessment.course_id,
        OutcomeAssessment.assessed_on,
        OutcomeAssessment.timepoint,
        OutcomeAssessment.targeted_deficit,
        OutcomeAssessment.deleted_at,
    ),
    # procedures done per course (the denominator of every adverse-event rate)
    Index(
        "ix_exchange_session_registry",
        ExchangeSession.course_id,
        ExchangeSession.status,
        ExchangeSession.deleted_at,
    ),
    # adverse events per course by type and WAA severity
    Index(
        "ix_adverse_event_registry",
        AdverseEvent.course_id,
        AdverseEvent.event_type,
        AdverseEvent.severity,
        AdverseEvent.session_id,
        AdverseEvent.deleted_at,
    ),
)
