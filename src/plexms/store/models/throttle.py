"""Counters that must hold across workers: failed sign-ins by client address, wrong current
passwords by user, and the referral form's used anti-bot stamps (issue 15, items 9 and 10)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexms.store.base import Base

__all__ = ["Throttle"]


class Throttle(Base):
    """One counter: ``kind`` (``login_address``, ``password_change``, ``referral_stamp``) and
    its ``key`` (an address, a user id, a stamp's digest); failures since ``window_start``,
    the next attempt allowed at ``not_before`` (a delay or a lock)."""

    __tablename__ = "throttle"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime]
    not_before: Mapped[dt.datetime | None]
