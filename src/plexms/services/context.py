"""Who is acting, on which database, at what time: passed into every use case."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from plexms.clock import utcnow
from plexms.services.permissions import Permission
from plexms.settings import Settings, get_settings
from plexms.store.database import Database

__all__ = ["SYSTEM", "Actor", "Grant", "ServiceContext", "utcnow"]


@dataclass(frozen=True)
class Actor:
    """The signed-in user (or the command line acting as ``system``)."""

    user_id: int | None
    username: str
    role: str
    centre_id: int | None

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.role == "system"


SYSTEM = Actor(user_id=None, username="system", role="system", centre_id=None)


@dataclass(frozen=True)
class Grant:
    """A permission :func:`plexms.services.access.authorize` checked for ``actor``."""

    actor: Actor
    permission: Permission


@dataclass(frozen=True)
class ServiceContext:
    """Everything a use case needs besides its arguments.

    ``actor`` is ``None`` before sign-in (login, the public referral form); ``SYSTEM`` for the
    command line. ``now`` is aware; every timestamp the use case writes is ``now``.
    ``client`` is the request's address. ``authorized`` is the permission
    :func:`plexms.services.access.authorize` already granted
    this request's actor (set only there), so a use case needing it does not check it again;
    it holds for that actor only (a context copied with another actor is checked anew).
    """

    db: Database
    actor: Actor | None
    now: dt.datetime = field(default_factory=utcnow)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    settings: Settings = field(default_factory=get_settings)
    authorized: Grant | None = None
    #: The client's network address ("" off the network: the command line, tests); the
    #: sign-in throttle counts failures by it.
    client: str = ""

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("ServiceContext.now must be timezone-aware")

    @property
    def centre_id(self) -> int | None:
        return self.actor.centre_id if self.actor else None

    @property
    def username(self) -> str:
        return self.actor.username if self.actor else "anonymous"
