"""How instants cross the wire (``shared/api/conventions.md``).

Input: ISO 8601 with ``Z`` or an offset, or Odoo's naive ``YYYY-MM-DD HH:MM:SS``, which means UTC (a
naive ISO value is read the same way).  Output: ISO 8601 in UTC with ``Z``, whole seconds, because
dashboards compare the strings.  ``format_located`` renders the spec's "medium" English dates by hand,
so the output does not change with the Babel/CLDR version (spec §9).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

from domain.shared.clock import as_utc
from domain.shared.timezones import load_zone

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_and_time(value: object) -> object:
    """Only strings that carry a time: pydantic alone would take a bare date or a Unix number."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value.strip()) <= len("YYYY-MM-DD"):
        raise PydanticCustomError(
            "datetime_type",
            "Input should be a valid datetime: ISO 8601 with Z or an offset, or 'YYYY-MM-DD HH:MM:SS' in UTC",
        )
    return value.strip()


#: A request instant, returned as an aware UTC datetime with whole seconds.
Instant = Annotated[datetime, BeforeValidator(_date_and_time), AfterValidator(as_utc)]


def iso_z(value: datetime) -> str:
    """``2025-10-06T09:00:00Z``: UTC, no microseconds (naive values are UTC, as everywhere)."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


#: A response instant: serialized by ``iso_z``.
UtcInstant = Annotated[datetime, PlainSerializer(iso_z, return_type=str, when_used="always")]


def zone(name: str, field: str) -> ZoneInfo:
    """The IANA zone ``name``; an unknown one is the request's fault, so it names ``field``."""
    return load_zone(name, field=field)


def format_located(instant: datetime, tz: str) -> str:
    """``May 26, 2017, 10:00:00 PM``: CLDR en_US medium (``MMM d, y, h:mm:ss a``), plain space."""
    local = as_utc(instant).astimezone(ZoneInfo(tz))
    hour = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year}, {hour}:{local:%M:%S} {meridiem}"
