"""A session as an iCalendar file (spec §6.10): one VEVENT, times in UTC.

Built with ``icalendar`` (RFC 5545: text escaping, line folding at 75 octets, UTC instants with ``Z``),
the library the classroom and music contexts need for recurrence rules and time zones too.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from icalendar import Calendar, Event

from domain.shared.clock import as_utc


def session_ics(session_id: UUID, name: str, date_begin: datetime, date_end: datetime, now: datetime) -> str:
    event = Event()
    event.add("uid", f"{session_id}@sessionstream")
    for prop, instant in (("created", now), ("dtstamp", now), ("dtstart", date_begin), ("dtend", date_end)):
        event.add(prop, as_utc(instant))  # aware UTC: written as 20170526T200000Z, no TZID
    event.add("summary", name)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//sessionstream//event sessions//EN")
    calendar.add_component(event)
    return calendar.to_ical(sorted=False).decode()
