"""Registry dashboard and the synthetic registry generator, on both backends.

The SQL aggregates are checked against the same figures counted in Python from the rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select, text

from plexms.core.errors import InputError
from plexms.services import audit
from plexms.services.errors import PermissionDenied
from plexms.services.sharing import registry, registry_demo
from plexms.services.sharing.registry import RegistryFilter
from plexms.store.models import (
    AdverseEvent,
    AuditEvent,
    Course,
    Episode,
    ExchangeSession,
    OutcomeAssessment,
    Patient,
)

N = 120


@pytest.fixture
def loaded(world):  # type: ignore[no-untyped-def]
    ctx = world.ctx("admin", "a")
    result = registry_demo.load_registry(ctx, N, centre_id=world.centres["a"], seed=11)
    return world, result


def _band(days: int) -> str:
    return "0-7" if days <= 7 else "8-14" if days <= 14 else "15-28" if days <= 28 else ">28"


def _reference(world) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The dashboard's figures counted in Python from every row of centre a."""
    with world.db.read() as s:
        courses = list(s.scalars(select(Course).where(Course.centre_id == world.centres["a"])))
        onset = {e.id: e.onset_date for e in s.scalars(select(Episode))}
        visits = defaultdict(list)
        for o in s.scalars(select(OutcomeAssessment)):
            if o.timepoint != "baseline" and o.targeted_deficit:
                visits[o.course_id].append(o)
        ids = {c.id for c in courses}
        sessions = [x for x in s.scalars(select(ExchangeSession)) if x.course_id in ids]
        events = [e for e in s.scalars(select(AdverseEvent)) if e.course_id in ids]
    response = {}
    for c in courses:
        if not visits[c.id]:
            response[c.id] = "not_assessed"
            continue
        rank = ("worse", "none", "mild", "moderate", "marked")
        last = max(visits[c.id], key=lambda o: (o.assessed_on, rank.index(o.targeted_deficit)))
        good = last.targeted_deficit in ("marked", "moderate")
        response[c.id] = "responder" if good else "non_responder"
    by_ind: dict[str, Counter[str]] = defaultdict(Counter)
    by_band: dict[str, Counter[str]] = defaultdict(Counter)
    for c in courses:
        for table, key in (
            (by_ind, c.indication),
            (by_band, _band((c.start_date - onset[c.episode_id]).days)),
        ):
            table[key]["courses"] += 1
            table[key]["assessed"] += response[c.id] != "not_assessed"
            table[key]["responders"] += response[c.id] == "responder"
    done = {x.id for x in sessions if x.status == "done"}
    worst: dict[int, int] = {}
    order = ("mild", "moderate", "severe", "death")
    for e in events:
        if e.session_id in done:
            worst[e.session_id] = max(worst.get(e.session_id, 0), order.index(e.severity))
    return {
        "by_ind": {k: dict(v) for k, v in by_ind.items()},
        "by_band": {k: dict(v) for k, v in by_band.items()},
        "procedures": len(done),
        "types": Counter(e.event_type for e in events),
        "worst": Counter(order[w] for w in worst.values()),
    }


def _as_dict(groups) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    return {
        g.key: {"courses": g.courses, "assessed": g.assessed, "responders": g.responders}
        for g in groups
    }


# What seed 11 draws for N patients: the generator is deterministic, so these are exact (the
# same on both backends). A change to the generator's draws changes them: check the new figures
# still look like the literature (module docstring of the generator), then update them here.
SEED_11_ROWS = {
    "patient": N,
    "episode": 175,
    "course": 175,  # 1.46 per patient (mean 1.5)
    "exchange_session": 1042,  # 5.95 per course (mean 6)
    "adverse_event": 43,
    "outcome_assessment": 380,
}
SEED_11_INDICATIONS = {"relapse": 99, "optic_neuritis": 46, "cis": 13, "other": 9, "tumefactive": 8}


def test_generator_sizes_and_distributions(loaded) -> None:  # type: ignore[no-untyped-def]
    world, result = loaded
    assert result.rows == SEED_11_ROWS
    assert result.sessions_per_s > 0
    with world.db.read() as s:
        sexes = Counter(s.scalars(select(Patient.sex)))
        indications = Counter(s.scalars(select(Course.indication)))
    assert sexes == {"female": 91, "male": 29}
    assert indications == SEED_11_INDICATIONS


