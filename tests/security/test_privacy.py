"""Privacy: a representative flow with sentinel names, MRN and passwords, every log captured.

The flow (API in process, the web pages, and the real server over a socket as ``plexms serve``
runs it): failed and good sign-ins, create, read, search by MRN and name, update, history,
assessment, course, FHIR export, PDF report, validation errors and a duplicate. Afterwards no
sentinel (and no password) appears in the JSON logs, stdlib/uvicorn logs, any URL the service
generated (Location headers, links and form actions) or any error body; the de-identified
registry export (CSV and Parquet) contains none either.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.live import LiveServer
from tests.security.sentinels import SENTINELS, leaks

BAD_PASSWORD = "qzx-sentinel-password-9"
SECRETS = (PASSWORD, BAD_PASSWORD)
_URL_ATTR = re.compile(r'(?:href|action|src|hx-get|hx-post)="([^"]*)"')


def _patient_body() -> dict[str, object]:
    s = SENTINELS
    return {
        "mrn": s["mrn"],
        "family_name": s["family_name"],
        "given_name": s["given_name"],
        "birth_date": "1979-03-09",
        "sex": "female",
        "phone": s["phone"],
        "email": s["email"],
        "notes": s["notes"],
        "referring_neurologist": s["referring_neurologist"],
    }


class Watch:
    """Collects every error body and every URL the service generated."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def see(self, where: str, r: httpx.Response) -> httpx.Response:
        location = r.headers.get("location", "")
        if leaks(location):
            self.failures.append(f"{where}: Location {location!r}")
        body = r.text
        if r.headers.get("content-type", "").startswith("application/problem+json"):
            # ``instance`` is the path the client sent (RFC 9457): a reflection, not a leak
            body = str({k: v for k, v in r.json().items() if k != "instance"})
        if r.status_code >= 400 and (leaks(body) or any(p in body for p in SECRETS)):
            self.failures.append(f"{where}: {r.status_code} error body carries patient data")
        if r.headers.get("content-type", "").startswith("text/html"):
            urls = " ".join(_URL_ATTR.findall(r.text))
            if leaks(urls):
                self.failures.append(f"{where}: a generated URL carries {leaks(urls)}")
        return r


def _api_flow(client, world, watch: Watch) -> int:  # type: ignore[no-untyped-def]
    see = watch.see
    s = SENTINELS
    see(
        "bad login",
        client.post(
            "/api/auth/login", json={"username": s["family_name"], "password": BAD_PASSWORD}
        ),
    )
    see(
        "bad login 2",
        client.post("/api/auth/login", json={"username": "physician-a", "password": BAD_PASSWORD}),
    )
    token = see(
        "login",
        client.post("/api/auth/login", json={"username": "physician-a", "password": PASSWORD}),
    ).json()["token"]
    doc = {"Authorization": f"Bearer {token}"}
    created = see("create", client.post("/api/patients", headers=doc, json=_patient_body()))
    assert created.status_code == 201, created.text[:300]
    pid = created.json()["id"]
    see("duplicate", client.post("/api/patients", headers=doc, json=_patient_body()))
    bad = {**_patient_body(), "mrn": "OTHER-1", "sex": s["given_name"]}
    see("invalid sex", client.post("/api/patients", headers=doc, json=bad))
    bad = {**_patient_body(), "mrn": "OTHER-2", "birth_date": s["notes"]}
    see("invalid date", client.post("/api/patients", headers=doc, json=bad))
    see("read", client.get(f"/api/patients/{pid}", headers=doc))
    for q in (s["mrn"], s["family_name"]):
        see("search", client.get("/api/patients", headers=doc, params={"q": q}))
    see(
        "stale",
        client.patch(
            f"/api/patients/{pid}",
            headers={**doc, "If-Match": '"v9"'},
            json={"notes": s["notes"] + "2"},
        ),
    )
    see(
        "update",
        client.patch(
            f"/api/patients/{pid}",
            headers={**doc, "If-Match": '"v1"'},
            json={"notes": s["notes"] + "3"},
        ),
    )
    see(
        "measure",
        client.post(
            f"/api/patients/{pid}/measurements",
            headers=doc,
            json={
                "measured_at": "2026-11-20T10:00:00+00:00",
                "height_cm": 170,
                "weight_kg": 70,
                "hematocrit": 0.41,
            },
        ),
    )
    episode = see(
        "episode",
        client.post(
            f"/api/patients/{pid}/episodes",
            headers=doc,
            json={
                "onset_date": "2026-11-10",
                "presentation": "relapse",
                "description": s["episode"],
            },
        ),
    )
    see(
        "assess",
        client.post(
            f"/api/patients/{pid}/assessments",
            headers=doc,
            json={"episode_id": episode.json()["id"], "notes": s["assessment"]},
        ),
    )
    see(
        "course",
        client.post(
            f"/api/patients/{pid}/courses",
            headers=doc,
            json={"plan": {"exchanges": 5, "start_date": "2026-11-30"}},
        ),
    )
    see(
        "bad course",
        client.post(
            f"/api/patients/{pid}/courses",
            headers=doc,
            json={"plan": {"exchanges": 99, "note": s["notes"]}},
        ),
    )
    see("record", client.get(f"/api/patients/{pid}/record", headers=doc))
    see("fhir", client.get(f"/api/patients/{pid}/$everything", headers=doc))
    see("pdf", client.get(f"/api/patients/{pid}/reports/course-summary.pdf", headers=doc))
    see("other centre", client.get(f"/api/patients/{pid}", headers=world.headers("nurse", "b")))
    see(
        "viewer write",
        client.patch(
            f"/api/patients/{pid}",
            headers={**world.headers("viewer"), "If-Match": '"v2"'},
            json={"notes": s["notes"]},
        ),
    )
    see("logout", client.post("/api/auth/logout", headers=doc))
    return int(pid)


