"""The wizard on the shared recurrence engine gives what it gave on its own ``dateutil.rrule`` calls.

Every expected value below was computed with the wizard *before* the port (commit 4fb6a47) and written
down literally, so this file fails if the shared engine ever changes an occurrence day (§8.3, Q10) or a
session boundary across a DST switch (§8.4: a skipped or repeated wall time takes standard time).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from domain.eventsessions.wizard import WizardRequest, generate, occurrences

BRUSSELS = "Europe/Brussels"
NEW_YORK = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


CASES = [
    pytest.param(
        # Weekly over the spring-forward Sunday: 02:30 on 2022-03-27 does not exist in Brussels.
        WizardRequest(
            rrule_type="weekly", weekdays=("sun", "mon"), start=date(2022, 3, 20), until=date(2022, 4, 4),
            timeslots=(16.0, 2.5), duration=1.5,
        ),
        BRUSSELS,
        ["2022-03-20", "2022-03-21", "2022-03-27", "2022-03-28", "2022-04-03", "2022-04-04"],
        [
            ("2022-03-20 01:30", "2022-03-20 03:00"), ("2022-03-20 15:00", "2022-03-20 16:30"),
            ("2022-03-21 01:30", "2022-03-21 03:00"), ("2022-03-21 15:00", "2022-03-21 16:30"),
            ("2022-03-27 01:30", "2022-03-27 03:00"), ("2022-03-27 14:00", "2022-03-27 15:30"),
            ("2022-03-28 00:30", "2022-03-28 02:00"), ("2022-03-28 14:00", "2022-03-28 15:30"),
            ("2022-04-03 00:30", "2022-04-03 02:00"), ("2022-04-03 14:00", "2022-04-03 15:30"),
            ("2022-04-04 00:30", "2022-04-04 02:00"), ("2022-04-04 14:00", "2022-04-04 15:30"),
        ],
        id="weekly-spring-forward",
    ),
    pytest.param(
        # Weeks from Monday over the fall-back Sunday: 02:30 on 2022-10-30 happens twice.
        WizardRequest(
            rrule_type="weekly", weekdays=("sun",), week_start="monday", start=date(2022, 10, 23),
            until=date(2022, 11, 6), timeslots=(2.5,), duration=0.5,
        ),
        BRUSSELS,
        ["2022-10-23", "2022-10-30", "2022-11-06"],
        [
            ("2022-10-23 00:30", "2022-10-23 01:00"),
            ("2022-10-30 01:30", "2022-10-30 02:00"),
            ("2022-11-06 01:30", "2022-11-06 02:00"),
        ],
        id="weekly-fall-back",
    ),
    pytest.param(
        # The last Sunday of every 7th month from March: both EU switch days; 23:30 ends after midnight.
        WizardRequest(
            rrule_type="monthly", month_by="day", byday=-1, weekday="sun", interval=7, start=date(2022, 3, 20),
            until=date(2022, 10, 31), timeslots=(2.5, 23.5), duration=2,
        ),
        BRUSSELS,
        ["2022-03-27", "2022-10-30"],
        [
            ("2022-03-27 01:30", "2022-03-27 03:30"), ("2022-03-27 21:30", "2022-03-27 23:30"),
            ("2022-10-30 01:30", "2022-10-30 03:30"), ("2022-10-30 22:30", "2022-10-31 00:30"),
        ],
        id="monthly-last-sunday",
    ),
    pytest.param(
        # Day 6 every 8 months: March 6 precedes start (Q10); November 6 is the US fall-back day.
        WizardRequest(
            rrule_type="monthly", month_by="date", day=6, interval=8, start=date(2022, 3, 7),
            until=date(2022, 11, 6), timeslots=(1.5, 2.25), duration=1,
        ),
        NEW_YORK,
        ["2022-03-06", "2022-11-06"],
        [
            ("2022-03-06 06:30", "2022-03-06 07:30"), ("2022-03-06 07:15", "2022-03-06 08:15"),
            ("2022-11-06 06:30", "2022-11-06 07:30"), ("2022-11-06 07:15", "2022-11-06 08:15"),
        ],
        id="monthly-by-date-fall-back",
    ),
    pytest.param(
        # The second Sunday of March 2022 is the US spring-forward day: 02:30 does not exist.
        WizardRequest(
            rrule_type="monthly", month_by="day", byday=2, weekday="sun", start=date(2022, 3, 1),
            until=date(2022, 3, 13), timeslots=(2.5,), duration=1,
        ),
        NEW_YORK,
        ["2022-03-13"],
        [("2022-03-13 07:30", "2022-03-13 08:30")],
        id="monthly-second-sunday-spring-forward",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "tz", "days", "sessions"), CASES)
def test_wizard_output_across_dst_is_what_it_was_before_the_shared_engine(request_, tz, days, sessions):
    assert [d.isoformat() for d in occurrences(request_)] == days
    assert generate(request_, tz) == [(utc(begin), utc(end)) for begin, end in sessions]
