"""OMOP CDM v5.4 rows from the plain source rows the service reads
(``plexms.store.standard_queries.read_standard_batch``), de-identified as the registry export.

What goes where:

- PERSON: one row per live patient (sex, shifted birth year, the centre as ``care_site_id``);
- VISIT_OCCURRENCE + PROCEDURE_OCCURRENCE: one outpatient visit and one plasma exchange per
  exchange that was done (held, cancelled and planned ones did not happen);
- DRUG_EXPOSURE: each replacement fluid and the calcium gluconate of a done exchange, each
  steroid course and each disease-modifying therapy with a start date;
- MEASUREMENT: laboratory results (LOINC code as the source value) and EDSS scores;
- OBSERVATION: adverse events (type; WAA severity as the value) and the change of the targeted
  deficit at outcome visits;
- CONDITION_OCCURRENCE: MS (SNOMED CT 24700007; start 1 January of the diagnosis year, the
  only part of the date plexms records) and each episode (relapse, optic neuritis, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from plexms.interop.standard.concepts import (
    CONDITIONS,
    DRUGS,
    GENDER,
    MEASUREMENTS,
    NO_MATCH,
    OBSERVATIONS,
    PROCEDURES,
    TYPE_EHR,
    UNITS,
    VISIT_OUTPATIENT,
    source_code,
)
from plexms.interop.standard.deid import Deidentifier, day_of
from plexms.interop.standard.omop_ddl import OMOP_TABLES

__all__ = ["Row", "omop_rows"]

Row = dict[str, Any]  # the table's columns, plus the partition keys "_centre" and "_year"
EHR = TYPE_EHR.concept_id


def _text(value: Any, width: int = 50) -> str | None:
    return None if value is None or value == "" else str(value)[:width]


_NAMES = {table: frozenset(c.name for c in columns) for table, columns in OMOP_TABLES.items()}


def _row(table: str, centre: str, on: dt.date | int, **values: Any) -> Row:
    """A row of ``table`` (columns not given are null; the writer reads them by name)."""
    if not values.keys() <= _NAMES[table]:
        raise KeyError(f"{table} has no column {sorted(values.keys() - _NAMES[table])}")
    values["_centre"], values["_year"] = centre, on if isinstance(on, int) else on.year
    return values


class _Batch:
    def __init__(self, raw: dict[str, list[Row]], deid: Deidentifier) -> None:
        self.raw, self.d = raw, deid
        self.centre_of = {p["id"]: deid.pid("centre", p["centre_id"]) for p in raw["patients"]}
        self.care_site = {p["id"]: deid.key("centre", p["centre_id"]) for p in raw["patients"]}
        self.done = {s["id"] for s in raw["sessions"] if s["status"] == "done"}
        self._people: dict[int, int] = {}
        self._visits: dict[int, int] = {}

    def person_id(self, patient_id: int) -> int:
        if patient_id not in self._people:
            self._people[patient_id] = self.d.key("patient", patient_id)
        return self._people[patient_id]

    def visit_id(self, session_id: int | None) -> int | None:
        if session_id is None or session_id not in self.done:
            return None
        if session_id not in self._visits:
            self._visits[session_id] = self.d.key("session", session_id)
        return self._visits[session_id]

    def of(self, rows: Iterable[Row]) -> Iterable[Row]:
        """The rows whose patient is in this batch's scope."""
        return (r for r in rows if r["patient_id"] in self.centre_of)


def _person(b: _Batch) -> list[Row]:
    out = []
    for p in b.raw["patients"]:
        gender = GENDER.get(p["sex"], GENDER["unknown"])
        year = b.d.year_of_birth(p["id"], p["birth_date"])
        out.append(
            _row(
                "person",
                b.centre_of[p["id"]],
                year,
                person_id=b.person_id(p["id"]),
                gender_concept_id=gender.concept_id,
                year_of_birth=year,
                race_concept_id=NO_MATCH,  # not recorded by plexms
                ethnicity_concept_id=NO_MATCH,
                care_site_id=b.care_site[p["id"]],
                person_source_value=b.d.pid("patient", p["id"]),
                gender_source_value=_text(p["sex"]),
                gender_source_concept_id=NO_MATCH,
                race_source_concept_id=NO_MATCH,
                ethnicity_source_concept_id=NO_MATCH,
            )
        )
    return out


def _times(b: _Batch, s: Row) -> tuple[dt.datetime, dt.datetime]:
    start = b.d.datetime(s["patient_id"], s["actual_start"] or s["planned_start"])
    end = b.d.datetime(s["patient_id"], s["actual_end"] or s["planned_end"])
    assert start is not None and end is not None  # noqa: S101 - planned times are required
    return start, end


