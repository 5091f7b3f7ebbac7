"""Concurrency beyond tests/services/test_integrity.py (which races one field of one patient):
several writers on different fields and records at once, creators alongside, and a blind
stale writer, all through the API on each backend.

Checked: only 200/201/412 (no "database is locked", no 5xx); every field's final value is the
value of its last acknowledged write (by version); every acknowledged create exists; the
stale writer gets 412 every time; versions count the acknowledged updates; the audit chain
verifies.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from typing import Any

import pytest

from plexms.store import audit_chain
from tests.reliability.support import scale

pytestmark = [pytest.mark.fuzz]

UPDATES = scale(10, 100)


def _etag(client, url: str, doc: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    if url.startswith("/api/episodes/"):  # no GET for one episode: the patient's list has it
        eid = int(url.rsplit("/", 1)[1])
        pid = _EPISODE_PATIENT[eid]
        rows = client.get(f"/api/patients/{pid}/episodes", headers=doc).json()
        return f'"v{next(e for e in rows if e["id"] == eid)["version"]}"'
    return str(client.get(url, headers=doc).headers["etag"])


_EPISODE_PATIENT: dict[int, int] = {}


def test_mixed_concurrent_writers(world, client, backend: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.api.seed import seed_record

    ids = seed_record(world, "a")
    pid, eid = ids["patient_id"], ids["episode_id"]
    _EPISODE_PATIENT[eid] = pid
    doc = world.headers("physician")
    start_version = {
        "patient": client.get(f"/api/patients/{pid}", headers=doc).json()["version"],
        "episode": int(_etag(client, f"/api/episodes/{eid}", doc).strip('"v')),
    }
    statuses: Counter[int] = Counter()
    acked: dict[str, list[tuple[int, Any]]] = defaultdict(list)  # field -> (version, value)
    created: list[tuple[int, str]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def note(r, field: str | None = None, value: Any = None) -> None:  # type: ignore[no-untyped-def]
        with lock:
            statuses[r.status_code] += 1
            if r.status_code not in (200, 201, 412):
                errors.append(f"{r.status_code} {r.text[:200]}")
            elif r.status_code == 200 and field is not None:
                acked[field].append((r.json()["version"], value))

    def update_loop(url: str, field: str, make) -> None:  # type: ignore[no-untyped-def]
        doc = world.headers("physician")
        for m in range(UPDATES):
            value = make(m)
            while True:
                etag = _etag(client, url, doc)
                r = client.patch(url, headers={**doc, "If-Match": etag}, json={field: value})
                note(r, f"{url}:{field}", value)
                if r.status_code != 412:
                    break

    def create_loop(n: int) -> None:
        doc = world.headers("nurse")
        for m in range(UPDATES):
            mrn = f"CC-{n}-{m}"
            r = client.post(
                "/api/patients",
                headers=doc,
                json={
                    "mrn": mrn,
                    "family_name": "Concurrent",
                    "given_name": f"W{n}",
                    "birth_date": "1980-02-02",
                    "sex": "male",
                },
            )
            note(r)
            if r.status_code == 201:
                with lock:
                    created.append((r.json()["id"], mrn))

    stale_answers: list[int] = []

    def stale_loop() -> None:
        doc = world.headers("coordinator")
        for m in range(UPDATES):
            r = client.patch(
                f"/api/patients/{pid}",
                headers={**doc, "If-Match": '"v1"'},
                json={"notes": f"stale{m}"},
            )
            stale_answers.append(r.status_code)
            with lock:
                statuses[r.status_code] += 1

    patient_url, episode_url = f"/api/patients/{pid}", f"/api/episodes/{eid}"
    emails = lambda m: f"w{m}@example.org"  # noqa: E731
    jobs = [
        threading.Thread(target=update_loop, args=(patient_url, "notes", lambda m: f"n{m}")),
        threading.Thread(
            target=update_loop, args=(patient_url, "phone", lambda m: f"555-01{m:02}")
        ),
        threading.Thread(target=update_loop, args=(patient_url, "email", emails)),
        threading.Thread(target=update_loop, args=(episode_url, "description", lambda m: f"d{m}")),
        threading.Thread(
            target=update_loop, args=(episode_url, "edss_at_onset", lambda m: (m % 20) / 2)
        ),
        threading.Thread(target=create_loop, args=(1,)),
        threading.Thread(target=create_loop, args=(2,)),
        threading.Thread(target=stale_loop),
    ]
    started = time.perf_counter()
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    elapsed = time.perf_counter() - started

    assert errors == []
    assert stale_answers == [412] * UPDATES
    doc = world.headers("physician")
    final = {"patient": client.get(patient_url, headers=doc).json()}
    episodes = client.get(f"/api/patients/{pid}/episodes", headers=doc).json()
    final["episode"] = next(e for e in episodes if e["id"] == eid)
    for key, writes in acked.items():
        url, field = key.split(":")
        record = final["patient" if url == patient_url else "episode"]
        assert len(writes) == UPDATES, key
        assert record[field] == max(writes)[1], key  # the last acknowledged write wins
    patient_updates = sum(len(w) for k, w in acked.items() if k.startswith(patient_url + ":"))
    assert final["patient"]["version"] == start_version["patient"] + patient_updates
    episode_updates = sum(len(w) for k, w in acked.items() if k.startswith(episode_url + ":"))
    assert final["episode"]["version"] == start_version["episode"] + episode_updates
    assert len(created) == 2 * UPDATES
    for cid, mrn in created:
        assert client.get(f"/api/patients/{cid}", headers=doc).json()["mrn"] == mrn
    with world.db.read() as s:
        assert audit_chain.verify(s).ok
    with capsys.disabled():
        print(
            f"\n[concurrency] {backend}: 8 threads, {sum(statuses.values())} writes in"
            f" {elapsed:.1f} s, statuses {dict(sorted(statuses.items()))}, 0 lost"
        )
