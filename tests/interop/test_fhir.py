from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from sqlalchemy import select, text

from plexms.interop.fhir_export import patient_bundle
from plexms.interop.fhir_import import BundleRejected, parse_bundle
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.sharing.interop import import_fhir
from plexms.store.base import Base
from plexms.store.database import Database
from plexms.store.migrate import upgrade
from plexms.store.models import Centre, DmtHistory, Episode, LabResult, Patient, SessionLot
from plexms.store.patient_records import load_record

from .conftest import NOW, add_centre

EXPECTED_TYPES = {
    "AdverseEvent",
    "CarePlan",
    "Condition",
    "DocumentReference",
    "MedicationAdministration",
    "MedicationStatement",
    "Observation",
    "Patient",
    "Procedure",
}


def _migrated(path: Path) -> Database:
    """A migrated SQLite database (its audit chain started, as imports are audited)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    return Database(url)


def import_bundle(db: Database, data: Any, *, centre_id: int) -> SimpleNamespace:
    """The command line's import (the system actor) into centre ``centre_id``: the same use
    cases as every front."""
    with db.read() as s:
        code = s.get_one(Centre, centre_id).code
    summary = import_fhir(ServiceContext(db, SYSTEM, now=NOW), data, centre_code=code)
    return SimpleNamespace(**summary)


def _export(
    db: Database, centre_id: int, patient_id: int, kind: str = "collection"
) -> dict[str, Any]:
    with db.read() as s:
        return patient_bundle(load_record(s, patient_id, centre_id), bundle_type=kind, now=NOW)


@pytest.mark.parametrize("kind", ["collection", "transaction"])
def test_every_exported_resource_validates_with_r4b(seeded, kind) -> None:
    db, centre_id, patient_id = seeded
    bundle = _export(db, centre_id, patient_id, kind)
    Bundle.model_validate(bundle)
    types = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        types.add(resource["resourceType"])
        if kind == "transaction":
            assert entry["request"]["method"] == "PUT"
            assert "?identifier=urn:plexms:id:" in entry["request"]["url"]
    assert types == EXPECTED_TYPES


def test_export_content(seeded) -> None:
    db, centre_id, patient_id = seeded
    entries = [e["resource"] for e in _export(db, centre_id, patient_id)["entry"]]
    ms = next(r for r in entries if r["resourceType"] == "Condition" and "coding" in r["code"])
    assert {c["code"] for c in ms["code"]["coding"]} == {"24700007", "G35"}
    fib = [r for r in entries if r.get("code", {}).get("coding", [{}])[0].get("code") == "3255-7"]
    assert len(fib) == 5
    assert fib[0]["valueQuantity"] == {
        "value": 2.9,
        "unit": "g/L",
        "system": "http://unitsofmeasure.org",
        "code": "g/L",
    }
    procedures = [r for r in entries if r["resourceType"] == "Procedure"]
    assert len(procedures) == 5
    assert procedures[0]["code"] == {"text": "Therapeutic plasma exchange (plasmapheresis)"}
    removed = [x for x in procedures[0]["extension"] if x["url"].endswith(":plasma-removed")]
    assert removed[0]["valueQuantity"]["value"] == 2900
    edss = [
        r for r in entries if r.get("code", {}).get("coding", [{}])[0].get("code") == "273554001"
    ]
    assert [e["valueQuantity"]["value"] for e in edss] == [5.5, 3.5]
    assert {c["code"]["text"] for c in edss[0]["component"]} >= {"EDSS ambulation score"}
    hct = [r for r in entries if r.get("code", {}).get("coding", [{}])[0].get("code") == "4544-3"]
    assert hct[0]["valueQuantity"]["value"] == 41 and hct[0]["valueQuantity"]["code"] == "%"
    admins = [r for r in entries if r["resourceType"] == "MedicationAdministration"]
    assert len(admins) == 10  # albumin and calcium gluconate per exchange


def _normalise(bundle: dict[str, Any]) -> list[str]:
    """Clinical content: resources without ids, identifiers and reference targets."""
    by_url = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in ("id", "identifier"):
                    continue
                out[k] = by_url.get(v, v) if k == "reference" else clean(v)
            return out
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return sorted(json.dumps(clean(e["resource"]), sort_keys=True) for e in bundle["entry"])


def test_round_trip_export_import_export(seeded, db_url: str) -> None:
    db, centre_id, patient_id = seeded
    first = _export(db, centre_id, patient_id)
    upgrade(db_url)  # a second database on the same backend
    other = Database(db_url)
    other_centre = add_centre(other, code="OTHER")
    summary = import_bundle(other, json.dumps(first), centre_id=other_centre)
    assert summary.created["session"] == 5 and summary.created["lab"] == 12
    with other.read() as s:  # the imported lots are indexed for a recall (issue 17)
        indexed = s.execute(
            select(SessionLot.kind, SessionLot.lot, SessionLot.serial).where(
                SessionLot.centre_id == other_centre
            )
        ).all()
    assert sorted(map(tuple, indexed)) == [
        ("acd_a", "ACD-77", ""),
        ("albumin", "ALB-2501", ""),
        ("machine", "", "OPT-12345"),
        ("tubing_set", "TS-2025-4", ""),
    ]
    assert summary.created["outcome_measure"] == 4  # the measures beyond the EDSS
    second = _export(other, other_centre, summary.patient_id)
    assert _normalise(second) == _normalise(first)
    # Importing the same bundle again changes nothing.
    before = _db_hash(other)
    again = import_bundle(other, first, centre_id=other_centre)
    assert again.patient_id == summary.patient_id
    assert not again.created
    assert _normalise(_export(other, other_centre, summary.patient_id)) == _normalise(first)
    assert before.keys() == _db_hash(other).keys()
    other.dispose()


def _independent_bundle() -> dict[str, Any]:
    """A referral bundle built with fhir.resources constructors (not our exporter)."""
    loinc = "http://loinc.org"
    patient = FhirPatient(
        id="p1",
        identifier=[
            Identifier(
                type=CodeableConcept(
                    coding=[
                        Coding(system="http://terminology.hl7.org/CodeSystem/v2-0203", code="MR")
                    ]
                ),
                system="urn:oid:1.2.3.4.5",
                value="H-778899",
            )
        ],
        name=[HumanName(family="Referral", given=["Sam"])],
        gender="male",
        birthDate="1979-11-02",
    )
    ref = Reference(reference="Patient/p1")
    ms = Condition(
        id="c1",
        code=CodeableConcept(coding=[Coding(system="http://snomed.info/sct", code="24700007")]),
        subject=ref,
        onsetDateTime="2012",
    )
    relapse = Condition(
        id="c2",
        code=CodeableConcept(text="Optic neuritis"),
        subject=ref,
        onsetDateTime="2025-01-05",
    )
    fib = Observation(
        id="o1",
        status="final",
        code=CodeableConcept(coding=[Coding(system=loinc, code="3255-7")]),
        subject=ref,
        effectiveDateTime="2025-01-10T08:30:00-08:00",
        valueQuantity=Quantity(
            value=310, unit="mg/dL", system="http://unitsofmeasure.org", code="mg/dL"
        ),
    )
    ca = Observation(
        id="o2",
        status="final",
        code=CodeableConcept(coding=[Coding(system=loinc, code="2000-8")]),
        subject=ref,
        effectiveDateTime="2025-01-10T08:30:00-08:00",
        valueQuantity=Quantity(
            value=9.6, unit="mg/dL", system="http://unitsofmeasure.org", code="mg/dL"
        ),
    )
    dmt = MedicationStatement(
        id="m1",
        status="active",
        medicationCodeableConcept=CodeableConcept(text="natalizumab"),
        subject=ref,
        effectivePeriod={"start": "2021-06-01"},
    )
    bundle = Bundle(
        type="collection",
        entry=[
            BundleEntry(
                fullUrl=f"http://hospital.example/fhir/{r.get_resource_type()}/{r.id}", resource=r
            )
            for r in (patient, ms, relapse, fib, ca, dmt)
        ],
    )
    return json.loads(bundle.model_dump_json())


def test_import_bundle_built_by_fhir_resources(tmp_path: Path) -> None:
    db = _migrated(tmp_path / "c.sqlite")
    centre_id = add_centre(db)
    bundle = _independent_bundle()
    summary = import_bundle(db, bundle, centre_id=centre_id)
    with db.read() as s:
        patient = s.get(Patient, summary.patient_id)
        assert (patient.mrn, patient.family_name, patient.sex) == ("H-778899", "Referral", "male")
        assert patient.ms_diagnosis_year == 2012
        episode = s.scalars(select(Episode)).one()
        assert episode.presentation == "optic_neuritis"
        labs = {lab.analyte: lab for lab in s.scalars(select(LabResult))}
        assert labs["fibrinogen"].value == pytest.approx(3.10) and labs["fibrinogen"].unit == "g/L"
        assert labs["calcium"].value == pytest.approx(9.6 * 10 / 40.08)
        assert labs["calcium"].taken_at.hour == 16  # 08:30 PST stored as 16:30 UTC
        assert s.scalars(select(DmtHistory)).one().drug == "natalizumab"
    # Updated by identifier, not duplicated.
    bundle["entry"][0]["resource"]["name"][0]["family"] = "Referral-Smith"
    again = import_bundle(db, bundle, centre_id=centre_id)
    assert again.patient_id == summary.patient_id and again.updated == {"patient": 1}
    with db.read() as s:
        assert s.scalars(select(Patient)).one().family_name == "Referral-Smith"
    db.dispose()


def _db_hash(db: Database) -> dict[str, str]:
    out = {}
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith("audit"):  # a refused import is audited; nothing else
                continue
            rows = s.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
            out[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def _broken(bundle: dict[str, Any], how: str) -> Any:
    b = copy.deepcopy(bundle)
    entries = b["entry"]
    if how == "not_json":
        return "{not json"
    if how == "not_bundle":
        return {"resourceType": "Patient"}
    if how == "unsupported_resource":
        entries.append(
            {
                "fullUrl": "urn:uuid:x",
                "resource": {"resourceType": "Encounter", "status": "finished"},
            }
        )
    if how == "bad_unit":
        lab = next(
            e
            for e in entries
            if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "3255-7"
        )
        lab["resource"]["valueQuantity"]["code"] = "mmol/L"
    if how == "bad_gender":
        entries[0]["resource"]["gender"] = "femal"
    if how == "dangling_reference":
        proc = next(e for e in entries if e["resource"]["resourceType"] == "Procedure")
        proc["resource"]["basedOn"] = [{"reference": "urn:uuid:nowhere"}]
    if how == "schema":
        entries[3]["resource"]["status"] = 12
        entries[3]["resource"]["effectiveDateTime"] = "yesterday"
    if how == "two_patients":
        entries.append(copy.deepcopy(entries[0]) | {"fullUrl": "urn:uuid:other"})
    return b


@pytest.mark.parametrize(
    ("how", "where"),
    [
        ("not_json", "$"),
        ("not_bundle", "resourceType"),
        ("unsupported_resource", "resource.resourceType"),
        ("bad_unit", "valueQuantity.code"),
        ("bad_gender", "entry[0].resource.gender"),
        ("dangling_reference", "basedOn[0]"),
        ("schema", "entry[3].resource"),
        ("two_patients", "entry"),
    ],
)
def test_broken_bundle_is_rejected_whole_and_db_unchanged(seeded, how, where) -> None:
    db, centre_id, patient_id = seeded
    good = _export(db, centre_id, patient_id)
    # Make the import an update of existing rows plus new ones, then break it.
    good["entry"][0]["resource"]["name"][0]["family"] = "Changed"
    before = _db_hash(db)
    with pytest.raises(BundleRejected) as err:
        import_bundle(db, _broken(good, how), centre_id=centre_id)
    assert any(where in p["path"] for p in err.value.problems), err.value.problems
    assert err.value.to_dict()["problems"]
    assert _db_hash(db) == before


def test_fault_while_writing_rolls_back(seeded, tmp_path: Path) -> None:
    db, centre_id, patient_id = seeded
    bundle = _export(db, centre_id, patient_id)
    other = _migrated(tmp_path / "d.sqlite")
    other_centre = add_centre(other, code="OTHER")
    before = _db_hash(other)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), other.transaction() as tx:
        import_bundle(tx, bundle, centre_id=other_centre)
        raise Boom  # e.g. the audit row fails after the import wrote its rows
    assert _db_hash(other) == before
    other.dispose()


def test_parse_bundle_accepts_bytes() -> None:
    bundle = _independent_bundle()
    assert parse_bundle(json.dumps(bundle).encode())["type"] == "collection"


def test_lots_and_serials_in_the_procedure(seeded) -> None:
    """Issue 17: the machine serial and the tubing set as Devices (focalDevice), the albumin
    and ACD-A lots as Medications with their batch (usedReference), contained in the exchange."""
    from fhir.resources.R4B.procedure import Procedure

    db, centre_id, patient_id = seeded
    entries = [e["resource"] for e in _export(db, centre_id, patient_id)["entry"]]
    first = next(
        r
        for r in entries
        if r["resourceType"] == "Procedure"
        and any(x["url"].endswith(":sequence") and x["valueInteger"] == 1 for x in r["extension"])
    )
    Procedure.model_validate(first)
    contained = {c["id"]: c for c in first["contained"]}
    devices = [c for c in contained.values() if c["resourceType"] == "Device"]
    assert {d.get("serialNumber") for d in devices} == {"OPT-12345", None}
    tubing = next(d for d in devices if d["type"]["text"] == "Plasma exchange tubing set")
    assert tubing["lotNumber"] == "TS-2025-4" and tubing["expirationDate"] == "2026-06-30"
    albumin = next(c for c in contained.values() if c["code"]["text"] == "Albumin human solution")
    assert albumin["batch"] == {"lotNumber": "ALB-2501", "expirationDate": "2027-12-31"}
    assert albumin["identifier"][0]["value"] == "09506000134352"
    used = {r["reference"].removeprefix("#") for r in first["usedReference"]}
    assert used == set(contained)
    focal = {f["manipulated"]["reference"].removeprefix("#") for f in first["focalDevice"]}
    assert focal == {d["id"] for d in devices}
    others = [r for r in entries if r["resourceType"] == "Procedure" and r is not first]
    assert all("contained" not in r for r in others)


def test_measures_beyond_the_edss_are_observations_of_their_visit(seeded) -> None:
    """Each measure is an Observation in the local code system (no LOINC or SNOMED code could
    be confirmed), in its UCUM unit, on its eye, derived from its visit's EDSS observation,
    with the verdict as the v3 interpretation B (better) / W (worse) and the result kept."""
    from plexms.interop.codes import MEASURE_SYSTEM, measure_key

    db, centre_id, patient_id = seeded
    bundle = _export(db, centre_id, patient_id)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    found = [
        r
        for r in by_url.values()
        if r["resourceType"] == "Observation" and measure_key(r["code"]) is not None
    ]
    assert sorted(measure_key(r["code"]) for r in found) == [
        "lcla_2_5",
        "lcla_2_5",
        "t25fw",
        "t25fw",
    ]
    for r in found:
        assert r["code"]["coding"][0]["system"] == MEASURE_SYSTEM
        assert not any(c["system"].startswith("http://loinc") for c in r["code"]["coding"])
        parent = by_url[r["derivedFrom"][0]["reference"]]
        assert parent["code"]["text"].startswith("Expanded Disability Status Scale")
        assert parent["effectiveDateTime"] == r["effectiveDateTime"]
        assert r["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    walk = next(
        r for r in found if measure_key(r["code"]) == "t25fw" and r["valueQuantity"]["value"] == 7
    )
    assert walk["valueQuantity"]["code"] == "s"
    assert walk["interpretation"][0]["coding"][0]["code"] == "B"
    letters = next(r for r in found if measure_key(r["code"]) == "lcla_2_5")
    assert letters["bodySite"]["coding"][0]["code"] == "362502000"  # right eye
    assert letters["valueQuantity"]["code"] == "{letters}"


def test_an_imported_measure_out_of_range_is_refused(seeded) -> None:
    db, centre_id, patient_id = seeded
    bundle = _export(db, centre_id, patient_id)
    for entry in bundle["entry"]:
        code = entry["resource"].get("code") or {}
        if any(c.get("code") == "t25fw" for c in code.get("coding") or []):
            entry["resource"]["valueQuantity"]["value"] = 500
    with pytest.raises(BundleRejected) as caught:
        import_bundle(db, json.dumps(bundle), centre_id=centre_id)
    assert "out of range" in json.dumps(caught.value.problems)
