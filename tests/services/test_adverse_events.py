"""Adverse events: the service computes the WAA severity and the CTCAE-style grade from what
happened and stores the grade; the API refuses an event type or severity outside the
vocabulary, or a severity that contradicts the facts, naming the field (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from plexms.core.errors import InputError
from plexms.core.vocabulary import AE_TYPES
from plexms.services.clinical import records, sessions
from plexms.services.schemas.clinical import AdverseEventIn, AdverseEventUpdate
from plexms.store.models import AdverseEvent

ONSET = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)


def _report(world, pid: int, **facts):  # type: ignore[no-untyped-def]
    data = AdverseEventIn(event_type="hypotension", onset_at=ONSET, **facts)
    return sessions.report_adverse_event(world.ctx("nurse"), pid, data)


@pytest.mark.parametrize(
    ("facts", "severity", "grade", "interrupted"),
    [
        ({}, "mild", 1, False),
        ({"needed_medication": True}, "moderate", 2, False),
        ({"needed_medication": True, "procedure_interrupted": True}, "severe", 3, True),
        ({"procedure_stopped": True}, "severe", 3, True),
        ({"procedure_stopped": True, "life_threatening": True}, "severe", 4, True),
        ({"died": True}, "death", 5, False),
    ],
)
def test_severity_and_grade_come_from_what_happened(  # type: ignore[no-untyped-def]
    world, facts, severity, grade, interrupted
) -> None:
    pid = world.patient().id
    out = _report(world, pid, **facts)
    assert (out.severity, out.ctcae_grade, out.procedure_interrupted) == (
        severity,
        grade,
        interrupted,
    )
    assert out.notes == ""  # the grade is a field, not free text
    with world.db.read() as session:
        row = session.get(AdverseEvent, out.id)
        assert row is not None and (row.severity, row.ctcae_grade) == (severity, grade)


def test_a_severity_sent_without_facts_is_taken_as_recorded(world) -> None:  # type: ignore[no-untyped-def]
    out = _report(world, world.patient().id, severity="moderate")
    assert (out.severity, out.ctcae_grade) == ("moderate", 2)


def test_a_severity_that_contradicts_the_facts_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as caught:
        _report(world, world.patient().id, severity="mild", procedure_stopped=True)
    assert caught.value.field == "severity" and caught.value.allowed == "severe"


def test_updating_the_severity_regrades(world) -> None:  # type: ignore[no-untyped-def]
    made = _report(world, world.patient().id)
    ctx = world.ctx("nurse")
    out = records.update_adverse_event(
        ctx, made.id, AdverseEventUpdate(severity="severe"), made.version
    )
    assert (out.severity, out.ctcae_grade) == ("severe", 3)
    out = records.update_adverse_event(
        ctx, made.id, AdverseEventUpdate(life_threatening=True), out.version
    )
    assert (out.severity, out.ctcae_grade, out.life_threatening) == ("severe", 4, True)


def test_event_types_are_the_vocabulary() -> None:
    for word in AE_TYPES.values:
        assert AdverseEventIn(event_type=word, onset_at=ONSET).event_type == word
    with pytest.raises(ValidationError):
        AdverseEventIn(event_type="citrate_reaction", onset_at=ONSET)


def test_api_names_the_field_it_refuses(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    url = f"/api/patients/{pid}/adverse-events"
    nurse = world.headers("nurse")
    onset = ONSET.isoformat()
    for body, field in (
        ({"event_type": "felt_odd", "onset_at": onset}, "event_type"),
        ({"event_type": "nausea", "severity": "awful", "onset_at": onset}, "severity"),
        (
            {"event_type": "nausea", "severity": "mild", "died": True, "onset_at": onset},
            "severity",
        ),
    ):
        r = client.post(url, headers=nurse, json=body)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    ok = client.post(
        url,
        headers=nurse,
        json={"event_type": "nausea", "needed_medication": True, "onset_at": onset},
    )
    assert ok.status_code == 201, ok.text
    assert (ok.json()["severity"], ok.json()["ctcae_grade"]) == ("moderate", 2)
