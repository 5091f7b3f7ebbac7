"""The resources, shifts, calendar and booking routes over HTTP (both backends): an
administrator sets up the unit, a coordinator books and rebooks, a refusal is 409
problem+json with the nearest alternatives, a naive time is 422."""

from __future__ import annotations

import datetime as dt

from plexms.services.clinical import courses
from plexms.services.schemas.clinical import CoursePlanIn

MON = dt.date(2026, 11, 30)


def _unit(client, world) -> None:  # type: ignore[no-untyped-def]
    admin = world.headers("admin")
    r = client.post(
        "/api/resources/places",
        json={"name": "Bed 1", "kind": "bed", "central_line_ok": True},
        headers=admin,
    )
    assert r.status_code == 201 and r.json()["kind"] == "bed"
    place = r.json()
    r = client.patch(
        f"/api/resources/places/{place['id']}",
        json={"name": "Bed A"},
        headers={**admin, "If-Match": f'"v{place["version"]}"'},
    )
    assert r.status_code == 200 and r.json()["name"] == "Bed A"
    r = client.post(
        "/api/resources/machines",
        json={"name": "Optia 1", "model": "Spectra Optia", "serial": "1OP-0001"},
        headers=admin,
    )
    assert r.status_code == 201
    machine = r.json()
    r = client.post(
        f"/api/resources/machines/{machine['id']}/maintenance",
        json={
            "start_at": "2026-12-04T08:00:00-08:00",
            "end_at": "2026-12-04T18:00:00-08:00",
            "reason": "annual service",
        },
        headers=admin,
    )
    assert r.status_code == 201
    nurse = world.users[("a", "nurse")]
    r = client.put(
        f"/api/resources/nurses/{nurse}", json={"apheresis_competent": True}, headers=admin
    )
    assert r.status_code == 200 and r.json()["username"] == "nurse-a"
    for k in range(28):
        day = MON + dt.timedelta(days=k)
        r = client.post(
            "/api/shifts",
            json={
                "nurse_user_id": nurse,
                "start_at": f"{day}T08:00:00-08:00",
                "end_at": f"{day}T18:00:00-08:00",
            },
            headers=admin,
        )
        assert r.status_code == 201
    listed = client.get("/api/resources", headers=world.headers("viewer")).json()
    assert listed["machines"][0]["maintenance"][0]["reason"] == "annual service"
    assert (
        client.post(
            "/api/resources/places", json={"name": "x"}, headers=world.headers("coordinator")
        ).status_code
        == 403
    )


def test_set_up_the_unit_book_and_rebook(client, world) -> None:  # type: ignore[no-untyped-def]
    _unit(client, world)
    pid = world.patient().id
    course = courses.plan_course(
        world.ctx("physician"), pid, CoursePlanIn(plan={"exchanges": 5, "start_date": str(MON)})
    )
    coord = world.headers("coordinator")
    cal = client.get(
        "/api/calendar",
        params={"start": "2026-11-30T00:00:00-08:00", "end": "2026-12-28T00:00:00-08:00"},
        headers=coord,
    )
    assert cal.status_code == 200
    entries = cal.json()
    assert len(entries) == 5
    assert entries[0]["patient_name"] == "Sentinelname, Ada" and entries[0]["mrn"] == "MRN-1"
    assert entries[0]["place_name"] == "Bed A" and entries[0]["machine_name"] == "Optia 1"
    # Friday's exchange: the only machine is in service, so it went to Monday
    assert "in maintenance: Optia 1: annual service" in entries[2]["explanation"]
    # a second course wants the same Monday morning: 409 with the nearest alternatives
    other = world.patient(mrn="MRN-2").id
    second = courses.plan_course(
        world.ctx("physician"),
        other,
        CoursePlanIn(plan={"exchanges": 1, "start_date": str(MON + dt.timedelta(days=1))}),
    )
    session_id = client.get(f"/api/courses/{second.id}/sessions", headers=coord).json()[0]["id"]
    r = client.put(
        f"/api/sessions/{session_id}/booking",
        json={"start_at": "2026-11-30T10:00:00-08:00"},
        headers=coord,
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["field"] == "start_at" and "no place free" in body["detail"]
    assert {"kind", "description", "start_at", "change"} <= set(body["alternatives"][0])
    choice = body["alternatives"][0]["change"]["start_at"]
    r = client.put(
        f"/api/sessions/{session_id}/booking",
        json={"start_at": f"{choice}:00-08:00"},
        headers=coord,
    )
    assert r.status_code == 200, r.text
    # exchange 2 held: rebook it and the rest of the course
    sessions = client.get(f"/api/courses/{course.id}/sessions", headers=coord).json()
    nurse = world.headers("nurse")
    r = client.put(
        f"/api/sessions/{sessions[1]['id']}/record",
        json={"status": "held"},
        headers={**nurse, "If-Match": f'"v{sessions[1]["version"]}"'},
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/sessions/{sessions[1]['id']}/rebook", json={}, headers=coord)
    assert r.status_code == 200, r.text
    assert len(r.json()["bookings"]) == 4
    r = client.post(f"/api/courses/{course.id}/bookings", headers=coord)
    assert r.status_code == 200 and r.json()["bookings"] == []
    r = client.post("/api/bookings/reoptimise", json={"week_start": "2026-12-07"}, headers=coord)
    assert r.status_code == 200 and r.json()["applied"] is False
    r = client.post(
        "/api/bookings/what-if", json={"week_start": "2026-12-07", "add_nurses": 1}, headers=coord
    )
    assert r.status_code == 200 and r.json()["summary"].startswith("With 1 nurse more")
    assert (
        client.post(
            "/api/bookings/what-if",
            json={"week_start": "2026-12-07"},
            headers=world.headers("viewer"),
        ).status_code
        == 403
    )


def test_times_need_an_offset_and_a_bounded_span(client, world) -> None:  # type: ignore[no-untyped-def]
    coord = world.headers("coordinator")
    r = client.get(
        "/api/calendar",
        params={"start": "2026-11-30T00:00:00", "end": "2026-12-07T00:00:00Z"},
        headers=coord,
    )
    assert r.status_code == 422 and r.json()["field"] == "start"
    r = client.get(
        "/api/shifts",
        params={"start": "2026-11-30T00:00:00Z", "end": "2027-11-30T00:00:00"},
        headers=coord,
    )
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = client.get(
        "/api/shifts",
        params={"start": "2026-11-30T00:00:00Z", "end": "2027-11-30T00:00:00Z"},
        headers=coord,
    )
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = client.post(
        "/api/shifts",
        json={
            "nurse_user_id": 1,
            "start_at": "2026-11-30T08:00:00",
            "end_at": "2026-11-30T09:00:00Z",
        },
        headers=world.headers("admin"),
    )
    assert r.status_code == 422


def test_delete_resources(client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.api.seed import seed_record

    ids = seed_record(world)
    admin = world.headers("admin")
    for path in (
        f"/api/resources/places/{ids['place_id']}",
        f"/api/resources/machines/{ids['machine_id']}",
        f"/api/resources/maintenance/{ids['block_id']}",
        f"/api/shifts/{ids['shift_id']}",
    ):
        assert client.delete(path, headers=admin).status_code == 204, path
        assert client.delete(path, headers=admin).status_code == 410, path
    listed = client.get("/api/resources", headers=admin).json()
    assert listed["places"] == [] and listed["machines"] == []
