"""What the stores can hold, in one place: every context's door (HTTP, inbound topics) and its domain
guards refuse the same values.

- Integers: read models keep counts, seats and intervals in PostgreSQL ``integer`` (32 bits); offsets
  and limits reach ``bigint`` (64 bits).
- Text: PostgreSQL ``text`` cannot hold NUL, and UTF-8 (the event store's JSON, Kafka, PostgreSQL)
  cannot encode a lone surrogate; every free-text field also has a length limit, so that a message
  built from the largest values stays far below Kafka's message size limit.
- Instants: stored instants stay one day inside the calendar's ends (years 1 to 9999), so that showing
  one in any time zone (offsets stay under a day) can never overflow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timezone

from domain.shared.errors import InvalidInputError

INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
INT8_MAX = 2**63 - 1

#: Length limits of free-text fields, in characters (the README lists them).
NAME_MAX = 256  # an event, event type or attendee name
EMAIL_MAX = 254  # RFC 5321's longest forward path, less the angle brackets
PHONE_MAX = 64
TEMPLATE_MAX = 256  # a mail template's name
TIMEZONE_MAX = 64  # IANA names are at most ~32 characters
SHORT_TEXT_MAX = 32  # "HH:MM", enum-like codes
TEXT_MAX = 1024  # any other free text a context adds (a note, a label)
#: Lists a request may carry (a mail scheduler list, a wizard's timeslots or weekdays).
LIST_MAX = 100
#: The smallest message limit on the way to a topic: the broker's default ``message.max.bytes``
#: (1 MiB + 12; the producer allows more).  A message built from the largest values of every field
#: must fit, with room for headers (tests/integration/test_message_limits.py).
KAFKA_MESSAGE_MAX_BYTES = 1_048_588

EARLIEST_INSTANT = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST_INSTANT = datetime(9999, 12, 30, 23, 59, 59, tzinfo=timezone.utc)
EARLIEST_DATE = EARLIEST_INSTANT.date()
LATEST_DATE = LATEST_INSTANT.date()
OUT_OF_CALENDAR = "must lie between 0001-01-02 and 9999-12-30 (UTC)"

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_character(value: str) -> str | None:
    """Why ``value`` cannot be stored (NUL, or a lone surrogate), or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return "NUL characters are not allowed" if found.group() == "\x00" else "lone surrogates are not allowed"


def instant_in_range(value: datetime) -> bool:
    """Aware ``value`` lies in the storable range (naive values mean UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return EARLIEST_INSTANT <= aware <= LATEST_INSTANT


def date_in_range(value: date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def check_instant(field: str, value: datetime) -> datetime:
    """``value`` if storable, else ``InvalidInputError(field, ...)``."""
    if not instant_in_range(value):
        raise InvalidInputError(field, f"{field} {OUT_OF_CALENDAR}.")
    return value


def calendar_result(field: str, compute: Callable[[], datetime]) -> datetime:
    """What ``compute`` (date arithmetic) gives, or ``InvalidInputError(field, ...)`` when it overflows
    or leaves the storable range: the input named by ``field`` asked for a date no store can hold."""
    try:
        result = compute()
    except (OverflowError, ValueError):  # datetime overflows; dateutil says "year ... is out of range"
        raise InvalidInputError(field, f"The resulting date {OUT_OF_CALENDAR}.") from None
    if not instant_in_range(result):
        raise InvalidInputError(field, f"The resulting date {OUT_OF_CALENDAR}.")
    return result


def check_int4(field: str, value: int) -> int:
    """``value`` if a PostgreSQL ``integer`` holds it, else ``InvalidInputError(field, ...)``."""
    if not INT4_MIN <= value <= INT4_MAX:
        raise InvalidInputError(field, f"{field} must be at most {INT4_MAX}.")
    return value
