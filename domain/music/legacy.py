"""A.2.7: the legacy (ceol.io) recurrence format -> the canonical one, for imported data and old events.

Legacy: ``{"schedules": [{"type": "weekly", "weekday": "thursday", "start_time": "19:00",
"end_time": "22:30", "every_n_weeks": 1}, {"type": "monthly_nth_weekday", "weekday": "sunday",
"which": [1, 3], ...}]}``.  The result is canonical JSON that ``patterns.parse_recurrence`` then
validates like any other; patterns already canonical pass through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.music.errors import RecurrenceError

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LEGACY_TYPES = frozenset({"weekly", "monthly_nth_weekday"})


@dataclass(frozen=True)
class Upcast:
    """The canonical recurrence (None: no schedule) and the warnings an importer should show."""

    recurrence: dict[str, Any] | None
    warnings: tuple[str, ...] = ()


def is_legacy_pattern(pattern: object) -> bool:
    return isinstance(pattern, Mapping) and pattern.get("type") in LEGACY_TYPES and "weekday" in pattern


def upcast_legacy(recurrence: object, initiation_date: date | None = None) -> Upcast:
    """A.2.7: each legacy pattern rewritten; the ``schedules`` wrapper kept as it is."""
    if isinstance(recurrence, str) and recurrence != "":
        try:
            recurrence = json.loads(recurrence)
        except ValueError:
            raise RecurrenceError("The legacy recurrence is not valid JSON.", code="recurrence.invalid") from None
    if recurrence is None or recurrence == "":
        return Upcast(None)
    if not isinstance(recurrence, Mapping):
        raise RecurrenceError("The legacy recurrence must be an object.", code="recurrence.invalid")
    warnings: list[str] = []
    if "schedules" not in recurrence:
        return Upcast(_upcast_pattern(recurrence, initiation_date, warnings), tuple(warnings))
    schedules = recurrence["schedules"]
    if not isinstance(schedules, list):
        return Upcast(dict(recurrence))  # the validator reports it
    upcast = {**recurrence, "schedules": [_upcast_pattern(p, initiation_date, warnings) for p in schedules]}
    return Upcast(upcast, tuple(warnings))


def _upcast_pattern(pattern: Any, initiation_date: date | None, warnings: list[str]) -> Any:
    if not is_legacy_pattern(pattern):
        return dict(pattern) if isinstance(pattern, Mapping) else pattern
    day = _iso_weekday(pattern["weekday"])
    canonical: dict[str, Any]
    if pattern["type"] == "weekly":
        every = pattern.get("every_n_weeks", 1)
        canonical = {"type": "weekly", "interval": every, "daysOfWeek": [day]}
        if isinstance(every, int) and not isinstance(every, bool) and every > 1:
            if initiation_date is None:
                warnings.append(f"every_n_weeks={every} has no anchor: the session has no initiation_date.")
            else:
                canonical["startDate"] = initiation_date.isoformat()
                if initiation_date.isoweekday() != 1:
                    warnings.append(
                        f"The anchor {initiation_date.isoformat()} is not a Monday: the legacy 7-day blocks "
                        "and RFC 5545 calendar weeks may disagree on which weeks are on."
                    )
    else:
        canonical = {"type": "monthly", "interval": 1, "daysOfWeek": [day], "setPositions": pattern.get("which")}
    for old, new in (("start_time", "startTime"), ("end_time", "endTime")):
        if old in pattern:
            canonical[new] = pattern[old]
    return canonical


def _iso_weekday(name: object) -> int:
    if not isinstance(name, str) or name.strip().lower() not in WEEKDAY_NAMES:
        raise RecurrenceError(f"Invalid weekday name: {name!r}.", code="recurrence.days_of_week.invalid")
    return WEEKDAY_NAMES.index(name.strip().lower()) + 1
