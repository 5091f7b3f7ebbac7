"""Locust load for ``bench/api.py``: clinicians reading pages, the API, searching and writing.

Driven by ``bench/api.py`` (``locust -f bench/locustfile.py --headless ...``), which passes:

* ``PLEXMS_BENCH_TOKENS`` - comma-separated session tokens (one per simulated user, taken in
  turn): sent as the ``plexms_session`` cookie for pages and as the Bearer token for the API;
* ``PLEXMS_BENCH_PATIENTS`` - ``first:last`` patient ids of the seeded centre;
* ``PLEXMS_BENCH_SAMPLES`` - where to write every request's kind and time (JSON) at the end.

Request names start with their kind, ``read`` or ``write``, so the bench can compute the read
and write percentiles exactly from the samples; locust's own CSV has the per-name figures.
Only loopback traffic: the host is the bench's ``127.0.0.1`` server.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
from typing import Any

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

_TOKENS = itertools.cycle(os.environ.get("PLEXMS_BENCH_TOKENS", "").split(","))
_FIRST, _LAST = (int(x) for x in os.environ.get("PLEXMS_BENCH_PATIENTS", "1:1").split(":"))
_SAMPLES: list[tuple[str, float]] = []
_ANALYTES = (("igg", "g/L", 4.0, 16.0), ("fibrinogen", "g/L", 1.5, 4.0))


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any, **_kw: Any) -> None:
    _SAMPLES.append((name.split(" ", 1)[0], response_time if exception is None else -1.0))


@events.quitting.add_listener
def _dump(**_kw: Any) -> None:
    path = os.environ.get("PLEXMS_BENCH_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(_SAMPLES, out)


class Clinician(FastHttpUser):
    """A signed-in clinician: mostly reads, some searches, a few writes.

    ``FastHttpUser`` (geventhttpclient) rather than ``HttpUser`` (requests): the generator
    shares the 2 cores with the server, and it needs several times less CPU per request.
    """

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        token = next(_TOKENS)
        self.auth = {"Authorization": f"Bearer {token}", "Cookie": f"plexms_session={token}"}

    def _get(self, path: str, **kw: Any) -> None:
        self.client.get(path, headers=self.auth, **kw)

    def _post(self, path: str, **kw: Any) -> None:
        self.client.post(path, headers=self.auth, **kw)

    def _patient(self) -> int:
        return random.randint(_FIRST, _LAST)

    # --- page reads (HTML) ---------------------------------------------------------------
    @task(4)
    def page_today(self) -> None:
        self._get("/today", name="read page /today")

    @task(3)
    def page_patient(self) -> None:
        self._get(f"/patients/{self._patient()}", name="read page /patients/[id]")

    @task(2)
    def page_patients(self) -> None:
        self._get("/patients", name="read page /patients")

    @task(1)
    def page_registry(self) -> None:
        self._get("/registry", name="read page /registry")

    # --- API reads -----------------------------------------------------------------------
    @task(4)
    def api_patient(self) -> None:
        self._get(f"/api/patients/{self._patient()}", name="read api /api/patients/[id]")

    @task(2)
    def api_measurements(self) -> None:
        pid = self._patient()
        self._get(
            f"/api/patients/{pid}/measurements", name="read api /api/patients/[id]/measurements"
        )

    @task(2)
    def api_courses(self) -> None:
        self._get(
            f"/api/courses?patient_id={self._patient()}", name="read api /api/courses?patient_id"
        )

    @task(1)
    def api_record(self) -> None:
        pid = self._patient()
        self._get(f"/api/patients/{pid}/record", name="read api /api/patients/[id]/record")

    # --- searches ------------------------------------------------------------------------
    @task(3)
    def search_mrn(self) -> None:
        mrn = f"REG-{self._patient():08d}"
        self._get(f"/api/patients?q={mrn}&limit=20", name="read search /api/patients?q=mrn")

    @task(1)
    def search_name(self) -> None:
        self._get(
            "/api/patients?q=synth&limit=20&offset=" + str(random.randrange(0, 500, 20)),
            name="read search /api/patients?q=name",
        )

    # --- writes --------------------------------------------------------------------------
    @task(2)
    def write_measurement(self) -> None:
        body = {
            "measured_at": dt.datetime.now(dt.UTC).isoformat(),
            "weight_kg": round(random.uniform(50, 110), 1),
        }
        self._post(
            f"/api/patients/{self._patient()}/measurements",
            json=body,
            name="write api /api/patients/[id]/measurements",
        )

    @task(2)
    def write_lab(self) -> None:
        analyte, unit, lo, hi = random.choice(_ANALYTES)
        body = {
            "taken_at": dt.datetime.now(dt.UTC).isoformat(),
            "analyte": analyte,
            "value": round(random.uniform(lo, hi), 2),
            "unit": unit,
        }
        self._post(
            f"/api/patients/{self._patient()}/labs",
            json=body,
            name="write api /api/patients/[id]/labs",
        )
