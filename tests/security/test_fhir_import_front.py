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
        row.detail.get("use_case") == "import_fhir"
        and row.detail.get("record") == "session"
        and row.detail.get("record_use_case") == "upsert_session"
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
        rows = s.scalars(select(AuditEvent).where(AuditEvent.entity == "course")).all()
    # the course's own row, as the direct routes write it: ``update`` naming the field
    assert [(row.action, row.detail) for row in rows] == [
        ("update", {"fields": ["plasma_volumes_per_exchange"], "via": "fhir_import"})
    ]


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


# --- each record type: import refused exactly where the direct route refuses --------------


def _care_plan(bundle: dict[str, Any], hand_back: bool = False) -> dict[str, Any]:
    return next(
        c for c in _resources(bundle, "CarePlan") if ("dmt-hand-back" in json.dumps(c)) is hand_back
    )


def _observation(bundle: dict[str, Any], code: str) -> dict[str, Any]:
    return next(o for o in _resources(bundle, "Observation") if f'"{code}"' in json.dumps(o))


def _statement(bundle: dict[str, Any], category: str) -> dict[str, Any]:
    return next(
        m for m in _resources(bundle, "MedicationStatement") if m["category"]["text"] == category
    )


def _episode(bundle: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in _resources(bundle, "Condition") if "category" in c)


def _change_patient(b: dict[str, Any]) -> None:
    _resources(b, "Patient")[0]["name"][0]["given"] = ["Alexandra"]


def _change_measurement(b: dict[str, Any]) -> None:
    _observation(b, "29463-7")["valueQuantity"]["value"] = 71.5  # body weight


def _change_episode(b: dict[str, Any]) -> None:
    _episode(b)["note"] = [{"text": "Left leg weakness, worse on stairs"}]


def _change_steroid(b: dict[str, Any]) -> None:
    _statement(b, "corticosteroid")["effectivePeriod"]["end"] = "2025-02-26"


def _change_dmt(b: dict[str, Any]) -> None:
    _statement(b, "disease-modifying therapy")["note"] = [{"text": "infusion reaction"}]


def _change_course(b: dict[str, Any]) -> None:
    _set_ext(_care_plan(b), "plasma-volumes-per-exchange", "valueDecimal", 1.4)


def _change_course_status(b: dict[str, Any]) -> None:
    _set_ext(_care_plan(b), "stop-reason", "valueString", "patient choice")


def _change_session(b: dict[str, Any]) -> None:
    _procedures(b)[1]["note"] = [{"text": "line flushed twice"}]


def _change_lab(b: dict[str, Any]) -> None:
    _observation(b, "26515-7")["valueQuantity"]["value"] = 180  # platelets


def _change_adverse_event(b: dict[str, Any]) -> None:
    _set_ext(_resources(b, "AdverseEvent")[0], "notes", "valueString", "tingling lips")


def _change_outcome(b: dict[str, Any]) -> None:
    _observation(b, "273554001")["note"] = [{"text": "walks 300 m unaided"}]


def _change_hand_back(b: dict[str, Any]) -> None:
    _care_plan(b, hand_back=True)["description"] = "start ocrelizumab in two weeks"


def _change_document(b: dict[str, Any]) -> None:
    _resources(b, "DocumentReference")[0]["description"] = "Course summary (final)"


def _first_id(world, model) -> int:  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        return int(s.scalars(select(model.id).order_by(model.id)).first())


#: record kind -> (the bundle change, the direct route (method, path), audit entity)
_RECORDS: dict[str, tuple[Any, tuple[str, str], str]] = {
    "patient": (_change_patient, ("PATCH", "/api/patients/{p}"), "patient"),
    "measurement": (_change_measurement, ("POST", "/api/patients/{p}/measurements"), "measurement"),
    "episode": (_change_episode, ("POST", "/api/patients/{p}/episodes"), "episode"),
    "steroid": (_change_steroid, ("POST", "/api/patients/{p}/steroid-courses"), "steroid_course"),
    "dmt": (_change_dmt, ("POST", "/api/patients/{p}/dmts"), "dmt"),
    "course": (_change_course, ("POST", "/api/patients/{p}/courses"), "course"),
    "course_status": (_change_course_status, ("POST", "/api/courses/{c}/status"), "course"),
    "session": (_change_session, ("PUT", "/api/sessions/{s}/record"), "session"),
    "lab": (_change_lab, ("POST", "/api/patients/{p}/labs"), "lab"),
    "adverse_event": (
        _change_adverse_event,
        ("POST", "/api/patients/{p}/adverse-events"),
        "adverse_event",
    ),
    "outcome": (_change_outcome, ("POST", "/api/patients/{p}/outcomes"), "outcome"),
    "hand_back": (_change_hand_back, ("POST", "/api/patients/{p}/handbacks"), "hand_back"),
    "document": (_change_document, ("POST", "/api/patients/{p}/documents"), "document"),
}


