"""OCPI's basic types, read from decoded JSON (CH-2..CH-5).  Each reader names the field by its path.

Every failure is an ``InvalidSessionInputError`` (OCPI 2001) whose ``field`` is the path, e.g.
``charging_periods[1].dimensions[0].volume``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from domain.charging.datetimes import parse_datetime
from domain.charging.errors import InvalidSessionInputError
from domain.charging.values import Extra, extra_text

E = TypeVar("E", bound=StrEnum)

#: CH-4: a limit for the strings the spec gives none (tax names, account numbers, open enums).
DEFAULT_MAX_LENGTH = 255
#: CH-3: numbers a read model's numeric column can hold without surprise.
MAX_MAGNITUDE = Decimal(10) ** 15
MAX_DECIMAL_PLACES = 20
_CURRENCY = re.compile("[A-Z]{3}")


def path_of(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def json_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidSessionInputError(path or "body", "must be a JSON object")
    return value


def json_list(value: Any, path: str, *, at_least: int = 0) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidSessionInputError(path, "must be a JSON array")
    if len(value) < at_least:
        raise InvalidSessionInputError(path, f"must hold at least {at_least} element")
    return value


def cistring(value: Any, path: str, max_length: int, *, non_empty: bool = False) -> str:
    """CiString(n): printable ASCII, at most ``n`` characters; the casing is kept (R-1)."""
    if not isinstance(value, str):
        raise InvalidSessionInputError(path, "must be a string")
    if any(not (" " <= char <= "~") for char in value):
        raise InvalidSessionInputError(path, "must hold printable ASCII characters only")
    return _check_length(value, path, max_length, non_empty)


def string(value: Any, path: str, max_length: int = DEFAULT_MAX_LENGTH, *, non_empty: bool = False) -> str:
    """string(n): printable UTF-8 (no control characters, no lone surrogates), at most ``n`` characters."""
    if not isinstance(value, str):
        raise InvalidSessionInputError(path, "must be a string")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise InvalidSessionInputError(path, "must not hold control characters")
    return _check_length(value, path, max_length, non_empty)


def _check_length(value: str, path: str, max_length: int, non_empty: bool) -> str:
    if len(value) > max_length:
        raise InvalidSessionInputError(path, f"must be at most {max_length} characters long")
    if non_empty and not value:
        raise InvalidSessionInputError(path, "must not be empty")
    return value


def currency(value: Any, path: str) -> str:
    """CH-5: an ISO 4217 code, three upper-case letters."""
    text = string(value, path, 3)
    if _CURRENCY.fullmatch(text) is None:
        raise InvalidSessionInputError(path, "must be an ISO 4217 currency code such as EUR")
    return text


def number(value: Any, path: str) -> Decimal:
    """CH-3: a JSON number (not a string, not a boolean), finite, kept exactly as sent."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidSessionInputError(path, "must be a number")
    result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite() or abs(result) >= MAX_MAGNITUDE:
        raise InvalidSessionInputError(path, "must be a finite number below 10^15")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise InvalidSessionInputError(path, f"must have at most {MAX_DECIMAL_PLACES} decimal places")
    return result


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidSessionInputError(path, "must be true or false")
    return value


def date_time(value: Any, path: str) -> datetime:
    """D19, CH-2: an RFC 3339 date-time, returned in UTC with its fraction."""
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    raise InvalidSessionInputError(path, "must be an RFC 3339 date-time such as 2015-06-29T20:39:09Z")


def enum_value(value: Any, path: str, kind: type[E]) -> E:
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in kind)
    raise InvalidSessionInputError(path, f"must be one of {allowed}")


def extra_fields(obj: dict[str, Any], known: Any, path: str) -> Extra:
    """CH-6: the fields of ``obj`` not in ``known``, kept as they came (JSON values only)."""
    extra = {name: value for name, value in obj.items() if name not in known}
    if extra:
        try:
            extra_text(extra)
        except (TypeError, ValueError):
            raise InvalidSessionInputError(path or "body", "unknown fields must hold JSON values") from None
    return extra


Reader = Callable[[Any, str], Any]
