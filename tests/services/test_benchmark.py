"""Centre benchmarking over a two-centre registry, both backends: the SQL counts equal the
rows counted in Python, other centres are anonymous, the CUSUM runs over the procedures in
time order, and the boundaries (no procedures) answer without error."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import select

from plexms.core.benchmark import bernoulli_cusum
from plexms.services.context import SYSTEM, ServiceContext
from plexms.services.errors import PermissionDenied
from plexms.services.sharing import benchmark as bench_service
from plexms.services.sharing import registry_demo
from plexms.services.sharing.registry import RegistryFilter
from plexms.store.models import AdverseEvent, AuditEvent, ExchangeSession

N = 80


@pytest.fixture
def two_centres(world):  # type: ignore[no-untyped-def]
    for code, seed in (("a", 11), ("b", 12)):
        ctx = world.ctx("admin", code)
        registry_demo.load_registry(ctx, N, centre_id=world.centres[code], seed=seed)
    return world


def _counted(world, centre: int):  # type: ignore[no-untyped-def]
    with world.db.read() as s:
        done = {
            x.id: x
            for x in s.scalars(select(ExchangeSession))
            if x.status == "done" and x.deleted_at is None and x.centre_id == centre
        }
        events = [e for e in s.scalars(select(AdverseEvent)) if e.session_id in done]
    per_type: dict[str, set[int]] = defaultdict(set)
    for e in events:
        per_type[e.event_type].add(e.session_id)
    with_event = {e.session_id for e in events}
    order = sorted(done.values(), key=lambda x: (x.actual_start or x.planned_start, x.id))
    return (
        len(done),
        {t: len(v) for t, v in per_type.items()},
        [int(x.id in with_event) for x in order],
    )


def test_the_benchmark_equals_the_rows_counted_in_python(two_centres) -> None:  # type: ignore[no-untyped-def]
    world = two_centres
    b = bench_service.benchmark(world.ctx("viewer", "a"))
    procedures, per_type, outcomes = _counted(world, world.centres["a"])
    assert b.procedures == procedures > 0
    assert {r.event_type: r.procedures_with_event for r in b.by_type} == per_type
    assert sum(sum(r.by_severity.values()) for r in b.by_type) >= sum(per_type.values())
    for r in b.by_type:
        assert r.ci95_per_100[0] <= r.per_100 <= r.ci95_per_100[1]
    assert b.waa is not None and b.waa.procedures == procedures
    # the funnel: our centre named, the other anonymous, counts only
    labels = [p.label for p in b.funnel.points]
    assert sorted(labels) == ["centre 1", "your centre (centre-a)"]
    assert b.own_label == "your centre (centre-a)"
    own = next(p for p in b.funnel.points if p.label == b.own_label)
    assert own.procedures == procedures and own.events == sum(outcomes)
    other_procedures, _, other_outcomes = _counted(world, world.centres["b"])
    assert b.funnel.target == pytest.approx(
        (sum(outcomes) + sum(other_outcomes)) / (procedures + other_procedures)
    )
    # the CUSUM over the procedures in time order, with the centre's settings
    expected = bernoulli_cusum(np.array(outcomes), 0.038, 2.0, 4.5)
    np.testing.assert_allclose(b.cusum.values, expected.values)
    assert b.cusum.signals == expected.signals
    assert len(b.cusum_signal_dates) == len(b.cusum.signals)
    assert b.cusum_first is not None and b.cusum_last is not None
    assert b.cusum_first <= b.cusum_last


def test_the_system_sees_every_centre_by_code(two_centres) -> None:  # type: ignore[no-untyped-def]
    world = two_centres
    ctx = ServiceContext(db=world.db, actor=SYSTEM, settings=world.settings)
    b = bench_service.benchmark(ctx)
    assert sorted(p.label for p in b.funnel.points) == ["centre-a", "centre-b"]
    assert b.own_label is None and b.centre_label == "all centres"


def test_a_centre_without_procedures(world) -> None:  # type: ignore[no-untyped-def]
    b = bench_service.benchmark(world.ctx("viewer", "b"), RegistryFilter(indication="relapse"))
    assert b.procedures == 0 and b.by_type == () and b.waa is None
    assert b.funnel.points == () and b.cusum.values.size == 0
    text = bench_service.benchmark_csv(world.ctx("nurse", "b"))
    assert text.splitlines()[0].startswith("section,item,count,procedures,per_100")
    assert "cusum" in text and "signals at none" in text


def test_csv_export_is_audited_and_needs_the_export_permission(two_centres) -> None:  # type: ignore[no-untyped-def]
    world = two_centres
    text = bench_service.benchmark_csv(world.ctx("nurse", "a"))
    sections = {line.split(",", 1)[0] for line in text.strip().splitlines()[1:]}
    assert sections == {"type", "severity", "funnel", "cusum"}
    assert "all procedure types" in text and "Registry" not in text
    with world.db.read() as s:
        entities = list(s.scalars(select(AuditEvent.entity).where(AuditEvent.action == "export")))
    assert "registry_benchmark" in entities
    with pytest.raises(PermissionDenied):
        bench_service.benchmark_csv(world.ctx("viewer", "a"))
