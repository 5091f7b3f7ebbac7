"""Helpers every use case shares: centre-scoped loading, stamping, versions, soft delete."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services.context import ServiceContext
from plexms.services.errors import Gone, NotFound, StaleVersion
from plexms.services.schemas.common import Page
from plexms.store.base import ClinicalMixin

__all__ = [
    "Saved",
    "apply",
    "changes",
    "check_version",
    "differs",
    "load",
    "match",
    "new",
    "page",
    "page_of",
    "pending",
    "same",
    "scoped",
    "soft_delete",
    "upsert",
]

M = TypeVar("M", bound=ClinicalMixin)
OutT = TypeVar("OutT", bound=BaseModel)


def _label(model: type[Any]) -> str:
    return str(model.__tablename__).replace("_", " ")


def scoped(ctx: ServiceContext, model: type[M]) -> Select[Any]:
    """``SELECT model`` limited to the actor's centre (the system actor sees every centre)."""
    query = select(model)
    if ctx.actor is not None and not ctx.actor.is_system:
        query = query.where(model.centre_id == ctx.actor.centre_id)
    return query


def load(
    session: Session,
    ctx: ServiceContext,
    model: type[M],
    row_id: int,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> M:
    """The row with ``row_id`` in the actor's centre; NotFound (any other centre too), Gone."""
    query = scoped(ctx, model).where(model.id == row_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row: M | None = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no {_label(model)} {row_id}", field="id")
    if row.deleted_at is not None and not include_deleted:
        raise Gone(f"{_label(model)} {row_id} was deleted", field="id")
    return row


def check_version(row: ClinicalMixin, expected: int | None) -> None:
    """412 unless the client's version is the stored one."""
    if expected is not None and expected != row.version:
        raise StaleVersion(
            f"version {expected} is out of date (now {row.version}): reload and retry",
            current_version=row.version,
        )


def new(ctx: ServiceContext, model: type[M], centre_id: int | None = None, **values: Any) -> M:
    """A new row stamped with the actor's centre, the time and the author."""
    centre = centre_id if centre_id is not None else ctx.centre_id
    if centre is None:  # pragma: no cover - the system actor always passes centre_id
        raise ValueError("centre_id is required")
    return model(  # type: ignore[call-arg]
        centre_id=centre,
        created_at=ctx.now,
        updated_at=ctx.now,
        created_by=ctx.username,
        **values,
    )


def changes(data: BaseModel, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """PATCH semantics: fields sent; ``null`` only counts for fields the record may leave empty."""
    return {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in nullable
    }


def apply(ctx: ServiceContext, row: ClinicalMixin, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``row``; returns the changed field names (never the values)."""
    changed = []
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    if changed:
        row.updated_at = ctx.now
    return sorted(changed)


def soft_delete(ctx: ServiceContext, row: ClinicalMixin) -> None:
    row.deleted_at = ctx.now
    row.deleted_by = ctx.username
    row.updated_at = ctx.now


def page(
    session: Session, query: Select[Any], limit: int, offset: int, order: Any
) -> tuple[list[Any], int]:
    """One page of ``query`` and the total count, in one query (``count(*) OVER ()``); a
    second query counts only when the page is empty past the start (offset beyond the end)."""
    counted = query.add_columns(func.count().over().label("page_total"))
    rows = session.execute(counted.order_by(*order).limit(limit).offset(offset)).all()
    if rows:
        return [row[0] for row in rows], int(rows[0][-1])
    if offset == 0:
        return [], 0
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return [], int(total)


def page_of(
    session: Session, out: type[OutT], query: Select[Any], limit: int, offset: int, order: Any
) -> Page[OutT]:
    """:func:`page` as a ``Page`` of ``out`` models."""
    rows, total = page(session, query, limit, offset, order)
    return Page[out](  # type: ignore[valid-type]
        items=[out.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


# --- upsert by natural key (records that come with their identifiers: the FHIR import) ------


@dataclass(frozen=True)
class Saved:
    """What an upsert did to one record: its id, whether it was created, the fields set."""

    id: int
    created: bool
    fields: tuple[str, ...]


def same(old: Any, new: Any) -> bool:
    """Equal, floats within the 1e-9 relative noise of a JSON round trip."""
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12)
    return bool(old == new)


def differs(row: Any, values: Mapping[str, Any]) -> list[str]:
    """The names of ``values`` that ``row`` does not already hold (sorted)."""
    return sorted(name for name, value in values.items() if not same(getattr(row, name), value))


def match(session: Session, model: type[M], patient_id: int, key: Mapping[str, Any]) -> M | None:
    """The patient's first live row of ``model`` whose columns equal ``key`` (else None)."""
    query = select(model).where(
        model.patient_id == patient_id,  # type: ignore[attr-defined]
        model.deleted_at.is_(None),
    )
    for name, value in key.items():
        query = query.where(getattr(model, name) == value)
    return session.scalars(query.order_by(model.id).limit(1)).first()


def pending(
    session: Session,
    model: type[M],
    patient_id: int,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
) -> tuple[M | None, list[str]]:
    """The row ``key`` matches and the fields an upsert of ``values`` would set (all of
    ``key`` and ``values`` when it would create the row; none when it would do nothing)."""
    row = match(session, model, patient_id, key)
    if row is None:
        return None, sorted({*key, *values})
    return row, differs(row, values)


def _check_owner(
    session: Session, ctx: ServiceContext, patient: Any, values: Mapping[str, Any]
) -> None:
    """The course, session or episode a record refers to is the patient's (as the direct
    routes check: 404 in another centre, 422 for another patient)."""
    from plexms.store.models import Course, Episode, ExchangeSession

    owners: tuple[tuple[str, type[Any]], ...] = (
        ("course_id", Course),
        ("session_id", ExchangeSession),
        ("episode_id", Episode),
    )
    for column, model in owners:
        value = values.get(column)
        if value is not None and load(session, ctx, model, value).patient_id != patient.id:
            raise InputError(column, "belongs to another patient")


def upsert(
    session: Session,
    ctx: ServiceContext,
    model: type[M],
    *,
    entity: str,
    patient: Any,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    via: str,
    before_change: Callable[[M], None] | None = None,
) -> Saved:
    """Create the patient's ``model`` row matching ``key`` or set the ``values`` it lacks,
    audited as the direct routes audit (``create``/``update`` naming the fields, ``via`` the
    front); nothing, and no audit row, when the row already holds ``values``.

    ``before_change(row)`` runs before an existing row changes: the record's state rules
    (a signed-off session refuses, as its direct use case does).
    """
    _check_owner(session, ctx, patient, {**key, **values})
    row, fields = pending(session, model, patient.id, key, values)
    if row is None:
        row = new(ctx, model, centre_id=patient.centre_id, patient_id=patient.id, **key, **values)
        session.add(row)
        action = "create"
    elif fields:
        if before_change is not None:
            before_change(row)
        for name in fields:
            setattr(row, name, values[name])
        row.updated_at = ctx.now
        action = "update"
    else:
        return Saved(row.id, False, ())
    session.flush()
    audit.record(
        session,
        ctx,
        action,
        entity=entity,
        entity_id=row.id,
        patient_id=patient.id,
        centre_id=patient.centre_id,
        detail={"fields": fields, "via": via},
    )
    return Saved(row.id, action == "create", tuple(fields))
