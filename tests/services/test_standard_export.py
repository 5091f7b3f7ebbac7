"""The OMOP and MSDA exports end to end on both databases: the files and their columns,
nothing identifying, a cohort query in DuckDB over the CSV loaded into the v5.4 tables, the
Parquet partitions of two centres read as one dataset, the command line and the refusals."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, update
from tests.interop.conftest import NOW, add_centre, seed_patient
from typer.testing import CliRunner

from plexms.cli import app
from plexms.core.errors import InputError
from plexms.interop.standard.msda import MSDA_TABLES
from plexms.interop.standard.omop_ddl import OMOP_TABLES, arrow_schema
from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.errors import PermissionDenied
from plexms.services.sharing import registry_export, standard_export
from plexms.settings import get_settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import AuditEvent, DmtHistory, ExchangeSession, Patient

SECRET = b"standard-export-test-secret-0123"
SENTINELS = ("Qxzsentinel", "Vwyfamily", "MRN-SENTINEL", "555-0142", "sentinel@example.org")
DUCK_TYPES = {"integer": "INTEGER", "bigint": "BIGINT", "float": "DOUBLE", "date": "DATE"}


@pytest.fixture
def clinic(migrated_url: str):
    """Two patients of one centre: the first with 5 exchanges done, the second with 4 (one
    held), the first carrying identifying sentinels."""
    db = Database(migrated_url)
    centre = add_centre(db)
    first = seed_patient(db, centre, mrn="MRN-1")
    second = seed_patient(db, centre, mrn="MRN-2")
    with db.write() as s:
        p = s.get(Patient, first)
        p.given_name, p.family_name, p.mrn, p.phone, p.email = SENTINELS
        s.add(  # a drug name a spreadsheet would run as a formula
            DmtHistory(
                patient_id=first,
                centre_id=centre,
                drug="=HYPERLINK(1)",
                started_on=dt.date(2020, 1, 2),
                created_at=NOW,
                updated_at=NOW,
                created_by="test",
            )
        )
        held = s.scalars(
            select(ExchangeSession.id).where(
                ExchangeSession.patient_id == second, ExchangeSession.sequence == 5
            )
        ).one()
        s.execute(update(ExchangeSession).where(ExchangeSession.id == held).values(status="held"))
    yield db, centre, first, second
    db.dispose()


def _export(db: Database, out: Path, standard: str, actor: Actor = SYSTEM) -> dict:
    ctx = ServiceContext(db=db, actor=actor, now=NOW)
    return standard_export.export_standard(ctx, out, standard, secret=SECRET, batch_size=1)


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _ddl(table: str) -> str:
    def kind(sql_type: str) -> str:
        return (
            "VARCHAR" if sql_type.startswith("varchar") else DUCK_TYPES.get(sql_type, "TIMESTAMP")
        )

    columns = ", ".join(
        f"{c.name} {kind(c.sql_type)}{' NOT NULL' if c.required else ''}"
        for c in OMOP_TABLES[table]
    )
    return f"CREATE TABLE {table} ({columns})"


def test_omop_files_columns_and_types(clinic, tmp_path: Path) -> None:
    db, _, _, _ = clinic
    summary = _export(db, tmp_path / "omop", "omop")
    assert summary["patients"] == 2
    assert summary["rows"]["person"] == 2 and summary["rows"]["visit_occurrence"] == 9
    assert summary["rows"]["procedure_occurrence"] == 9
    for table, columns in OMOP_TABLES.items():
        assert _header(tmp_path / "omop" / f"{table}.csv") == [c.name for c in columns]
        files = sorted((tmp_path / "omop" / table).glob("centre=*/year=*/*.parquet"))
        assert files, table
        for path in files:
            schema = pq.read_schema(path)
            assert schema.names == arrow_schema(table).names
            assert [f.type for f in schema] == [f.type for f in arrow_schema(table)]


def _session_starts(session) -> dict[int, list[dt.datetime]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from plexms.store.models import ExchangeSession

    out: dict[int, list[dt.datetime]] = {}
    for pid, start in session.execute(
        select(ExchangeSession.patient_id, ExchangeSession.actual_start).where(
            ExchangeSession.status == "done"
        )
    ):
        if start is not None:
            out.setdefault(pid, []).append(start)
    return out


def test_nothing_identifying_leaves(clinic, tmp_path: Path) -> None:
    db, _, _, _ = clinic
    for standard in standard_export.STANDARDS:
        _export(db, tmp_path / standard, standard)
    blobs = []
    for path in sorted(tmp_path.rglob("*")):
        if path.suffix == ".csv":
            blobs.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".parquet":
            blobs.append(repr(pq.read_table(path).to_pylist()))
    blob = "\n".join(blobs)
    for secret in (*SENTINELS, "Testperson", "MRN-1", "MRN-2", "1988-05-14"):
        assert secret not in blob, secret  # names, MRN, birth date
    # Real dates: every patient's dates move by one non-zero shift, so no patient's list of
    # exchange dates is exported as it was (a single date string may still coincide with
    # another record's shifted date, e.g. every-other-day sessions shifted by two days).
    with db.read() as session:
        real = {
            tuple(sorted(str(d.date()) for d in starts))
            for starts in _session_starts(session).values()
        }
    with (tmp_path / "omop" / "procedure_occurrence.csv").open(newline="") as handle:
        exported: dict[str, list[str]] = {}
        for row in csv.DictReader(handle):
            exported.setdefault(row["person_id"], []).append(row["procedure_date"])
    assert exported and all(tuple(sorted(v)) not in real for v in exported.values())
    with (tmp_path / "omop" / "person.csv").open(newline="") as handle:
        people = list(csv.DictReader(handle))
    assert all(len(p["person_source_value"]) == 16 for p in people)
    assert all(
        p["month_of_birth"] == p["day_of_birth"] == p["birth_datetime"] == "" for p in people
    )
    assert {int(p["person_id"]) for p in people}.isdisjoint({1, 2, 3})
    with (tmp_path / "omop" / "drug_exposure.csv").open(newline="") as handle:
        drugs = list(csv.DictReader(handle))
    assert "'=HYPERLINK(1)" in {d["drug_source_value"] for d in drugs}  # opens as text
    with (tmp_path / "omop" / "visit_occurrence.csv").open(newline="") as handle:
        visit = next(csv.DictReader(handle))
    assert dt.datetime.strptime(visit["visit_start_datetime"], "%Y-%m-%d %H:%M:%S")


COHORT = """
WITH ms AS (
    SELECT DISTINCT person_id FROM condition_occurrence WHERE condition_source_value = '24700007'
), tpe AS (
    SELECT person_id, count(*) AS exchanges FROM procedure_occurrence
    WHERE procedure_source_value = 'plasma_exchange' GROUP BY person_id HAVING count(*) >= 5
)
SELECT p.person_id, tpe.exchanges, avg(m.value_as_number) AS mean_igg_g_l
FROM person p JOIN ms USING (person_id) JOIN tpe USING (person_id)
JOIN measurement m ON m.person_id = p.person_id AND m.measurement_source_value = '2465-3'
GROUP BY p.person_id, tpe.exchanges
"""


def test_duckdb_loads_the_omop_csv_into_the_v54_tables_and_runs_a_cohort_query(
    clinic, tmp_path: Path
) -> None:
    db, _, _, _ = clinic
    _export(db, tmp_path / "omop", "omop")
    con = duckdb.connect()
    for table in OMOP_TABLES:
        con.execute(_ddl(table))
        path = (tmp_path / "omop" / f"{table}.csv").as_posix()
        con.execute(f"COPY {table} FROM '{path}' (HEADER, DELIMITER ',')")
    rows = con.execute(COHORT).fetchall()
    assert len(rows) == 1  # the second patient had 4 exchanges done
    (_, exchanges, mean_igg) = rows[0]
    assert exchanges == 5
    assert mean_igg == pytest.approx(sum(10.2 * 0.4**i for i in range(5)) / 5)
    # the same query over the Parquet dataset
    for table in OMOP_TABLES:
        glob = (tmp_path / "omop" / table).as_posix() + "/**/*.parquet"
        source = f"read_parquet('{glob}', hive_partitioning=true)"
        con.execute(f"CREATE VIEW pq_{table} AS SELECT * FROM {source}")
    parquet_query = COHORT
    for table in OMOP_TABLES:
        parquet_query = parquet_query.replace(f" {table} ", f" pq_{table} ").replace(
            f"FROM {table}\n", f"FROM pq_{table}\n"
        )
    assert con.execute(parquet_query).fetchall() == rows


def test_parquet_partitions_of_two_centres_read_as_one_dataset(clinic, tmp_path: Path) -> None:
    db, centre_a, _, _ = clinic
    centre_b = add_centre(db, code="OTHER")
    seed_patient(db, centre_b, mrn="B-1")
    shared = tmp_path / "registry"  # both centres export into one directory
    a = Actor(3, "doc-a", "physician", centre_a)
    b = Actor(4, "doc-b", "physician", centre_b)
    assert _export(db, shared, "omop", a)["patients"] == 2
    _export(db, shared, "omop", b)
    _export(db, shared, "omop", b)  # again: replaces its own partitions, keeps centre a's
    con = duckdb.connect()

    def read(table: str) -> str:
        glob = (shared / table).as_posix() + "/**/*.parquet"
        return f"read_parquet('{glob}', hive_partitioning=true)"

    counts = con.execute(
        f"SELECT centre, count(*) FROM {read('person')} GROUP BY centre ORDER BY 2"
    ).fetchall()
    assert [n for _, n in counts] == [1, 2] and counts[0][0] != counts[1][0]
    visits = con.execute(
        f"SELECT centre, count(*), min(year), max(year) FROM {read('visit_occurrence')} "
        "GROUP BY centre ORDER BY 2"
    ).fetchall()
    assert [n for _, n, _, _ in visits] == [5, 9]
    assert all(2024 <= low <= high <= 2025 for _, _, low, high in visits)  # shifted years
    assert {p.name for p in (shared / "person").iterdir()} == {f"centre={c}" for c, _ in counts}
    joined = con.execute(
        f"SELECT count(*) FROM {read('procedure_occurrence')} p "
        f"JOIN {read('person')} q ON q.person_id = p.person_id AND q.centre = p.centre"
    ).fetchone()
    assert joined == (14,)


def test_msda_headers_rows_and_partitions(clinic, tmp_path: Path) -> None:
    db, _, _, _ = clinic
    summary = _export(db, tmp_path / "msda", "msda")
    for table, columns in MSDA_TABLES.items():
        assert _header(tmp_path / "msda" / f"{table}.csv") == [c.name for c in columns]
    assert summary["rows"]["patients"] == 2 and summary["rows"]["visits"] == 4
    with (tmp_path / "msda" / "treatments.csv").open(newline="") as handle:
        treatments = list(csv.DictReader(handle))
    exchanges = sorted(
        t["exchanges"] for t in treatments if t["treatment_type"] == "plasma_exchange"
    )
    assert exchanges == ["4", "5"]
    con = duckdb.connect()
    glob = (tmp_path / "msda" / "patients").as_posix() + "/**/*.parquet"
    assert con.execute(
        f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true)"
    ).fetchone() == (2,)


def test_scope_audit_and_refusals(clinic, tmp_path: Path) -> None:
    db, centre, _, _ = clinic
    other = add_centre(db, code="ELSEWHERE")
    seed_patient(db, other, mrn="E-1")
    physician = Actor(3, "doc", "physician", centre)
    assert _export(db, tmp_path / "p", "omop", physician)["patients"] == 2
    assert _export(db, tmp_path / "s", "omop")["patients"] == 3  # the command line: all
    with db.read() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.entity == "registry", AuditEvent.actor == "doc")
        ).one()
        assert event.action == "export" and event.detail["format"] == "omop"
        assert event.detail["person"] == 2
    with pytest.raises(PermissionDenied):
        _export(db, tmp_path / "v", "omop", Actor(4, "v", "viewer", centre))
    with pytest.raises(InputError):
        _export(db, tmp_path / "x", "fhir")
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    with pytest.raises(InputError):
        standard_export.export_standard(ctx, tmp_path / "x", "omop", batch_size=0, secret=SECRET)


def test_cli_exports_omop_and_msda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    upgrade(url)
    db = Database(url)
    seed_patient(db, add_centre(db))
    db.dispose()
    monkeypatch.setenv("PLEXMS_DATABASE_URL", url)
    monkeypatch.setenv("PLEXMS_SECRET_KEY", "cli-test-secret-key-0123")
    monkeypatch.setenv("PLEXMS_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        for standard, first_file in (("omop", "condition_occurrence"), ("msda", "mri")):
            out = tmp_path / standard
            result = CliRunner().invoke(
                app, ["registry", "export", "--out", str(out), "--format", standard]
            )
            assert result.exit_code == 0, result.output
            body = json.loads(result.stdout)
            assert body["standard"] == standard and body["files"][0] == first_file
            assert (out / f"{first_file}.csv").exists()
    finally:
        get_settings.cache_clear()
    assert (
        dt.date(2025, 3, 3).isoformat()
        not in (tmp_path / "omop" / "visit_occurrence.csv").read_text()
    )


def test_the_exports_link_to_the_registry_export(clinic, tmp_path: Path) -> None:
    """Same key, same pseudonyms: OMOP's person_source_value, MSDA's patient_pid and the
    registry's patient_pid are the same set, and so are the centre partitions."""
    db, _, _, _ = clinic
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    registry_export.export_registry(ctx, tmp_path / "reg", secret=SECRET, formats=("csv",))
    _export(db, tmp_path / "omop", "omop")
    _export(db, tmp_path / "msda", "msda")

    def column(path: Path, name: str) -> set[str]:
        with path.open(newline="") as handle:
            return {row[name] for row in csv.DictReader(handle)}

    registry = column(tmp_path / "reg" / "courses.csv", "patient_pid")
    assert column(tmp_path / "omop" / "person.csv", "person_source_value") == registry
    assert column(tmp_path / "msda" / "patients.csv", "patient_pid") == registry
    centres = column(tmp_path / "reg" / "courses.csv", "centre_pid")
    assert {p.name for p in (tmp_path / "omop" / "person").iterdir()} == {
        f"centre={c}" for c in centres
    }
