"""The registry's precomputed facts stay equal to a recount from the clinical tables after every
kind of write, on both backends: the dashboard and the centre benchmarking read from them
(``registry_rollup``) give the same answers as the counting from the clinical tables
(``registry_dashboard``, ``registry_benchmark``) for every filter.

Writes: through the session (what every use case does), ORM bulk UPDATE and DELETE, a
patient erased (the database deletes the courses by cascade), the bulk loader (COPY), a
migration onto a database that already has courses, and two writers at once on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from plexms.core.adverse_events import SEVERITIES
from plexms.core.vocabulary import TND_GRADES
from plexms.services.clinical import patients
from plexms.services.sharing import registry_demo
from plexms.store import registry_benchmark as live_benchmark
from plexms.store import registry_dashboard as live
from plexms.store import registry_facts, registry_rollup
from plexms.store.models import (
    AdverseEvent,
    Course,
    Episode,
    ExchangeSession,
    OutcomeAssessment,
    Patient,
    RegistryCell,
    RegistryCourse,
)
from plexms.store.registry_dashboard import INDICATIONS, RESPONSES, RegistryFilter

N = 60
END = dt.date(2026, 6, 30)


def _filters() -> list[RegistryFilter]:
    out = [RegistryFilter()]
    out += [RegistryFilter(indication=i) for i in INDICATIONS]
    out += [RegistryFilter(response=r) for r in RESPONSES]
    out += [
        RegistryFilter(start_from=END - dt.timedelta(days=700), start_to=END),
        RegistryFilter(start_from=dt.date(2020, 1, 1), start_to=dt.date(2022, 12, 31)),
        RegistryFilter(indication="relapse", response="responder", start_to=dt.date(2024, 1, 1)),
    ]
    return out


def assert_true(world: Any) -> None:
    """Facts equal a recount, and every dashboard query equals its live counterpart."""
    with world.db.read() as s:
        assert registry_facts.differences(s.connection()) == {"courses": 0, "cells": 0}
        for centre in (None, world.centres["a"], world.centres["b"]):
            for f in _filters():
                for name, fast in registry_rollup.QUERIES.items():
                    slow = live.QUERIES[name]
                    if name == "course_page":
                        got, want = fast(s, centre, f, 15, 3), slow(s, centre, f, 15, 3)
                        assert (got.total, got.items) == (want.total, want.items), (name, f)
                    else:
                        assert fast(s, centre, f) == slow(s, centre, f), (name, centre, f)
                for name in ("type_severity",):
                    fast, slow = getattr(registry_rollup, name), getattr(live_benchmark, name)
                    assert fast(s, centre, f) == slow(s, centre, f), (name, centre, f)
                got = registry_rollup.outcomes_in_time_order(s, centre, f, 40)
                assert got == live_benchmark.outcomes_in_time_order(s, centre, f, 40), f
                if centre is None:
                    got_centres = registry_rollup.procedures_by_centre(s, f)
                    assert got_centres == live_benchmark.procedures_by_centre(s, f), f


@pytest.fixture
def loaded(world):  # type: ignore[no-untyped-def]
    for code, seed in (("a", 5), ("b", 6)):
        ctx = world.ctx("admin", code)
        registry_demo.load_registry(ctx, N, centre_id=world.centres[code], seed=seed)
    return world


def _pick(s: Any, model: Any, rng: random.Random, *where: Any) -> Any:
    ids = sorted(s.scalars(select(model.id).where(*where)))
    return s.get(model, rng.choice(ids)) if ids else None


def _visit(s: Any, course: Course, day: dt.date, grade: str) -> OutcomeAssessment:
    """A new graded visit of ``course`` (the other columns copied from a loaded visit)."""
    o = OutcomeAssessment
    template = s.scalars(select(o).order_by(o.id).limit(1)).one()
    skip = ("id", "version", "course_id", "patient_id", "centre_id")
    copied = {k: getattr(template, k) for k in o.__table__.columns.keys() if k not in skip}
    return o(
        **copied
        | {
            "course_id": course.id,
            "patient_id": course.patient_id,
            "centre_id": course.centre_id,
            "assessed_on": day,
            "timepoint": "1_month",
            "targeted_deficit": grade,
            "deleted_at": None,
        }
    )


KINDS = (
    "grade",
    "visit_deleted",
    "visit_moved",
    "visit_added",
    "session_status",
    "session_deleted",
    "event_added",
    "event_severity",
    "event_moved",
    "onset",
    "episode_deleted",
    "course_indication",
    "course_unlinked",
    "course_start",
    "course_deleted",
    "course_centre",
    "course_status",
)


def _mutate(s: Any, rng: random.Random, now: dt.datetime, kind: str) -> None:
    """One write of ``kind`` (one that can move the dashboard), through the session."""
    o, x, a, c, e = OutcomeAssessment, ExchangeSession, AdverseEvent, Course, Episode
    if kind == "grade" and (v := _pick(s, o, rng, o.deleted_at.is_(None))):
        v.targeted_deficit = rng.choice((*TND_GRADES.values, None))
        v.timepoint = rng.choice(("baseline", "1_month", "3_months"))
    elif kind == "visit_deleted" and (v := _pick(s, o, rng, o.deleted_at.is_(None))):
        v.deleted_at = now
    elif kind == "visit_moved" and (v := _pick(s, o, rng)):
        v.course_id = _pick(s, c, rng).id
        v.assessed_on = v.assessed_on + dt.timedelta(days=rng.randint(-40, 40))
    elif kind == "visit_added" and (course := _pick(s, c, rng)):
        day = course.start_date + dt.timedelta(days=rng.randint(1, 200))
        s.add(_visit(s, course, day, rng.choice(TND_GRADES.values)))
    elif kind == "session_status" and (v := _pick(s, x, rng)):
        v.status = rng.choice(("done", "planned", "cancelled"))
    elif kind == "session_deleted" and (v := _pick(s, x, rng, x.deleted_at.is_(None))):
        v.deleted_at = now
    elif kind == "event_added" and (sess := _pick(s, x, rng)):
        template = s.scalars(select(a).limit(1)).one()
        s.add(
            a(
                **{
                    k: getattr(template, k)
                    for k in a.__table__.columns.keys()
                    if k not in ("id", "version")
                }
                | {
                    "course_id": sess.course_id,
                    "session_id": sess.id,
                    "patient_id": sess.patient_id,
                    "centre_id": sess.centre_id,
                    "event_type": rng.choice(("hypotension", "chills", "hypocalcaemia")),
                    "severity": rng.choice(SEVERITIES),
                }
            )
        )
    elif kind == "event_severity" and (v := _pick(s, a, rng)):
        v.severity = rng.choice(SEVERITIES)
        v.event_type = rng.choice(("hypotension", "nausea"))
    elif kind == "event_moved" and (v := _pick(s, a, rng)):
        sess = _pick(s, x, rng)
        v.course_id, v.session_id = sess.course_id, sess.id
    elif kind == "onset" and (v := _pick(s, e, rng)):
        v.onset_date = v.onset_date - dt.timedelta(days=rng.randint(-9, 30))
    elif kind == "episode_deleted" and (v := _pick(s, e, rng, e.deleted_at.is_(None))):
        v.deleted_at = now
    elif kind == "course_unlinked" and (v := _pick(s, c, rng)):
        v.episode_id = None
    elif kind == "course_indication" and (v := _pick(s, c, rng)):
        v.indication = rng.choice(INDICATIONS)
    elif kind == "course_start" and (v := _pick(s, c, rng)):
        v.start_date = v.start_date + dt.timedelta(days=rng.randint(-30, 30))
    elif kind == "course_deleted" and (v := _pick(s, c, rng, c.deleted_at.is_(None))):
        v.deleted_at = now
    elif kind == "course_centre" and (v := _pick(s, c, rng)):
        v.centre_id = rng.choice(sorted(s.scalars(select(Patient.centre_id).distinct())))
        for sess in s.scalars(select(x).where(x.course_id == v.id)):  # a course moves whole
            sess.centre_id = v.centre_id
    elif kind == "course_status" and (v := _pick(s, c, rng)):
        v.status = rng.choice(("planned", "active", "completed", "stopped"))


def _differences(world: Any) -> dict[str, int]:
    with world.db.read() as s:
        return registry_facts.differences(s.connection())


def test_facts_follow_every_kind_of_write(loaded) -> None:  # type: ignore[no-untyped-def]
    """Each kind of write alone (a missed column would show), then many mixed in one
    transaction over several flushes."""
    world = loaded
    assert_true(world)
    rng = random.Random(19)
    now = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    for kind in KINDS:
        for _ in range(3):
            with world.db.write() as s:
                _mutate(s, rng, now, kind)
            assert _differences(world) == {"courses": 0, "cells": 0}, kind
    for _ in range(4):
        with world.db.write() as s:
            for _ in range(12):
                _mutate(s, rng, now, rng.choice(KINDS))
                if rng.random() < 0.3:
                    s.flush()  # several flushes in one transaction
    assert_true(world)


def test_bulk_updates_and_an_erased_patient(loaded) -> None:  # type: ignore[no-untyped-def]
    world = loaded
    with world.db.write() as s:
        s.execute(update(ExchangeSession).where(ExchangeSession.id % 7 == 0).values(status="held"))
        s.execute(update(Course).where(Course.id % 5 == 0).values(indication="cis"))
        s.execute(
            update(OutcomeAssessment)
            .where(OutcomeAssessment.id % 3 == 0)
            .values(targeted_deficit="worse")
        )
        s.execute(
            update(Episode)
            .where(Episode.id % 4 == 0)
            .values(deleted_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
        )
    assert_true(world)
    with world.db.read() as s:
        pid = s.scalars(
            select(Course.patient_id).where(Course.centre_id == world.centres["a"]).limit(1)
        ).one()
        before = s.scalar(select(func.count()).select_from(RegistryCourse))
        gone = s.scalar(select(func.count()).where(Course.patient_id == pid))
    patients.erase_patient(world.ctx("admin", "a"), pid, "synthetic test erasure")
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(RegistryCourse)) == before - gone
        assert not list(s.scalars(select(RegistryCourse).where(RegistryCourse.patient_id == pid)))
    assert_true(world)


def test_rebuild_and_ensure_built(loaded) -> None:  # type: ignore[no-untyped-def]
    world = loaded
    with world.db.write() as s:
        conn = s.connection()
        assert registry_facts.ensure_built(conn) is False  # already counted
        for model in (RegistryCell, RegistryCourse):
            conn.execute(model.__table__.delete())
        assert registry_facts.differences(conn)["courses"] > 0
        assert registry_facts.ensure_built(conn) is True
    assert_true(world)
    with world.db.write() as s:
        counted = registry_facts.rebuild(s.connection(), world.centres["b"])
        assert counted == s.scalar(
            select(func.count()).where(
                Course.centre_id == world.centres["b"], Course.deleted_at.is_(None)
            )
        )
    assert_true(world)


def test_an_unrelated_change_writes_no_facts(loaded) -> None:  # type: ignore[no-untyped-def]
    """Saving a sheet's vitals or a course's notes counts nothing again."""
    world = loaded
    with world.db.write() as s:
        conn = s.connection()
        sess = s.scalars(select(ExchangeSession).limit(1)).one()
        sess.notes = "synthetic note"
        s.flush()
        assert registry_facts.refresh(conn, [sess.course_id]) == 0


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_writers_on_one_cell(loaded) -> None:  # type: ignore[no-untyped-def]
    """Two transactions change visits of courses in the same day cell at once: both
    differences land (the cell's count is added to, never overwritten)."""
    world = loaded
    with world.db.write() as s:
        rows = s.execute(select(Course.id, Course.start_date).order_by(Course.id).limit(2)).all()
        for course_id, _ in rows:  # same cell: same centre, day, indication, response, band
            course = s.get(Course, course_id)
            course.start_date = rows[0].start_date
            course.indication = "relapse"
            course.centre_id = world.centres["a"]
            episode = s.get(Episode, course.episode_id)
            episode.onset_date = rows[0].start_date - dt.timedelta(days=3)
            for v in s.scalars(
                select(OutcomeAssessment).where(OutcomeAssessment.course_id == course_id)
            ):
                v.deleted_at = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def grade(course_id: int) -> None:
        try:
            with world.db.write() as s:
                course = s.get(Course, course_id)
                s.add(_visit(s, course, course.start_date + dt.timedelta(days=30), "marked"))
                barrier.wait(timeout=10)
                s.flush()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=grade, args=(cid,)) for cid, _ in rows]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert_true(world)


def test_upgrade_counts_the_facts_of_a_database_that_has_none(loaded) -> None:  # type: ignore[no-untyped-def]
    """A database migrated onto the facts (courses, no facts yet): ``upgrade`` counts them."""
    from plexms.store.migrate import upgrade

    world = loaded
    with world.db.write() as s:
        for table in registry_facts.TABLES:
            s.execute(text(f"DELETE FROM {table}"))
    upgrade(world.settings.database_url)
    assert _differences(world) == {"courses": 0, "cells": 0}
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(RegistryCourse)) > 0