def test_dashboard_equals_the_rows_counted_in_python(loaded) -> None:  # type: ignore[no-untyped-def]
    world, _ = loaded
    ref = _reference(world)
    board = registry.dashboard(world.ctx("viewer", "a"))
    assert _as_dict(board.by_indication) == ref["by_ind"]
    assert _as_dict(board.by_onset_band) == ref["by_band"]
    assert [g.key for g in board.by_onset_band] == [
        b for b in registry.BANDS if b in ref["by_band"]
    ]
    assert board.procedures == ref["procedures"]
    assert {t.event_type: t.events for t in board.events_by_type} == dict(ref["types"])
    assert board.waa is not None
    assert {r.severity: r.count for r in board.waa.rows if r.count} == dict(ref["worst"])
    # 92 responders of 157 assessed: 58.6%, inside the literature's 44-81% (MARRODAN_2025)
    assert (board.overall.courses, board.overall.assessed, board.overall.responders) == (
        175,
        157,
        92,
    )
    # 43 events in 1,023 procedures: 4.2 per 100, near the WAA figures (3.7 per 100)
    assert board.procedures == 1023
    assert sum(t.events for t in board.events_by_type) == SEED_11_ROWS["adverse_event"]


def test_other_centre_sees_nothing(loaded) -> None:  # type: ignore[no-untyped-def]
    world, _ = loaded
    board = registry.dashboard(world.ctx("physician", "b"))
    assert board.courses == 0 and board.procedures == 0 and board.waa is None
    assert registry.list_courses(world.ctx("physician", "b")).total == 0


def test_filters(loaded) -> None:  # type: ignore[no-untyped-def]
    world, _ = loaded
    ctx = world.ctx("viewer", "a")
    every = registry.dashboard(ctx)
    relapse = registry.dashboard(ctx, RegistryFilter(indication="relapse"))
    assert [g.key for g in relapse.by_indication] == ["relapse"]
    assert relapse.courses == next(g.courses for g in every.by_indication if g.key == "relapse")
    responders = registry.dashboard(ctx, RegistryFilter(response="responder"))
    assert responders.overall.rate_percent == 100.0
    page = registry.list_courses(ctx, RegistryFilter(response="not_assessed"), limit=500)
    assert page.total == every.overall.courses - every.overall.assessed
    assert all(r.response == "not_assessed" and r.response_grade is None for r in page.items)
    first = registry.list_courses(ctx, limit=5)
    assert len(first.items) == 5 and first.total == every.courses
    dates = [r.start_date for r in first.items]
    assert dates == sorted(dates, reverse=True)
    cut = first.items[2].start_date
    later = registry.list_courses(ctx, RegistryFilter(start_from=cut), limit=500)
    assert later.items and all(r.start_date >= cut for r in later.items)
    window = registry.dashboard(ctx, RegistryFilter(start_from=cut, start_to=cut))
    assert window.courses == sum(1 for r in later.items if r.start_date == cut)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"indication": "migraine"}, "indication"),
        ({"response": "maybe"}, "response"),
        ({"start_from": dt.date(2025, 2, 1), "start_to": dt.date(2025, 1, 1)}, "start_to"),
    ],
)
def test_bad_filters_name_the_field(kwargs, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as err:
        RegistryFilter(**kwargs)
    assert err.value.field == field


def test_csv_export_ids_not_names_and_audited(loaded) -> None:  # type: ignore[no-untyped-def]
    world, _ = loaded
    text = registry.export_courses_csv(
        world.ctx("nurse", "a"), RegistryFilter(indication="relapse")
    )
    lines = text.strip().splitlines()
    assert lines[0] == ",".join(registry.CSV_COLUMNS)
    assert all(",relapse," in line for line in lines[1:])
    assert "Registry" not in text and "Synthetic" not in text and "REG-" not in text
    with world.db.read() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "registry")))
    assert "export" in actions
    with pytest.raises(PermissionDenied):
        registry.export_courses_csv(world.ctx("viewer", "a"))


