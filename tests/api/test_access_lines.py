"""Access lines over the API (both backends, real HTTP in process): put a line in, record its
events, take it out; 422 problems naming the field, 409 for a second central line at a site,
403 for a viewer, and the summary with line-days and the infection rate."""

from __future__ import annotations

LINE = {
    "line_type": "apheresis_catheter",
    "site": "right_femoral",
    "lumens": 2,
    "inserted_on": "2026-11-20",
    "lock_solution": "citrate_4",
}


def test_line_lifecycle_over_http(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    nurse = world.headers("nurse")
    url = f"/api/patients/{pid}/access-lines"
    made = client.post(url, headers=nurse, json=LINE)
    assert made.status_code == 201, made.text
    line = made.json()
    assert line["kind"] == "central" and line["line_days"] == 7 and made.headers["ETag"] == '"v1"'
    for body in (
        {"event_type": "dressing_change", "event_on": "2026-11-23"},
        {"event_type": "occlusion", "event_on": "2026-11-24", "notes": "alteplase dwell"},
        {"event_type": "clabsi", "event_on": "2026-11-25", "notes": "blood cultures +"},
    ):
        answer = client.post(f"/api/access-lines/{line['id']}/events", headers=nurse, json=body)
        assert answer.status_code == 201, answer.text
    out = client.post(
        f"/api/access-lines/{line['id']}/removal",
        headers={**nurse, "If-Match": '"v1"'},
        json={"removed_on": "2026-11-25", "removal_reason": "infection"},
    )
    assert out.status_code == 200, out.text
    assert out.json()["line_days"] == 6 and out.headers["ETag"] == '"v2"'
    summary = client.get(url, headers=world.headers("viewer"))
    assert summary.status_code == 200, summary.text
    got = summary.json()
    assert (got["line_days"], got["infections"], got["problems"]) == (6, 1, 1)
    assert got["per_1000_line_days"] == round(1000 / 6, 4)
    assert got["precheck_access"] is None
    assert [e["event_type"] for e in got["lines"][0]["events"]] == [
        "dressing_change",
        "occlusion",
        "clabsi",
    ]


def test_refusals_name_the_field(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    nurse = world.headers("nurse")
    url = f"/api/patients/{pid}/access-lines"
    future = client.post(url, headers=nurse, json={**LINE, "inserted_on": "2026-12-01"})
    assert future.status_code == 422
    assert future.headers["content-type"].startswith("application/problem+json")
    assert "inserted_on" in future.text
    backwards = {**LINE, "removed_on": "2026-11-19", "removal_reason": "other"}
    assert "removed_on" in client.post(url, headers=nurse, json=backwards).text
    unknown = client.post(url, headers=nurse, json={**LINE, "site": "scalp"})
    assert unknown.status_code == 422 and "site" in unknown.text
    assert client.post(url, headers=world.headers("viewer"), json=LINE).status_code == 403
    assert client.post(url, headers=world.headers("coordinator"), json=LINE).status_code == 403
    first = client.post(url, headers=nurse, json=LINE)
    assert first.status_code == 201
    second = client.post(url, headers=nurse, json={**LINE, "inserted_on": "2026-11-22"})
    assert second.status_code == 409 and "site" in second.text
    stale = client.post(
        f"/api/access-lines/{first.json()['id']}/removal",
        headers={**nurse, "If-Match": '"v9"'},
        json={"removed_on": "2026-11-25", "removal_reason": "other"},
    )
    assert stale.status_code == 412
    missing = client.post(
        "/api/access-lines/999999/events",
        headers=nurse,
        json={"event_type": "flush", "event_on": "2026-11-25"},
    )
    assert missing.status_code == 404
