"""The registry export's tables and columns: one place for the names, types and meanings.

``docs/registry-columns.md`` is generated from this table (``registry_columns_markdown``) and
a test keeps the two equal. Types: ``id`` (pseudonymous string), ``str``, ``int``, ``float``,
``bool``, ``date`` (shifted), ``datetime`` (shifted, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TABLES", "Column", "registry_columns_markdown"]


@dataclass(frozen=True)
class Column:
    """One column of a registry table."""

    name: str
    kind: str
    description: str


def _c(name: str, kind: str, description: str) -> Column:
    return Column(name, kind, description)


_PATIENT = _c("patient_pid", "id", "Pseudonymous patient id (same in every table and every run)")
_COURSE = _c("course_pid", "id", "Pseudonymous course id")

TABLES: dict[str, tuple[Column, ...]] = {
    "courses": (
        _COURSE,
        _PATIENT,
        _c("centre_pid", "id", "Pseudonymous centre id"),
        _c("sex", "str", "female, male, other or unknown"),
        _c("age_at_start_years", "int", "Age in whole years at the course start, 90 = 90 or over"),
        _c("ms_phenotype", "str", "MS phenotype (e.g. rrms, spms, ppms, unknown)"),
        _c("disease_duration_years", "int", "Course start year minus the year of MS diagnosis"),
        _c("presentation", "str", "Episode treated: relapse, optic_neuritis, cis, tumefactive..."),
        _c("edss_at_onset", "float", "EDSS at the episode's onset"),
        _c("steroid_response", "str", "Response of the episode to corticosteroids"),
        _c("days_onset_to_start", "int", "Days from the episode's onset to the course start"),
        _c("indication", "str", "Course indication"),
        _c("status", "str", "planned, active, completed or stopped"),
        _c(
            "stopped_early", "bool", "True when the course was stopped (the reason is not exported)"
        ),
        _c("planned_exchanges", "int", "Exchanges prescribed"),
        _c("plasma_volumes_per_exchange", "float", "Plasma volumes exchanged per exchange"),
        _c("replacement_fluid", "str", "Prescribed replacement fluid (e.g. albumin_5)"),
        _c("plasma_volume_ml", "float", "Estimated plasma volume of the prescription, mL"),
        _c("exchange_volume_ml", "float", "Prescribed exchange volume per exchange, mL"),
        _c("start_date", "date", "Course start (shifted)"),
        _c("completed_on", "date", "Course completion (shifted)"),
        _c("sessions_done", "int", "Exchanges performed"),
        _c("rule_version", "str", "Version of the rules that computed the prescription"),
    ),
    "sessions": (
        _c("session_pid", "id", "Pseudonymous session id"),
        _COURSE,
        _PATIENT,
        _c("sequence", "int", "Exchange number within the course (1 = first)"),
        _c("status", "str", "planned, done, held or cancelled"),
        _c("days_from_course_start", "int", "Days from the course start to this exchange"),
        _c("start", "datetime", "Actual (else planned) start, UTC (shifted)"),
        _c("duration_min", "float", "Actual (else planned) duration, minutes"),
        _c("plasma_removed_ml", "float", "Plasma exchanged, mL"),
        _c("whole_blood_processed_ml", "float", "Whole blood processed, mL"),
        _c("albumin_ml", "float", "Albumin solution given, mL"),
        _c("saline_ml", "float", "Saline given, mL"),
        _c("plasma_ml", "float", "Donor plasma given, mL"),
        _c("anticoagulant", "str", "Anticoagulant (e.g. ACD-A)"),
        _c("anticoagulant_ml", "float", "Anticoagulant volume, mL"),
        _c("calcium_gluconate_ml", "float", "Calcium gluconate 10% given, mL"),
        _c("vascular_access", "str", "Vascular access (peripheral, central...)"),
        _c("go_decision", "str", "Pre-session check result (go, hold)"),
        _c("albumin_lot", "str", "Albumin lot number(s), ';'-separated"),
        _c("acd_a_lot", "str", "ACD-A lot number(s), ';'-separated"),
        _c("saline_lot", "str", "Saline lot number(s), ';'-separated"),
        _c("calcium_lot", "str", "Calcium gluconate lot number(s), ';'-separated"),
        _c("tubing_set_lot", "str", "Tubing set lot number(s), ';'-separated"),
        _c("machine_serial", "str", "Apheresis machine serial number(s), ';'-separated"),
    ),
    "adverse_events": (
        _c("event_pid", "id", "Pseudonymous adverse event id"),
        _PATIENT,
        _COURSE,
        _c("session_pid", "id", "Pseudonymous id of the session it happened in"),
        _c("event_type", "str", "Event type (e.g. citrate_reaction, hypotension)"),
        _c("severity", "str", "mild, moderate, severe or death"),
        _c("onset", "datetime", "Onset, UTC (shifted)"),
        _c("procedure_interrupted", "bool", "Whether the exchange was interrupted"),
    ),
    "outcomes": (
        _c("outcome_pid", "id", "Pseudonymous outcome visit id"),
        _PATIENT,
        _COURSE,
        _c("timepoint", "str", "baseline, during_course, end_of_course, 1_month, ..."),
        _c("assessed_on", "date", "Visit date (shifted)"),
        _c("days_from_course_start", "int", "Days from the course start to the visit"),
        _c("edss", "float", "EDSS"),
        _c("va_right_logmar", "float", "Visual acuity, right eye, logMAR"),
        _c("va_left_logmar", "float", "Visual acuity, left eye, logMAR"),
        _c("targeted_deficit", "str", "Change of the targeted deficit"),
        _c(
            "edss_within_30d_of_relapse",
            "bool",
            "The EDSS was taken within 30 days after a relapse onset: not a disability "
            "baseline (Kalincik 2015); empty when no EDSS",
        ),
        _c("rule_version", "str", "Version of the rules that scored the visit"),
    ),
    "outcome_measures": (
        _c("measure_pid", "id", "Pseudonymous measure id"),
        _c("outcome_pid", "id", "Pseudonymous outcome visit id (the outcomes table)"),
        _PATIENT,
        _COURSE,
        _c("measure", "str", "t25fw, nhpt, sdmt, lcla_2_5, msis29_physical, ... (scores only)"),
        _c("side", "str", "dominant/non_dominant hand, right/left/both eyes; empty: none"),
        _c("value", "float", "The score in its unit"),
        _c("unit", "str", "s, {correct}, {letters} or {score} (UCUM)"),
        _c("taken_on", "date", "Visit date (shifted)"),
        _c("days_from_course_start", "int", "Days from the course start to the visit"),
        _c("change", "float", "Change from the baseline visit's value, in the unit"),
        _c("change_percent", "float", "Change as a percentage of the baseline value"),
        _c("result", "str", "improved, worsened, unchanged, incomplete, or baseline"),
        _c("rule_version", "str", "Version of the rules that classified the change"),
    ),
}


def registry_columns_markdown() -> str:
    """The column reference (``docs/registry-columns.md``)."""
    lines = [
        "# Registry export: columns",
        "",
        "`plexms registry export --out DIR [--format csv|parquet|both]` writes one file per",
        "table (`courses`, `sessions`, `adverse_events`, `outcomes`, `outcome_measures`), one",
        "row per entity.",
        "",
        "De-identification: no names, MRN, contact details, addresses, free text or real ids.",
        "Ids are HMAC-SHA256 pseudonyms keyed with the installation's secret (stable across",
        "runs with the same secret). Every date and time of a patient is shifted by the same",
        "pseudo-random number of days (between -183 and +183, never 0), so intervals within a",
        "patient are exact while calendar dates are not. Ages of 90 and over are reported as 90.",
        "",
        "Types: `id` pseudonym (16 hex digits); `date` ISO date; `datetime` ISO UTC time;",
        "empty CSV cell / Parquet null = not recorded.",
    ]
    for table, columns in TABLES.items():
        lines += ["", f"## {table}", "", "| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.kind} | {c.description} |" for c in columns]
    return "\n".join(lines) + "\n"
