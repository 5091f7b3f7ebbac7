"""iCalendar (RFC 5545) feeds from plain appointment data, written with ``icalendar``.

Services hand over :class:`CalendarDraft` (no records, no store); this module writes the
bytes. Times are in the centre's zone with its ``VTIMEZONE``, so a phone shows 9:00 AM at the
clinic whatever zone the phone is in. Nothing here adds words: the text of each event is the
caller's, and the callers keep diagnosis and treatment words out (see
:mod:`plexms.services.sharing.reminders`).

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> la = ZoneInfo("America/Los_Angeles")
>>> draft = CalendarDraft(
...     name="Appointments", zone="America/Los_Angeles",
...     stamp=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
...     events=(CalendarEvent("a1", dt.datetime(2026, 12, 2, 9, tzinfo=la),
...                            dt.datetime(2026, 12, 2, 11, 30, tzinfo=la), "Appointment"),))
>>> b"DTSTART;TZID=America/Los_Angeles:20261202T090000" in ics_bytes(draft)
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

__all__ = ["CalendarDraft", "CalendarEvent", "ics_bytes"]


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One appointment: a stable ``uid``, aware start and end, and neutral words."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    location: str = ""
    description: str = ""
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class CalendarDraft:
    """A whole feed: its name, the centre's zone, when it was written, its events."""

    name: str
    zone: str
    stamp: dt.datetime
    events: tuple[CalendarEvent, ...]


def ics_bytes(draft: CalendarDraft) -> bytes:
    """The feed as an ``text/calendar`` body (CRLF lines, folded at 75 octets)."""
    zone = ZoneInfo(draft.zone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//plexms//calendar feed 1.0//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", draft.name)
    cal.add("x-wr-timezone", draft.zone)
    # calendar clients poll a subscription: ask for an hour (RFC 7986 REFRESH-INTERVAL)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for item in draft.events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", draft.stamp.astimezone(dt.UTC))
        event.add("dtstart", item.start.astimezone(zone))
        event.add("dtend", item.end.astimezone(zone))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
