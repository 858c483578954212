"""The "Create Sessions" wizard (spec §2.9, §8): a recurrence of local days times timeslots -> UTC sessions.

Occurrence days come from the shared RFC 5545 engine (``domain.shared.recurrence``, built on
``dateutil.rrule`` as in the original), so the interval and week-start semantics are the library's.
Wall-clock times are read in the event timezone; a time that a DST change makes ambiguous or skips gets
the standard-time offset (§8.4), the shared ``DstPolicy.STANDARD_TIME``.

Quirk Q10, replicated: a monthly rule starts counting at the first day of ``start``'s month, so it
can yield days *before* ``start`` (day 15 with start on the 20th still yields the 15th).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Literal

from domain.eventsessions.timeslots import TIME_OUT_OF_RANGE, float_to_hm
from domain.shared.clock import as_utc
from domain.shared.errors import InvalidInputError
from domain.shared.limits import instant_in_range
from domain.shared.recurrence import DstPolicy, RecurrenceRule
from domain.shared.recurrence import local_to_utc as _wall_to_utc
from domain.shared.timezones import load_zone

DURATION_REQUIRED = "Duration is required."
INTERVAL_NOT_POSITIVE = "The interval cannot be negative."
NO_WEEKDAY = "You have to choose at least one day in the week"
DURATION_TOO_LONG = "The duration is too long."
OUT_OF_CALENDAR = "The sessions have to lie between the years 1 and 9999."

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BYDAY_CHOICES = (1, 2, 3, 4, -1)
MAX_SESSIONS_PER_BATCH = 1000

_ISO_WEEKDAYS = {name: number for number, name in enumerate(WEEKDAYS, start=1)}


@dataclass(frozen=True, kw_only=True)
class WizardRequest:
    """The wizard's inputs.  Times are decimal hours in the event timezone; ``until`` is inclusive."""

    rrule_type: Literal["weekly", "monthly"]
    start: date
    until: date
    timeslots: tuple[float, ...]
    duration: float
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    month_by: Literal["date", "day"] = "date"
    day: int = 1
    byday: int | None = None
    weekday: str | None = None
    week_start: Literal["sunday", "monday"] = "sunday"


def default_start(event_date_end_utc: datetime) -> date:
    """§8.2/Q11: the day after the event's end, as a *UTC* calendar date (even where the local date differs).
    An end on the calendar's last day has no next day: the wizard then needs an explicit ``start``."""
    try:
        return as_utc(event_date_end_utc).date() + timedelta(days=1)
    except OverflowError:
        raise InvalidInputError("start", "start is required: the event ends on the calendar's last day.") from None


def default_duration(sessions: Iterable[tuple[datetime, datetime, bool]]) -> float | None:
    """§8.2: hours of the latest-starting active ``(begin, end, active)`` session, 2 decimals; None without one.

    Among sessions starting at the same instant, the last one given wins (a stable sort, like the original).
    """
    active = sorted(((begin, end) for begin, end, is_active in sessions if is_active), key=lambda s: s[0])
    if not active:
        return None
    begin, end = active[-1]
    return round((end - begin).total_seconds() / 3600, 2)


def validate(request: WizardRequest) -> None:
    """C11-C14 and the shape of the other inputs; every failure is malformed input (422) naming the field."""
    if not isinstance(request.duration, (int, float)) or not (0 < request.duration < math.inf):
        raise InvalidInputError("duration", DURATION_REQUIRED)
    try:
        if _duration(request) <= timedelta(0):  # under half a second
            raise InvalidInputError("duration", DURATION_REQUIRED)
    except OverflowError:
        raise InvalidInputError("duration", DURATION_TOO_LONG) from None
    if not isinstance(request.interval, int) or request.interval <= 0:
        raise InvalidInputError("interval", INTERVAL_NOT_POSITIVE)
    for field in ("start", "until"):
        value = getattr(request, field)
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInputError(field, f"{field} is required (a calendar date).")
    if request.until < request.start:
        raise InvalidInputError("until", "The end date cannot be earlier than the start date.")
    if not request.timeslots:
        raise InvalidInputError("timeslots", "timeslots is required: choose at least one timeslot.")
    for slot in request.timeslots:
        # 24.0 passes the catalogue's range check but is no time of day (§8.1), so the wizard refuses it.
        if not isinstance(slot, (int, float)) or not (0 <= slot < 24) or float_to_hm(slot)[0] > 23:
            raise InvalidInputError("timeslots", TIME_OUT_OF_RANGE)
    if request.week_start not in ("sunday", "monday"):
        raise InvalidInputError("week_start", "week_start must be sunday or monday.")
    if any(name not in WEEKDAYS for name in request.weekdays):
        raise InvalidInputError("weekdays", f"weekdays must be among {', '.join(WEEKDAYS)}.")
    if request.rrule_type == "weekly":
        if not request.weekdays:
            raise InvalidInputError("weekdays", NO_WEEKDAY)
    elif request.rrule_type == "monthly":
        _validate_monthly(request)
    else:
        raise InvalidInputError("rrule_type", "rrule_type must be weekly or monthly.")


