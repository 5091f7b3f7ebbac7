from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from tests.interop.conftest import NOW, add_centre, seed_patient

from plexms.core.errors import InputError
from plexms.interop.registry import Pseudonymiser
from plexms.interop.registry_columns import TABLES
from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.errors import PermissionDenied
from plexms.services.sharing import registry_export
from plexms.settings import Settings
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import (
    AdverseEvent,
    AuditEvent,
    Course,
    Episode,
    ExchangeSession,
    OutcomeAssessment,
    Patient,
)

SECRET = b"registry-test-secret-0123456789"
SENTINELS = ("Qxzsentinel", "Vwyfamily", "MRN-SENTINEL", "555-0142", "sentinel@example.org")
FREE_TEXT = "Sentineltext in a note"


@pytest.fixture
def registry(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    upgrade(url)
    db = Database(url)
    centre_id = add_centre(db)
    ids = [seed_patient(db, centre_id, mrn=f"MRN-{i}") for i in range(3)]
    with db.write() as s:
        p = s.get(Patient, ids[0])
        p.given_name, p.family_name, p.mrn, p.phone, p.email = SENTINELS
        p.notes = FREE_TEXT
        for model, attr in (
            (Episode, "description"),
            (AdverseEvent, "action"),
            (AdverseEvent, "outcome"),
            (ExchangeSession, "notes"),
            (Course, "stop_reason"),
            (OutcomeAssessment, "notes"),
        ):
            for row in s.scalars(select(model).where(model.patient_id == ids[0])):
                setattr(row, attr, FREE_TEXT)
    yield db, centre_id, ids
    db.dispose()


def _export(db: Database, out: Path, **kwargs) -> dict:
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    return registry_export.export_registry(ctx, out, secret=SECRET, **kwargs)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_columns_types_and_one_row_per_entity(registry, tmp_path: Path) -> None:
    db, _, _ = registry
    summary = _export(db, tmp_path / "out")
    assert summary["patients"] == 3
    assert summary["rows"] == {
        "courses": 3,
        "sessions": 15,
        "adverse_events": 3,
        "outcomes": 6,
        "outcome_measures": 12,
    }
    kinds = {
        "id": pa.string(),
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }
    for table, columns in TABLES.items():
        rows = _csv(tmp_path / "out" / f"{table}.csv")
        assert list(rows[0]) == [c.name for c in columns]
        parquet = pq.read_table(tmp_path / "out" / f"{table}.parquet")
        assert parquet.schema == pa.schema([pa.field(c.name, kinds[c.kind]) for c in columns])
        assert parquet.num_rows == len(rows) == summary["rows"][table]
        pids = [r[next(c.name for c in columns if c.kind == "id")] for r in rows]
        assert len(set(pids)) == len(pids), table  # one row per entity
    session = _csv(tmp_path / "out" / "sessions.csv")[0]
    assert session["plasma_removed_ml"] == "2900.0" and session["albumin_ml"] == "2950.0"
    assert session["duration_min"] == "120.0" and session["days_from_course_start"] == "0"
    course = _csv(tmp_path / "out" / "courses.csv")[0]
    assert course["age_at_start_years"] == "36" and course["days_onset_to_start"] == "11"
    # the seed patient's measures beyond the EDSS (tests/interop/conftest.py)
    measures = _csv(tmp_path / "out" / "outcome_measures.csv")[:4]
    assert [(m["measure"], m["side"], m["value"], m["result"]) for m in measures] == [
        ("t25fw", "", "9.0", "baseline"),
        ("lcla_2_5", "right", "20.0", "baseline"),
        ("t25fw", "", "7.0", "improved"),
        ("lcla_2_5", "right", "24.0", "unchanged"),
    ]
    assert measures[2]["change"] == "-2.0" and measures[2]["change_percent"] == "-22.222222"
    assert measures[3]["change_percent"] == ""
    visits = _csv(tmp_path / "out" / "outcomes.csv")
    assert {v["edss_within_30d_of_relapse"] for v in visits} == {""}  # seed: no check stored
    assert course["sessions_done"] == "5" and course["stopped_early"] == "false"


def test_nothing_identifying_leaves(registry, tmp_path: Path) -> None:
    db, _, _ = registry
    _export(db, tmp_path / "out")
    files = sorted((tmp_path / "out").iterdir())
    assert {f.suffix for f in files} == {".csv", ".parquet"}
    texts = []
    for path in files:
        texts.append(path.read_bytes().decode("latin-1"))
        if path.suffix == ".parquet":
            texts.append(repr(pq.read_table(path).to_pylist()))
    blob = "\n".join(texts)
    for sentinel in (*SENTINELS, FREE_TEXT, "Sentineltext", "1988-05-14"):
        assert sentinel not in blob, sentinel
    all_columns = {c.name for cols in TABLES.values() for c in cols}
    assert not {c for c in all_columns if c.endswith("_id") or c in ("mrn", "notes")}
    assert "2025-03-03" not in blob  # real course start date shifted away


def test_dates_shift_per_patient_and_keep_intervals(registry, tmp_path: Path) -> None:
    db, _, ids = registry
    _export(db, tmp_path / "out", formats=("csv",))
    pseudo = Pseudonymiser(SECRET)
    shifts = {pseudo.pid("patient", pid): pseudo.shift_days(pid) for pid in ids}
    assert all(0 < abs(d) <= 183 for d in shifts.values())
    courses = {r["patient_pid"]: r for r in _csv(tmp_path / "out" / "courses.csv")}
    for ppid, shift in shifts.items():
        start = dt.date.fromisoformat(courses[ppid]["start_date"])
        assert start == dt.date(2025, 3, 3) + dt.timedelta(days=shift)
        sessions = [r for r in _csv(tmp_path / "out" / "sessions.csv") if r["patient_pid"] == ppid]
        gaps = [(dt.datetime.fromisoformat(r["start"]).date() - start).days for r in sessions]
        assert gaps == [int(r["days_from_course_start"]) for r in sessions] == [0, 2, 4, 6, 8]
        visits = [r for r in _csv(tmp_path / "out" / "outcomes.csv") if r["patient_pid"] == ppid]
        assert (
            [(dt.date.fromisoformat(v["assessed_on"]) - start).days for v in visits]
            == [int(v["days_from_course_start"]) for v in visits]
            == [-2, 182]
        )


def test_ids_are_stable_across_runs_and_batches_and_change_with_the_key(
    registry, tmp_path: Path
) -> None:
    db, _, _ = registry
    _export(db, tmp_path / "a", formats=("csv",))
    _export(db, tmp_path / "b", formats=("csv",), batch_size=1)
    for table in TABLES:
        name = f"{table}.csv"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    registry_export.export_registry(
        ctx, tmp_path / "c", formats=("csv",), secret=b"another-secret-0123456789"
    )
    a = {r["course_pid"] for r in _csv(tmp_path / "a" / "courses.csv")}
    c = {r["course_pid"] for r in _csv(tmp_path / "c" / "courses.csv")}
    assert a.isdisjoint(c)


def test_centre_scope_progress_audit_and_refusals(registry, tmp_path: Path) -> None:
    db, centre_id, _ = registry
    other = add_centre(db, code="OTHER")
    seed_patient(db, other, mrn="X-1")
    seen: list[tuple[int, int]] = []
    physician = ServiceContext(db=db, actor=Actor(3, "doc", "physician", centre_id), now=NOW)
    summary = registry_export.export_registry(
        physician,
        tmp_path / "p",
        secret=SECRET,
        batch_size=2,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert summary["patients"] == 3 and seen == [(2, 3), (3, 3)]
    with db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.entity == "registry")).one()
        assert (event.action, event.actor, event.detail["courses"]) == ("export", "doc", 3)
    viewer = ServiceContext(db=db, actor=Actor(4, "v", "viewer", centre_id), now=NOW)
    with pytest.raises(PermissionDenied):
        registry_export.export_registry(viewer, tmp_path / "v", secret=SECRET)
    with pytest.raises(InputError):
        registry_export.export_registry(physician, tmp_path / "x", formats=("xlsx",))
    with pytest.raises(InputError):
        registry_export.export_registry(physician, tmp_path / "x", batch_size=0)


def test_installation_secret_is_created_once_or_derived(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key="")
    first = registry_export.registry_secret(settings)
    path = tmp_path / "data" / registry_export.SECRET_FILE
    assert len(first) == 32 and oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert registry_export.registry_secret(settings) == first
    derived = registry_export.registry_secret(Settings(data_dir=tmp_path, secret_key="k" * 20))
    assert derived != first and len(derived) == 32
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")
