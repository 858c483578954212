"""The recurrence pattern of a session: canonical JSON (A.2.1) -> validated, typed ``Pattern`` values.

``parse_recurrence`` is the one validator: every command that sets a recurrence (or an initiation date
the recurrence relies on) calls it, so a stored recurrence is always valid.  The stored JSON is the
client's, unchanged (MU-10); ``Pattern`` is what expansion reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Literal

from domain.music.errors import RecurrenceError

PatternType = Literal["weekly", "monthly", "one_time"]

TIME_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
KEYS = frozenset({"type", "interval", "daysOfWeek", "setPositions", "date", "startDate", "startTime", "endTime"})
ALLOWED = {
    "weekly": frozenset({"type", "interval", "daysOfWeek", "startDate", "startTime", "endTime"}),
    "monthly": frozenset({"type", "interval", "daysOfWeek", "setPositions", "startDate", "startTime", "endTime"}),
    "one_time": frozenset({"type", "date", "startTime", "endTime"}),
}


@dataclass(frozen=True)
class Pattern:
    """One validated pattern.  ``days_of_week`` are ISO numbers (A.2.2); times are local wall clock."""

    type: PatternType
    interval: int = 1
    days_of_week: tuple[int, ...] = ()
    set_positions: tuple[int, ...] = ()
    # ``dt.date``: in the class body, ``date`` names the field.
    date: dt.date | None = None
    start_date: dt.date | None = None
    start_time: time | None = None
    end_time: time | None = None

    @property
    def has_times(self) -> bool:
        return self.start_time is not None and self.end_time is not None

    def anchor(self, initiation_date: dt.date | None) -> dt.date | None:
        """A.2.3: ``startDate``, else the session's initiation date, else none."""
        return self.start_date or initiation_date


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_time(value: object) -> time | None:
    """``HH:MM`` (A.2.1's regex: exactly two hour digits, no seconds) -> ``time``; anything else -> None."""
    if not isinstance(value, str) or not TIME_PATTERN.match(value):
        return None
    return time(int(value[:2]), int(value[3:]))


def parse_date(value: object) -> date | None:
    """``YYYY-MM-DD`` that is a real calendar date -> ``date``; anything else -> None."""
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_empty_recurrence(recurrence: object) -> bool:
    """A.2.1: null and the empty string both mean "no schedule"."""
    return recurrence is None or recurrence == ""


def parse_recurrence(recurrence: object, initiation_date: date | None = None) -> tuple[Pattern, ...]:
    """A.2.1: the patterns of ``recurrence`` (none for null/""), or the first ``RecurrenceError`` found."""
    if is_empty_recurrence(recurrence):
        return ()
    if not isinstance(recurrence, Mapping):
        raise RecurrenceError("The recurrence must be a pattern object or {\"schedules\": [...]}.",
                              code="recurrence.invalid")  # fmt: skip
    if "schedules" not in recurrence:
        return (parse_pattern(recurrence, initiation_date),)
    extra = sorted(set(recurrence) - {"schedules"})
    if extra:
        raise RecurrenceError(f"Unknown recurrence field: {extra[0]!r}.", code="recurrence.unknown_field")
    schedules = recurrence["schedules"]
    if not isinstance(schedules, Sequence) or isinstance(schedules, str) or not schedules:
        raise RecurrenceError("schedules must be a non-empty list of patterns.", code="recurrence.schedules.invalid")
    return tuple(parse_pattern(p, initiation_date, label=f"schedules[{i}]: ") for i, p in enumerate(schedules))


