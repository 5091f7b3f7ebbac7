"""The read replica against a real primary and hot standby (issue 19, item 2).

The module starts its own pair with the machine's PostgreSQL binaries (``initdb``,
``pg_ctl``, ``pg_basebackup -R``) in a temporary directory on two free local ports, as the
``postgres`` user when the suite runs as root (CI does; initdb refuses root). The proof that
the dashboards read the standby: WAL replay is paused on the standby
(``pg_wal_replay_pause()``), a user deletes a course on the primary, and another user's
registry page still counts it while the clinical API (primary) says it is gone; the writer's
own registry page does not count it (read-your-writes). Then: the lag in ``/metrics``, on the
registry page and in ``/api/health``; a standby further behind than the threshold, and a
stopped standby, send the reads to the primary and the service answers in full.

Skipped only when the pair cannot be started (no binaries, no ``postgres`` user, ...), and
the skip says why (``-ra`` prints it, in CI too).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from plexms.settings import Settings
from tests.conftest import SyncClient, World
from tests.pgpair import Pair, start_pair, stop_pair

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("replica")]

WAIT_S = 30.0  # the most any wait below may take (the standby normally needs milliseconds)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    try:
        started = start_pair()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        where = " (CI: this test did NOT run)" if os.environ.get("CI") == "true" else ""
        pytest.skip(f"the PostgreSQL primary and hot standby could not be started{where}: {exc}")
    try:
        yield started
    finally:
        stop_pair(started)


def _settings(pair: Pair, tmp: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=pair.primary_url,
        database_replica_url=pair.standby_url,
        data_dir=tmp / "data",
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        auto_migrate=False,
        replica_check_seconds=0,  # every read looks at the standby afresh
        **extra,
    )


@dataclass
class Service:
    app: Any
    client: SyncClient
    world: World
    pair: Pair


@pytest.fixture(scope="module")
def service(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    from plexms.app import create_app
    from plexms.services.sharing import registry_demo
    from plexms.store.migrate import upgrade

    upgrade(pair.primary_url)
    settings = _settings(pair, tmp_path_factory.mktemp("replica"))
    app = create_app(settings)
    world = World(app.state.db, settings)
    registry_demo.load_registry(world.system, 30, centre_id=world.centres["a"], seed=7)
    client = SyncClient(app)
    _wait(pair.caught_up, "the standby to catch up")
    try:
        yield Service(app, client, world, pair)
    finally:
        client.close()
        app.state.db.dispose()


def _wait(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_S:g} s for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def _replay_paused(pair: Pair) -> Iterator[None]:
    pair.sql(pair.standby_port, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        pair.sql(pair.standby_port, "SELECT pg_wal_replay_resume()")


def _cookie(world: World, role: str) -> dict[str, str]:
    return {"Cookie": f"plexms_session={world.tokens[('a', role)]}"}


def _registry(s: Service, role: str) -> tuple[int, str, str]:
    """(courses counted, database read, the page's line about it) of ``role``'s page."""
    response = s.client.get("/registry", headers=_cookie(s.world, role))
    assert response.status_code == 200, response.text
    html = response.text
    courses = int(re.search(r'id="n-courses">([\d,]+)<', html)[1].replace(",", ""))  # type: ignore[index]
    line = re.search(r'<p class="hint" id="read-from" data-database="(\w+)">(.*?)</p>', html)
    assert line is not None, "the page says which database it counted on"
    return courses, line[1], line[2]


def _on_replica(s: Service, role: str) -> None:
    """Wait until ``role``'s registry page reads the standby. Right after a quiet spell the
    first commit makes the standby look as far behind as that spell was, until it replays
    the commit (milliseconds; see plexms.store.replica), which a tight threshold notices."""
    _wait(lambda: _registry(s, role)[1] == "replica", f"{role}'s page on the standby")


def _any_course(s: Service) -> tuple[int, str]:
    headers = s.world.headers("physician")
    listed = s.client.get("/api/courses", params={"limit": 1}, headers=headers).json()
    course_id = listed["items"][0]["id"]
    etag = s.client.get(f"/api/courses/{course_id}", headers=headers).headers["etag"]
    return course_id, etag


def _metric(body: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", body, re.MULTILINE)
    assert found is not None, f"{name} in /metrics"
    return float(found[1])


# --- the tests (in this order: the last one stops the standby) -----------------------------


def test_dashboards_read_the_replica_clinical_pages_and_own_writes_the_primary(
    service: Service,
) -> None:
    s = service
    _on_replica(s, "viewer")
    before, database, _ = _registry(s, "viewer")
    assert database == "replica" and before > 0
    course_id, etag = _any_course(s)
    with _replay_paused(s.pair):
        deleted = s.client.delete(
            f"/api/courses/{course_id}",
            headers={**s.world.headers("physician"), "If-Match": etag},
        )
        assert deleted.status_code == 204, deleted.text
        # the viewer's dashboard comes from the standby, which has not replayed the delete...
        assert _registry(s, "viewer")[:2] == (before, "replica")
        # ...while a clinical read goes to the primary, where the course is gone
        gone = s.client.get(f"/api/courses/{course_id}", headers=s.world.headers("viewer"))
        assert gone.status_code in (404, 410)
        # read-your-writes: the physician who deleted it does not see it counted
        after, database, line = _registry(s, "physician")
        assert (after, database) == (before - 1, "primary")
        assert "your latest changes are not on the replica yet" in line
    _wait(lambda: _registry(s, "viewer")[0] == before - 1, "the standby to replay the delete")
    # once the standby has replayed it, the physician's dashboards use the standby again
    _wait(lambda: _registry(s, "physician")[1] == "replica", "the writer back on the replica")


def test_exports_and_bulk_fhir_read_the_replica(service: Service, tmp_path: Path) -> None:
    from plexms.services.sharing import interop, registry_export

    s = service
    patient = s.world.patient(mrn="REPLICA-1")  # a physician of centre a writes it (services)
    _wait(s.pair.caught_up, "the standby to catch up")
    nurse = s.world.ctx("nurse")
    assert patient.id in dict(interop.export_fhir_all(nurse))
    etag = s.client.get(f"/api/patients/{patient.id}", headers=s.world.headers("physician"))
    with _replay_paused(s.pair):
        deleted = s.client.delete(
            f"/api/patients/{patient.id}",
            headers={**s.world.headers("physician"), "If-Match": etag.headers["etag"]},
        )
        assert deleted.status_code == 204, deleted.text
        # the nurse's bulk export reads the standby: the patient is still there
        assert patient.id in dict(interop.export_fhir_all(nurse))
        result = registry_export.export_registry(nurse, tmp_path / "out", formats=("csv",))
        assert result["read_from"] == "replica"


def test_lag_is_in_metrics_health_and_on_the_registry_page(service: Service) -> None:
    s = service
    _wait(s.pair.caught_up, "the standby to catch up")
    body = s.client.get("/metrics").text
    assert _metric(body, "plexms_replica_up") == 1.0
    assert 0.0 <= _metric(body, "plexms_replica_lag_seconds") <= 30.0
    health = s.client.get("/api/health").json()
    assert health["status"] == "ok" and health["replica"].startswith("ok (")
    assert health["replica_lag_seconds"] is not None
    _, database, line = _registry(s, "viewer")
    assert database == "replica"
    assert re.search(r"Counted on the read replica, \d+\.\d s behind the primary", line)
    with _replay_paused(s.pair):
        s.world.patient(mrn="REPLICA-LAG")  # a commit the standby does not replay yet
        _wait(
            lambda: (s.client.get("/api/health").json()["replica_lag_seconds"] or 0) > 0.2,
            "the lag to show",
        )
        assert _metric(s.client.get("/metrics").text, "plexms_replica_lag_seconds") > 0.2


def test_a_replica_past_the_lag_threshold_sends_reads_to_the_primary(
    service: Service, tmp_path: Path
) -> None:
    from plexms.app import create_app

    s = service
    strict = create_app(_settings(s.pair, tmp_path, replica_max_lag_seconds=2.0))
    client = SyncClient(strict)
    try:
        _wait(s.pair.caught_up, "the standby to catch up")
        on_replica = Service(strict, client, s.world, s.pair)
        _on_replica(on_replica, "viewer")
        before, database, _ = _registry(on_replica, "viewer")
        assert database == "replica"
        with _replay_paused(s.pair):
            course_id, etag = _any_course(s)
            deleted = s.client.delete(
                f"/api/courses/{course_id}",
                headers={**s.world.headers("physician"), "If-Match": etag},
            )
            assert deleted.status_code == 204
            _wait(
                lambda: client.get("/api/health").json()["replica"].startswith("lagging"),
                "the standby to fall behind the threshold",
            )
            after, database, line = _registry(on_replica, "viewer")
            assert (after, database) == (before - 1, "primary")  # fresh, from the primary
            assert "the replica is lagging" in line
            health = client.get("/api/health")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert _metric(client.get("/metrics").text, "plexms_replica_up") == 0.0
    finally:
        client.close()
        strict.state.db.dispose()


def test_a_replica_lost_in_the_middle_of_a_read_is_read_again_on_the_primary(
    service: Service,
) -> None:
    from plexms.services._replica import read_stale

    s = service
    _on_replica(s, "viewer")
    seen: list[bool] = []

    def read(session: Any) -> int:
        standby = bool(session.scalar(text("SELECT pg_is_in_recovery()")))
        seen.append(standby)
        if standby:  # the standby's server process ends under this very read
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return int(session.scalar(text("SELECT count(*) FROM course")))

    courses, source = read_stale(s.world.ctx("viewer"), read)
    assert seen == [True, False] and courses > 0
    assert source.database == "primary" and "could not answer" in source.reason
    assert source.replica is not None and source.replica.state == "down"
    # the next reads go to the primary until the standby is tried again (5 s later)
    assert _registry(s, "viewer")[1] == "primary"
    _on_replica(s, "viewer")


def test_a_stopped_replica_sends_reads_to_the_primary_and_health_says_so(
    service: Service,
) -> None:
    s = service
    _on_replica(s, "viewer")
    before, database, _ = _registry(s, "viewer")
    assert database == "replica"
    s.pair.pg_ctl("standby", "stop")
    courses, database, line = _registry(s, "viewer")
    assert (courses, database) == (before, "primary")
    assert "the replica is down" in line
    csv = s.client.get("/registry.csv", headers=_cookie(s.world, "physician"))
    assert csv.status_code == 200 and csv.text.count("\n") == before + 1
    health = s.client.get("/api/health")
    assert health.status_code == 200, health.text  # the service answers in full
    body = health.json()
    assert body["status"] == "degraded" and body["replica"].startswith("down (")
    assert body["writes"] == "ok"
    metrics = s.client.get("/metrics").text
    assert _metric(metrics, "plexms_replica_up") == 0.0
    assert _metric(metrics, "plexms_replica_lag_seconds") != _metric(
        metrics, "plexms_replica_lag_seconds"
    )  # NaN: unknown
