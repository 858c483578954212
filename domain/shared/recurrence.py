"""Recurrence rules shared by every context: RFC 5545 (``dateutil.rrule``) days, then local wall-clock
times in an IANA zone turned into UTC instants.

Three small pieces, each usable alone:

- ``RecurrenceRule``: a typed, validated RRULE (weekly or monthly; interval; ISO weekdays; set
  positions including -1 = last; month days; week start; a DTSTART *date*; UNTIL date or COUNT) that
  yields local calendar dates (``dates_between``, ``dates``) and prints itself as RFC 5545 text
  (``to_rfc5545``), which ``dateutil.rrule.rrulestr`` reads back into the same rule.
- ``local_to_utc``: a local date and wall-clock time in a zone -> an aware UTC instant, with a chosen
  policy for DST gaps and folds (``PRE_TRANSITION``, the zoneinfo default ``fold=0``; or
  ``STANDARD_TIME``, pytz's ``is_dst=False``).
- ``local_span_to_utc``: a start and end wall-clock time on one local date -> two UTC instants; an end
  earlier than the start is on the next calendar day (cross-midnight).

Weekdays are ISO numbers everywhere in this API (Monday=1 ... Sunday=7); dateutil's 0-based weekday
indexes never leak out.  Expansion works on naive local dates: dateutil does no time-zone arithmetic.

Cost: one ``rrule`` object per ``dates_between`` call (never one per occurrence), and a rule with an
interval whose DTSTART lies far in the past is first moved forward by whole periods (which keeps its
parity), so expanding one year costs the same whether the rule started last month or in 1990.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from functools import lru_cache
from itertools import islice
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil import rrule as _rrule

from domain.shared.errors import InvalidInputError
from domain.shared.timezones import load_zone

__all__ = [
    "DstPolicy",
    "Frequency",
    "RecurrenceRule",
    "RecurrenceRuleError",
    "local_span_to_utc",
    "local_to_utc",
    "zone",
]

Frequency = Literal["weekly", "monthly"]

UTC = timezone.utc
_FREQ = {"weekly": _rrule.WEEKLY, "monthly": _rrule.MONTHLY}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index = ISO weekday - 1
_MIDNIGHT = time()


class RecurrenceRuleError(InvalidInputError):
    """A ``RecurrenceRule`` built with values RFC 5545 does not allow; ``field`` names the attribute.

    Contexts validate their own inputs first (with their own codes and messages); this error means a
    programming mistake got through, so its message is technical."""

    code = "recurrence.rule.invalid"


class DstPolicy(str, Enum):
    """How a wall-clock time that a DST change skips (gap) or repeats (fold) becomes an instant."""

    #: zoneinfo's ``fold=0``: a skipped time takes the offset in force *before* the transition (02:30 in a
    #: one-hour spring-forward gap becomes 03:30 of the new offset); a repeated time takes its first
    #: occurrence.  The music spec's rule (A.2.4).
    PRE_TRANSITION = "pre_transition"
    #: The standard-time offset for both (pytz ``is_dst=False``): the candidate with the smaller ``dst()``,
    #: so winter time even in negative-DST zones such as Europe/Dublin.  The event-sessions wizard's rule.
    STANDARD_TIME = "standard_time"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(condition: bool, field_name: str, message: str) -> None:
    if not condition:
        raise RecurrenceRuleError(field_name, message)


@dataclass(frozen=True)
class RecurrenceRule:
    """One RRULE over local calendar dates.  Hashable and immutable; validated on construction.

    - ``weekdays``: ISO numbers (1=Monday ... 7=Sunday).  Empty: a weekly rule recurs on DTSTART's weekday
      and a monthly rule without ``month_days`` on DTSTART's day of the month (RFC 5545 defaults, made
      explicit here so a rule means the same whatever DTSTART is moved to).
    - ``set_positions``: BYSETPOS, over the *combined* set of candidate days of each period; -1 is the last.
    - ``month_days``: BYMONTHDAY, 1..31 or -31..-1 (monthly only).
    - ``week_start``: WKST as an ISO weekday (1 = Monday, 7 = Sunday); it decides which days share a
      "week" for ``interval`` > 1.
    - ``until``: inclusive last date; ``count``: the number of occurrences.  Not both (RFC 5545).
    """

    freq: Frequency
    dtstart: date
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    set_positions: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    week_start: int = 1
    until: date | None = None
    count: int | None = None
    _byweekday: tuple[int, ...] = field(init=False, repr=False, compare=False, hash=False)
    _bymonthday: tuple[int, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _check(self.freq in _FREQ, "freq", "freq must be 'weekly' or 'monthly'.")
        _check(
            isinstance(self.dtstart, date) and not isinstance(self.dtstart, datetime),
            "dtstart",
            "dtstart must be a date.",
        )
        _check(_is_int(self.interval) and self.interval >= 1, "interval", "interval must be an integer >= 1.")
        for name in ("weekdays", "set_positions", "month_days"):
            _check(isinstance(getattr(self, name), tuple), name, f"{name} must be a tuple.")
        _check(all(_is_int(d) and 1 <= d <= 7 for d in self.weekdays), "weekdays", "weekdays are ISO 1..7.")
        _check(len(set(self.weekdays)) == len(self.weekdays), "weekdays", "weekdays must not repeat.")
        _check(
            all(_is_int(p) and p != 0 and -366 <= p <= 366 for p in self.set_positions),
            "set_positions",
            "set_positions must be non-zero integers in -366..366.",
        )
        _check(
            all(_is_int(d) and d != 0 and -31 <= d <= 31 for d in self.month_days),
            "month_days",
            "month_days must be non-zero integers in -31..31.",
        )
        _check(not (self.freq == "weekly" and self.month_days), "month_days", "month_days need a monthly rule.")
        _check(_is_int(self.week_start) and 1 <= self.week_start <= 7, "week_start", "week_start is ISO 1..7.")
        _check(
            self.until is None or (isinstance(self.until, date) and not isinstance(self.until, datetime)),
            "until",
            "until must be a date.",
        )
        _check(self.count is None or (_is_int(self.count) and self.count >= 1), "count", "count must be >= 1.")
        _check(self.until is None or self.count is None, "count", "A rule takes until or count, not both.")
        weekdays, month_days = self.weekdays, self.month_days
        if self.freq == "weekly" and not weekdays:
            weekdays = (self.dtstart.isoweekday(),)
        if self.freq == "monthly" and not weekdays and not month_days:
            month_days = (self.dtstart.day,)
        object.__setattr__(self, "_byweekday", tuple(sorted(d - 1 for d in weekdays)))
        object.__setattr__(self, "_bymonthday", tuple(sorted(month_days)))

    # -- expansion ---------------------------------------------------------------------------------

    def dates_between(self, start: date, end: date) -> list[date]:
        """Every occurrence date in ``start..end`` (both inclusive), ascending."""
        if end < start or (self.until is not None and self.until < start):
            return []
        if self.count is not None:
            rule = self._rrule(self.dtstart)
        else:
            # UNTIL = the query's end bounds dateutil's walk even for a rule that yields nothing.
            until = end if self.until is None else min(end, self.until)
            rule = self._rrule(self._moved_forward(start), until)
        found = rule.between(datetime.combine(start, _MIDNIGHT), datetime.combine(end, _MIDNIGHT), inc=True)
        return [occurrence.date() for occurrence in found]

    def dates(self, limit: int | None = None) -> Iterator[date]:
        """The occurrence dates in order, at most ``limit`` of them (a rule without until/count is endless).

        A rule that can never match (say BYSETPOS=3 over one weekday a week) makes dateutil search up to
        the year 9999 before it gives up; ``dates_between`` is always bounded by its range."""
        found = iter(self._rrule(self.dtstart))
        if limit is not None:
            found = islice(found, limit)
        return (occurrence.date() for occurrence in found)

    def to_rrule(self) -> _rrule.rrule:
        """The equivalent ``dateutil.rrule.rrule`` over naive local datetimes at 00:00."""
        return self._rrule(self.dtstart)

    def _rrule(self, dtstart: date, until: date | None = None) -> _rrule.rrule:
        return _build(
            self.freq,
            dtstart,
            self.interval,
            self._byweekday,
            self.set_positions,
            self._bymonthday,
            self.week_start,
            until or self.until,
            self.count,
        )

    def _moved_forward(self, start: date) -> date:
        """A DTSTART as late as possible but not after ``start`` that yields the same dates from ``start`` on.

        Moving DTSTART by whole periods keeps the interval's parity; every date it drops lies before the
        new DTSTART, hence before ``start``.  A monthly rule lands on the 1st of a month after DTSTART's
        own month (BYMONTHDAY/BYDAY are explicit, so the day of the month carries no meaning)."""
        if start <= self.dtstart:
            return self.dtstart
        if self.freq == "weekly":
            period = 7 * self.interval
            wkst_offset = (self.dtstart.isoweekday() - self.week_start) % 7
            week_start = self.dtstart - timedelta(days=wkst_offset)
            periods = (start - week_start).days // period
            if periods < 1:
                return self.dtstart
            return week_start + timedelta(days=periods * period)
        months = (start.year - self.dtstart.year) * 12 + (start.month - self.dtstart.month)
        periods = months // self.interval
        if periods < 1:
            return self.dtstart
        index = self.dtstart.year * 12 + self.dtstart.month - 1 + periods * self.interval
        return date(index // 12, index % 12 + 1, 1)

    # -- RFC 5545 text -------------------------------------------------------------------------------

    def to_rfc5545(self) -> str:
        """``DTSTART;VALUE=DATE:...`` and ``RRULE:...`` lines (CRLF-free, joined by a newline)."""
        parts = [f"FREQ={self.freq.upper()}", f"INTERVAL={self.interval}", f"WKST={_DAY_CODES[self.week_start - 1]}"]
        if self._byweekday:
            parts.append("BYDAY=" + ",".join(_DAY_CODES[d] for d in self._byweekday))
        if self._bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(str(d) for d in self._bymonthday))
        if self.set_positions:
            parts.append("BYSETPOS=" + ",".join(str(p) for p in self.set_positions))
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        return f"DTSTART;VALUE=DATE:{self.dtstart:%Y%m%d}\nRRULE:" + ";".join(parts)


@lru_cache(maxsize=1024)
def _build(
    freq: Frequency,
    dtstart: date,
    interval: int,
    byweekday: tuple[int, ...],
    bysetpos: tuple[int, ...],
    bymonthday: tuple[int, ...],
    week_start: int,
    until: date | None,
    count: int | None,
) -> _rrule.rrule:
    # ``wkst`` is always explicit: dateutil's default follows calendar.firstweekday(), a process global.
    return _rrule.rrule(
        _FREQ[freq],
        dtstart=datetime.combine(dtstart, _MIDNIGHT),
        interval=interval,
        wkst=week_start - 1,
        byweekday=byweekday or None,
        bymonthday=bymonthday or None,
        bysetpos=bysetpos or None,
        until=datetime.combine(until, _MIDNIGHT) if until is not None else None,
        count=count,
    )


# -- wall-clock times -> instants ----------------------------------------------------------------------


def zone(name: str | ZoneInfo, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone (a ``ZoneInfo`` is passed through); an unknown name is ``InvalidInputError(field)``."""
    if isinstance(name, ZoneInfo):
        return name
    return _zone(name, field)


