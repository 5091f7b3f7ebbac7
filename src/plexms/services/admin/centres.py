"""Centres: create (command line), read and update the signed-in user's own centre.

The centre's ``policy`` is :func:`plexms.core.policy.policy_to_dict` output; it is validated
with ``policy_from_dict`` on the way in and :func:`centre_policy` loads it for the core.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from plexms.core import record as rec
from plexms.core.errors import InputError
from plexms.core.policy import CentrePolicy, policy_from_dict, policy_to_dict
from plexms.services import audit
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.errors import Conflict, NotFound, StaleVersion
from plexms.services.permissions import Permission
from plexms.services.schemas.admin import CentreIn, CentreOut, CentreUpdate
from plexms.store.models import Centre

__all__ = [
    "centre_policy",
    "create_centre",
    "get_centre",
    "list_centres",
    "load_policy",
    "public_centre",
    "update_centre",
]


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            "time_zone", f"{name!r} is not an IANA time zone", allowed="e.g. America/Los_Angeles"
        ) from None


# Settings that were merged into another one: (section, old name) -> (section, new name).
_RETIRED = {
    ("precheck", "fibrinogen_hold_g_l"): ("prescription", "fibrinogen_plasma_threshold_g_l"),
}


def _current(policy: dict[str, Any]) -> dict[str, Any]:
    """``policy`` with retired settings moved to their successor (stored centres predate it)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in policy.items()}
    for (section, name), (new_section, new_name) in _RETIRED.items():
        old = out.get(section)
        if isinstance(old, dict) and name in old:
            value = old.pop(name)
            target = out.setdefault(new_section, {})
            if isinstance(target, dict):
                target.setdefault(new_name, value)
    return out


def _normalise_policy(policy: dict[str, Any]) -> dict[str, Any]:
    return dict(policy_to_dict(policy_from_dict(_current(policy))))


def load_policy(centre: Centre | rec.Centre) -> CentrePolicy:
    """The centre's settings as the core's ``CentrePolicy`` (immutable, so cached by content:
    every page reads it, and a changed setting is a new key)."""
    return _policy(json.dumps(centre.policy or {}, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _policy(stored: str) -> CentrePolicy:
    policy: CentrePolicy = policy_from_dict(_current(json.loads(stored)))
    return policy


@use_case(Permission.CENTRE_MANAGE)
def create_centre(ctx: ServiceContext, data: CentreIn) -> CentreOut:
    """A new centre (policy validated and stored in full, defaults filled in)."""
    _check_zone(data.time_zone)
    values = data.model_dump()
    values["policy"] = _normalise_policy(data.policy)
    with ctx.db.write() as session:
        if session.execute(select(Centre.id).where(Centre.code == data.code)).first():
            raise Conflict(f"centre code {data.code!r} is taken", field="code")
        centre = Centre(**values, created_at=ctx.now)
        session.add(centre)
        session.flush()
        audit.record(
            session, ctx, "create", entity="centre", entity_id=centre.id, centre_id=centre.id
        )
        return CentreOut.model_validate(centre)


@use_case(Permission.AUTHENTICATED)
def get_centre(ctx: ServiceContext) -> CentreOut:
    """The signed-in user's centre."""
    with ctx.db.read() as session:
        centre = session.get(Centre, ctx.centre_id) if ctx.centre_id is not None else None
        if centre is None:
            raise NotFound("no centre", field="centre")
        return CentreOut.model_validate(centre)


@use_case(Permission.CENTRE_MANAGE)
def list_centres(ctx: ServiceContext) -> list[CentreOut]:
    """Every centre the actor may see (its own; the system actor: all)."""
    with ctx.db.read() as session:
        query = select(Centre).order_by(Centre.id)
        if ctx.actor is not None and not ctx.actor.is_system:
            query = query.where(Centre.id == ctx.centre_id)
        return [CentreOut.model_validate(c) for c in session.execute(query).scalars()]


@use_case(Permission.PUBLIC)
def public_centre(ctx: ServiceContext, code: str | None = None) -> CentreOut:
    """Contact details and hours for public pages (the referral form): a code, or the first."""
    with ctx.db.read() as session:
        query = select(Centre).order_by(Centre.id).limit(1)
        if code is not None:
            query = select(Centre).where(Centre.code == code)
        centre = session.execute(query).scalar_one_or_none()
        if centre is None:
            raise NotFound("no such centre", field="centre")
        return CentreOut.model_validate(centre)


def centre_policy(ctx: ServiceContext, centre_id: int | None = None) -> CentrePolicy:
    """The core ``CentrePolicy`` of ``centre_id`` (default: the actor's centre)."""
    with ctx.db.read() as session:
        centre = session.get(Centre, centre_id or ctx.centre_id)
        if centre is None:
            raise NotFound("no centre", field="centre")
        return load_policy(centre)


@use_case(Permission.CENTRE_MANAGE)
def update_centre(ctx: ServiceContext, data: CentreUpdate, expected_version: int) -> CentreOut:
    """Change the actor's centre settings (If-Match version required)."""
    changes = data.model_dump(exclude_unset=True)
    if "time_zone" in changes:
        _check_zone(changes["time_zone"])
    if changes.get("policy") is not None:
        changes["policy"] = _normalise_policy(changes["policy"])
    with ctx.db.write() as session:
        centre = session.get(Centre, ctx.centre_id) if ctx.centre_id is not None else None
        if centre is None:
            raise NotFound("no centre", field="centre")
        if centre.version != expected_version:
            raise StaleVersion(
                "the centre settings changed: reload", current_version=centre.version
            )
        for name, value in changes.items():
            if value is not None:
                setattr(centre, name, value)
        audit.record(
            session,
            ctx,
            "update",
            entity="centre",
            entity_id=centre.id,
            detail={"fields": sorted(changes)},
        )
        session.flush()
        return CentreOut.model_validate(centre)
