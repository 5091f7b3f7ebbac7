"""Exports are safe to open (issue 15, item 7).

The attack: text a user typed (or a FHIR import carried) that starts with ``=``, ``+``, ``-``,
``@``, tab or carriage return is a formula to a spreadsheet (``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``); opened from the registry export or a CSV download it runs. The
defence (OWASP "CSV injection"): every text cell starting with one of those characters is
prefixed with a single quote in the registry export and every CSV download; numbers are
numbers and keep their sign. Free text that only takes a code is validated at the API
(anticoagulant, replacement fluid).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select, update

from plexms.interop.registry.writer import neutralise
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.sharing import registry, registry_export
from plexms.store.models import AdverseEvent, Course, ExchangeSession
from tests.interop.conftest import seed_patient

_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

FORMULAS = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=1"]
_DANGER = ("=", "+", "-", "@", "\t", "\r")


def _plant(world) -> int:  # type: ignore[no-untyped-def]
    patient_id = seed_patient(world.db, world.centres["a"])
    with world.db.write() as s:
        s.execute(update(Course).values(indication=FORMULAS[0], stop_reason=FORMULAS[1]))
        s.execute(update(ExchangeSession).values(anticoagulant=FORMULAS[2], go_decision="@go"))
        s.execute(update(AdverseEvent).values(event_type=FORMULAS[3]))
    return patient_id


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _dangerous(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run (a number such as ``-2`` is a number, not a formula)."""
    return [cell for row in rows for cell in row if cell.startswith(_DANGER) and not _number(cell)]


@_sqlite
def test_registry_export_neutralises_formulas(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _plant(world)
    ctx = ServiceContext(db=world.db, actor=SYSTEM, settings=world.settings)
    registry_export.export_registry(ctx, tmp_path, formats=["csv"], secret=b"k" * 32)
    seen = []
    for path in sorted(tmp_path.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert _dangerous(rows) == [], path.name
        seen += [cell for row in rows for cell in row if cell.startswith("'")]
    assert "'" + FORMULAS[0] in seen and "'@SUM(A1)" in seen


@_sqlite
def test_registry_csv_download_neutralises_formulas(world) -> None:  # type: ignore[no-untyped-def]
    _plant(world)
    body = registry.export_courses_csv(world.ctx("physician"))
    rows = list(csv.reader(io.StringIO(body)))
    assert _dangerous(rows) == []
    assert "'" + FORMULAS[0] in [cell for row in rows for cell in row]


@pytest.mark.parametrize("text", FORMULAS)
def test_neutralise_prefixes_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "albumin_5", "a=b", "O'Brien", " =1"])
def test_neutralise_leaves_other_text(text: str) -> None:
    assert neutralise(text) == text


@_sqlite
def test_api_refuses_codes_outside_their_vocabulary(client, world) -> None:  # type: ignore[no-untyped-def]
    patient_id = seed_patient(world.db, world.centres["a"])
    with world.db.read() as s:
        session_id = s.scalars(select(ExchangeSession.id).order_by(ExchangeSession.id)).first()
        version = s.get(ExchangeSession, session_id).version
    r = client.put(
        f"/api/sessions/{session_id}/record",
        headers={**world.headers("nurse"), "If-Match": f'"{version}"'},
        json={"status": "done", "anticoagulant": "=HYPERLINK(1)"},
    )
    assert r.status_code == 422, r.text
    assert patient_id
