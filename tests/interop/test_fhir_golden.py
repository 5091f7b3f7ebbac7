"""FHIR golden files: each scenario under ``tests/data/<scenario>/`` holds its input and the
exact expected output, replayed through the FHIR use cases on both backends.

Row ids are deterministic (the database sequences start at 1 for each test) and the clock is
the fixed ``NOW``, so the outputs are byte-stable. To regenerate after a deliberate change of
the FHIR mapping: ``PLEXMS_REGEN_GOLDEN=1 pytest tests/interop/test_fhir_golden.py -k sqlite``
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.sharing import interop
from plexms.store.database import Database

from .conftest import NOW, add_centre, seed_patient

DATA = Path(__file__).resolve().parents[1] / "data"
REGEN = os.environ.get("PLEXMS_REGEN_GOLDEN") == "1"


def _restart_sequences(url: str) -> None:
    """PostgreSQL keeps its sequences across the per-test clean-up: start them at 1 again."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            names = conn.execute(
                text(
                    "SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = 'public'"
                )
            ).scalars()
            for name in list(names):
                conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART WITH 1'))
    finally:
        engine.dispose()


@pytest.fixture
def fresh(migrated_url: str) -> Any:
    _restart_sequences(migrated_url)
    db = Database(migrated_url)
    yield db
    db.dispose()


def _read(scenario: str, name: str) -> Any:
    return json.loads((DATA / scenario / name).read_text(encoding="utf-8"))


def _check(scenario: str, name: str, actual: Any) -> None:
    path = DATA / scenario / name
    rendered = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"{path} differs"


def _nurse(db: Database, centre_id: int) -> ServiceContext:
    return ServiceContext(db=db, actor=Actor(7, "nurse", "nurse", centre_id), now=NOW)


@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
def test_fhir_export_patient_course(fresh: Database, bundle_type: str) -> None:
    """Input: the seed patient of ``tests/interop/conftest.py`` (a whole TPE course)."""
    centre_id = add_centre(fresh)
    patient_id = seed_patient(fresh, centre_id)
    bundle = interop.export_fhir(_nurse(fresh, centre_id), patient_id, bundle_type=bundle_type)
    _check("fhir_export_patient_course", f"output_{bundle_type}.json", bundle)


def test_fhir_export_all(fresh: Database) -> None:
    """Two patients exported in one batch: the same bundles as one by one."""
    centre_id = add_centre(fresh)
    seed_patient(fresh, centre_id)
    seed_patient(fresh, centre_id, mrn="MRN-0002")
    ctx = ServiceContext(db=fresh, actor=SYSTEM, now=NOW)
    out = dict(interop.export_fhir_all(ctx, batch_size=1))
    _check("fhir_export_all", "output.json", {str(k): v for k, v in out.items()})


def _import(db: Database, scenario: str) -> dict[str, Any]:
    """Import the scenario's input into centre OTHER twice, then export what was stored."""
    centre_id = add_centre(db, code="OTHER")
    ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
    bundle = _read(scenario, "input.json")
    first = interop.import_fhir(ctx, json.dumps(bundle), centre_code="OTHER")
    again = interop.import_fhir(ctx, bundle, centre_code="OTHER")
    exported = interop.export_fhir(_nurse(db, centre_id), first["patient_id"])
    return {"first_import": first, "second_import": again, "export": exported}


@pytest.mark.parametrize("scenario", ["fhir_import_round_trip", "fhir_import_referral"])
def test_fhir_import(fresh: Database, scenario: str) -> None:
    """round_trip: our own export of the seed patient; referral: a bundle built with
    ``fhir.resources`` constructors by another system (an MRN typed MR, mg/dL labs)."""
    _check(scenario, "output.json", _import(fresh, scenario))


def test_fhir_import_update(fresh: Database) -> None:
    """The referral imported, then a changed copy of it: the rows are updated in place."""
    add_centre(fresh, code="OTHER")
    ctx = ServiceContext(db=fresh, actor=SYSTEM, now=NOW)
    interop.import_fhir(ctx, _read("fhir_import_referral", "input.json"), centre_code="OTHER")
    update = _read("fhir_import_update", "input.json")
    summary = interop.import_fhir(ctx, update, centre_code="OTHER")
    exported = interop.export_fhir(_nurse(fresh, 1), summary["patient_id"])
    _check("fhir_import_update", "output.json", {"import": summary, "export": exported})


def test_fhir_import_rejected(fresh: Database) -> None:
    add_centre(fresh, code="OTHER")
    ctx = ServiceContext(db=fresh, actor=SYSTEM, now=NOW)
    with pytest.raises(interop.BundleRejected) as err:
        interop.import_fhir(ctx, _read("fhir_import_rejected", "input.json"), centre_code="OTHER")
    _check("fhir_import_rejected", "output.json", err.value.to_dict())
