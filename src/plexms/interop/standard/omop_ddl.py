"""The seven OMOP CDM v5.4 tables plexms writes, column by column, as the official DDL gives
them (OHDSI CommonDataModel, ``inst/ddl/5.4/*/OMOPCDM_*_5.4_ddl.sql``): names, order, types
and NOT NULL.

One deliberate difference: the pseudonymous keys (``person_id``, each table's own id, the
``visit_occurrence_id`` and ``care_site_id`` links) are ``bigint`` where the DDL says
``integer``. They are 60-bit numbers derived from the registry's HMAC pseudonyms, so that
exports of many centres never collide; 32 bits would collide within a registry of a few
tens of thousands of people. ``DDL_INTEGER_KEYS`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

__all__ = ["DDL_INTEGER_KEYS", "OMOP_TABLES", "OmopColumn", "arrow_schema", "arrow_type"]


@dataclass(frozen=True)
class OmopColumn:
    """One column: its name, SQL type (as the DDL spells it) and whether it is NOT NULL."""

    name: str
    sql_type: str
    required: bool


_DDL = {
    "person": """
        person_id bigint NOT NULL
        gender_concept_id integer NOT NULL
        year_of_birth integer NOT NULL
        month_of_birth integer NULL
        day_of_birth integer NULL
        birth_datetime datetime NULL
        race_concept_id integer NOT NULL
        ethnicity_concept_id integer NOT NULL
        location_id integer NULL
        provider_id integer NULL
        care_site_id bigint NULL
        person_source_value varchar(50) NULL
        gender_source_value varchar(50) NULL
        gender_source_concept_id integer NULL
        race_source_value varchar(50) NULL
        race_source_concept_id integer NULL
        ethnicity_source_value varchar(50) NULL
        ethnicity_source_concept_id integer NULL
    """,
    "visit_occurrence": """
        visit_occurrence_id bigint NOT NULL
        person_id bigint NOT NULL
        visit_concept_id integer NOT NULL
        visit_start_date date NOT NULL
        visit_start_datetime datetime NULL
        visit_end_date date NOT NULL
        visit_end_datetime datetime NULL
        visit_type_concept_id integer NOT NULL
        provider_id integer NULL
        care_site_id bigint NULL
        visit_source_value varchar(50) NULL
        visit_source_concept_id integer NULL
        admitted_from_concept_id integer NULL
        admitted_from_source_value varchar(50) NULL
        discharged_to_concept_id integer NULL
        discharged_to_source_value varchar(50) NULL
        preceding_visit_occurrence_id bigint NULL
    """,
    "condition_occurrence": """
        condition_occurrence_id bigint NOT NULL
        person_id bigint NOT NULL
        condition_concept_id integer NOT NULL
        condition_start_date date NOT NULL
        condition_start_datetime datetime NULL
        condition_end_date date NULL
        condition_end_datetime datetime NULL
        condition_type_concept_id integer NOT NULL
        condition_status_concept_id integer NULL
        stop_reason varchar(20) NULL
        provider_id integer NULL
        visit_occurrence_id bigint NULL
        visit_detail_id integer NULL
        condition_source_value varchar(50) NULL
        condition_source_concept_id integer NULL
        condition_status_source_value varchar(50) NULL
    """,
    "drug_exposure": """
        drug_exposure_id bigint NOT NULL
        person_id bigint NOT NULL
        drug_concept_id integer NOT NULL
        drug_exposure_start_date date NOT NULL
        drug_exposure_start_datetime datetime NULL
        drug_exposure_end_date date NOT NULL
        drug_exposure_end_datetime datetime NULL
        verbatim_end_date date NULL
        drug_type_concept_id integer NOT NULL
        stop_reason varchar(20) NULL
        refills integer NULL
        quantity float NULL
        days_supply integer NULL
        sig varchar(MAX) NULL
        route_concept_id integer NULL
        lot_number varchar(50) NULL
        provider_id integer NULL
        visit_occurrence_id bigint NULL
        visit_detail_id integer NULL
        drug_source_value varchar(50) NULL
        drug_source_concept_id integer NULL
        route_source_value varchar(50) NULL
        dose_unit_source_value varchar(50) NULL
    """,
    "procedure_occurrence": """
        procedure_occurrence_id bigint NOT NULL
        person_id bigint NOT NULL
        procedure_concept_id integer NOT NULL
        procedure_date date NOT NULL
        procedure_datetime datetime NULL
        procedure_end_date date NULL
        procedure_end_datetime datetime NULL
        procedure_type_concept_id integer NOT NULL
        modifier_concept_id integer NULL
        quantity integer NULL
        provider_id integer NULL
        visit_occurrence_id bigint NULL
        visit_detail_id integer NULL
        procedure_source_value varchar(50) NULL
        procedure_source_concept_id integer NULL
        modifier_source_value varchar(50) NULL
    """,
    "measurement": """
        measurement_id bigint NOT NULL
        person_id bigint NOT NULL
        measurement_concept_id integer NOT NULL
        measurement_date date NOT NULL
        measurement_datetime datetime NULL
        measurement_time varchar(10) NULL
        measurement_type_concept_id integer NOT NULL
        operator_concept_id integer NULL
        value_as_number float NULL
        value_as_concept_id integer NULL
        unit_concept_id integer NULL
        range_low float NULL
        range_high float NULL
        provider_id integer NULL
        visit_occurrence_id bigint NULL
        visit_detail_id integer NULL
        measurement_source_value varchar(50) NULL
        measurement_source_concept_id integer NULL
        unit_source_value varchar(50) NULL
        unit_source_concept_id integer NULL
        value_source_value varchar(50) NULL
        measurement_event_id integer NULL
        meas_event_field_concept_id integer NULL
    """,
    "observation": """
        observation_id bigint NOT NULL
        person_id bigint NOT NULL
        observation_concept_id integer NOT NULL
        observation_date date NOT NULL
        observation_datetime datetime NULL
        observation_type_concept_id integer NOT NULL
        value_as_number float NULL
        value_as_string varchar(60) NULL
        value_as_concept_id integer NULL
        qualifier_concept_id integer NULL
        unit_concept_id integer NULL
        provider_id integer NULL
        visit_occurrence_id bigint NULL
        visit_detail_id integer NULL
        observation_source_value varchar(50) NULL
        observation_source_concept_id integer NULL
        unit_source_value varchar(50) NULL
        qualifier_source_value varchar(50) NULL
        value_source_value varchar(50) NULL
        observation_event_id integer NULL
        obs_event_field_concept_id integer NULL
    """,
}


def _parse(text: str) -> tuple[OmopColumn, ...]:
    out = []
    for line in text.strip().splitlines():
        name, sql_type, *rest = line.split()
        out.append(OmopColumn(name, sql_type, rest == ["NOT", "NULL"]))
    return tuple(out)


OMOP_TABLES: dict[str, tuple[OmopColumn, ...]] = {
    table: _parse(_DDL[table])
    for table in (
        "person",
        "visit_occurrence",
        "procedure_occurrence",
        "measurement",
        "observation",
        "drug_exposure",
        "condition_occurrence",
    )
}

#: The columns that are ``integer`` in the official DDL and ``bigint`` here (see above).
DDL_INTEGER_KEYS = frozenset(
    c.name for cols in OMOP_TABLES.values() for c in cols if c.sql_type == "bigint"
)


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow (Parquet) type of a DDL type: datetimes are UTC without a zone, as the CDM
    stores them."""
    if sql_type == "integer":
        return pa.int32()
    if sql_type == "bigint":
        return pa.int64()
    if sql_type == "float":
        return pa.float64()
    if sql_type == "date":
        return pa.date32()
    if sql_type == "datetime":
        return pa.timestamp("us")
    if sql_type.startswith("varchar"):
        return pa.string()
    raise ValueError(f"no Arrow type for {sql_type}")


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of an OMOP table (NOT NULL columns are non-nullable fields)."""
    return pa.schema(
        [
            pa.field(c.name, arrow_type(c.sql_type), nullable=not c.required)
            for c in OMOP_TABLES[table]
        ]
    )
