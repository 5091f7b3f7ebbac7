"""Writing an imported FHIR bundle: the :class:`~plexms.interop.fhir_in.drafts.ImportPlan`
the interop planner made (plain drafts, nothing read from the database) becomes rows of the
patient's record inside the caller's transaction.

Matching: the patient by MRN within the centre; every other row by its natural key among the
patient's live rows of its table (episode: onset date and presentation; lab: analyte and time;
session: course and sequence; ...), so importing the same bundle twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexms.interop.fhir_import import ImportSummary, plan_import
from plexms.interop.fhir_in.drafts import (
    AcuityDraft,
    FluidDraft,
    ImportPlan,
    Link,
    PatientDraft,
    RowDraft,
)
from plexms.interop.fhir_in.reading import same
from plexms.store.models import (
    AdverseEvent,
    Course,
    DmtHistory,
    Document,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    Measurement,
    OutcomeAssessment,
    OutcomeMeasure,
    Patient,
    SteroidCourse,
)

__all__ = ["Guard", "Written", "import_bundle", "write_plan"]

_MODELS: dict[str, type[Any]] = {
    model.__tablename__: model
    for model in (
        AdverseEvent,
        Course,
        DmtHistory,
        Document,
        Episode,
        ExchangeSession,
        HandBack,
        LabResult,
        Measurement,
        OutcomeAssessment,
        OutcomeMeasure,
        SteroidCourse,
    )
}
_MEASURED = ("height_cm", "weight_kg", "hematocrit")


class Guard(Protocol):
    """The direct routes' rules, checked before a row is created or changed."""

    def check(self, kind: str, row: Any, changed: Iterable[str]) -> None: ...

    def document(self, media_type: str, content: bytes) -> None: ...


class _Open:
    """No rule (the command line's system import, and the tests of the writer alone)."""

    def check(self, kind: str, row: Any, changed: Iterable[str]) -> None:
        return None

    def document(self, media_type: str, content: bytes) -> None:
        return None


@dataclass(frozen=True)
class Written:
    """One row the import created or changed (for its audit row)."""

    table: str
    row_id: int
    created: bool
    changed: tuple[str, ...]


