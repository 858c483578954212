"""Mail scheduler arithmetic (spec §7.1, §2.6-§2.8, Q15) and the reminder's "date range" phrase (§9).

Pure functions of the scheduler's interval and the dates it hangs on, so the Session, the mail
scheduler aggregate and the projections all compute the same due dates and states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from dateutil.relativedelta import relativedelta

from domain.shared.errors import InvalidInputError
from domain.shared.limits import calendar_result
from domain.shared.timezones import load_zone

INTERVAL_UNITS = ("now", "hours", "days", "weeks", "months")
INTERVAL_TYPES = ("after_sub", "before_event", "after_event")

_MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class MailRule:
    """One scheduler line: when (type, unit, number) and what (the template's name)."""

    interval_type: str
    interval_unit: str
    interval_nbr: int
    template: str

    def validate(self) -> MailRule:
        """Malformed input names its field; returns the rule so it can be used inline."""
        if self.interval_type not in INTERVAL_TYPES:
            raise InvalidInputError("interval_type", f"interval_type must be one of {', '.join(INTERVAL_TYPES)}.")
        if self.interval_unit not in INTERVAL_UNITS:
            raise InvalidInputError("interval_unit", f"interval_unit must be one of {', '.join(INTERVAL_UNITS)}.")
        if isinstance(self.interval_nbr, bool) or not isinstance(self.interval_nbr, int) or self.interval_nbr < 0:
            raise InvalidInputError("interval_nbr", "interval_nbr must be a whole number, 0 or more.")
        if not isinstance(self.template, str) or not self.template.strip():
            raise InvalidInputError("template", "template is required.")
        return self


# §2.1/§6.1: what an event without type and without schedulers of its own gets.
DEFAULT_MAIL_SCHEDULERS: tuple[MailRule, ...] = (
    MailRule("after_sub", "now", 0, "Registration"),
    MailRule("before_event", "hours", 1, "Reminder"),
    MailRule("before_event", "days", 3, "Reminder"),
)


def shift(at: datetime, unit: str, k: int) -> datetime:
    """``at + Δ(unit, k)``: ``now`` is no shift; hours, days, weeks are exact; months are calendar months.

    Months clamp the day to the target month's length (Mar 31 - 1 month = Feb 28, or 29 in a leap year).
    A result no store can hold (past the calendar's ends) is malformed input on ``interval_nbr``.
    """
    if unit == "now":
        return at
    if unit == "hours":
        return calendar_result("interval_nbr", lambda: at + timedelta(hours=k))
    if unit == "days":
        return calendar_result("interval_nbr", lambda: at + timedelta(days=k))
    if unit == "weeks":
        return calendar_result("interval_nbr", lambda: at + timedelta(days=7 * k))
    if unit == "months":
        return calendar_result("interval_nbr", lambda: at + relativedelta(months=k))
    raise InvalidInputError("interval_unit", f"interval_unit must be one of {', '.join(INTERVAL_UNITS)}.")


def delta(unit: str, k: int, at: datetime) -> datetime:
    """The spec's ``at + Δ(unit, k)`` in its argument order; same as ``shift(at, unit, k)``."""
    return shift(at, unit, k)


def scheduled_date(
    interval_type: str,
    unit: str,
    nbr: int,
    *,
    created_at: datetime | None,
    date_begin: datetime | None,
    date_end: datetime | None,
) -> datetime | None:
    """§7.1: when a (session or regular-event) scheduler is due; ``None`` when its base date is empty.

    after_sub counts from the creation time, before_event back from the begin, after_event on from the end.
    """
    if interval_type == "after_sub":
        return None if created_at is None else shift(created_at, unit, nbr)
    if interval_type == "before_event":
        return None if date_begin is None else shift(date_begin, unit, -nbr)
    if interval_type == "after_event":
        return None if date_end is None else shift(date_end, unit, nbr)
    raise InvalidInputError("interval_type", f"interval_type must be one of {', '.join(INTERVAL_TYPES)}.")


def attendee_scheduled_date(unit: str, nbr: int, registration_created_at: datetime) -> datetime:
    """§7.1/§2.8: an after_sub attendee's mail is due from the registration's *creation*, not its confirmation.

    Q14 is fixed by construction: the date is a function of all three inputs, so callers that recompute it
    on any interval change (the number included) get the recommended behaviour.
    """
    return shift(registration_created_at, unit, nbr)


def mail_state(interval_type: str, mail_done: bool, scheduled_date: datetime | None) -> str:
    """§2.6 computed from the session copy's own fields (Q15): running, sent or scheduled."""
    if interval_type == "after_sub":
        return "running"
    if mail_done:
        return "sent"
    if scheduled_date is not None:
        return "scheduled"
    return "running"


def date_range_phrase(begin_utc: datetime, today_local: date, tz: str) -> str:
    """§9: the reminder subject's phrase for a session starting at ``begin_utc``, seen on ``today_local``.

    Days are counted between local calendar dates in ``tz``.  "next month" compares the month number only
    (as the original does), so a start 13 months ahead also reads "next month".  The "on <date>" form uses
    the start's local date in en_US medium style, e.g. "on May 26, 2017".
    """
    begin_local = _as_aware_utc(begin_utc).astimezone(load_zone(tz)).date()
    days = (begin_local - today_local).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 7:
        return f"in {days} days"
    if days < 14:
        return "next week"
    if begin_local.month == (today_local + relativedelta(months=1)).month:
        return "next month"
    return f"on {medium_date(begin_local)}"


def medium_date(day: date) -> str:
    """en_US CLDR "medium" date, ``MMM d, y``: "May 26, 2017" (fixed English names, whatever the process locale)."""
    return f"{_MONTH_ABBREVIATIONS[day.month - 1]} {day.day}, {day.year}"


def _as_aware_utc(value: datetime) -> datetime:
    # Naive datetimes are UTC (the spec's storage convention).
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