def _validate_monthly(request: WizardRequest) -> None:
    if request.month_by == "date":
        if not isinstance(request.day, int) or not 1 <= request.day <= 31:
            raise InvalidInputError("day", "day must be a day of the month, 1 to 31.")
    elif request.month_by == "day":
        if request.byday not in BYDAY_CHOICES:
            raise InvalidInputError("byday", "byday is required: 1, 2, 3, 4 or -1 (last).")
        if request.weekday not in WEEKDAYS:
            raise InvalidInputError("weekday", f"weekday is required: one of {', '.join(WEEKDAYS)}.")
    else:
        raise InvalidInputError("month_by", "month_by must be date or day.")


def occurrences(request: WizardRequest) -> list[date]:
    """§8.3: the local days of the recurrence, ascending (monthly ones may precede ``start``: Q10)."""
    validate(request)
    return list(_occurrences(request))


def _occurrences(request: WizardRequest) -> Iterator[date]:
    return _rule(request).dates()


def _rule(request: WizardRequest) -> RecurrenceRule:
    """The request as the shared rule (after ``validate``).  ``int()`` because the wizard accepts a bool
    where it wants an int (``True`` is 1) and the shared rule refuses bools."""
    interval = int(request.interval)
    if request.rrule_type == "weekly":
        return RecurrenceRule(
            "weekly",
            request.start,
            interval=interval,
            weekdays=tuple(dict.fromkeys(_ISO_WEEKDAYS[name] for name in request.weekdays)),
            week_start=1 if request.week_start == "monday" else 7,
            until=request.until,
        )
    # Q10: monthly rules count from the 1st of start's month, so they may yield days before start.
    first = request.start.replace(day=1)
    if request.month_by == "date":
        return RecurrenceRule("monthly", first, interval=interval, month_days=(int(request.day),), until=request.until)
    assert request.weekday is not None and request.byday is not None  # validate() guarantees both
    # The n-th weekday of a month is BYSETPOS=n over that one weekday's days (BYDAY=nXX in RFC 5545).
    return RecurrenceRule(
        "monthly",
        first,
        interval=interval,
        weekdays=(_ISO_WEEKDAYS[request.weekday],),
        set_positions=(int(request.byday),),
        until=request.until,
    )


def local_to_utc(day: date, hour: int, minute: int, tz: str) -> datetime:
    """§8.4: a wall-clock time in ``tz`` as an aware UTC instant; DST-ambiguous or skipped times take standard time.

    The shared ``STANDARD_TIME`` policy: the smaller ``dst()`` of the two candidates, so winter time even in
    negative-DST zones (Europe/Dublin), like pytz's ``is_dst=False``; a transition that is no DST change takes
    the smaller offset.  The zone is loaded here so an unknown one names the wizard's field, ``date_tz``.
    """
    return _wall_to_utc(day, time(hour, minute), load_zone(tz), policy=DstPolicy.STANDARD_TIME)


def generate(request: WizardRequest, tz: str) -> list[tuple[datetime, datetime]]:
    """§8.4: ``(begin, end)`` aware UTC pairs for every occurrence day x timeslot, sorted by begin.

    Duplicate timeslots count once.  More than ``MAX_SESSIONS_PER_BATCH`` sessions are refused (on
    ``until``) before they are all computed, so a mistyped year cannot build millions of them.
    """
    validate(request)
    load_zone(tz)
    slots = [float_to_hm(slot) for slot in sorted(set(request.timeslots))]
    days = list(islice(_occurrences(request), MAX_SESSIONS_PER_BATCH // len(slots) + 1))
    if len(days) * len(slots) > MAX_SESSIONS_PER_BATCH:
        raise InvalidInputError(
            "until",
            f"This would create more than {MAX_SESSIONS_PER_BATCH} sessions at once; choose an earlier end date.",
        )
    duration = _duration(request)
    sessions = []
    for day in days:
        for hour, minute in slots:
            try:
                begin = local_to_utc(day, hour, minute, tz)
                sessions.append((begin, begin + duration))
            except OverflowError:
                raise InvalidInputError("until", OUT_OF_CALENDAR) from None
            if not (instant_in_range(begin) and instant_in_range(begin + duration)):
                raise InvalidInputError("until", OUT_OF_CALENDAR)  # storable, and shown in any zone
    return sorted(sessions, key=lambda session: session[0])


def _duration(request: WizardRequest) -> timedelta:
    # Absolute hours, to the whole second (stored datetimes have second precision): 1.5 -> 1:30:00.
    return timedelta(seconds=round(request.duration * 3600))
