"""The shared recurrence module: RFC 5545 dates (``RecurrenceRule``) and wall-clock -> UTC instants.

The property tests compare every expansion with ``dateutil.rrule.rrulestr`` reading the rule's own
``to_rfc5545()`` text, so the typed API and the RFC 5545 text can never mean different things.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from dateutil import rrule as dateutil_rrule
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.shared.errors import InvalidInputError
from domain.shared.recurrence import (
    DstPolicy,
    RecurrenceRule,
    RecurrenceRuleError,
    local_span_to_utc,
    local_to_utc,
)

UTC = timezone.utc
MON, TUE, WED, THU, FRI, SAT, SUN = range(1, 8)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rfc_dates(rule: RecurrenceRule, start: date, end: date) -> list[date]:
    parsed = rrulestr(rule.to_rfc5545())
    found = parsed.between(datetime.combine(start, time()), datetime.combine(end, time()), inc=True)
    return [d.date() for d in found]


# -- dates ---------------------------------------------------------------------------------------------


def test_A2_3_every_other_week_counts_calendar_weeks_from_the_dtstart_week():
    rule = RecurrenceRule("weekly", date(2025, 1, 8), interval=2, weekdays=(MON, WED))  # a Wednesday

    # The Monday of DTSTART's own week (Jan 6) precedes DTSTART, so it is dropped; Jan 13/15 is an off week.
    assert rule.dates_between(date(2025, 1, 1), date(2025, 1, 31)) == [
        date(2025, 1, 8), date(2025, 1, 20), date(2025, 1, 22),
    ]  # fmt: skip


def test_week_start_sunday_pairs_days_into_other_weeks_than_monday():
    sunday_weeks = RecurrenceRule("weekly", date(2022, 1, 2), interval=2, weekdays=(MON, SUN), week_start=SUN)
    monday_weeks = RecurrenceRule("weekly", date(2022, 1, 2), interval=2, weekdays=(MON, SUN), week_start=MON)

    assert sunday_weeks.dates_between(date(2022, 1, 1), date(2022, 1, 20)) == [
        date(2022, 1, 2), date(2022, 1, 3), date(2022, 1, 16), date(2022, 1, 17),
    ]  # fmt: skip
    assert monday_weeks.dates_between(date(2022, 1, 1), date(2022, 1, 20)) == [
        date(2022, 1, 2), date(2022, 1, 10), date(2022, 1, 16),
    ]  # fmt: skip


def test_A9_2_fourth_sunday_is_found_when_it_is_also_the_last():
    fourth = RecurrenceRule("monthly", date(2025, 1, 1), weekdays=(SUN,), set_positions=(4,))
    last = RecurrenceRule("monthly", date(2025, 1, 1), weekdays=(SUN,), set_positions=(-1,))

    assert date(2025, 2, 23) in fourth.dates_between(date(2025, 2, 1), date(2025, 2, 28))
    assert last.dates_between(date(2025, 2, 1), date(2025, 2, 28)) == [date(2025, 2, 23)]


def test_A2_3_set_positions_pick_from_the_combined_weekdays_of_the_month():
    rule = RecurrenceRule("monthly", date(2025, 1, 1), weekdays=(TUE, THU), set_positions=(1,))

    # The first Tuesday is Jan 7, the first Thursday Jan 2: only the earlier one.
    assert rule.dates_between(date(2025, 1, 1), date(2025, 1, 31)) == [date(2025, 1, 2)]


def test_A2_6_set_positions_count_the_whole_month_even_from_a_mid_month_dtstart():
    rule = RecurrenceRule("monthly", date(2025, 1, 10), weekdays=(TUE,), set_positions=(1,))

    assert next(rule.dates()) == date(2025, 2, 4)


def test_month_days_and_count_and_inclusive_until():
    by_day = RecurrenceRule("monthly", date(2025, 1, 1), month_days=(31,), count=3)
    until = RecurrenceRule("weekly", date(2025, 1, 6), until=date(2025, 1, 20))

    assert list(by_day.dates()) == [date(2025, 1, 31), date(2025, 3, 31), date(2025, 5, 31)]
    assert list(until.dates()) == [date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20)]


def test_a_rule_without_weekdays_recurs_on_its_dtstart_weekday_or_day():
    assert list(RecurrenceRule("weekly", date(2025, 1, 8), count=2).dates()) == [date(2025, 1, 8), date(2025, 1, 15)]
    assert list(RecurrenceRule("monthly", date(2025, 1, 8), count=2).dates()) == [date(2025, 1, 8), date(2025, 2, 8)]


def test_a_dtstart_decades_back_gives_the_same_dates_as_the_plain_rule():
    rule = RecurrenceRule("weekly", date(1990, 1, 3), interval=3, weekdays=(MON, THU), week_start=SUN)

    assert rule.dates_between(date(2025, 1, 1), date(2025, 3, 1)) == rfc_dates(rule, date(2025, 1, 1), date(2025, 3, 1))


def test_to_rfc5545_prints_dtstart_as_a_date_and_every_part_explicitly():
    rule = RecurrenceRule(
        "monthly", date(2025, 1, 1), interval=2, weekdays=(THU, TUE), set_positions=(2, -1), until=date(2025, 12, 31)
    )

    assert rule.to_rfc5545() == (
        "DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=MONTHLY;INTERVAL=2;WKST=MO;BYDAY=TU,TH;BYSETPOS=2,-1;UNTIL=20251231"
    )


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 7),
    st.sampled_from([1, 2, 3, 4, -1]),
    st.integers(1, 13),
    st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    st.integers(0, 3000),
)
def test_the_nth_weekday_of_a_month_is_set_positions_over_that_one_weekday(weekday, nth, interval, start, days):
    # RFC 5545 writes it BYDAY=2SU (dateutil's SU(2)); BYSETPOS=2 over BYDAY=SU yields the same days.
    first, until = start.replace(day=1), start + timedelta(days=days)
    rule = RecurrenceRule("monthly", first, interval=interval, weekdays=(weekday,), set_positions=(nth,), until=until)
    ordinal = dateutil_rrule.rrule(
        dateutil_rrule.MONTHLY,
        dtstart=datetime.combine(first, time()),
        interval=interval,
        byweekday=dateutil_rrule.weekdays[weekday - 1](nth),
        until=datetime.combine(until, time.max),
    )

    assert list(rule.dates()) == [d.date() for d in ordinal]


def test_dates_stop_at_an_inclusive_until_and_skip_months_without_the_day():
    rule = RecurrenceRule("monthly", date(2022, 1, 1), interval=2, month_days=(31,), until=date(2022, 7, 31))
    weekly = RecurrenceRule(
        "weekly", date(2022, 1, 2), interval=2, weekdays=(MON, SUN), week_start=SUN, until=date(2022, 1, 30)
    )

    assert list(rule.dates()) == [date(2022, 1, 31), date(2022, 3, 31), date(2022, 5, 31), date(2022, 7, 31)]
    assert list(weekly.dates()) == [
        date(2022, 1, 2), date(2022, 1, 3), date(2022, 1, 16), date(2022, 1, 17), date(2022, 1, 30),
    ]  # fmt: skip
    assert list(weekly.dates(limit=2)) == [date(2022, 1, 2), date(2022, 1, 3)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"freq": "daily"}, "freq"),
        ({"interval": 0}, "interval"),
        ({"interval": True}, "interval"),
        ({"weekdays": (0,)}, "weekdays"),
        ({"weekdays": (1, 1)}, "weekdays"),
        ({"set_positions": (0,)}, "set_positions"),
        ({"month_days": (3,)}, "month_days"),  # weekly
        ({"week_start": 0}, "week_start"),
        ({"until": date(2025, 2, 1), "count": 2}, "count"),
    ],
)
def test_a_rule_rfc_5545_does_not_allow_is_refused_naming_the_attribute(kwargs, field):
    values = {"freq": "weekly", "dtstart": date(2025, 1, 1), **kwargs}

    with pytest.raises(RecurrenceRuleError) as refused:
        RecurrenceRule(**values)

    assert refused.value.field == field


# -- instants ------------------------------------------------------------------------------------------


def test_A2_4_spring_forward_gap_takes_the_pre_transition_offset():
    assert local_to_utc(date(2025, 3, 9), time(2, 30), "America/Chicago") == utc(2025, 3, 9, 8, 30)
    assert local_to_utc(date(2025, 3, 30), time(1, 30), "Europe/Dublin") == utc(2025, 3, 30, 1, 30)


def test_A2_4_fall_back_fold_takes_the_first_occurrence():
    assert local_to_utc(date(2025, 11, 2), time(1, 30), "America/Chicago") == utc(2025, 11, 2, 6, 30)
    assert local_to_utc(date(2025, 10, 26), time(1, 30), "Europe/Dublin") == utc(2025, 10, 26, 0, 30)


def test_standard_time_policy_takes_winter_time_even_in_negative_dst_dublin():
    standard = DstPolicy.STANDARD_TIME

    assert local_to_utc(date(2025, 11, 2), time(1, 30), "America/Chicago", policy=standard) == utc(2025, 11, 2, 7, 30)
    assert local_to_utc(date(2025, 10, 26), time(1, 30), "Europe/Dublin", policy=standard) == utc(2025, 10, 26, 1, 30)
    assert local_to_utc(date(2025, 3, 9), time(2, 30), "America/Chicago", policy=standard) == utc(2025, 3, 9, 8, 30)


def test_standard_time_policy_takes_the_smaller_offset_when_no_dst_changes():
    # Moscow went from +4 to +3 all year on 2014-10-26 (dst() is zero on both sides): 01:30 happened twice.
    instant = local_to_utc(date(2014, 10, 26), time(1, 30), "Europe/Moscow", policy=DstPolicy.STANDARD_TIME)

    assert instant == utc(2014, 10, 25, 22, 30)


def test_A2_4_an_end_before_the_start_is_on_the_next_day_and_equal_times_are_empty():
    start, end = local_span_to_utc(date(2025, 6, 5), time(21), time(1), "America/Chicago")
    same = local_span_to_utc(date(2025, 6, 5), time(21), time(21), "America/Chicago")

    assert (start, end) == (utc(2025, 6, 6, 2), utc(2025, 6, 6, 6))
    assert same == (utc(2025, 6, 6, 2), utc(2025, 6, 6, 2))


def test_an_unknown_zone_is_invalid_input():
    with pytest.raises(InvalidInputError):
        local_to_utc(date(2025, 1, 1), time(), "Mars/Olympus")


# -- the property: the typed rule means what its RFC 5545 text means -------------------------------------------

weekday_sets = st.lists(st.integers(1, 7), unique=True, max_size=4).map(tuple)


@st.composite
def rules(draw: st.DrawFn) -> RecurrenceRule:
    freq = draw(st.sampled_from(["weekly", "monthly"]))
    weekdays = draw(weekday_sets)
    month_days: tuple[int, ...] = ()
    if freq == "monthly" and draw(st.booleans()):
        month_days = tuple(draw(st.lists(st.integers(-31, 31).filter(bool), unique=True, min_size=1, max_size=3)))
    positions: tuple[int, ...] = ()
    # Set positions only over listed weekdays and within the candidates of a period, so that no drawn
    # rule is one that never yields (dateutil would walk to the year 9999 looking for its first date).
    if weekdays and not month_days and draw(st.booleans()):
        choices = [1, 2, 3, 4, 5, -1, -2] if freq == "monthly" else [*range(1, len(weekdays) + 1), -1]
        positions = tuple(draw(st.lists(st.sampled_from(choices), unique=True, min_size=1, max_size=2)))
    end = draw(st.sampled_from(["none", "until", "count"]))
    dtstart = draw(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
    return RecurrenceRule(
        freq,
        dtstart,
        interval=draw(st.integers(1, 5)),
        weekdays=weekdays,
        set_positions=positions,
        month_days=month_days,
        week_start=draw(st.integers(1, 7)),
        until=dtstart + timedelta(days=draw(st.integers(0, 3000))) if end == "until" else None,
        count=draw(st.integers(1, 30)) if end == "count" else None,
    )


@settings(max_examples=200, deadline=None)
@given(rules(), st.integers(-400, 3000), st.integers(0, 400))
def test_dates_between_equal_rrulestr_of_the_rfc5545_text(rule, offset, days):
    # Query windows from before DTSTART to about eight years after it: the moved-forward DTSTART path.
    start = rule.dtstart + timedelta(days=offset)
    end = start + timedelta(days=days)

    assert rule.dates_between(start, end) == rfc_dates(rule, start, end)


@settings(max_examples=100, deadline=None)
@given(rules())
def test_the_first_dates_equal_rrulestr_of_the_rfc5545_text(rule):
    expected = [d.date() for d in rrulestr(rule.to_rfc5545())[:20]]

    assert list(rule.dates(limit=20)) == expected
