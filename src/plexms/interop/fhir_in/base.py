"""The importer's state and the upsert every resource type uses (mixins in this package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.interop.fhir_in.reading import ImportSummary, Res, same
from plexms.store.models import Patient

__all__ = ["ImporterBase"]


class ImporterBase:
    """State shared by the resource mixins: the session, the bundle's resources, the rows."""

    patient: Patient
    patient_res: Res
    patient_fields: dict[str, Any]
    ms_fields: dict[str, Any]

    def __init__(
        self, session: Session, bundle: dict[str, Any], centre_id: int, actor: str, now: dt.datetime
    ) -> None:
        self.s = session
        self.centre_id = centre_id
        self.actor = actor
        self.now = now
        self.problems: list[dict[str, str]] = []
        self.resources = [
            Res(i, e["resource"], self.problems) for i, e in enumerate(bundle.get("entry") or [])
        ]
        self.by_ref: dict[str, Res] = {}
        for entry, res in zip(bundle.get("entry") or [], self.resources, strict=True):
            if entry.get("fullUrl"):
                self.by_ref[entry["fullUrl"]] = res
            if res.body.get("id"):
                self.by_ref[f"{res.kind}/{res.body['id']}"] = res
        self.rows: dict[int, Any] = {}  # entry index -> ORM row
        self.summary: ImportSummary | None = None
        self.plan: list[Callable[[], None]] = []

    def target(
        self, res: Res, path: str, ref: dict[str, Any] | None, kinds: tuple[str, ...]
    ) -> Res | None:
        if not ref:
            return None
        found = self.by_ref.get(str(ref.get("reference", "")))
        if found is None or found.kind not in kinds:
            res.fail(
                path,
                f"reference {ref.get('reference')!r} does not resolve to a "
                f"{'/'.join(kinds)} in this bundle",
            )
            return None
        return found

    def _count(self, kind: str, created: bool) -> None:
        assert self.summary is not None  # noqa: S101
        target = self.summary.created if created else self.summary.updated
        target[kind] = target.get(kind, 0) + 1

    def _upsert(
        self, model: type[Any], key: dict[str, Any], values: dict[str, Any], kind: str, index: int
    ) -> Any:
        stmt = select(model).where(model.patient_id == self.patient.id, model.deleted_at.is_(None))
        for name, value in key.items():
            stmt = stmt.where(getattr(model, name) == value)
        row = self.s.scalars(stmt.order_by(model.id).limit(1)).first()
        if row is None:
            row = model(
                centre_id=self.centre_id,
                patient_id=self.patient.id,
                created_at=self.now,
                updated_at=self.now,
                created_by=self.actor,
                **key,
                **values,
            )
            self.s.add(row)
            self._count(kind, True)
        else:
            changed = False
            for name, value in values.items():
                if not same(getattr(row, name), value):
                    setattr(row, name, value)
                    changed = True
            if changed:
                row.updated_at = self.now
                self._count(kind, False)
        self.s.flush()
        self.rows[index] = row
        return row