def _sessions(b: _Batch) -> tuple[list[Row], list[Row], list[Row]]:
    visits, procedures, drugs = [], [], []
    procedure = PROCEDURES["plasma_exchange"]
    for s in b.of(b.raw["sessions"]):
        if s["id"] not in b.done:
            continue
        pid, centre = s["patient_id"], b.centre_of[s["patient_id"]]
        start, end = _times(b, s)
        visit = b.visit_id(s["id"])
        common = {"person_id": b.person_id(pid), "visit_occurrence_id": visit}
        visits.append(
            _row(
                "visit_occurrence",
                centre,
                start.date(),
                **common,
                visit_concept_id=VISIT_OUTPATIENT.concept_id,
                visit_start_date=start.date(),
                visit_start_datetime=start,
                visit_end_date=end.date(),
                visit_end_datetime=end,
                visit_type_concept_id=EHR,
                care_site_id=b.care_site[pid],
                visit_source_value="tpe_session",
                visit_source_concept_id=NO_MATCH,
            )
        )
        procedures.append(
            _row(
                "procedure_occurrence",
                centre,
                start.date(),
                **common,
                procedure_occurrence_id=visit,
                procedure_concept_id=procedure.concept_id,
                procedure_date=start.date(),
                procedure_datetime=start,
                procedure_end_date=end.date(),
                procedure_end_datetime=end,
                procedure_type_concept_id=EHR,
                quantity=1,
                procedure_source_value=source_code("plasma_exchange"),
                procedure_source_concept_id=NO_MATCH,
            )
        )
        given = [
            (str(f.get("fluid", "other")), f.get("volume_ml"))
            for f in s["replacement_fluids"] or []
            if isinstance(f, dict)
        ]
        if s["calcium_gluconate_ml"] is not None:
            given.append(("calcium_gluconate", s["calcium_gluconate_ml"]))
        for i, (drug, volume_ml) in enumerate(given):
            concept = DRUGS.get(drug, DRUGS["other"])
            drugs.append(
                _row(
                    "drug_exposure",
                    centre,
                    start.date(),
                    **common,
                    drug_exposure_id=b.d.key(f"omop_session_drug_{i}", s["id"]),
                    drug_concept_id=concept.concept_id,
                    drug_exposure_start_date=start.date(),
                    drug_exposure_start_datetime=start,
                    drug_exposure_end_date=end.date(),
                    drug_exposure_end_datetime=end,
                    drug_type_concept_id=EHR,
                    quantity=float(volume_ml) if isinstance(volume_ml, int | float) else None,
                    drug_source_value=_text(drug),
                    drug_source_concept_id=NO_MATCH,
                    route_source_value="iv",
                    dose_unit_source_value="mL",
                )
            )
    return visits, procedures, drugs


def _drug(b: _Batch, kind: str, r: Row, drug: str, start: Any, end: Any, **extra: Any) -> Row:
    pid = r["patient_id"]
    first = b.d.date(pid, day_of(start))
    assert first is not None  # noqa: S101 - callers skip rows without a start
    last = b.d.date(pid, day_of(end))
    concept = DRUGS.get(drug, DRUGS["dmt"])
    return _row(
        "drug_exposure",
        b.centre_of[pid],
        first,
        person_id=b.person_id(pid),
        drug_exposure_id=b.d.key(kind, r["id"]),
        drug_concept_id=concept.concept_id,
        drug_exposure_start_date=first,
        drug_exposure_end_date=last or first,  # NOT NULL: the CDM's rule is start when unknown
        verbatim_end_date=last,
        drug_type_concept_id=EHR,
        drug_source_value=_text(drug),
        drug_source_concept_id=NO_MATCH,
        **extra,
    )


def _drugs(b: _Batch) -> list[Row]:
    out = [
        _drug(
            b,
            "omop_steroid",
            r,
            r["drug"],
            r["start_date"],
            r["end_date"],
            route_source_value=_text(r["route"]),
            dose_unit_source_value="mg/day",
            quantity=r["dose_mg_per_day"],
        )
        for r in b.of(b.raw["steroids"])
    ]
    out += [
        _drug(b, "omop_dmt", r, r["drug"], r["started_on"], r["stopped_on"])
        for r in b.of(b.raw["dmts"])
        if r["started_on"] is not None
    ]
    return out


