"""Calendar feeds and e-mail reminders without health data (issue 17, item 6).

Real parts only: the feed is fetched over the app's HTTP interface and parsed back by two
independent parsers (``icalendar`` and ``vobject``); reminders go to a real SMTP server
(``aiosmtpd``) on a free local port and are read back from what it received.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import re
import socket
from collections.abc import Iterator
from email.message import Message
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from aiosmtpd.controller import Controller

from plexms.core.vocabulary import DIAGNOSES
from plexms.services.sharing import reminders

LA = ZoneInfo("America/Los_Angeles")
#: Written out here, independently of the module's own list: none may reach a patient's inbox
#: or calendar.
FORBIDDEN = {
    "plasma",
    "exchange",
    "apheresis",
    "plasmapheresis",
    "sclerosis",
    "ms",
    "tpe",
    "albumin",
    "relapse",
    "neurology",
    "sentinelname",  # the patient's family name
    *(w.lower() for t in DIAGNOSES.terms for w in t.label.split() if len(w) > 3 and w != "Other"),
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.original_content or b""))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _course(client, world, email_address: str = "ada@example.org") -> tuple[int, int]:  # type: ignore[no-untyped-def]
    pid = world.patient(email=email_address).id
    body = {"plan": {"exchanges": 5, "start_date": "2026-11-30"}}
    course = client.post(
        f"/api/patients/{pid}/courses", headers=world.headers("physician"), json=body
    )
    assert course.status_code == 201, course.text
    return pid, course.json()["id"]


def _mail_on(client, world, port: int, display: str = "Riverside Day Unit") -> None:  # type: ignore[no-untyped-def]
    body = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "appointments@riverside.example.org",
        "display_name": display,
    }
    put = client.put("/api/centre/mail", headers=world.headers("admin"), json=body)
    assert put.status_code == 200, put.text


# --- feeds -------------------------------------------------------------------------------


def test_patient_feed_parses_back_in_two_parsers_and_carries_no_health_data(client, world) -> None:  # type: ignore[no-untyped-def]
    pid, course_id = _course(client, world)
    made = client.post(f"/api/patients/{pid}/calendar-feeds", headers=world.headers("coordinator"))
    assert made.status_code == 201, made.text
    path = made.json()["url_path"]
    assert re.fullmatch(r"/feeds/[A-Za-z0-9_-]{40,}\.ics", path)
    feed = client.get(path)  # no credentials: the secret URL is the key
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.headers["cache-control"] == "no-store"
    sessions = client.get(
        f"/api/courses/{course_id}/sessions", headers=world.headers("physician")
    ).json()

    cal = icalendar.Calendar.from_ical(feed.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(sessions) == 5
    starts = sorted(e.decoded("dtstart") for e in events)
    expected = sorted(dt.datetime.fromisoformat(s["planned_start"]) for s in sessions)
    assert starts == expected
    assert all(str(e.get("dtstart").params["TZID"]) == "America/Los_Angeles" for e in events)
    assert cal.walk("VTIMEZONE"), "the centre's zone travels with the feed"

    second = vobject.readOne(feed.content.decode())
    vevents = second.contents["vevent"]
    assert sorted(v.dtstart.value for v in vevents) == expected
    assert {v.uid.value for v in vevents} == {str(e["uid"]) for e in events}

    assert not (_words(feed.text) & FORBIDDEN), _words(feed.text) & FORBIDDEN
    listed = client.get(f"/api/calendar-feeds?patient_id={pid}", headers=world.headers("viewer"))
    assert listed.status_code == 200 and listed.json()[0]["fetches"] == 1
    assert listed.json()[0]["url_path"] is None  # the secret is shown once

    revoked = client.delete(
        f"/api/calendar-feeds/{made.json()['id']}", headers=world.headers("coordinator")
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(path).status_code == 404


def test_feed_permissions_and_bad_tokens(client, world) -> None:  # type: ignore[no-untyped-def]
    pid, _ = _course(client, world)
    viewer = client.post(f"/api/patients/{pid}/calendar-feeds", headers=world.headers("viewer"))
    assert viewer.status_code == 403
    other_centre = client.post(
        f"/api/patients/{pid}/calendar-feeds", headers=world.headers("coordinator", "b")
    )
    assert other_centre.status_code == 404
    for token in ("x", "a" * 99, "not-a-token!!!!!!!!!!!!!!!!!!!!", "A" * 43):
        answer = client.get(f"/feeds/{token}.ics")
        assert answer.status_code in (404, 422), (token, answer.status_code)
    made = client.post(f"/api/patients/{pid}/calendar-feeds", headers=world.headers("nurse"))
    # another centre cannot revoke it, a viewer cannot either
    fid = made.json()["id"]
    assert (
        client.delete(f"/api/calendar-feeds/{fid}", headers=world.headers("admin", "b")).status_code
        == 404
    )
    assert (
        client.delete(f"/api/calendar-feeds/{fid}", headers=world.headers("viewer")).status_code
        == 403
    )


def test_nurse_feed_own_or_made_by_a_user_manager(client, world) -> None:  # type: ignore[no-untyped-def]
    _course(client, world)
    nurse = world.headers("nurse")
    own = client.post("/api/calendar-feeds/nurse", headers=nurse, json={})
    assert own.status_code == 201, own.text
    feed = client.get(own.json()["url_path"])
    cal = icalendar.Calendar.from_ical(feed.content)
    assert len(list(cal.walk("VEVENT"))) == 5
    assert not (_words(feed.text) & FORBIDDEN)
    colleague = world.users[("a", "physician")]
    refused = client.post("/api/calendar-feeds/nurse", headers=nurse, json={"user_id": colleague})
    assert refused.status_code == 403
    admin = client.post(
        "/api/calendar-feeds/nurse", headers=world.headers("admin"), json={"user_id": colleague}
    )
    assert admin.status_code == 201
    mine = client.delete(f"/api/calendar-feeds/{own.json()['id']}", headers=nurse)
    assert mine.status_code == 200


# --- reminders ---------------------------------------------------------------------------


def test_mail_settings_refuse_health_words_and_bad_values(client, world) -> None:  # type: ignore[no-untyped-def]
    admin = world.headers("admin")
    for body, field in (
        ({"display_name": "Riverside MS Apheresis Unit"}, "display_name"),
        ({"display_name": "Day\nUnit"}, "display_name"),
        ({"sender": "not an address"}, "sender"),
        ({"host": "bad host/name"}, "host"),
        ({"password_env": "lower-case"}, "password_env"),
        ({"enabled": True}, "host"),
    ):
        answer = client.put("/api/centre/mail", headers=admin, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.text, (body, answer.text)
    for body in ({"port": 0}, {"security": "ssl3"}, {"password": "x"}):
        assert client.put("/api/centre/mail", headers=admin, json=body).status_code == 422
    assert client.get("/api/centre/mail", headers=world.headers("nurse")).status_code == 403


def test_reminders_reach_a_real_smtp_server_without_health_words(client, world, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    _mail_on(client, world, port)
    pid, course_id = _course(client, world)
    run = client.post("/api/reminders/run", headers=world.headers("admin"))
    assert run.status_code == 200, run.text
    assert run.json()["sent"] == 1
    assert len(inbox.messages) == 1
    booking = inbox.messages[0]
    assert booking["To"] == "ada@example.org"
    body = booking.get_payload(decode=True).decode()
    text = booking["Subject"] + "\n" + booking["From"] + "\n" + body
    assert not (_words(text) & FORBIDDEN), _words(text) & FORBIDDEN
    assert "Riverside Day Unit" in text and body.count("  - ") == 5
    assert "Monday 11/30/2026 at" in body  # the US centre's date style

    # nothing more is due until the day before the first appointment, 10:00 local
    again = client.post("/api/reminders/run", headers=world.headers("admin")).json()
    assert again["sent"] == 0 and len(inbox.messages) == 1
    day_before = world.ctx("admin")
    day_before = dataclasses.replace(
        day_before, now=dt.datetime(2026, 11, 29, 10, 0, 30, tzinfo=LA)
    )
    report = reminders.deliver_due(day_before)
    assert report.sent == 1 and len(inbox.messages) == 2
    reminder = inbox.messages[1]
    assert "tomorrow" in reminder["Subject"]
    words = _words(reminder["Subject"] + reminder.get_payload(decode=True).decode())
    assert not (words & FORBIDDEN)
    assert reminders.deliver_due(day_before).sent == 0  # never twice

    # a stopped course: the later day-before reminders are never sent
    course = client.get(f"/api/courses/{course_id}", headers=world.headers("physician"))
    stop = client.post(
        f"/api/courses/{course_id}/status",
        headers={**world.headers("physician"), "If-Match": course.headers["ETag"]},
        json={"status": "stopped", "reason": "patient moved away"},
    )
    assert stop.status_code == 200, stop.text
    later = dataclasses.replace(day_before, now=dt.datetime(2026, 12, 10, tzinfo=LA))
    report = reminders.deliver_due(later)
    assert report.sent == 0 and report.superseded == 4
    assert len(inbox.messages) == 2
    log = reminders.list_outbox(world.ctx("viewer"), pid)
    assert sum(1 for r in log if r.sent_at) == 2


def test_a_mail_server_that_is_down_loses_nothing(client, world) -> None:  # type: ignore[no-untyped-def]
    _mail_on(client, world, _free_port())  # nobody listens there
    _course(client, world)
    run = client.post("/api/reminders/run", headers=world.headers("admin")).json()
    assert run["failed"] == 1 and run["sent"] == 0
    assert client.post("/api/reminders/run", headers=world.headers("admin")).json()["failed"] == 1


def test_no_reminders_without_an_address_or_settings(client, world, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    _course(client, world, email_address="")  # mail is off and the patient has no address
    _mail_on(client, world, port)
    assert client.post("/api/reminders/run", headers=world.headers("admin")).json()["sent"] == 0
    assert inbox.messages == []


def test_a_booked_nurses_feed_lists_her_own_bookings_only(client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.services.test_booking import equip, plan

    equip(world, places=2, machines=2)  # the world's nurse is the unit's only nurse
    plan(world, "MRN-BOOKED")
    nurse = client.post("/api/calendar-feeds/nurse", headers=world.headers("nurse"), json={})
    events = icalendar.Calendar.from_ical(client.get(nurse.json()["url_path"]).content)
    assert len(list(events.walk("VEVENT"))) == 5
    # a colleague with no bookings (made by the admin for the physician) sees none
    other = client.post(
        "/api/calendar-feeds/nurse",
        headers=world.headers("admin"),
        json={"user_id": world.users[("a", "physician")]},
    )
    empty = icalendar.Calendar.from_ical(client.get(other.json()["url_path"]).content)
    assert list(empty.walk("VEVENT")) == []