@lru_cache(maxsize=256)
def _zone(name: str, field: str) -> ZoneInfo:
    return load_zone(name, field=field)


def local_to_utc(day: date, at: time, tz: str | ZoneInfo, *, policy: DstPolicy = DstPolicy.PRE_TRANSITION) -> datetime:
    """The aware UTC instant of wall-clock ``at`` on local ``day`` in ``tz`` (see ``DstPolicy``)."""
    local = datetime.combine(day, at, tzinfo=zone(tz))
    if policy is DstPolicy.PRE_TRANSITION:
        return local.astimezone(UTC)
    other = local.replace(fold=1)
    if local.utcoffset() == other.utcoffset():
        return local.astimezone(UTC)
    chosen = min((local, other), key=lambda c: (c.dst() or timedelta(0), c.utcoffset() or timedelta(0)))
    return chosen.astimezone(UTC)


def local_span_to_utc(
    day: date, start: time, end: time, tz: str | ZoneInfo, *, policy: DstPolicy = DstPolicy.PRE_TRANSITION
) -> tuple[datetime, datetime]:
    """UTC instants of a ``start``-``end`` wall-clock span that begins on local ``day``.

    ``end < start`` ends on the next calendar day (21:00-01:00); ``end == start`` is a zero-length span.
    Both ends are resolved on their own, so a span across a DST change lasts an hour more or less."""
    zone_info = zone(tz)
    end_day = day + timedelta(days=1) if end < start else day
    return local_to_utc(day, start, zone_info, policy=policy), local_to_utc(end_day, end, zone_info, policy=policy)
