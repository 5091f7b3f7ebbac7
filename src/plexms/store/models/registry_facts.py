"""The registry dashboard's precomputed facts (issue 19, item 5): one row per course with its
response, onset band and procedures, its adverse events by type and by worst WAA severity,
and the same summed per day of course start (the *cells*), so a 1,000,000-patient registry's
dashboard sums a few hundred thousand cells instead of joining millions of visits and sessions.

They are kept by :mod:`plexms.store.registry_facts` in the same transaction as every write that
changes them, so they are never stale on the primary and replicate with it. They hold ids and
counts only (no names, no free text). No foreign keys: a course hard-deleted with its patient
leaves its facts for the same transaction to subtract from the cells and remove.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plexms.store.base import Base

__all__ = ["RegistryCell", "RegistryCellEvent", "RegistryCourse", "RegistryCourseEvent"]

_WORD = 32  # an indication, band, response or grade word
_KEY = 64  # an event type, a severity, or both ("type|severity")


class RegistryCourse(Base):
    """One course (not deleted) as the dashboard counts it."""

    __tablename__ = "registry_course"
    __table_args__ = (
        # the registry list: newest first, by centre, optionally one response class
        Index("ix_registry_course_list", "centre_id", "start_date", "course_id"),
        Index("ix_registry_course_response", "centre_id", "response", "start_date", "course_id"),
    )

    course_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    centre_id: Mapped[int] = mapped_column(Integer)
    patient_id: Mapped[int] = mapped_column(Integer)
    indication: Mapped[str] = mapped_column(String(_WORD))
    start_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    days: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(8))
    grade: Mapped[str | None] = mapped_column(String(_WORD))
    response: Mapped[str] = mapped_column(String(16))
    procedures: Mapped[int] = mapped_column(Integer)


class RegistryCourseEvent(Base):
    """A course's adverse events of one type (``kind`` ``type``: every event); its procedures
    whose worst event has one WAA severity (``worst``); its events at procedures done of one
    type and severity (``type_sev``, key ``type|severity``); its procedures with an event of
    one type (``type_proc``)."""

    __tablename__ = "registry_course_event"

    course_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(_KEY), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class RegistryCell(Base):
    """The courses of one centre starting on one day with one indication, onset band and
    response: how many, and their procedures."""

    __tablename__ = "registry_cell"

    centre_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    indication: Mapped[str] = mapped_column(String(_WORD), primary_key=True)
    response: Mapped[str] = mapped_column(String(16), primary_key=True)
    band: Mapped[str] = mapped_column(String(8), primary_key=True)
    courses: Mapped[int] = mapped_column(Integer)
    procedures: Mapped[int] = mapped_column(Integer)


class RegistryCellEvent(Base):
    """The course events (:class:`RegistryCourseEvent`) summed over a day's courses of one
    indication and response (the event counts are never grouped by onset band)."""

    __tablename__ = "registry_cell_event"

    centre_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    indication: Mapped[str] = mapped_column(String(_WORD), primary_key=True)
    response: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(_KEY), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
