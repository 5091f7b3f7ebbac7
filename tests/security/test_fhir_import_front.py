"""FHIR import is a front like any other (issue 15, item 2).

The attack: a coordinator, refused (403) by the direct routes, posted a bundle to
``POST /api/fhir/import`` that rewrote a signed-off session (plasma removed, operator, go
decision), changed a course's plasma volumes and created a hand-back; the audit row kept only
counts. The defence: every row the import would create or change needs the permission of the
direct route for that record (checked per record, refused 403 and audited ``denied``), the
same text limits (control characters, lengths), the same state rules (a signed-off session
is refused 409), the document allow-list, and an audit row per record naming the fields
that changed. An unchanged export imported back is a no-op: no version moves.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select, update

from plexms.store.models import AuditEvent, Course, ExchangeSession, HandBack
from tests.interop.conftest import seed_patient

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

_EXT = "urn:plexms:fhir:StructureDefinition:"


def _seeded(world) -> int:  # type: ignore[no-untyped-def]
    return seed_patient(world.db, world.centres["a"])


def _export(client, world, patient_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/patients/{patient_id}/$everything", headers=world.headers("physician"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _import(client, world, bundle: dict[str, Any], role: str = "coordinator"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/fhir/import", headers=world.headers(role), content=json.dumps(bundle).encode()
    )


def _versions(world, model) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        return {row[0]: row[1] for row in s.execute(select(model.id, model.version))}


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _set_ext(resource: dict[str, Any], name: str, key: str, value: Any) -> None:
    for item in resource.setdefault("extension", []):
        if item["url"] == _EXT + name:
            item.clear()
            item.update({"url": _EXT + name, key: value})
            return
    resource["extension"].append({"url": _EXT + name, key: value})


def _sign_off_first_session(world) -> int:  # type: ignore[no-untyped-def]
    with world.db.write() as s:
        first = s.scalars(select(ExchangeSession).order_by(ExchangeSession.id)).first()
        s.execute(
            update(ExchangeSession)
            .where(ExchangeSession.id == first.id)
            .values(signed_off_at=first.actual_end, version=ExchangeSession.version + 1)
        )
        return int(first.id)


def test_an_unchanged_export_imported_back_changes_nothing(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = _seeded(world)
    _sign_off_first_session(world)
    bundle = _export(client, world, patient_id)
    before = {m: _versions(world, m) for m in (ExchangeSession, Course, HandBack)}
    r = _import(client, world, bundle)
    assert r.status_code == 200, r.text
    assert r.json() == {"patient_id": patient_id, "created": {}, "updated": {}}
    assert {m: _versions(world, m) for m in (ExchangeSession, Course, HandBack)} == before


def _procedures(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        _resources(bundle, "Procedure"),
        key=lambda p: next(
            e["valueInteger"] for e in p["extension"] if e["url"] == _EXT + "sequence"
        ),
    )


def _rewrite_session(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle = copy.deepcopy(bundle)
    first = _procedures(bundle)[0]
    _set_ext(first, "plasma-removed", "valueQuantity", {
        "value": 100, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"
    })  # fmt: skip
    _set_ext(first, "go-decision", "valueString", "no_go")
    first["performer"] = [{"actor": {"display": "mallory"}}]
    return bundle


def test_a_coordinator_cannot_rewrite_a_session_through_import(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = _seeded(world)
    bundle = _rewrite_session(_export(client, world, patient_id))
    before = _versions(world, ExchangeSession)
    r = _import(client, world, bundle)
    assert r.status_code == 403, r.text
    assert _versions(world, ExchangeSession) == before
    with world.db.read() as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert any(
        row.detail.get("use_case") == "import_fhir" and row.detail.get("record") == "session"
        for row in denied
    ), [row.detail for row in denied]


def test_a_signed_off_session_cannot_change_through_import(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = _seeded(world)
    session_id = _sign_off_first_session(world)
    bundle = _rewrite_session(_export(client, world, patient_id))
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 409, r.text
    with world.db.read() as s:
        row = s.get(ExchangeSession, session_id)
        assert (row.plasma_removed_ml, row.operator, row.go_decision) == (2900, "nurse", "go")


def test_a_coordinator_cannot_change_plasma_volumes_or_add_a_hand_back(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = _seeded(world)
    exported = _export(client, world, patient_id)
    bundle = copy.deepcopy(exported)
    course = next(c for c in _resources(bundle, "CarePlan") if "dmt-hand-back" not in json.dumps(c))
    _set_ext(course, "plasma-volumes-per-exchange", "valueDecimal", 2.5)
    assert _import(client, world, bundle).status_code == 403
    bundle = copy.deepcopy(exported)
    hand_back = next(c for c in _resources(bundle, "CarePlan") if "dmt-hand-back" in json.dumps(c))
    hand_back["description"] = "start the DMT today"
    assert _import(client, world, bundle).status_code == 403
    with world.db.read() as s:
        assert s.scalars(select(Course.plasma_volumes_per_exchange)).one() != 2.5
        assert s.scalars(select(HandBack.plan)).one() != "start the DMT today"


def test_each_changed_record_has_its_audit_row_with_the_fields(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = _seeded(world)
    bundle = copy.deepcopy(_export(client, world, patient_id))
    course = next(c for c in _resources(bundle, "CarePlan") if "dmt-hand-back" not in json.dumps(c))
    _set_ext(course, "plasma-volumes-per-exchange", "valueDecimal", 1.25)
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 200, r.text
    with world.db.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "import", AuditEvent.entity == "course")
        ).all()
    assert [row.detail.get("changed") for row in rows] == [["plasma_volumes_per_exchange"]]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("family", "Smith\nbody{display:none}"),
        ("family", "Nul\x00name"),
        ("family", "Smith\u202egnp.exe"),
        ("family", "x" * 101),
    ],
)
def test_import_has_the_text_limits_of_the_routes(client, world, path: str, value: str) -> None:  # type: ignore[no-untyped-def]
    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    _resources(bundle, "Patient")[0]["name"][0][path] = value
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 422, r.text
    assert "family_name" in r.text or "name" in r.json()["field"]


def test_import_refuses_a_vascular_access_outside_the_vocabulary(client, world) -> None:  # type: ignore[no-untyped-def]
    bundle = _rewrite_session(_export(client, world, _seeded(world)))
    _set_ext(_procedures(bundle)[1], "vascular-access", "valueString", "=HYPERLINK(1)")
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 422, r.text


def test_import_keeps_to_the_document_allow_list(client, world) -> None:  # type: ignore[no-untyped-def]
    import base64

    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    doc = _resources(bundle, "DocumentReference")[0]
    doc["content"][0]["attachment"]["contentType"] = "text/html"
    doc["content"][0]["attachment"]["data"] = base64.b64encode(b"<script>1</script>").decode()
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 415, r.text


def test_deep_nesting_is_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    nested = "[" * 100_000 + "]" * 100_000
    deep = '{"resourceType": "Bundle", "type": "collection", "x": ' + nested + "}"
    r = client.post("/api/fhir/import", headers=world.headers("physician"), content=deep.encode())
    assert r.status_code == 422, r.text
    assert "nested deeper" in r.text


def test_a_reference_loop_is_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    hand_back = next(c for c in _resources(bundle, "CarePlan") if "dmt-hand-back" in json.dumps(c))
    twin = copy.deepcopy(hand_back)
    twin["id"] = "loop-b"
    hand_back["id"] = "loop-a"
    hand_back["partOf"] = [{"reference": "CarePlan/loop-b"}]
    twin["partOf"] = [{"reference": "CarePlan/loop-a"}]
    bundle["entry"].append({"fullUrl": "urn:uuid:loop-b", "resource": twin})
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 422, r.text
    assert "not to a hand-back" in r.text


def test_an_oversized_stream_is_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"resourceType": "Bundle", "type": "collection", "entry": ['
        for _ in range(26 * 1024):  # 26 MiB, no Content-Length: the limit holds as it streams
            yield b" " * 1024
        yield b"]}"

    r = client.post("/api/fhir/import", headers=world.headers("physician"), content=chunks())
    assert r.status_code == 413, r.text[:300]


@pytest.mark.parametrize(
    ("resource", "name", "value"),
    [
        ("CarePlan", "rule-version", '=HYPERLINK("http://x","v1")'),
        ("CarePlan", "indication", "+relapse"),
        ("CarePlan", "replacement-fluid", "@albumin"),
    ],
)
def test_codes_are_checked_against_their_vocabulary(  # type: ignore[no-untyped-def]
    client, world, resource: str, name: str, value: str
) -> None:
    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    course = next(c for c in _resources(bundle, resource) if "dmt-hand-back" not in json.dumps(c))
    _set_ext(course, name, "valueString", value)
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 422, r.text
