"""The stored session <-> a JSON document, for messages and read models (CH-23).

A stored session (``values`` ``to_stored()``, the events' payloads) holds ``datetime`` and ``Decimal``.
Outside the event store it travels as plain JSON: date-times as OCPI text (``2015-06-29T20:39:09Z``),
numbers as JSON numbers (integers when integral, else doubles: exact for OCPI's four decimals),
unknown fields still as their one JSON text (CH-6).  ``from_document`` turns such a document (decoded
with ``parse_float=Decimal``) back into the stored form ``rendering.render_session`` takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.charging.datetimes import format_datetime, parse_datetime

#: The fields that hold a DateTime, at any level of a session, a PATCH's changes or the preferences.
DATETIME_FIELDS = frozenset({"start_date_time", "end_date_time", "last_updated", "departure_time"})


def to_document(value: Any) -> Any:
    """A stored value (session, changes, periods, preferences) as JSON-ready values."""
    if isinstance(value, Mapping):
        return {name: to_document(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_document(item) for item in value]
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Decimal):
        return json_number(value)
    return value


def json_number(value: Decimal) -> int | float:
    """An integral number as an int (``41``), any other as a double (``0.718``)."""
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
        return int(value)
    return float(value)


def from_document(value: Any) -> Any:
    """A document back in stored form: its date-time fields as ``datetime`` (numbers as decoded)."""
    if isinstance(value, Mapping):
        return {
            name: parse_datetime(item) if name in DATETIME_FIELDS and isinstance(item, str) else from_document(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [from_document(item) for item in value]
    return value