def _audit_rows(world, entity: str) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.seq)
        ).all()
        return [(row.action, row.detail) for row in rows if row.outcome == "ok"]


@pytest.mark.parametrize("role", ["coordinator", "viewer", "nurse", "physician"])
@pytest.mark.parametrize("kind", sorted(_RECORDS))
def test_import_is_refused_exactly_where_the_direct_route_is(  # type: ignore[no-untyped-def]
    client, world, kind: str, role: str
) -> None:
    patient_id = _seeded(world)
    change, (method, path), entity = _RECORDS[kind]
    url = path.format(p=patient_id, c=_first_id(world, Course), s=_first_id(world, ExchangeSession))
    direct = client.request(method, url, headers=world.headers(role), json={}).status_code
    bundle = copy.deepcopy(_export(client, world, patient_id))
    change(bundle)
    before = {m: _versions(world, m) for m in (ExchangeSession, Course, HandBack)}
    audited = _audit_rows(world, entity)
    r = _import(client, world, bundle, role=role)
    assert (r.status_code == 403) == (direct == 403), (kind, role, direct, r.status_code, r.text)
    if r.status_code == 403:
        assert {m: _versions(world, m) for m in (ExchangeSession, Course, HandBack)} == before
        assert _audit_rows(world, entity) == audited
        return
    assert r.status_code == 200, r.text
    new_rows = [row for row in _audit_rows(world, entity)[len(audited) :] if row[0] != "import"]
    assert [action for action, _ in new_rows] == ["update"], new_rows
    assert new_rows[0][1]["via"] == "fhir_import" and new_rows[0][1]["fields"], new_rows


def test_an_unchanged_re_import_moves_no_version_and_writes_no_record_row(client, world) -> None:  # type: ignore[no-untyped-def]
    from plexms.store.base import Base

    patient_id = _seeded(world)
    bundle = _export(client, world, patient_id)
    models = [
        m.class_
        for m in Base.registry.mappers
        if hasattr(m.class_, "version") and hasattr(m.class_, "id")
    ]

    def versions() -> dict[str, dict[int, int]]:
        return {m.__tablename__: _versions(world, m) for m in models}

    before = versions()
    with world.db.read() as s:
        seq = s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()
    for role in ("coordinator", "nurse", "physician"):  # even a role that may change little
        r = _import(client, world, bundle, role=role)
        assert r.status_code == 200, r.text
        assert r.json() == {"patient_id": patient_id, "created": {}, "updated": {}}
    assert versions() == before
    with world.db.read() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.seq > seq)).all()
    assert {(row.action, row.entity) for row in rows} == {("import", "patient")}


def test_an_open_sheet_is_left_alone_by_an_unchanged_import(client, world) -> None:  # type: ignore[no-untyped-def]
    """A nurse holding an open sheet (version v) can still save it after a re-import."""
    patient_id = _seeded(world)
    session_id = _first_id(world, ExchangeSession)
    version = _versions(world, ExchangeSession)[session_id]
    assert _import(client, world, _export(client, world, patient_id)).status_code == 200
    r = client.put(
        f"/api/sessions/{session_id}/record",
        headers={**world.headers("nurse"), "If-Match": f'"{version}"'},
        json={"status": "done", "notes": "saved after the import"},
    )
    assert r.status_code != 412, r.text


