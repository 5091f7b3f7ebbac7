"""Sign-in, users, tokens, centre settings and audit rows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from plexms.services.schemas.common import In, Name, Out, ShortText, SingleLineText

__all__ = [
    "ApiTokenOut",
    "AuditEventOut",
    "CentreIn",
    "CentreOut",
    "CentreUpdate",
    "LoginIn",
    "PasswordChangeIn",
    "PasswordResetIn",
    "TokenIn",
    "TokenOut",
    "UserIn",
    "UserOut",
]

Role = Literal["admin", "physician", "pharmacist", "nurse", "coordinator", "viewer"]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")
]
Password = Annotated[str, StringConstraints(max_length=1024)]


class LoginIn(In):
    username: Annotated[str, StringConstraints(max_length=200)]
    password: Password


class PasswordChangeIn(In):
    current_password: Password
    new_password: Password


class TokenIn(In):
    name: ShortText = "api"


class PasswordResetIn(In):
    """An administrator sets a user's password (>= 12 characters)."""

    new_password: Password


class ApiTokenOut(Out):
    """An API token (never its secret: only the SHA-256 of it is stored)."""

    id: int
    user_id: int
    name: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class TokenOut(Out):
    token: str
    expires_at: dt.datetime
    username: str
    role: str
    centre_id: int


class UserIn(In):
    username: Username
    password: Password
    role: Role
    display_name: ShortText = ""


class UserOut(Out):
    id: int
    centre_id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: dt.datetime


class CentreIn(In):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,32}$")]
    name: Name
    address_line: ShortText = ""
    city: ShortText = ""
    region: ShortText = ""
    postal_code: Annotated[SingleLineText, StringConstraints(max_length=20)] = ""
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"
    phone: Annotated[SingleLineText, StringConstraints(max_length=40)] = ""
    email: ShortText = ""
    time_zone: Annotated[SingleLineText, StringConstraints(max_length=64)] = "UTC"
    holiday_calendar: Annotated[SingleLineText, StringConstraints(max_length=20)] = ""
    units: Literal["us", "si"] = "si"
    policy: dict[str, Any] = Field(default_factory=dict)


class CentreUpdate(In):
    name: Name | None = None
    address_line: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[SingleLineText, StringConstraints(max_length=20)] | None = None
    phone: Annotated[SingleLineText, StringConstraints(max_length=40)] | None = None
    email: ShortText | None = None
    time_zone: Annotated[SingleLineText, StringConstraints(max_length=64)] | None = None
    holiday_calendar: Annotated[SingleLineText, StringConstraints(max_length=20)] | None = None
    units: Literal["us", "si"] | None = None
    policy: dict[str, Any] | None = None


class CentreOut(Out):
    id: int
    code: str
    name: str
    address_line: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    email: str
    time_zone: str
    holiday_calendar: str
    units: str
    policy: dict[str, Any]
    version: int


class AuditEventOut(Out):
    seq: int
    at: dt.datetime
    actor: str
    actor_role: str
    centre_id: int | None
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    outcome: str
    request_id: str
    detail: dict[str, Any]
