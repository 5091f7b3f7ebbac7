"""``docs/omop-mapping.md``, generated from the column and concept tables (a test keeps the
file equal to ``omop_mapping_markdown()``)."""

from __future__ import annotations

from plexms.interop.standard.concepts import (
    CONDITIONS,
    DRUGS,
    GENDER,
    MEASUREMENTS,
    OBSERVATIONS,
    PROCEDURES,
    TYPE_EHR,
    UNITS,
    UNMAPPED,
    VISIT_OUTPATIENT,
    OmopConcept,
    source_code,
)
from plexms.interop.standard.msda import MSDA_SOURCE, MSDA_TABLES
from plexms.interop.standard.omop_ddl import DDL_INTEGER_KEYS, OMOP_TABLES

__all__ = ["omop_mapping_markdown"]

_ROWS = (
    ("person", "one per live patient: gender, shifted birth year, centre (`care_site_id`)"),
    ("visit_occurrence", "one outpatient visit per exchange done (none for held, planned)"),
    ("procedure_occurrence", "one plasma exchange per exchange done, linked to its visit"),
    (
        "drug_exposure",
        "each replacement fluid and calcium gluconate of an exchange (mL in `quantity`), "
        "each steroid course (mg/day), each disease-modifying therapy with a start date",
    ),
    (
        "measurement",
        "laboratory results (LOINC code as `measurement_source_value`, unit as given, "
        "`value_source_value` pre/post), EDSS scores",
    ),
    (
        "observation",
        "adverse events (`adverse_event:<type>`, WAA severity as `value_as_string`), the "
        "change of the targeted deficit at outcome visits",
    ),
    (
        "condition_occurrence",
        "multiple sclerosis (SNOMED CT 24700007 as the source value), each episode "
        "(relapse, optic neuritis, CIS, tumefactive, other)",
    ),
)

_INTRO = """# Standard exports: OMOP CDM v5.4 and the MSDA core dataset

```sh
plexms registry export --out DIR --format omop   # OMOP CDM v5.4 tables
plexms registry export --out DIR --format msda   # MS Data Alliance core dataset
```

Each writes one CSV per table, named after it (`person.csv`, `visit_occurrence.csv`, ...;
`patients.csv`, `visits.csv`, ... for MSDA), and the same rows as Parquet partitioned
hive-style by centre and year: `DIR/<table>/centre=<centre pid>/year=<yyyy>/part-*.parquet`
(the year of the row's main date; for people, their birth year). Exports of many centres
copied into one directory form one dataset; a second export of a centre replaces that
centre's partitions only. A table with no rows has a CSV header and no Parquet files.

```sql
-- DuckDB over a directory of many centres' OMOP exports
SELECT centre, count(*) FROM read_parquet('DIR/person/**/*.parquet', hive_partitioning = true)
GROUP BY centre;
```

## De-identification

Exactly as the registry export (`docs/registry-columns.md`), with the same key, so the two
exports link: `person_source_value` is the registry's `patient_pid`, the `centre` partition is
its `centre_pid`. No names, MRN, contact details, addresses, notes or other free text, and no
real ids: OMOP's integer keys are the first 60 bits of the HMAC-SHA256 pseudonym. Every date
and time of a patient is shifted by the patient's own number of days (-183..+183, never 0),
so intervals within a patient are exact. Birth is exported as the shifted year only
(`month_of_birth`, `day_of_birth`, `birth_datetime` empty); people aged 90 or over in the
export's year get the year that makes them 90. The MS diagnosis is recorded by plexms as a
year only: its condition starts on 1 January of that year (not shifted: a year is what the
registry export already discloses as disease duration). Times are UTC, written
`YYYY-MM-DD HH:MM:SS` in CSV.

## OMOP tables

Columns, order, types and NOT NULL as the official v5.4 DDL (OHDSI CommonDataModel,
`inst/ddl/5.4`), except the pseudonymous keys, which are `bigint` where the DDL says
`integer` (60-bit pseudonyms; 32 bits would collide in a large registry): {keys}.

{tables}

Not exported: race and ethnicity (not recorded; concept 0), providers, vital signs, MS
phenotype (in the MSDA export), free text.
"""


def _concept_rows(group: str, concepts: dict[str, OmopConcept]) -> list[str]:
    return [
        f"| {group} | `{key}` | {c.concept_id} | {c.name} | `{source_code(key)}` "
        f"| {c.confirmed_in} |"
        for key, c in concepts.items()
    ]


def omop_mapping_markdown() -> str:
    """The mapping document."""
    tables = "\n".join(
        ["| table | rows |", "| --- | --- |", *(f"| {t} | {what} |" for t, what in _ROWS)]
    )
    keys = ", ".join(f"`{k}`" for k in sorted(DDL_INTEGER_KEYS))
    lines = [_INTRO.format(keys=keys, tables=tables)]
    for table, columns in OMOP_TABLES.items():
        lines += [f"### {table}", "", "| column | type | required |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.sql_type} | {'yes' if c.required else ''} |" for c in columns]
        lines.append("")
    lines += [
        "## Concept mappings",
        "",
        'Concept 0 is the CDM\'s "No matching concept": used wherever a standard concept id',
        "could not be confirmed in a published source (the code stays in `*_source_value`).",
        "",
        "| domain | plexms value | concept_id | meaning | source value | concept id confirmed in |",
        "| --- | --- | --- | --- | --- | --- |",
        *_concept_rows("gender", GENDER),
        f"| visit | `tpe_session` | {VISIT_OUTPATIENT.concept_id} | {VISIT_OUTPATIENT.name} "
        f"| `tpe_session` | {VISIT_OUTPATIENT.confirmed_in} |",
        f"| type (every table) | EHR | {TYPE_EHR.concept_id} | {TYPE_EHR.name} | | "
        f"{TYPE_EHR.confirmed_in} |",
        *_concept_rows("procedure", PROCEDURES),
        *_concept_rows("condition", CONDITIONS),
        *_concept_rows("measurement", MEASUREMENTS),
        *[
            f"| unit | `{key}` | {c.concept_id} | {c.name} | `{key}` | {c.confirmed_in} |"
            for key, c in UNITS.items()
        ],
        *_concept_rows("observation", OBSERVATIONS),
        *_concept_rows("drug", DRUGS),
        "",
        "Other units, and race and ethnicity, are exported with concept 0.",
        "",
        "### Mapped to 0 (no confirmed standard concept)",
        "",
        "| domain | plexms value | meaning |",
        "| --- | --- | --- |",
        *[f"| {domain} | `{key}` | {name} |" for domain, key, name in UNMAPPED],
        "",
        "Not confirmed, so not used: OMOP 374919 for multiple sclerosis and a concept for",
        "CPT 36514 / SNOMED CT plasmapheresis are often quoted, but no public table we could",
        "check gave them; replace the 0s above once checked against Athena.",
        "",
        "## MSDA core dataset",
        "",
        f"Source: {MSDA_SOURCE}. The core dataset has 44 variables in eight categories",
        "(demographics and comorbidities, disease history, disease status, relapses, MRI,",
        "treatment...). Its data dictionary's variable names could not be retrieved here, so",
        "the tables follow its categories with plexms's column names; what plexms does not",
        "record (comorbidities, onset symptoms, lesion totals, ...) is left out.",
        "",
    ]
    for table, mcolumns in MSDA_TABLES.items():
        lines += [
            f"### {table}",
            "",
            "| column | type | MSDA category | meaning |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| `{c.name}` | {c.kind} | {c.category} | {c.description} |" for c in mcolumns]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
