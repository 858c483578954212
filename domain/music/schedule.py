"""Pure schedule rules: expansion (A.2.3-A.3), lifetime (A.2.5), the active window (A.5), auto-create
planning (A.4).  No aggregates, no clock: callers pass ``now``.

Expansion is the hot path (one year of a weekly pattern is ~52 occurrences): one ``RecurrenceRule`` per
pattern and call, one zone lookup per call, and plain slotted dataclasses per occurrence.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.music.patterns import Pattern
from domain.shared.recurrence import RecurrenceRule, local_span_to_utc, local_to_utc, zone

UTC = timezone.utc
#: A.5 / A.8: the active window is evaluated one minute after the tick.
LOOKAHEAD = timedelta(seconds=60)
_MIDNIGHT = time()


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated occurrence (A.3).  ``start``/``end`` are UTC instants, None for a time-less pattern."""

    date: date
    start_time: time | None
    end_time: time | None
    start: datetime | None
    end: datetime | None
    pattern_index: int


@dataclass(frozen=True)
class Schedule:
    """What expansion needs from a session: its zone, patterns and lifetime."""

    timezone: str
    patterns: tuple[Pattern, ...]
    initiation_date: date | None = None
    termination_date: date | None = None

    def expand(self, start: date, end: date) -> list[Occurrence]:
        """A.3: occurrences with a local date in ``start..end`` (inclusive), clipped to the lifetime (A.2.5),
        sorted by start instant (a time-less one by its local midnight), then by pattern index."""
        low = max(start, self.initiation_date) if self.initiation_date else start
        high = min(end, self.termination_date) if self.termination_date else end
        if high < low or not self.patterns:
            return []
        tz = zone(self.timezone)
        found: list[Occurrence] = []
        for index, pattern in enumerate(self.patterns):
            days = pattern_dates(pattern, low, high, self.initiation_date)
            if pattern.start_time is not None and pattern.end_time is not None:
                st, et = pattern.start_time, pattern.end_time
                for day in days:
                    begin, finish = local_span_to_utc(day, st, et, tz)
                    found.append(Occurrence(day, st, et, begin, finish, index))
            else:
                found.extend(Occurrence(day, None, None, None, None, index) for day in days)
        if len(self.patterns) > 1 or any(o.start is None for o in found):
            found.sort(key=lambda o: (o.start or local_to_utc(o.date, _MIDNIGHT, tz), o.pattern_index))
        return found


def pattern_dates(pattern: Pattern, start: date, end: date, initiation_date: date | None = None) -> list[date]:
    """A.2.3 / A.2.6: the local dates of one pattern in ``start..end``, as RFC 5545 (dateutil) yields them."""
    if pattern.type == "one_time":
        assert pattern.date is not None  # parse_pattern guarantees it
        return [pattern.date] if start <= pattern.date <= end else []
    anchor = pattern.anchor(initiation_date)
    return _rule(pattern, anchor or start).dates_between(start, end)


@lru_cache(maxsize=512)
def _rule(pattern: Pattern, dtstart: date) -> RecurrenceRule:
    # A.2.6: WKST=MO always; for interval > 1 DTSTART is the anchor, so parity never depends on the query.
    return RecurrenceRule(
        "weekly" if pattern.type == "weekly" else "monthly",
        dtstart,
        interval=pattern.interval,
        weekdays=pattern.days_of_week,
        set_positions=pattern.set_positions,
        week_start=1,
    )


# -- lifetime and the active window ---------------------------------------------------------------------


def local_date(at: datetime, tz: str | ZoneInfo) -> date:
    return at.astimezone(zone(tz)).date()


def is_terminated(termination_date: date | None, tz: str | ZoneInfo, at: datetime) -> bool:
    """A.2.5: terminated means ``termination_date`` < today in the session's own calendar."""
    return termination_date is not None and termination_date < local_date(at, tz)


def instance_span(day: date, start_time: time, end_time: time, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """A.2.4: UTC start and end of an instance; ``end < start`` ends the next day, ``end == start`` is empty."""
    return local_span_to_utc(day, start_time, end_time, tz)


def is_active(
    *,
    day: date,
    start_time: time | None,
    end_time: time | None,
    is_cancelled: bool,
    tz: str | ZoneInfo,
    before_minutes: int,
    after_minutes: int,
    termination_date: date | None,
    at: datetime,
) -> bool:
    """A.5's pure predicate at instant ``at`` (callers pass tick + ``LOOKAHEAD``); both window ends inclusive,
    absolute-time buffers (A.9.5), cross-midnight ends (A.9.3), cancelled never active (A.9.4)."""
    if is_cancelled or start_time is None or end_time is None:
        return False
    if is_terminated(termination_date, tz, at):
        return False
    begin, end = instance_span(day, start_time, end_time, tz)
    return begin - timedelta(minutes=before_minutes) <= at <= end + timedelta(minutes=after_minutes)


def candidate_dates(at: datetime, tz: str | ZoneInfo, before_minutes: int, after_minutes: int) -> tuple[date, date]:
    """MU-20: the local dates ``d`` an instance can have and still be active at ``at``: its start is on ``d``
    (at most a day late through a DST gap), its end at most the next day."""
    low = local_date(at - timedelta(minutes=after_minutes), tz) - timedelta(days=2)
    high = local_date(at + timedelta(minutes=before_minutes), tz) + timedelta(days=1)
    return low, high


# -- auto-create (A.4) ----------------------------------------------------------------------------------


def is_eligible_for_auto_create(enabled: bool, schedule: Schedule, now: datetime) -> bool:
    """A.4: auto-create on, a non-empty recurrence, and not terminated (the zone and recurrence are valid
    by construction: the commands that set them refuse invalid ones)."""
    return enabled and bool(schedule.patterns) and not is_terminated(schedule.termination_date, schedule.timezone, now)


def plan_auto_create(
    schedule: Schedule, *, now: datetime, hours_ahead: int, occupied: Collection[date]
) -> list[Occurrence]:
    """A.4: the occurrences to create now, earliest first (the one planning path of every caller, A.9.6).

    - with times only (time-less patterns are never auto-created);
    - ``now <= start <= now + hours_ahead`` on absolute time, both bounds inclusive;
    - not clipped by the lifetime (``Schedule.expand`` clips);
    - not on a date in ``occupied`` (any instance of the session on that local date, cancelled included);
    - one per date: the earliest, when two patterns share a date.
    """
    horizon = now + timedelta(hours=hours_ahead)
    low = local_date(now, schedule.timezone) - timedelta(days=1)
    high = local_date(horizon, schedule.timezone) + timedelta(days=1)
    planned: list[Occurrence] = []
    taken = set(occupied)
    for occurrence in schedule.expand(low, high):
        if occurrence.start is None or not now <= occurrence.start <= horizon:
            continue
        if occurrence.date in taken:
            continue
        taken.add(occurrence.date)
        planned.append(occurrence)
    return planned
