"""The timeslot catalogue's rules (spec §2.5, §8.1, C8-C10): times of day stored as decimal hours.

A timeslot is a float such as ``23.5`` for 23:30, because that is what the wizard multiplies and
what the catalogue sorts on.  Text is accepted only as a 24-hour ``H:M``/``HH:MM``; display is
zero-padded ``HH:MM``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from domain.shared.errors import InvalidInputError, RuleViolationError

TIMESLOT_FORMAT = "The timeslot has to be defined in HH:MM format"
TIMESLOT_NOT_UNIQUE = "The timeslot has to be unique"
TIME_OUT_OF_RANGE = "Time has to be between 0:00 and 23:59"

# The 13 seeded slots, 10:00 ... 22:00.
SEED_TIMESLOTS: tuple[float, ...] = tuple(float(hour) for hour in range(10, 23))

# ASCII digits only (``\d`` would accept other scripts' digits); one or two of each, like strptime's %H:%M.
_TEXT = re.compile(r"([0-9]{1,2}):([0-9]{1,2})")


class DuplicateTimeslotError(RuleViolationError):
    """C9: another timeslot already has this time."""

    code = "eventsessions.timeslot.duplicate"

    def __init__(self, time: float | None = None) -> None:
        super().__init__(TIMESLOT_NOT_UNIQUE)
        self.time = time


def parse_timeslot(text: str) -> float:
    """C8: ``" 9:30 "`` -> 9.5.  Hours 0-23, minutes 0-59; anything else is malformed input."""
    match = _TEXT.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidInputError("time", TIMESLOT_FORMAT)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise InvalidInputError("time", TIMESLOT_FORMAT)
    return hours + minutes / 60


def check_timeslot_range(time: float) -> float:
    """C10: ``0 <= time <= 24`` (24.0 passes, as in the original check); NaN and infinities do not."""
    if not (0 <= time <= 24):
        raise InvalidInputError("time", TIME_OUT_OF_RANGE)
    return time


def check_timeslot_unique(time: float, existing: Iterable[float]) -> None:
    """C9: the catalogue's times are unique (compared exactly, as the original database constraint does)."""
    if any(other == time for other in existing):
        raise DuplicateTimeslotError(time)


def timeslot_name(time: float) -> str:
    """Display ``HH:MM``: minutes are rounded, and 60 of them carry into the hour (23.999 -> "24:00")."""
    hours = math.floor(time)
    minutes = round((time - hours) * 60)
    if minutes == 60:
        hours, minutes = hours + 1, 0
    return f"{hours:02d}:{minutes:02d}"


def float_to_hm(time: float) -> tuple[int, int]:
    """The wizard's conversion (§8.1): round to 2 decimals, then whole hours and rounded minutes.

    1.5 -> (1, 30); 0.99 -> (0, 59); 20 -> (20, 0).  A fraction of at most .99 gives at most 59.4
    minutes, so no carry is needed.  24.0 gives (24, 0), which is not a time of day: callers that
    build a wall-clock time must refuse it.
    """
    rounded = round(time, 2)
    hours = math.floor(rounded)
    return hours, round((rounded - hours) * 60)