class _Writer:
    """The rows written so far (by bundle entry) and the counts of the summary."""

    def __init__(
        self, session: Session, centre_id: int, actor: str, now: dt.datetime, guard: Guard
    ) -> None:
        self.s = session
        self.guard = guard
        self.written: list[Written] = []
        self.fluids: dict[int, list[FluidDraft]] = {}
        self.centre_id = centre_id
        self.actor = actor
        self.now = now
        self.rows: dict[int, Any] = {}  # entry index -> ORM row
        self.summary = ImportSummary(patient_id=0)
        self.patient_id = 0

    def count(self, kind: str, created: bool) -> None:
        target = self.summary.created if created else self.summary.updated
        target[kind] = target.get(kind, 0) + 1

    def patient(self, draft: PatientDraft) -> None:
        fields = dict(draft.fields)
        row = self.s.scalars(
            select(Patient).where(
                Patient.centre_id == self.centre_id,
                Patient.mrn == fields["mrn"],
                Patient.deleted_at.is_(None),
            )
        ).first()
        created = row is None
        changed: list[str] = []
        if row is None:
            self.guard.check("patient", None, fields)
            row = Patient(
                centre_id=self.centre_id,
                created_at=self.now,
                updated_at=self.now,
                created_by=self.actor,
                **fields,
            )
            self.s.add(row)
        else:
            changed = [n for n, v in fields.items() if not same(getattr(row, n), v)]
            if changed:
                self.guard.check("patient", row, changed)
            for name in changed:
                setattr(row, name, fields[name])
            if changed:
                row.updated_at = self.now
        self.s.flush()
        self.patient_id = row.id
        self.summary.patient_id = row.id
        if created or changed:
            self.count("patient", created)
            self.written.append(Written("patient", row.id, created, tuple(sorted(changed))))
        self.rows[draft.index] = row

    def upsert(
        self, model: type[Any], key: dict[str, Any], values: dict[str, Any], kind: str, index: int
    ) -> Any:
        stmt = select(model).where(model.patient_id == self.patient_id, model.deleted_at.is_(None))
        for name, value in key.items():
            stmt = stmt.where(getattr(model, name) == value)
        row = self.s.scalars(stmt.order_by(model.id).limit(1)).first()
        if model is Document:
            self.guard.document(values["media_type"], values["content"])
        created = row is None
        changed = [] if created else [n for n, v in values.items() if not same(getattr(row, n), v)]
        if created or changed:
            self.guard.check(kind, row, [*key, *values] if created else changed)
        if row is None:
            row = model(
                centre_id=self.centre_id,
                patient_id=self.patient_id,
                created_at=self.now,
                updated_at=self.now,
                created_by=self.actor,
                **key,
                **values,
            )
            self.s.add(row)
            self.count(kind, True)
        elif changed:
            for name in changed:
                setattr(row, name, values[name])
            row.updated_at = self.now
            self.count(kind, False)
        self.s.flush()
        if created or changed:
            self.written.append(Written(model.__tablename__, row.id, created, tuple(changed)))
        self.rows[index] = row
        return row

    def resolve(self, link: Link) -> Any:
        for index, attribute in link.sources:
            row = self.rows.get(index)
            value = getattr(row, attribute) if row is not None else None
            if value is not None:
                return value
        return None

    def row(self, draft: RowDraft) -> None:
        model = _MODELS[draft.table]
        key, values = dict(draft.key), dict(draft.values)
        for link in draft.links:
            (key if link.in_key else values)[link.column] = self.resolve(link)
        if model is ExchangeSession and key["sequence"] is None:
            # numbered after the sessions of the same course written by this import
            sessions = [
                r
                for r in self.rows.values()
                if isinstance(r, ExchangeSession) and r.course_id == key["course_id"]
            ]
            key["sequence"] = len(sessions) + 1
        if model is ExchangeSession:
            values = self.session_fluids(draft.index, values)
        if model is Measurement:  # one row per time: keep the columns this entry does not give
            found = self.s.scalars(
                select(Measurement).where(
                    Measurement.patient_id == self.patient_id,
                    Measurement.measured_at == key["measured_at"],
                )
            ).first()
            if found is not None:
                values = {c: getattr(found, c) for c in _MEASURED} | values
        self.upsert(model, key, values, draft.kind, draft.index)

    def session_fluids(self, index: int, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with the fluids and calcium given during exchange entry ``index``, so an
        unchanged exchange compares equal (and is not written) on a second import."""
        fluids: list[dict[str, Any]] = []
        calcium = values.get("calcium_gluconate_ml")
        for draft in self.fluids.get(index, []):
            if draft.medication == "calcium_gluconate":
                calcium = draft.volume_ml
            else:
                item: dict[str, Any] = {"fluid": draft.medication}
                if draft.volume_ml is not None:
                    item["volume_ml"] = draft.volume_ml
                fluids.append(item)
        return values | {"replacement_fluids": fluids, "calcium_gluconate_ml": calcium}

    def acuity(self, draft: AcuityDraft) -> None:
        row = self.rows.get(draft.parent_index) if draft.parent_index is not None else None
        if row is None:
            stmt = select(OutcomeAssessment).where(
                OutcomeAssessment.patient_id == self.patient_id,
                OutcomeAssessment.assessed_on == draft.assessed_on,
            )
            row = self.s.scalars(stmt).first()
        if row is None:
            row = self.upsert(
                OutcomeAssessment,
                {"assessed_on": draft.assessed_on, "timepoint": "other"},
                {
                    "assessed_by": self.actor,
                    "inputs": {},
                    "result": {},
                    "rule_version": "fhir-import",
                },
                "outcome",
                draft.index,
            )
        if not same(getattr(row, draft.column), draft.logmar):
            self.guard.check("outcome", row, [draft.column])
            setattr(row, draft.column, draft.logmar)
            self.s.flush()
            table = OutcomeAssessment.__tablename__
            if not any(w.table == table and w.row_id == row.id for w in self.written):
                self.written.append(Written(table, row.id, False, (draft.column,)))


def write_plan(
    session: Session,
    plan: ImportPlan,
    *,
    centre_id: int,
    actor: str,
    now: dt.datetime,
    guard: Guard | None = None,
) -> tuple[ImportSummary, list[Written]]:
    """Write ``plan`` into centre ``centre_id`` in ``session``'s transaction, each row that
    would be created or changed checked by ``guard`` first; the summary and the rows written."""
    writer = _Writer(session, centre_id, actor, now, guard or _Open())
    for step in plan.steps:
        if isinstance(step, FluidDraft):
            writer.fluids.setdefault(step.session_index, []).append(step)
    writer.patient(plan.patient)
    for step in plan.steps:
        if isinstance(step, RowDraft):
            writer.row(step)
        elif isinstance(step, AcuityDraft):
            writer.acuity(step)
    session.flush()
    return writer.summary, writer.written


def import_bundle(
    session: Session,
    data: bytes | str | dict[str, Any],
    *,
    centre_id: int,
    actor: str,
    now: dt.datetime,
) -> ImportSummary:
    """Import ``data`` into centre ``centre_id`` in ``session``'s transaction with no rule
    (all or nothing: :class:`~plexms.interop.fhir_import.BundleRejected` before anything is
    written)."""
    plan = plan_import(data, actor=actor)
    return write_plan(session, plan, centre_id=centre_id, actor=actor, now=now)[0]
