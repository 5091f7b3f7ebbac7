"""Centres (clinic settings), users and their sessions / API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexms.store.base import Base, enum_check

__all__ = ["ROLES", "UNIT_SYSTEMS", "AuthToken", "Centre", "User"]

ROLES = ("admin", "physician", "pharmacist", "nurse", "coordinator", "viewer")
UNIT_SYSTEMS = ("us", "si")


class Centre(Base):
    """A clinic: contact details, hours, unit convention and its decision-rule settings.

    ``policy`` is :func:`plexms.core.policy.policy_to_dict` output (hours, prescription,
    schedule, precheck and eligibility settings), loaded back with ``policy_from_dict``.
    """

    __tablename__ = "centre"
    __table_args__ = (enum_check("units", UNIT_SYSTEMS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address_line: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="US")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    holiday_calendar: Mapped[str] = mapped_column(String(20), default="")
    units: Mapped[str] = mapped_column(String(2), default="si")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class User(Base):
    """A person who signs in; belongs to one centre and has one role."""

    __tablename__ = "app_user"
    __table_args__ = (enum_check("role", ROLES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failure_window_start: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    password_changed_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class AuthToken(Base):
    """A browser session or an API token; only the SHA-256 of the secret is stored."""

    __tablename__ = "auth_token"
    __table_args__ = (
        enum_check("kind", ("session", "api")),
        UniqueConstraint("token_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