def test_a_signed_session_cannot_change_through_import_for_any_role(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = _seeded(world)
    session_id = _sign_off_first_session(world)
    version = _versions(world, ExchangeSession)[session_id]
    bundle = copy.deepcopy(_export(client, world, patient_id))
    _procedures(bundle)[0]["note"] = [{"text": "rewritten after sign-off"}]
    for role in ("nurse", "physician", "admin"):
        r = _import(client, world, bundle, role=role)
        assert r.status_code == 409, r.text
        assert r.json()["field"] == "sign_off"  # the direct route's refusal, word for word
    assert _versions(world, ExchangeSession)[session_id] == version
    direct = client.put(
        f"/api/sessions/{session_id}/record",
        headers={**world.headers("nurse"), "If-Match": f'"{version}"'},
        json={"status": "done", "notes": "rewritten after sign-off"},
    )
    assert direct.status_code == 409 and direct.json()["field"] == "sign_off", direct.text


def test_the_command_line_import_goes_the_same_way(world, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``plexms fhir import``: the same use cases (system actor): a signed-off session is
    refused, and each changed record gets its own audit row naming the fields."""
    from typer.testing import CliRunner

    from plexms.cli import app as cli_app
    from plexms.services.sharing import interop
    from plexms.settings import get_settings

    patient_id = _seeded(world)
    session_id = _sign_off_first_session(world)
    bundle = interop.export_fhir(world.ctx("physician"), patient_id)
    runner = CliRunner()
    monkeypatch.setenv("PLEXMS_DATABASE_URL", str(world.db.url))
    monkeypatch.setenv("PLEXMS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    env: dict[str, str] = {}

    signed = copy.deepcopy(bundle)
    _procedures(signed)[0]["note"] = [{"text": "rewritten after sign-off"}]
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(signed))
    version = _versions(world, ExchangeSession)[session_id]
    result = runner.invoke(cli_app, ["fhir", "import", str(path), "--centre", "centre-a"], env=env)
    assert result.exit_code != 0, result.output
    assert "signed off" in result.output
    assert _versions(world, ExchangeSession)[session_id] == version

    changed = copy.deepcopy(bundle)
    _change_lab(changed)
    _change_hand_back(changed)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    result = runner.invoke(cli_app, ["fhir", "import", str(path), "--centre", "centre-a"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["updated"] == {"lab": 1, "hand_back": 1}
    with world.db.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.actor == "system", AuditEvent.action == "update")
        ).all()
    assert sorted((row.entity, tuple(row.detail["fields"])) for row in rows) == [
        ("hand_back", ("plan",)),
        ("lab", ("value",)),
    ]
    get_settings.cache_clear()


def test_a_hand_back_part_of_itself_is_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    hand_back = _care_plan(bundle, hand_back=True)
    hand_back["partOf"] = [{"reference": f"urn:uuid:{hand_back['id']}"}]
    r = _import(client, world, bundle, role="physician")
    assert 400 <= r.status_code < 500, r.text


def test_deeply_nested_objects_inside_a_resource_are_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    text = json.dumps(bundle)
    deep = '{"url": "urn:x", "extension": [' * 5_000 + "]}" * 5_000
    text = text.replace('"resourceType": "Patient",', f'"resourceType": "Patient", "x": {deep},', 1)
    r = client.post("/api/fhir/import", headers=world.headers("physician"), content=text.encode())
    assert r.status_code == 422, r.text[:300]


def test_an_imported_adverse_event_is_graded_as_the_direct_route_grades_it(client, world) -> None:  # type: ignore[no-untyped-def]
    from plexms.core.adverse_events import ctcae_grade
    from plexms.store.models import AdverseEvent

    bundle = copy.deepcopy(_export(client, world, _seeded(world)))
    _set_ext(_resources(bundle, "AdverseEvent")[0], "waa-severity", "valueString", "moderate")
    r = _import(client, world, bundle, role="nurse")
    assert r.status_code == 200, r.text
    with world.db.read() as s:
        event = s.scalars(select(AdverseEvent)).one()
        assert (event.severity, event.ctcae_grade) == (
            "moderate",
            ctcae_grade("moderate", life_threatening=False),
        )


def test_a_course_awaiting_its_cosignature_takes_no_session_record_through_import(  # type: ignore[no-untyped-def]
    client, world
) -> None:
    """record_session refuses a session on a course whose prescription awaits its second
    signature (409 ``cosign``); an import changing such a session is refused the same way."""
    patient_id = _seeded(world)
    bundle = _rewrite_session(_export(client, world, patient_id))
    with world.db.write() as s:
        s.execute(
            update(Course).values(
                cosign_required=True, cosigned_at=None, cosigned_by=None, version=Course.version + 1
            )
        )
    before = _versions(world, ExchangeSession)
    r = _import(client, world, bundle, role="physician")
    assert r.status_code == 409, r.text
    assert "cosign" in r.text
    assert _versions(world, ExchangeSession) == before