def _web_flow(app, pid: int, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SyncClient

    browser = SyncClient(app)
    try:
        page = watch.see("login page", browser.get("/login")).text
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page)
        assert token
        watch.see(
            "web bad login",
            browser.post(
                "/login",
                data={
                    "username": "physician-a",
                    "password": BAD_PASSWORD,
                    "csrf_token": token.group(1),
                },
            ),
        )
        watch.see(
            "web login",
            browser.post(
                "/login",
                data={
                    "username": "physician-a",
                    "password": PASSWORD,
                    "csrf_token": token.group(1),
                },
            ),
        )
        for url in (
            "/",
            "/patients",
            f"/patients/{pid}",
            "/referrals",
            f"/patients/{pid}/plan",
            f"/patients/{pid}/outcomes",
            f"/patients/{pid}/handback",
        ):
            watch.see(url, browser.get(url))
    finally:
        browser.close()


def _socket_flow(app, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    """The real server, configured as ``plexms serve`` configures it (cli.py)."""
    with (
        LiveServer(app, access_log=False, log_level="info", lifespan="off") as server,
        httpx.Client(base_url=server.url) as http,
    ):
        watch.see(
            "socket bad login",
            http.post(
                "/api/auth/login", json={"username": SENTINELS["mrn"], "password": BAD_PASSWORD}
            ),
        )
        token = http.post(
            "/api/auth/login", json={"username": "physician-a", "password": PASSWORD}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        watch.see(
            "socket search",
            http.get("/api/patients", headers=auth, params={"q": SENTINELS["family_name"]}),
        )
        watch.see("socket 404", http.get(f"/api/{SENTINELS['mrn']}", headers=auth))


def _registry(world, out: Path) -> str:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    from plexms.services.sharing import registry_export

    registry_export.export_registry(world.ctx("admin"), out, secret=b"privacy-test-secret-0123")
    parts = []
    for path in sorted(out.iterdir()):
        if path.suffix == ".parquet":
            parts.append(str(pq.read_table(path).to_pylist()))
        else:
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_no_patient_data_in_logs_urls_errors_or_exports(  # type: ignore[no-untyped-def]
    app, client, world, capfd, caplog, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    watch = Watch()
    pid = _api_flow(client, world, watch)
    _web_flow(app, pid, watch)
    _socket_flow(app, watch)
    exported = _registry(world, tmp_path / "registry")
    out, err = capfd.readouterr()
    server_records = [  # the test's own HTTP client (httpx) logs its URLs: not the service
        r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    ]
    logs = out + err + "\n".join(r.getMessage() + str(r.__dict__) for r in server_records)
    assert "request" in logs and '"route"' in logs  # the JSON access log was captured
    assert watch.failures == [], "\n".join(watch.failures)
    assert leaks(logs) == [], [line for line in logs.splitlines() if leaks(line)][:5]
    assert [p for p in SECRETS if p in logs] == []
    assert leaks(exported) == [] and SENTINELS["phone"] not in exported
    assert exported.strip(), "the registry export wrote nothing"
