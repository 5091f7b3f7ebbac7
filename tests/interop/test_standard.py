"""The OMOP CDM v5.4 and MSDA tables without a database: the columns against the official
DDL, every vocabulary value's concept (unknown ones 0 and listed), the generated mapping
document, and the de-identification rules on synthetic rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexms.core.vocabulary import AE_TYPES, PRESENTATIONS, REPLACEMENT_FLUIDS
from plexms.interop.codes import LAB_CODES
from plexms.interop.registry import Pseudonymiser
from plexms.interop.standard import concepts
from plexms.interop.standard.deid import AGE_CAP, Deidentifier
from plexms.interop.standard.docs import omop_mapping_markdown
from plexms.interop.standard.msda import MSDA_TABLES, msda_rows, msda_schema
from plexms.interop.standard.omop import omop_rows
from plexms.interop.standard.omop_ddl import DDL_INTEGER_KEYS, OMOP_TABLES, arrow_schema

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"standard-export-test-secret-0123"

# Copied from the official OMOP CDM v5.4 DDL (OHDSI CommonDataModel, inst/ddl/5.4, SQL Server
# flavour: OMOPCDM_sql_server_5.4_ddl.sql), the seven tables plexms writes, in DDL order.
OFFICIAL_DDL = {
    "person": """person_id integer NOT NULL, gender_concept_id integer NOT NULL,
        year_of_birth integer NOT NULL, month_of_birth integer NULL, day_of_birth integer NULL,
        birth_datetime datetime NULL, race_concept_id integer NOT NULL,
        ethnicity_concept_id integer NOT NULL, location_id integer NULL,
        provider_id integer NULL, care_site_id integer NULL,
        person_source_value varchar(50) NULL, gender_source_value varchar(50) NULL,
        gender_source_concept_id integer NULL, race_source_value varchar(50) NULL,
        race_source_concept_id integer NULL, ethnicity_source_value varchar(50) NULL,
        ethnicity_source_concept_id integer NULL""",
    "visit_occurrence": """visit_occurrence_id integer NOT NULL, person_id integer NOT NULL,
        visit_concept_id integer NOT NULL, visit_start_date date NOT NULL,
        visit_start_datetime datetime NULL, visit_end_date date NOT NULL,
        visit_end_datetime datetime NULL, visit_type_concept_id Integer NOT NULL,
        provider_id integer NULL, care_site_id integer NULL,
        visit_source_value varchar(50) NULL, visit_source_concept_id integer NULL,
        admitted_from_concept_id integer NULL, admitted_from_source_value varchar(50) NULL,
        discharged_to_concept_id integer NULL, discharged_to_source_value varchar(50) NULL,
        preceding_visit_occurrence_id integer NULL""",
    "condition_occurrence": """condition_occurrence_id integer NOT NULL,
        person_id integer NOT NULL, condition_concept_id integer NOT NULL,
        condition_start_date date NOT NULL, condition_start_datetime datetime NULL,
        condition_end_date date NULL, condition_end_datetime datetime NULL,
        condition_type_concept_id integer NOT NULL, condition_status_concept_id integer NULL,
        stop_reason varchar(20) NULL, provider_id integer NULL,
        visit_occurrence_id integer NULL, visit_detail_id integer NULL,
        condition_source_value varchar(50) NULL, condition_source_concept_id integer NULL,
        condition_status_source_value varchar(50) NULL""",
    "drug_exposure": """drug_exposure_id integer NOT NULL, person_id integer NOT NULL,
        drug_concept_id integer NOT NULL, drug_exposure_start_date date NOT NULL,
        drug_exposure_start_datetime datetime NULL, drug_exposure_end_date date NOT NULL,
        drug_exposure_end_datetime datetime NULL, verbatim_end_date date NULL,
        drug_type_concept_id integer NOT NULL, stop_reason varchar(20) NULL,
        refills integer NULL, quantity float NULL, days_supply integer NULL,
        sig varchar(MAX) NULL, route_concept_id integer NULL, lot_number varchar(50) NULL,
        provider_id integer NULL, visit_occurrence_id integer NULL,
        visit_detail_id integer NULL, drug_source_value varchar(50) NULL,
        drug_source_concept_id integer NULL, route_source_value varchar(50) NULL,
        dose_unit_source_value varchar(50) NULL""",
    "procedure_occurrence": """procedure_occurrence_id integer NOT NULL,
        person_id integer NOT NULL, procedure_concept_id integer NOT NULL,
        procedure_date date NOT NULL, procedure_datetime datetime NULL,
        procedure_end_date date NULL, procedure_end_datetime datetime NULL,
        procedure_type_concept_id integer NOT NULL, modifier_concept_id integer NULL,
        quantity integer NULL, provider_id integer NULL, visit_occurrence_id integer NULL,
        visit_detail_id integer NULL, procedure_source_value varchar(50) NULL,
        procedure_source_concept_id integer NULL, modifier_source_value varchar(50) NULL""",
    "measurement": """measurement_id integer NOT NULL, person_id integer NOT NULL,
        measurement_concept_id integer NOT NULL, measurement_date date NOT NULL,
        measurement_datetime datetime NULL, measurement_time varchar(10) NULL,
        measurement_type_concept_id integer NOT NULL, operator_concept_id integer NULL,
        value_as_number float NULL, value_as_concept_id integer NULL,
        unit_concept_id integer NULL, range_low float NULL, range_high float NULL,
        provider_id integer NULL, visit_occurrence_id integer NULL,
        visit_detail_id integer NULL, measurement_source_value varchar(50) NULL,
        measurement_source_concept_id integer NULL, unit_source_value varchar(50) NULL,
        unit_source_concept_id integer NULL, value_source_value varchar(50) NULL,
        measurement_event_id integer NULL, meas_event_field_concept_id integer NULL""",
    "observation": """observation_id integer NOT NULL, person_id integer NOT NULL,
        observation_concept_id integer NOT NULL, observation_date date NOT NULL,
        observation_datetime datetime NULL, observation_type_concept_id integer NOT NULL,
        value_as_number float NULL, value_as_string varchar(60) NULL,
        value_as_concept_id Integer NULL, qualifier_concept_id integer NULL,
        unit_concept_id integer NULL, provider_id integer NULL,
        visit_occurrence_id integer NULL, visit_detail_id integer NULL,
        observation_source_value varchar(50) NULL, observation_source_concept_id integer NULL,
        unit_source_value varchar(50) NULL, qualifier_source_value varchar(50) NULL,
        value_source_value varchar(50) NULL, observation_event_id integer NULL,
        obs_event_field_concept_id integer NULL""",
}


def _official(table: str) -> list[tuple[str, str, bool]]:
    out = []
    for item in OFFICIAL_DDL[table].split(","):
        name, sql_type, *rest = item.split()
        out.append((name, sql_type.lower(), rest == ["NOT", "NULL"]))
    return out


@pytest.mark.parametrize("table", sorted(OFFICIAL_DDL))
def test_columns_names_types_and_required_as_the_official_ddl(table: str) -> None:
    ours = OMOP_TABLES[table]
    official = _official(table)
    assert [c.name for c in ours] == [name for name, _, _ in official]
    for column, (name, sql_type, required) in zip(ours, official, strict=True):
        assert column.required == required, name
        if column.sql_type == "bigint":  # the documented difference: pseudonymous keys
            assert sql_type == "integer" and name in DDL_INTEGER_KEYS, name
            assert (
                name == "person_id"
                or name.endswith(("_occurrence_id", "_exposure_id"))
                or name
                in (
                    "measurement_id",
                    "observation_id",
                    "care_site_id",
                )
            ), name
        else:
            assert column.sql_type.lower() == sql_type, name


def test_arrow_types_follow_the_sql_types() -> None:
    kinds = {
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "float": pa.float64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us"),
    }
    assert set(OMOP_TABLES) == {
        "person",
        "visit_occurrence",
        "procedure_occurrence",
        "measurement",
        "observation",
        "drug_exposure",
        "condition_occurrence",
    }
    for table, columns in OMOP_TABLES.items():
        schema = arrow_schema(table)
        for column, field in zip(columns, schema, strict=True):
            expected = (
                pa.string() if column.sql_type.startswith("varchar") else kinds[column.sql_type]
            )
            assert field.type == expected and field.nullable != column.required, column.name


@pytest.mark.parametrize(
    ("value", "concept_id"), [("female", 8532), ("male", 8507), ("other", 0), ("unknown", 0)]
)
def test_gender_concepts(value: str, concept_id: int) -> None:
    assert concepts.GENDER[value].concept_id == concept_id


def test_every_vocabulary_value_has_a_concept_and_the_zeros_are_listed() -> None:
    assert (concepts.VISIT_OUTPATIENT.concept_id, concepts.TYPE_EHR.concept_id) == (9202, 32817)
    assert set(LAB_CODES) <= set(concepts.MEASUREMENTS)
    assert {t.value for t in PRESENTATIONS.terms} <= set(concepts.CONDITIONS)
    assert {t.value for t in REPLACEMENT_FLUIDS.terms} <= set(concepts.DRUGS)
    for term in AE_TYPES.terms:  # adverse events: one observation concept, the type as source
        assert len(f"adverse_event:{term.value}") <= 50
    assert concepts.MEASUREMENTS["albumin"].concept_id == 3024561
    assert concepts.UNITS["g/dL"].concept_id == 8713
    listed = {(domain, key) for domain, key, _ in concepts.UNMAPPED}
    groups = {
        "gender": concepts.GENDER,
        "procedure": concepts.PROCEDURES,
        "condition": concepts.CONDITIONS,
        "measurement": concepts.MEASUREMENTS,
        "observation": concepts.OBSERVATIONS,
        "drug": concepts.DRUGS,
    }
    for domain, values in groups.items():
        for key, concept in values.items():
            assert ((domain, key) in listed) == (concept.concept_id == 0), (domain, key)
            assert concept.confirmed_in, (domain, key)
    # the unconfirmed ids the brief quotes are not used
    assert concepts.CONDITIONS["ms"].concept_id == 0
    assert concepts.PROCEDURES["plasma_exchange"].concept_id == 0
    assert concepts.source_code("ms") == "24700007"
    assert concepts.source_code("igg") == "2465-3"


def test_the_mapping_document_is_generated_and_lists_every_zero() -> None:
    text = (ROOT / "docs" / "omop-mapping.md").read_text(encoding="utf-8")
    assert text == omop_mapping_markdown(), "regenerate docs/omop-mapping.md"
    zeros = text.split("### Mapped to 0")[1].split("## MSDA")[0]
    for domain, key, _ in concepts.UNMAPPED:
        assert f"| {domain} | `{key}` |" in zeros
    for table in (*OMOP_TABLES, *MSDA_TABLES):
        assert f"### {table}\n" in text
    assert "doi:10.1177/13524585231216004" in text


T0 = dt.datetime(2025, 3, 3, 16, 0, tzinfo=dt.UTC)


def _raw(birth: dt.date = dt.date(1988, 5, 14), sex: str = "female") -> dict[str, list[dict]]:
    patient = {
        "id": 7,
        "centre_id": 2,
        "sex": sex,
        "birth_date": birth,
        "ms_phenotype": "rrms",
        "ms_diagnosis_year": 2016,
    }
    session = {
        "id": 11,
        "patient_id": 7,
        "course_id": 5,
        "sequence": 1,
        "status": "done",
        "planned_start": T0,
        "planned_end": T0 + dt.timedelta(hours=2),
        "actual_start": None,
        "actual_end": None,
        "plasma_removed_ml": 2900.0,
        "replacement_fluids": [{"fluid": "albumin_5", "volume_ml": 2950}],
        "calcium_gluconate_ml": 20.0,
    }
    held = {**session, "id": 12, "status": "held", "planned_start": T0 + dt.timedelta(days=2)}
    lab = {
        "id": 3,
        "patient_id": 7,
        "session_id": 11,
        "taken_at": T0,
        "analyte": "igg",
        "value": 9.5,
        "unit": "g/L",
        "timing": "pre",
    }
    outcome = {
        "id": 4,
        "patient_id": 7,
        "course_id": 5,
        "timepoint": "baseline",
        "assessed_on": dt.date(2025, 3, 1),
        "edss": 5.5,
        "targeted_deficit": "moderate",
    }
    event = {
        "id": 9,
        "patient_id": 7,
        "session_id": 11,
        "event_type": "hypotension",
        "severity": "mild",
        "onset_at": T0 + dt.timedelta(minutes=30),
    }
    episode = {
        "id": 6,
        "patient_id": 7,
        "onset_date": dt.date(2025, 2, 20),
        "presentation": "optic_neuritis",
        "edss_at_onset": 4.0,
        "steroid_response": "none",
    }
    steroid = {
        "id": 8,
        "patient_id": 7,
        "episode_id": 6,
        "drug": "methylprednisolone",
        "route": "iv",
        "dose_mg_per_day": 1000.0,
        "start_date": dt.date(2025, 2, 21),
        "end_date": None,
    }
    dmts = [
        {
            "id": 1,
            "patient_id": 7,
            "drug": "natalizumab",
            "started_on": dt.date(2022, 1, 10),
            "stopped_on": None,
        },
        {"id": 2, "patient_id": 7, "drug": "other", "started_on": None, "stopped_on": None},
    ]
    return {
        "patients": [patient],
        "sessions": [session, held],
        "labs": [lab],
        "outcomes": [outcome],
        "adverse_events": [event],
        "episodes": [episode],
        "steroids": [steroid],
        "dmts": dmts,
        "mri": [],
    }


def test_omop_rows_shift_every_date_by_the_patients_days_and_link_the_registry() -> None:
    pseudo = Pseudonymiser(SECRET)
    deid = Deidentifier(pseudo, reference_year=2026)
    shift = dt.timedelta(days=pseudo.shift_days(7))
    rows = omop_rows(_raw(), deid)
    person = rows["person"][0]
    assert person["person_source_value"] == pseudo.pid("patient", 7)  # = registry patient_pid
    assert person["person_id"] == int(pseudo.pid("patient", 7)[:15], 16)
    assert person["year_of_birth"] == (dt.date(1988, 5, 14) + shift).year
    assert person.get("month_of_birth") is person.get("day_of_birth") is None
    assert person.get("birth_datetime") is None
    assert person["_centre"] == pseudo.pid("centre", 2)
    (visit,) = rows["visit_occurrence"]  # the held exchange is not a visit
    assert visit["visit_start_datetime"] == (T0 + shift).replace(tzinfo=None)
    assert (
        visit["visit_start_date"] == (T0 + shift).date()
        and visit["_year"] == visit["visit_start_date"].year
    )
    (procedure,) = rows["procedure_occurrence"]
    assert procedure["visit_occurrence_id"] == visit["visit_occurrence_id"]
    assert procedure["procedure_source_value"] == "plasma_exchange"
    labs = [m for m in rows["measurement"] if m["measurement_source_value"] == "2465-3"]
    assert labs[0]["visit_occurrence_id"] == visit["visit_occurrence_id"]
    assert labs[0]["unit_source_value"] == "g/L" and labs[0]["unit_concept_id"] == 0
    edss = next(m for m in rows["measurement"] if m["measurement_source_value"] == "273554001")
    assert (
        edss["measurement_date"] == dt.date(2025, 3, 1) + shift and edss["value_as_number"] == 5.5
    )
    drugs = {d["drug_source_value"]: d for d in rows["drug_exposure"]}
    assert set(drugs) == {"albumin_5", "calcium_gluconate", "methylprednisolone", "natalizumab"}
    assert drugs["albumin_5"]["quantity"] == 2950.0
    assert drugs["methylprednisolone"]["drug_exposure_end_date"] == dt.date(2025, 2, 21) + shift
    assert drugs["methylprednisolone"]["verbatim_end_date"] is None
    conditions = {c["condition_source_value"]: c for c in rows["condition_occurrence"]}
    assert conditions["24700007"]["condition_start_date"] == dt.date(2016, 1, 1)
    assert conditions["optic_neuritis"]["condition_start_date"] == dt.date(2025, 2, 20) + shift
    observations = {o["observation_source_value"]: o for o in rows["observation"]}
    assert observations["adverse_event:hypotension"]["value_as_string"] == "mild"
    for table, table_rows in rows.items():
        for row in table_rows:
            for column in OMOP_TABLES[table]:
                assert not column.required or row.get(column.name) is not None, (table, column.name)


@given(
    st.integers(min_value=1900, max_value=2026),
    st.sampled_from(["female", "male", "other", "unknown"]),
)
def test_birth_is_a_year_and_ages_over_90_are_capped(year: int, sex: str) -> None:
    pseudo = Pseudonymiser(SECRET)
    deid = Deidentifier(pseudo, reference_year=2026)
    person = omop_rows(_raw(dt.date(year, 6, 15), sex), deid)["person"][0]
    assert 2026 - person["year_of_birth"] <= AGE_CAP
    assert abs(person["year_of_birth"] - year) <= 1 or year < 2026 - AGE_CAP - 1
    assert person["gender_concept_id"] == {"female": 8532, "male": 8507}.get(sex, 0)


def test_msda_rows_follow_their_schema() -> None:
    deid = Deidentifier(Pseudonymiser(SECRET), reference_year=2026)
    rows = msda_rows(_raw(), deid)
    assert set(rows) == set(MSDA_TABLES)
    for table, table_rows in rows.items():
        names = msda_schema(table).names
        for row in table_rows:
            assert set(row) - {"_centre", "_year"} <= set(names), table
    (relapse,) = rows["relapses"]
    assert relapse["steroid_treated"] is True
    kinds = sorted(t["treatment_type"] for t in rows["treatments"])
    assert kinds == ["dmt", "plasma_exchange", "relapse_steroid"]
    exchange = next(t for t in rows["treatments"] if t["treatment_type"] == "plasma_exchange")
    assert exchange["exchanges"] == 1
