"""The one time-zone check: every context names zones the IANA way and refuses unknown ones alike."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.shared.errors import InvalidInputError


def load_zone(name: str, *, field: str = "date_tz") -> ZoneInfo:
    """The IANA time zone ``name``; else ``InvalidInputError(field, "Unknown time zone: '<name>'.")``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise InvalidInputError(field, f"Unknown time zone: {name!r}.") from None


def check_timezone(name: str, *, field: str = "date_tz") -> str:
    """``name`` if it is a known IANA time zone (see ``load_zone``)."""
    load_zone(name, field=field)
    return name
