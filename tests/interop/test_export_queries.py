"""Exporting many patients costs a fixed number of queries per batch, not per patient."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from tests.interop.conftest import NOW, add_centre, seed_patient

from plexms.interop.fhir_out.build import _prune
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.sharing import interop
from plexms.store.database import Database
from plexms.store.migrate import upgrade


def _selects(db: Database, ctx: ServiceContext) -> tuple[int, int]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        exported = sum(1 for _ in interop.export_fhir_all(ctx))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The audit chain's own reads of its head are its business (per row or per commit).
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    return exported, sum("audit_head" not in s for s in reads)


def test_select_count_does_not_grow_with_patients(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    upgrade(url)
    db = Database(url)
    try:
        centre_id = add_centre(db)
        ctx = ServiceContext(db=db, actor=SYSTEM, now=NOW)
        seed_patient(db, centre_id, mrn="A")
        one = _selects(db, ctx)
        for i in range(4):
            seed_patient(db, centre_id, mrn=f"B{i}")
        five = _selects(db, ctx)
    finally:
        db.dispose()
    assert one[0] == 1 and five[0] == 5
    # patient ids + 14 table reads (with the measures beyond the EDSS), however many patients.
    assert five[1] == one[1] <= 15


def test_prune_drops_empty_elements_at_every_depth() -> None:
    value = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "e": [None, "", {}, [], {"x": None}, 0, False, "k"],
        "f": {"g": {"h": [{}]}},
        "i": 0,
        "j": [[1], [[]]],
    }
    assert _prune(value) == {"e": [0, False, "k"], "i": 0, "j": [[1]]}
    assert _prune([{"a": 1}, None]) == [{"a": 1}] and _prune(3) == 3
