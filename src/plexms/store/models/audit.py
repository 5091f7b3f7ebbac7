"""The audit trail: append-only (database triggers) and hash-chained.

Row ``seq`` n stores ``prev_hash`` (row n-1's ``hash``) and its own ``hash`` =
SHA-256(prev_hash + canonical JSON of the row). ``audit_head`` holds the last seq and hash, so
truncating the tail is detected too. Linking is serialised (SQLite: the write lock;
PostgreSQL: a row lock on ``audit_head``) so the chain stays linear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plexms.store.base import Base

__all__ = ["AuditEvent", "AuditHead"]


class AuditEvent(Base):
    """Who did what, when, to which patient, and the outcome. Never updated or deleted."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    centre_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(24))
    entity: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head: one row (id 1) with the last seq and its hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
