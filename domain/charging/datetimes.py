"""OCPI DateTime on the wire (D19, CH-2): read leniently, stored in UTC, written one way.

Accepted: ``YYYY-MM-DDTHH:MM:SS`` (``T`` or a space), optional fractional seconds, then ``Z``, nothing
(which means UTC) or a numeric offset, which is converted to UTC.  Fractions are kept to the
microsecond (digits beyond the sixth are dropped).  Anything else (a date alone, the compact
``20150629T203909Z`` form, a named zone) is refused.  Written: ``2015-06-29T20:39:09Z``, with the
fraction when there is one, trailing zeros removed (``...09.2Z``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc

_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?"
)


def parse_datetime(text: str) -> datetime:
    """The UTC instant ``text`` names (see the module docstring); ``ValueError`` if it is not one."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise ValueError("not an RFC 3339 date-time")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    naive = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}")
    zone = match["zone"]
    if zone is None or zone in "Zz":
        return naive.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return naive.replace(tzinfo=offset).astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None


def format_datetime(value: datetime) -> str:
    """``value`` (aware, any zone) as OCPI writes it: UTC with ``Z``, fraction only when non-zero."""
    utc = value.astimezone(UTC)
    text = utc.replace(tzinfo=None, microsecond=0).isoformat()
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