def test_generator_is_deterministic(world) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    first = {"patient": 1, "episode": 1, "course": 1, "exchange_session": 1}
    first |= {"adverse_event": 1, "outcome_assessment": 1}
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    a = registry_demo.build_chunk(
        np.random.default_rng([5, 0]), 50, first, 1, dt.date(2026, 6, 30), now
    )
    b = registry_demo.build_chunk(
        np.random.default_rng([5, 0]), 50, first, 1, dt.date(2026, 6, 30), now
    )
    assert all(a[t].equals(b[t]) for t in registry_demo.TABLES)


SNAPSHOT = Path(__file__).parents[1] / "data" / "registry_demo" / "chunk_seed2_3_patients.json"


def _snapshot_text(tables) -> str:  # type: ignore[no-untyped-def]
    """Every row of every table, one JSON object a line (a readable diff when a draw moves)."""
    lines = ["{"]
    for i, table in enumerate(registry_demo.TABLES):
        rows = tables[table].to_pylist()
        lines.append(f"{json.dumps(table)}: [")
        lines += [
            "  " + json.dumps(row, sort_keys=True, default=str) + ("," if j < len(rows) - 1 else "")
            for j, row in enumerate(rows)
        ]
        lines.append("]" + ("," if i < len(registry_demo.TABLES) - 1 else ""))
    return "\n".join([*lines, "}"]) + "\n"


def test_generator_rows_equal_the_snapshot() -> None:
    """Three patients drawn with seed 2 (chunk 0), every column of every table, as stored in
    ``tests/data/registry_demo``. ``PLEXMS_UPDATE_SNAPSHOTS=1`` rewrites the file after an
    intended change of the generator (review the diff)."""
    import numpy as np

    first = dict.fromkeys(registry_demo.TABLES, 1)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    tables = registry_demo.build_chunk(
        np.random.default_rng([2, 0]), 3, first, 1, dt.date(2026, 6, 30), now
    )
    got = _snapshot_text(tables)
    if os.environ.get("PLEXMS_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(got)
    assert json.loads(got) == json.loads(SNAPSHOT.read_text())
    assert {t: len(rows) for t, rows in json.loads(got).items()} == {
        "patient": 3,
        "episode": 5,
        "course": 5,
        "exchange_session": 31,
        "adverse_event": 1,
        "outcome_assessment": 10,
    }


def test_generator_refuses_bad_sizes(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        registry_demo.load_registry(world.ctx("admin", "a"), 0, centre_id=world.centres["a"])
    with pytest.raises(PermissionDenied):
        registry_demo.load_registry(world.ctx("nurse", "a"), 5, centre_id=world.centres["a"])


def test_planner_settings_apply_to_one_query_only(loaded) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the response-rate queries are planned without parallel workers and hash
    joins; the rest of the read transaction keeps the server's settings."""
    world, _ = loaded
    names = ("max_parallel_workers_per_gather", "enable_hashjoin", "work_mem")
    with world.db.read() as s:
        postgres = s.get_bind().dialect.name == "postgresql"
        show = "SELECT " + ", ".join(f"current_setting('{n}')" for n in names)
        before = s.execute(text(show)).one() if postgres else None
        rates = registry.response_by_onset_band(s, world.centres["a"], RegistryFilter())
        after = s.execute(text(show)).one() if postgres else None
    assert sum(g.courses for g in rates) > N
    assert before == after


def test_the_page_view_equals_dashboard_and_list_with_one_audit_row(loaded) -> None:  # type: ignore[no-untyped-def]
    world, _ = loaded
    ctx = world.ctx("viewer", "a")
    f = registry.RegistryFilter(indication="relapse")
    with world.db.read() as s:
        before = audit.count(s)
    view = registry.registry_view(ctx, f, limit=7, offset=3)
    with world.db.read() as s:
        assert audit.count(s) == before + 1
        assert audit.count(s, entity="registry", action="search", actor="viewer-a") == 1
    assert view.dashboard == registry.dashboard(ctx, f)
    assert view.courses == registry.list_courses(ctx, f, limit=7, offset=3)
    assert len(view.courses.items) == 7 and view.courses.total > 10
    with pytest.raises(InputError, match="limit"):
        registry.registry_view(ctx, f, limit=0)
