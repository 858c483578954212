"""The session calendar file (§6.10): one VEVENT in UTC, RFC 5545 escaping and folding."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from uuid import UUID

from hypothesis import example, given
from hypothesis import strategies as st
from icalendar import Calendar

from infra.api.eventsessions.ics import session_ics

SESSION = UUID("12345678-1234-5678-1234-567812345678")
NOW = datetime(2025, 1, 1, 8, tzinfo=timezone.utc)
BRUSSELS_SUMMER = timezone(timedelta(hours=2))


def _lines(body: str) -> list[str]:
    assert body.endswith("\r\n")
    return body.replace("\r\n ", "").split("\r\n")[:-1]  # unfolded


def test_a_session_is_one_event_with_its_times_in_utc():
    body = session_ics(
        SESSION, "Yoga", datetime(2017, 5, 26, 20), datetime(2017, 5, 26, 23, 0, tzinfo=BRUSSELS_SUMMER), NOW
    )
    assert _lines(body) == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//sessionstream//event sessions//EN",
        "BEGIN:VEVENT",
        "UID:12345678-1234-5678-1234-567812345678@sessionstream",
        "CREATED:20250101T080000Z",
        "DTSTAMP:20250101T080000Z",
        "DTSTART:20170526T200000Z",
        "DTEND:20170526T210000Z",
        "SUMMARY:Yoga",
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def test_text_is_escaped():
    body = session_ics(SESSION, "a, b; c\\d\ne", NOW, NOW, NOW)
    assert "SUMMARY:a\\, b\\; c\\\\d\\ne" in _lines(body)


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    name = "Séance " * 30
    body = session_ics(SESSION, name, NOW, NOW, NOW)
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert f"SUMMARY:{name}" in _lines(body)


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300))
@example("\\,")  # an escaped backslash before an escaped comma
def test_any_name_reads_back_as_itself(name):
    body = session_ics(SESSION, name, NOW, NOW + timedelta(hours=1), NOW)
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    (summary,) = [line.removeprefix("SUMMARY:") for line in _lines(body) if line.startswith("SUMMARY:")]
    assert _unescape(summary) == name
    # icalendar reads the file back, but not the text: its reader turns ``\\\,`` (an escaped backslash, then an
    # escaped comma) into "," (6.3.2), so the text is read back by RFC 5545's rule below.
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == NOW


def test_a_backslash_before_a_comma_is_escaped_as_two_escapes():
    assert "SUMMARY:\\\\\\," in _lines(session_ics(SESSION, "\\,", NOW, NOW, NOW))


def _unescape(text: str) -> str:
    """RFC 5545 TEXT (section 3.3.11):
    ``\\\\`` ``\\;`` ``\\,`` stand for themselves, ``\\n``/``\\N`` for a line break."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)