def parse_pattern(raw: object, initiation_date: date | None = None, *, label: str = "") -> Pattern:
    """A.2.1's rules for one pattern object, checked in a fixed order (MU-11)."""
    if not isinstance(raw, Mapping):
        raise RecurrenceError(f"{label}A pattern must be an object.", code="recurrence.invalid")
    kind = raw.get("type")
    if kind not in ALLOWED:
        raise RecurrenceError(f"{label}type must be weekly, monthly or one_time.", code="recurrence.unknown_type")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise RecurrenceError(f"{label}Unknown recurrence field: {unknown[0]!r}.", code="recurrence.unknown_field")
    if kind == "weekly" and "setPositions" in raw:
        raise RecurrenceError(
            f"{label}setPositions is not allowed on a weekly pattern.", code="recurrence.set_positions.not_allowed"
        )
    forbidden = sorted(set(raw) - ALLOWED[kind])
    if forbidden:
        raise RecurrenceError(
            f"{label}{forbidden[0]} is not allowed on a {kind} pattern.", code="recurrence.field_not_allowed"
        )
    if kind == "one_time":
        one_date = parse_date(raw.get("date"))
        if one_date is None:
            raise RecurrenceError(
                f"{label}date must be a real calendar date, YYYY-MM-DD.", code="recurrence.date.invalid"
            )
        start_time, end_time = _times(raw, label)
        return Pattern("one_time", date=one_date, start_time=start_time, end_time=end_time)
    interval = raw.get("interval", 1)
    if not _is_int(interval) or interval < 1:
        raise RecurrenceError(f"{label}interval must be an integer >= 1.", code="recurrence.interval.invalid")
    days = _days_of_week(raw.get("daysOfWeek"), label)
    positions = _set_positions(raw, label)
    start_date = None
    if "startDate" in raw:
        start_date = parse_date(raw["startDate"])
        if start_date is None:
            raise RecurrenceError(
                f"{label}startDate must be a real calendar date, YYYY-MM-DD.", code="recurrence.start_date.invalid"
            )
    start_time, end_time = _times(raw, label)
    if interval > 1 and start_date is None and initiation_date is None:
        raise RecurrenceError(
            f"{label}An interval above 1 needs an anchor: give startDate or the session's initiation_date.",
            code="recurrence.anchor.required",
        )
    return Pattern(kind, interval, days, positions, None, start_date, start_time, end_time)


def _days_of_week(days: object, label: str) -> tuple[int, ...]:
    if days is None or (isinstance(days, Sequence) and not isinstance(days, str) and not days):
        raise RecurrenceError(f"{label}daysOfWeek is required.", code="recurrence.days_of_week.required")
    if not isinstance(days, Sequence) or isinstance(days, str) or not all(_is_int(d) and 1 <= d <= 7 for d in days):
        raise RecurrenceError(
            f"{label}daysOfWeek must list ISO weekday numbers, Monday=1 ... Sunday=7.",
            code="recurrence.days_of_week.invalid",
        )
    if len(set(days)) != len(days):
        raise RecurrenceError(f"{label}daysOfWeek has a repeated day.", code="recurrence.days_of_week.duplicate")
    return tuple(days)


def _set_positions(raw: Mapping[str, Any], label: str) -> tuple[int, ...]:
    if "setPositions" not in raw:
        return ()
    positions = raw["setPositions"]
    if (
        not isinstance(positions, Sequence)
        or isinstance(positions, str)
        or not positions
        or not all(_is_int(p) and 1 <= abs(p) <= 5 for p in positions)
    ):
        raise RecurrenceError(
            f"{label}setPositions must be a non-empty list of 1..5 or -5..-1.", code="recurrence.set_positions.invalid"
        )
    if len(set(positions)) != len(positions):
        raise RecurrenceError(
            f"{label}setPositions has a repeated position.", code="recurrence.set_positions.duplicate"
        )
    return tuple(positions)


def _times(raw: Mapping[str, Any], label: str) -> tuple[time | None, time | None]:
    has_start, has_end = "startTime" in raw, "endTime" in raw
    if not has_start and not has_end:
        return None, None
    if has_start != has_end:
        raise RecurrenceError(f"{label}startTime and endTime go together.", code="recurrence.time.incomplete")
    start, end = parse_time(raw["startTime"]), parse_time(raw["endTime"])
    if start is None or end is None:
        raise RecurrenceError(f"{label}Times must be HH:MM, 24-hour (e.g. 19:00).", code="recurrence.time.invalid")
    if start == end:
        raise RecurrenceError(f"{label}startTime and endTime are equal.", code="recurrence.time.empty_range")
    return start, end