def _measurement(
    b: _Batch, kind: str, r: Row, when: Any, key: str, value: Any, **extra: Any
) -> Row:
    pid = r["patient_id"]
    on = b.d.date(pid, day_of(when))
    assert on is not None  # noqa: S101 - measurement times are required
    stamp = b.d.datetime(pid, when) if isinstance(when, dt.datetime) else None
    return _row(
        "measurement",
        b.centre_of[pid],
        on,
        measurement_id=b.d.key(kind, r["id"]),
        person_id=b.person_id(pid),
        measurement_concept_id=MEASUREMENTS[key].concept_id if key in MEASUREMENTS else NO_MATCH,
        measurement_date=on,
        measurement_datetime=stamp,
        measurement_type_concept_id=EHR,
        value_as_number=value,
        measurement_source_value=_text(source_code(key)),
        measurement_source_concept_id=NO_MATCH,
        **extra,
    )


def _measurements(b: _Batch) -> list[Row]:
    out = []
    for r in b.of(b.raw["labs"]):
        unit = UNITS.get(r["unit"])
        out.append(
            _measurement(
                b,
                "omop_lab",
                r,
                r["taken_at"],
                r["analyte"],
                r["value"],
                unit_concept_id=unit.concept_id if unit else NO_MATCH,
                unit_source_value=_text(r["unit"]),
                visit_occurrence_id=b.visit_id(r["session_id"]),
                value_source_value=_text(r["timing"]),  # pre / post the exchange
            )
        )
    out += [
        _measurement(b, "omop_edss", r, r["assessed_on"], "edss", r["edss"])
        for r in b.of(b.raw["outcomes"])
        if r["edss"] is not None
    ]
    return out


def _observation(b: _Batch, kind: str, r: Row, when: Any, key: str, **values: Any) -> Row:
    pid = r["patient_id"]
    on = b.d.date(pid, day_of(when))
    assert on is not None  # noqa: S101 - observation times are required
    return _row(
        "observation",
        b.centre_of[pid],
        on,
        observation_id=b.d.key(kind, r["id"]),
        person_id=b.person_id(pid),
        observation_concept_id=OBSERVATIONS[key].concept_id,
        observation_date=on,
        observation_datetime=b.d.datetime(pid, when) if isinstance(when, dt.datetime) else None,
        observation_type_concept_id=EHR,
        observation_source_concept_id=NO_MATCH,
        **values,
    )


def _observations(b: _Batch) -> list[Row]:
    out = [
        _observation(
            b,
            "omop_adverse_event",
            r,
            r["onset_at"],
            "adverse_event",
            observation_source_value=_text(f"adverse_event:{r['event_type']}"),
            value_as_string=_text(r["severity"], 60),
            qualifier_source_value="waa_severity",
            visit_occurrence_id=b.visit_id(r["session_id"]),
        )
        for r in b.of(b.raw["adverse_events"])
    ]
    out += [
        _observation(
            b,
            "omop_targeted_deficit",
            r,
            r["assessed_on"],
            "targeted_deficit",
            observation_source_value="targeted_deficit",
            value_as_string=_text(r["targeted_deficit"], 60),
        )
        for r in b.of(b.raw["outcomes"])
        if r["targeted_deficit"]
    ]
    return out


def _condition(b: _Batch, kind: str, r: Row, pid: int, on: dt.date, key: str) -> Row:
    return _row(
        "condition_occurrence",
        b.centre_of[pid],
        on,
        condition_occurrence_id=b.d.key(kind, r["id"]),
        person_id=b.person_id(pid),
        condition_concept_id=CONDITIONS.get(key, CONDITIONS["other"]).concept_id,
        condition_start_date=on,
        condition_type_concept_id=EHR,
        condition_source_value=_text(source_code(key)),
        condition_source_concept_id=NO_MATCH,
    )


def _conditions(b: _Batch) -> list[Row]:
    out = [
        _condition(b, "omop_ms", p, p["id"], dt.date(p["ms_diagnosis_year"], 1, 1), "ms")
        for p in b.raw["patients"]
        if p["ms_diagnosis_year"]
    ]
    for e in b.of(b.raw["episodes"]):
        onset = b.d.date(e["patient_id"], e["onset_date"])
        assert onset is not None  # noqa: S101 - onset is required
        out.append(_condition(b, "omop_episode", e, e["patient_id"], onset, e["presentation"]))
    return out


def omop_rows(raw: dict[str, list[Row]], deid: Deidentifier) -> dict[str, list[Row]]:
    """The OMOP rows (every column of its table, plus ``_centre``/``_year`` for the
    partitions) of one batch of source rows."""
    b = _Batch(raw, deid)
    visits, procedures, session_drugs = _sessions(b)
    return {
        "person": _person(b),
        "visit_occurrence": visits,
        "procedure_occurrence": procedures,
        "measurement": _measurements(b),
        "observation": _observations(b),
        "drug_exposure": session_drugs + _drugs(b),
        "condition_occurrence": _conditions(b),
    }
