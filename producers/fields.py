"""Reusable pydantic field types for everything that comes in: HTTP bodies and queries, inbound messages.

Each context's request models are built from these, so the HTTP API and the inbound topics refuse the
same values with the same words (``domain.shared.limits`` says why each limit is what it is):

- ``Text(n)`` / ``Name`` / ``Email`` / ``Phone`` / ``Template`` / ``ZoneName`` / ``ShortText``: no NUL, no
  lone surrogate, at most n characters (``Name`` and ``Template`` at least one).
- ``Email``: one check for every door (the ``email-validator`` syntax rules, no DNS); the address is kept
  as given, not normalized, so a repeated create compares equal.
- ``Int4`` / ``Count`` (0 or more) fit PostgreSQL ``integer``; ``Offset`` fits ``bigint``; ``FiniteFloat``;
  ``Flag``: strict, for JSON bodies (``false`` is no 0, ``"3"`` no 3).
- ``Instant``: ISO 8601 with ``Z`` or an offset, or Odoo's naive ``YYYY-MM-DD HH:MM:SS`` (UTC), returned
  as aware UTC with whole seconds, and inside the storable range; ``Day``: a calendar date in that range.

A refusal is a pydantic error, so the HTTP layer answers 422 naming the field and an inbound consumer
dead-letters the message.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError

from domain.shared.clock import as_utc
from domain.shared.limits import (
    EMAIL_MAX,
    INT4_MAX,
    INT4_MIN,
    INT8_MAX,
    NAME_MAX,
    OUT_OF_CALENDAR,
    PHONE_MAX,
    SHORT_TEXT_MAX,
    TEMPLATE_MAX,
    TIMEZONE_MAX,
    date_in_range,
    instant_in_range,
    unstorable_character,
)


def storable(value: str) -> str:
    """``value``, unless it holds a character no store can keep (NUL, a lone surrogate)."""
    reason = unstorable_character(value)
    if reason is not None:
        raise PydanticCustomError("string_unstorable", "Text cannot be stored: {reason}", {"reason": reason})
    return value


def Text(max_length: int, *, min_length: int = 0) -> type[str]:  # capitalised: reads as a type
    """Free text of at most ``max_length`` characters that every store can hold."""
    return Annotated[  # type: ignore[return-value]
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(storable)
    ]


def email_address(value: str) -> str:
    """The one e-mail check: the address as given, if ``email-validator`` finds its syntax valid."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise PydanticCustomError("value_error", "value is not a valid email address: {reason}",
                                  {"reason": str(error)}) from None  # fmt: skip
    return value


# What ``Text(n)`` gives, written out: a type checker sees a type alias of ``str`` in each (a call's result
# is no type to it).
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(storable)]
Template = Annotated[str, Field(min_length=1, max_length=TEMPLATE_MAX), AfterValidator(storable)]
Phone = Annotated[str, Field(min_length=0, max_length=PHONE_MAX), AfterValidator(storable)]
ZoneName = Annotated[str, Field(min_length=0, max_length=TIMEZONE_MAX), AfterValidator(storable)]
ShortText = Annotated[str, Field(min_length=0, max_length=SHORT_TEXT_MAX), AfterValidator(storable)]
Email = Annotated[
    str,
    Field(max_length=EMAIL_MAX, json_schema_extra={"format": "email"}),
    AfterValidator(storable),
    AfterValidator(email_address),
]

# Numbers and flags of a JSON body are what their JSON type says: ``false`` is no 0, ``"3"`` no 3
# (pydantic's lax mode would take both).  Query parameters are text and keep their own types.
Int4 = Annotated[int, Strict(), Field(ge=INT4_MIN, le=INT4_MAX)]
Count = Annotated[int, Strict(), Field(ge=0, le=INT4_MAX)]
Offset = Annotated[int, Strict(), Field(ge=0, le=INT8_MAX)]
Flag = Annotated[bool, Strict()]
#: JSON has no infinity or NaN, but Python's parser takes ``Infinity`` and ``NaN``: refuse them.
FiniteFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]


_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _date_and_time(value: object) -> object:
    """Only strings that carry a date and a time: pydantic alone would take a bare date or a Unix number
    (also as a string: ``"0.35"``)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_AND_TIME.match(value.strip()):
        raise PydanticCustomError(
            "datetime_type",
            "Input should be a valid datetime: ISO 8601 with Z or an offset, or 'YYYY-MM-DD HH:MM:SS' in UTC",
        )
    return value.strip()


def _utc_in_calendar(value: datetime) -> datetime:
    """Aware UTC, whole seconds; an instant whose UTC form overflows is out of the calendar too."""
    try:
        utc = as_utc(value)
    except OverflowError:
        utc = None
    if utc is None or not instant_in_range(utc):
        raise PydanticCustomError("datetime_range", f"Input {OUT_OF_CALENDAR}")
    return utc


def _day_in_calendar(value: date) -> date:
    if not date_in_range(value):
        raise PydanticCustomError("date_range", f"Input {OUT_OF_CALENDAR}")
    return value


#: A request instant, returned as an aware UTC datetime with whole seconds, inside the storable range.
Instant = Annotated[datetime, BeforeValidator(_date_and_time), AfterValidator(_utc_in_calendar)]
#: A calendar date inside the storable range.
Day = Annotated[date, AfterValidator(_day_in_calendar)]
