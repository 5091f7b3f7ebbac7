"""Indexes for the registry dashboard (``plexms.services.sharing.registry``) on the existing tables.

Each one covers the columns a dashboard query reads, so the database can answer from the index
alone (PostgreSQL index-only scans after VACUUM; SQLite covering indexes) instead of reading
every wide row (JSON prescriptions, vitals) of a 150,000-course registry. The outcome-visit and
session indexes are partial: they hold only the rows the dashboard counts (graded visits after
baseline; procedures done), which halves what the response aggregate reads and lets an adverse
event's procedure be checked against the small index instead of the 900,000 session rows. They
keep the columns of their WHERE clause so that SQLite, which only treats an index as covering
when it holds every column a query names, reads them alone too.

Migration ``0002_registry_indexes`` created them, ``0004_registry_partial_indexes`` and
``0005_registry_course_id_order`` gave them these shapes; ``bench/registry.py`` measures the
dashboard with and without them.
"""

from __future__ import annotations

from sqlalchemy import Index, and_, func

from plexms.store.models.course import AdverseEvent, Course, ExchangeSession
from plexms.store.models.outcome import OutcomeAssessment
from plexms.store.models.patient import Episode

__all__ = ["GRADED_VISIT", "PROCEDURE_DONE", "REGISTRY_INDEXES"]

# the rows of the partial indexes (the queries repeat these conditions, so both backends use them)
GRADED_VISIT = and_(
    OutcomeAssessment.deleted_at.is_(None),
    OutcomeAssessment.timepoint != "baseline",
    OutcomeAssessment.targeted_deficit.is_not(None),
)
PROCEDURE_DONE = and_(ExchangeSession.status == "done", ExchangeSession.deleted_at.is_(None))

REGISTRY_INDEXES: tuple[Index, ...] = (
    # the centre's courses in id order (so their episodes, responses and sessions are looked up
    # in order), with what the filters, the counts and the onset band need
    Index(
        "ix_course_registry",
        Course.centre_id,
        Course.id,
        Course.indication,
        Course.start_date,
        Course.episode_id,
        Course.deleted_at,
    ),
    # onset date of a course's episode (days from onset)
    Index("ix_episode_registry", Episode.id, Episode.onset_date, Episode.deleted_at),
    # the latest graded visit after baseline of each course (response)
    Index(
        "ix_outcome_assessment_registry",
        OutcomeAssessment.course_id,
        OutcomeAssessment.assessed_on,
        OutcomeAssessment.targeted_deficit,
        OutcomeAssessment.timepoint,
        OutcomeAssessment.deleted_at,
        postgresql_where=GRADED_VISIT,
        sqlite_where=GRADED_VISIT,
    ),
    # procedures done, per course (the denominator of every adverse-event rate) and by id
    Index(
        "ix_exchange_session_registry",
        ExchangeSession.course_id,
        ExchangeSession.id,
        ExchangeSession.status,
        ExchangeSession.deleted_at,
        postgresql_where=PROCEDURE_DONE,
        sqlite_where=PROCEDURE_DONE,
    ),
    # procedures done newest first (the centre benchmarking's CUSUM reads the latest 20,000)
    Index(
        "ix_exchange_session_done_time",
        func.coalesce(ExchangeSession.actual_start, ExchangeSession.planned_start),
        ExchangeSession.id,
        postgresql_where=PROCEDURE_DONE,
        sqlite_where=PROCEDURE_DONE,
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
