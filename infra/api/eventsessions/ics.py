"""A session as an iCalendar file (spec §6.10): one VEVENT, times in UTC, RFC 5545 escaping and folding."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.shared.clock import as_utc


def _utc(value: datetime) -> str:
    return as_utc(value).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after one space (RFC 5545 §3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, chunk = [], b""
    for char in line:
        encoded = char.encode()
        if len(chunk) + len(encoded) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += encoded
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def session_ics(session_id: UUID, name: str, date_begin: datetime, date_end: datetime, now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//sessionstream//event sessions//EN",
        "BEGIN:VEVENT",
        f"UID:{session_id}@sessionstream",
        f"CREATED:{_utc(now)}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(date_begin)}",
        f"DTEND:{_utc(date_end)}",
        f"SUMMARY:{_text(name)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
