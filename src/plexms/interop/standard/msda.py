"""The MS Data Alliance (MSDA) core dataset as CSV/Parquet tables, de-identified as the
registry export.

Source: "Introducing a core dataset for real-world data in multiple
sclerosis registries and cohorts: Recommendations from a global task force." Mult Scler
2024;30(3):396-418, doi:10.1177/13524585231216004 (the MSDA Core Dataset v2022: 44 variables
in eight categories, among them demographics and comorbidities, disease history, disease status,
relapses, MRI and treatment; data dictionary on msdataalliance.org). The data dictionary's own
variable names could not be retrieved here, so the tables follow its categories with
plexms's column names (described in ``docs/omop-mapping.md``); what plexms does not record
(comorbidities, employment, onset symptoms, MRI lesion totals beyond Gd and new T2, ...) is
not exported rather than exported empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from plexms.interop.standard.deid import Deidentifier

__all__ = ["MSDA_SOURCE", "MSDA_TABLES", "MsdaColumn", "msda_rows", "msda_schema"]

MSDA_SOURCE = (
    "MS Data Alliance Core Dataset v2022: Mult Scler 2024;30(3):396-418, "
    "doi:10.1177/13524585231216004"
)

_TYPES = {
    "id": pa.string(),
    "str": pa.string(),
    "int": pa.int32(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}


@dataclass(frozen=True)
class MsdaColumn:
    """One column of an MSDA table: name, kind (id, str, int, float, bool, date), the MSDA
    category it belongs to, and its meaning."""

    name: str
    kind: str
    category: str
    description: str


def _c(name: str, kind: str, category: str, description: str) -> MsdaColumn:
    return MsdaColumn(name, kind, category, description)


_PATIENT = _c("patient_pid", "id", "demographics", "Pseudonymous patient id (= registry export)")
MSDA_TABLES: dict[str, tuple[MsdaColumn, ...]] = {
    "patients": (
        _PATIENT,
        _c("centre_pid", "id", "demographics", "Pseudonymous centre id"),
        _c("sex", "str", "demographics", "female, male, other or unknown"),
        _c("year_of_birth", "int", "demographics", "Shifted birth year (90+ years capped)"),
        _c("ms_course", "str", "disease history", "Current MS phenotype (rrms, spms, ppms...)"),
        _c("year_of_diagnosis", "int", "disease history", "Year of the MS diagnosis"),
    ),
    "visits": (
        _c("visit_pid", "id", "disease status", "Pseudonymous outcome visit id"),
        _PATIENT,
        _c("visit_date", "date", "disease status", "Visit date (shifted)"),
        _c("edss", "float", "disease status", "EDSS"),
    ),
    "relapses": (
        _c("relapse_pid", "id", "relapses", "Pseudonymous episode id"),
        _PATIENT,
        _c("onset_date", "date", "relapses", "Onset (shifted)"),
        _c("presentation", "str", "relapses", "relapse, optic_neuritis, cis, tumefactive..."),
        _c("edss_at_onset", "float", "relapses", "EDSS at the onset"),
        _c("steroid_treated", "bool", "relapses", "Whether corticosteroids were given for it"),
        _c("steroid_response", "str", "relapses", "Response to corticosteroids"),
    ),
    "treatments": (
        _c("treatment_pid", "id", "treatment", "Pseudonymous treatment id"),
        _PATIENT,
        _c("treatment_type", "str", "treatment", "dmt, relapse_steroid or plasma_exchange"),
        _c("treatment", "str", "treatment", "Drug name, or plasma_exchange"),
        _c("start_date", "date", "treatment", "Start (shifted)"),
        _c("end_date", "date", "treatment", "End (shifted; empty when ongoing or unknown)"),
        _c("exchanges", "int", "treatment", "Plasma exchanges done (plasma_exchange only)"),
    ),
    "mri": (
        _c("mri_pid", "id", "MRI", "Pseudonymous MRI study id"),
        _PATIENT,
        _c("mri_date", "date", "MRI", "Study date (shifted)"),
        _c("gd_enhancing_lesions", "int", "MRI", "Gadolinium-enhancing T1 lesions"),
        _c("new_t2_lesions", "int", "MRI", "New or enlarging T2 lesions"),
    ),
}


def msda_schema(table: str) -> pa.Schema:
    """The Arrow schema of an MSDA table (ids are never null)."""
    return pa.schema(
        [pa.field(c.name, _TYPES[c.kind], nullable=c.kind != "id") for c in MSDA_TABLES[table]]
    )


Row = dict[str, Any]


def _row(centre: str, year: int, **values: Any) -> Row:
    return {**values, "_centre": centre, "_year": year}


def _plasma_exchange(
    raw: dict[str, list[Row]], d: Deidentifier, centre: dict[int, str]
) -> list[Row]:
    courses: dict[int, list[Row]] = {}
    for s in raw["sessions"]:
        if s["status"] == "done" and s["patient_id"] in centre and s["course_id"] is not None:
            courses.setdefault(s["course_id"], []).append(s)
    out = []
    for course_id, done in courses.items():
        pid = done[0]["patient_id"]
        days = sorted((s["actual_start"] or s["planned_start"]).date() for s in done)
        first = d.date(pid, days[0])
        assert first is not None  # noqa: S101
        out.append(
            _row(
                centre[pid],
                first.year,
                treatment_pid=d.pid("course", course_id),
                patient_pid=d.pid("patient", pid),
                treatment_type="plasma_exchange",
                treatment="plasma_exchange",
                start_date=first,
                end_date=d.date(pid, days[-1]),
                exchanges=len(done),
            )
        )
    return out


def msda_rows(raw: dict[str, list[Row]], d: Deidentifier) -> dict[str, list[Row]]:
    """The MSDA rows (plus ``_centre``/``_year``) of one batch of source rows."""
    centre = {p["id"]: d.pid("centre", p["centre_id"]) for p in raw["patients"]}

    def mine(table: str) -> list[Row]:
        return [r for r in raw[table] if r["patient_id"] in centre]

    def on(r: Row, column: str) -> dt.date:
        value = d.date(r["patient_id"], r[column])
        assert value is not None  # noqa: S101 - required dates
        return value

    treated = {s["episode_id"] for s in mine("steroids") if s["episode_id"] is not None}
    patients = []
    for p in raw["patients"]:
        year = d.year_of_birth(p["id"], p["birth_date"])
        patients.append(
            _row(
                centre[p["id"]],
                year,
                patient_pid=d.pid("patient", p["id"]),
                centre_pid=centre[p["id"]],
                sex=p["sex"],
                year_of_birth=year,
                ms_course=p["ms_phenotype"],
                year_of_diagnosis=p["ms_diagnosis_year"],
            )
        )
    treatments = [
        _row(
            centre[r["patient_id"]],
            on(r, "start_date").year,
            treatment_pid=d.pid("steroid_course", r["id"]),
            patient_pid=d.pid("patient", r["patient_id"]),
            treatment_type="relapse_steroid",
            treatment=r["drug"],
            start_date=on(r, "start_date"),
            end_date=d.date(r["patient_id"], r["end_date"]),
        )
        for r in mine("steroids")
    ]
    treatments += [
        _row(
            centre[r["patient_id"]],
            on(r, "started_on").year,
            treatment_pid=d.pid("dmt", r["id"]),
            patient_pid=d.pid("patient", r["patient_id"]),
            treatment_type="dmt",
            treatment=r["drug"],
            start_date=on(r, "started_on"),
            end_date=d.date(r["patient_id"], r["stopped_on"]),
        )
        for r in mine("dmts")
        if r["started_on"] is not None
    ]
    return {
        "patients": patients,
        "visits": [
            _row(
                centre[r["patient_id"]],
                on(r, "assessed_on").year,
                visit_pid=d.pid("outcome", r["id"]),
                patient_pid=d.pid("patient", r["patient_id"]),
                visit_date=on(r, "assessed_on"),
                edss=r["edss"],
            )
            for r in mine("outcomes")
            if r["edss"] is not None
        ],
        "relapses": [
            _row(
                centre[r["patient_id"]],
                on(r, "onset_date").year,
                relapse_pid=d.pid("episode", r["id"]),
                patient_pid=d.pid("patient", r["patient_id"]),
                onset_date=on(r, "onset_date"),
                presentation=r["presentation"],
                edss_at_onset=r["edss_at_onset"],
                steroid_treated=r["id"] in treated,
                steroid_response=r["steroid_response"],
            )
            for r in mine("episodes")
        ],
        "treatments": treatments + _plasma_exchange(raw, d, centre),
        "mri": [
            _row(
                centre[r["patient_id"]],
                on(r, "study_date").year,
                mri_pid=d.pid("mri", r["id"]),
                patient_pid=d.pid("patient", r["patient_id"]),
                mri_date=on(r, "study_date"),
                gd_enhancing_lesions=r["gd_enhancing_lesions"],
                new_t2_lesions=r["new_t2_lesions"],
            )
            for r in mine("mri")
        ],
    }
