"""Writing an imported FHIR bundle through the clinical use cases.

The interop planner makes an :class:`~plexms.interop.fhir_in.drafts.ImportPlan` (plain drafts,
nothing read from the database); here each draft becomes a call of the use case that writes
that record (``upsert_*`` beside the direct routes' use cases in
:mod:`plexms.services.clinical`), so an import has the routes' permission per record type,
their state rules (a signed-off session refuses, a course's status moves only as the status
route allows) and their audit rows (``create``/``update`` naming the fields, per record).

The caller runs this inside one transaction (``Database.transaction``): all or nothing.
A draft whose record already holds its values calls nothing, so re-importing an unchanged
export needs no permission beyond the import's own, moves no version and writes no row.

Matching: the patient by MRN within the centre; every other row by its natural key among the
patient's live rows of its table (episode: onset date and presentation; lab: analyte and time;
session: course and sequence; ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from plexms.interop.fhir_import import ImportSummary
from plexms.interop.fhir_in.drafts import AcuityDraft, FluidDraft, ImportPlan, Link, RowDraft
from plexms.services._records import Saved, pending
from plexms.services.clinical import courses, outcomes, patients, session_sheet, sessions
from plexms.services.context import ServiceContext
from plexms.services.errors import PermissionDenied
from plexms.services.permissions import Permission
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
    SteroidCourse,
)

__all__ = ["ImportDenied", "write_plan"]

_Upsert = Callable[..., Saved]


def _history(kind: str) -> _Upsert:
    def call(ctx: ServiceContext, patient_id: int, key: Any, values: Any) -> Saved:
        return patients.upsert_history(ctx, patient_id, kind, key, values)

    call.permission = patients.upsert_history.permission  # type: ignore[attr-defined]
    return call


#: Each record kind: its table and the use case that writes it.
_USE_CASES: dict[str, tuple[type[Any], _Upsert]] = {
    "measurement": (Measurement, _history("measurement")),
    "episode": (Episode, _history("episode")),
    "steroid": (SteroidCourse, _history("steroid")),
    "dmt": (DmtHistory, _history("dmt")),
    "course": (Course, courses.upsert_course),
    "session": (ExchangeSession, session_sheet.upsert_session),
    "lab": (LabResult, sessions.upsert_lab),
    "adverse_event": (AdverseEvent, sessions.upsert_adverse_event),
    "outcome": (OutcomeAssessment, outcomes.upsert_outcome),
    "outcome_measure": (OutcomeMeasure, outcomes.upsert_outcome_measure),
    "hand_back": (HandBack, outcomes.upsert_handback),
    "document": (Document, outcomes.upsert_document),
}
_MEASURED = ("height_cm", "weight_kg", "hematocrit")


class ImportDenied(Exception):
    """The actor may not write a ``kind`` record (its use case needs ``permission``)."""

    def __init__(self, kind: str, permission: Permission, use_case: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.permission = permission
        self.use_case = use_case


class _Writer:
    """The records written so far (by bundle entry) and the counts of the summary."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.fluids: dict[int, list[FluidDraft]] = {}
        self.acuity: dict[int, list[AcuityDraft]] = {}
        self.rows: dict[int, dict[str, Any]] = {}  # entry index -> the record's columns
        self.sessions: dict[int, int] = {}  # course id -> sessions this import wrote
        self.summary = ImportSummary(patient_id=0)

    def count(self, kind: str, saved: Saved) -> None:
        if saved.created or saved.fields:
            target = self.summary.created if saved.created else self.summary.updated
            target[kind] = target.get(kind, 0) + 1

    def call(self, kind: str, fn: _Upsert, *args: Any) -> Saved:
        try:
            return fn(self.ctx, *args)
        except PermissionDenied:
            name = getattr(fn, "__name__", "upsert")
            raise ImportDenied(kind, fn.permission, name) from None  # type: ignore[attr-defined]

    def patient(self, index: int, fields: dict[str, Any], centre_id: int) -> None:
        saved = self.call("patient", patients.upsert_patient, centre_id, fields)
        self.summary.patient_id = saved.id
        self.count("patient", saved)
        self.rows[index] = {**fields, "id": saved.id}

    def upsert(self, kind: str, key: dict[str, Any], values: dict[str, Any], index: int) -> int:
        model, fn = _USE_CASES[kind]
        patient_id = self.summary.patient_id
        with self.ctx.db.read() as session:
            row, fields = pending(session, model, patient_id, key, values)
        if row is not None and not fields:  # as it is: nothing to call, nothing to allow
            row_id = int(row.id)
        else:
            if kind == "course" and row is not None and set(fields) <= courses.STATUS_COLUMNS:
                fn = courses.upsert_course_status
            saved = self.call(kind, fn, patient_id, key, values)
            self.count(kind, saved)
            row_id = saved.id
        self.rows[index] = {**key, **values, "id": row_id}
        return row_id

    def resolve(self, link: Link) -> Any:
        for index, attribute in link.sources:
            value = self.rows.get(index, {}).get(attribute)
            if value is not None:
                return value
        return None

    def row(self, draft: RowDraft) -> None:
        key, values = dict(draft.key), dict(draft.values)
        for link in draft.links:
            (key if link.in_key else values)[link.column] = self.resolve(link)
        if draft.kind == "session":
            if key["sequence"] is None:  # after the course's sessions this import wrote
                key["sequence"] = self.sessions.get(key["course_id"], 0) + 1
            self.sessions[key["course_id"]] = self.sessions.get(key["course_id"], 0) + 1
            values = self.session_fluids(draft.index, values)
        if draft.kind == "outcome":
            values |= {a.column: a.logmar for a in self.acuity.get(draft.index, [])}
        if draft.kind == "measurement":  # one row per time: keep the columns not given here
            with self.ctx.db.read() as session:
                found = session.scalars(
                    select(Measurement).where(
                        Measurement.patient_id == self.summary.patient_id,
                        Measurement.measured_at == key["measured_at"],
                        Measurement.deleted_at.is_(None),
                    )
                ).first()
                if found is not None:
                    values = {c: getattr(found, c) for c in _MEASURED} | values
        self.upsert(draft.kind, key, values, draft.index)

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

    def lone_acuity(self, draft: AcuityDraft) -> None:
        """An acuity with no visit entry: the patient's visit of that day, else a new one."""
        with self.ctx.db.read() as session:
            visit = session.scalars(
                select(OutcomeAssessment.id).where(
                    OutcomeAssessment.patient_id == self.summary.patient_id,
                    OutcomeAssessment.assessed_on == draft.assessed_on,
                    OutcomeAssessment.deleted_at.is_(None),
                )
            ).first()
        if visit is None:
            key: dict[str, Any] = {"assessed_on": draft.assessed_on, "timepoint": "other"}
            values: dict[str, Any] = {
                "assessed_by": self.ctx.username,
                "inputs": {},
                "result": {},
                "rule_version": "fhir-import",
                draft.column: draft.logmar,
            }
            self.upsert("outcome", key, values, draft.index)
            return
        key, values = {"id": visit}, {draft.column: draft.logmar}
        patient_id = self.summary.patient_id
        with self.ctx.db.read() as session:
            _, fields = pending(session, OutcomeAssessment, patient_id, key, values)
        if fields:  # a value set on a visit already there (not counted as a record)
            self.call("outcome", outcomes.upsert_outcome, patient_id, key, values)


def write_plan(ctx: ServiceContext, plan: ImportPlan, *, centre_id: int) -> ImportSummary:
    """Write ``plan`` into centre ``centre_id`` through the clinical use cases, as
    ``ctx``'s actor (run it in one transaction: ``Database.transaction``).

    :class:`ImportDenied` when the actor may not write a record the plan creates or changes.
    """
    writer = _Writer(ctx)
    visits = {s.index for s in plan.steps if isinstance(s, RowDraft) and s.kind == "outcome"}
    lone: set[int] = set()
    for step in plan.steps:
        if isinstance(step, FluidDraft):
            writer.fluids.setdefault(step.session_index, []).append(step)
        elif isinstance(step, AcuityDraft) and step.parent_index in visits:
            writer.acuity.setdefault(step.parent_index, []).append(step)  # set with its visit
        elif isinstance(step, AcuityDraft):
            lone.add(step.index)
    writer.patient(plan.patient.index, dict(plan.patient.fields), centre_id)
    for step in plan.steps:
        if isinstance(step, RowDraft):
            writer.row(step)
        elif isinstance(step, AcuityDraft) and step.index in lone:
            writer.lone_acuity(step)
    return writer.summary
