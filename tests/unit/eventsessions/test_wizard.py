"""The session-generation wizard: spec §2.9, §8 (recurrence, timezones, durations) and C11-C14."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.eventsessions.wizard import (
    MAX_SESSIONS_PER_BATCH,
    WizardRequest,
    default_duration,
    default_start,
    generate,
    local_to_utc,
    occurrences,
    validate,
)
from domain.shared.errors import InvalidInputError

UTC = timezone.utc
BRUSSELS = "Europe/Brussels"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(**changes) -> WizardRequest:
    base = WizardRequest(
        rrule_type="weekly",
        weekdays=("mon", "sun"),
        interval=2,
        start=date(2022, 1, 2),
        until=date(2022, 1, 31),
        timeslots=(16.0,),
        duration=1.5,
    )
    return replace(base, **changes)


def monthly(**changes) -> WizardRequest:
    base = WizardRequest(
        rrule_type="monthly",
        month_by="date",
        day=15,
        start=date(2022, 3, 20),
        until=date(2022, 5, 31),
        timeslots=(16.0,),
        duration=1.5,
    )
    return replace(base, **changes)


def refusal(request: WizardRequest) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as refused:
        validate(request)
    return refused.value


# --- §8.3 occurrence days ------------------------------------------------------------------------------------


def test_weekly_every_two_weeks_counts_weeks_from_sunday_by_default():
    assert occurrences(weekly()) == [
        date(2022, 1, 2),
        date(2022, 1, 3),
        date(2022, 1, 16),
        date(2022, 1, 17),
        date(2022, 1, 30),
        date(2022, 1, 31),
    ]


def test_weekly_every_two_weeks_with_monday_week_start_pairs_days_differently():
    assert occurrences(weekly(week_start="monday")) == [
        date(2022, 1, 2),
        date(2022, 1, 10),
        date(2022, 1, 16),
        date(2022, 1, 24),
        date(2022, 1, 30),
    ]


def test_every_two_weeks_counts_from_the_week_containing_start_even_without_a_ticked_day_in_it():
    # Sunday 2022-01-02 opens a Sunday-started week (Wed 01-05 is "on") but closes a Monday-started one,
    # which has no Wednesday left, so with Monday weeks the first Wednesday falls in an "off" week.
    request = weekly(weekdays=("wed",), start=date(2022, 1, 2), until=date(2022, 2, 28))
    assert occurrences(request) == [date(2022, 1, 5), date(2022, 1, 19), date(2022, 2, 2), date(2022, 2, 16)]
    monday_weeks = occurrences(replace(request, week_start="monday"))
    assert monday_weeks == [date(2022, 1, 12), date(2022, 1, 26), date(2022, 2, 9), date(2022, 2, 23)]


def test_weekly_until_is_inclusive_and_days_before_start_are_not_produced():
    request = weekly(interval=1, weekdays=("mon", "tue", "wed"), start=date(2022, 1, 5), until=date(2022, 1, 10))
    assert occurrences(request) == [date(2022, 1, 5), date(2022, 1, 10)]


def test_weekly_repeated_weekday_names_count_once():
    request = weekly(interval=1, weekdays=("mon", "mon"), start=date(2022, 1, 1), until=date(2022, 1, 10))
    assert occurrences(request) == [date(2022, 1, 3), date(2022, 1, 10)]


def test_monthly_by_date_starts_in_the_start_month_even_before_start_q10():
    assert occurrences(monthly()) == [date(2022, 3, 15), date(2022, 4, 15), date(2022, 5, 15)]


def test_monthly_by_date_skips_months_without_that_day():
    request = monthly(day=31, start=date(2022, 1, 1), until=date(2022, 7, 31))
    assert occurrences(request) == [date(2022, 1, 31), date(2022, 3, 31), date(2022, 5, 31), date(2022, 7, 31)]


def test_monthly_by_date_every_two_months():
    request = monthly(day=1, interval=2, start=date(2022, 1, 10), until=date(2022, 6, 30))
    assert occurrences(request) == [date(2022, 1, 1), date(2022, 3, 1), date(2022, 5, 1)]


def test_monthly_second_tuesday():
    request = monthly(month_by="day", byday=2, weekday="tue", start=date(2022, 1, 1), until=date(2022, 4, 30))
    assert occurrences(request) == [date(2022, 1, 11), date(2022, 2, 8), date(2022, 3, 8), date(2022, 4, 12)]


def test_monthly_last_friday_is_byday_minus_one():
    request = monthly(month_by="day", byday=-1, weekday="fri", start=date(2022, 1, 1), until=date(2022, 4, 30))
    assert occurrences(request) == [date(2022, 1, 28), date(2022, 2, 25), date(2022, 3, 25), date(2022, 4, 29)]


def test_monthly_by_day_also_reaches_back_to_the_start_month_q10():
    request = monthly(month_by="day", byday=1, weekday="mon", start=date(2022, 3, 20), until=date(2022, 4, 30))
    assert occurrences(request) == [date(2022, 3, 7), date(2022, 4, 4)]


def test_monthly_ignores_the_weekday_ticks():
    assert occurrences(monthly(weekdays=("mon",))) == occurrences(monthly())


# --- §8.4 local wall-clock time to UTC -----------------------------------------------------------------------


def test_a_winter_16_00_in_brussels_is_15_00_utc():
    assert local_to_utc(date(2022, 1, 10), 16, 0, BRUSSELS) == utc(2022, 1, 10, 15)


def test_a_summer_16_00_in_brussels_is_14_00_utc():
    assert local_to_utc(date(2022, 7, 10), 16, 0, BRUSSELS) == utc(2022, 7, 10, 14)


def test_16_00_on_the_spring_forward_day_is_already_summer_time():
    assert local_to_utc(date(2022, 3, 27), 16, 0, BRUSSELS) == utc(2022, 3, 27, 14)


def test_nonexistent_spring_forward_gap_time_uses_standard_offset():
    assert local_to_utc(date(2022, 3, 27), 2, 30, BRUSSELS) == utc(2022, 3, 27, 1, 30)


def test_ambiguous_fall_back_time_uses_standard_offset():
    assert local_to_utc(date(2022, 10, 30), 2, 30, BRUSSELS) == utc(2022, 10, 30, 1, 30)


def test_times_next_to_the_transitions_keep_their_own_offset():
    assert local_to_utc(date(2022, 3, 27), 1, 59, BRUSSELS) == utc(2022, 3, 27, 0, 59)
    assert local_to_utc(date(2022, 3, 27), 3, 0, BRUSSELS) == utc(2022, 3, 27, 1, 0)
    assert local_to_utc(date(2022, 10, 30), 1, 59, BRUSSELS) == utc(2022, 10, 29, 23, 59)
    assert local_to_utc(date(2022, 10, 30), 3, 0, BRUSSELS) == utc(2022, 10, 30, 2, 0)


def test_negative_dst_zone_still_takes_winter_time_in_gap_and_overlap():
    # Europe/Dublin's data calls winter GMT the DST period (dst() = -1h); winter is still pytz's is_dst=False choice.
    assert local_to_utc(date(2022, 3, 27), 1, 30, "Europe/Dublin") == utc(2022, 3, 27, 1, 30)
    assert local_to_utc(date(2022, 10, 30), 1, 30, "Europe/Dublin") == utc(2022, 10, 30, 1, 30)
    assert local_to_utc(date(2022, 7, 1), 12, 0, "Europe/Dublin") == utc(2022, 7, 1, 11)


def test_an_overlap_that_is_no_dst_change_takes_the_smaller_offset():
    # Moscow went from +4 to +3 for good on 2014-10-26 at 02:00 local: 01:30 happened twice, both "standard".
    assert local_to_utc(date(2014, 10, 26), 1, 30, "Europe/Moscow") == utc(2014, 10, 25, 22, 30)


def test_utc_and_southern_hemisphere_zones():
    assert local_to_utc(date(2022, 1, 10), 16, 0, "UTC") == utc(2022, 1, 10, 16)
    assert local_to_utc(date(2022, 1, 10), 16, 0, "Australia/Sydney") == utc(2022, 1, 10, 5)  # AEDT +11
    assert local_to_utc(date(2022, 7, 10), 16, 0, "Australia/Sydney") == utc(2022, 7, 10, 6)  # AEST +10


@pytest.mark.parametrize("tz", ["Nowhere/City", "", "Europe", "../etc/passwd"])
def test_an_unknown_timezone_is_malformed_input(tz):
    with pytest.raises(InvalidInputError) as refused:
        local_to_utc(date(2022, 1, 10), 16, 0, tz)
    assert refused.value.field == "date_tz"


@given(
    st.dates(date(1980, 1, 1), date(2037, 12, 31)),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from([BRUSSELS, "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
)
def test_local_to_utc_round_trips_outside_transitions(day, hour, minute, tz):
    wall = datetime(day.year, day.month, day.day, hour, minute)
    zone = ZoneInfo(tz)
    instant = local_to_utc(day, hour, minute, tz)
    assert instant.tzinfo is UTC
    if wall.replace(tzinfo=zone, fold=0).utcoffset() == wall.replace(tzinfo=zone, fold=1).utcoffset():
        assert instant.astimezone(zone).replace(tzinfo=None) == wall


# --- §8.4 sessions --------------------------------------------------------------------------------------------


def test_sessions_are_occurrences_times_timeslots_with_the_duration():
    request = weekly(
        interval=1, weekdays=("mon",), start=date(2022, 1, 3), until=date(2022, 1, 10), timeslots=(20.0, 9.5)
    )
    assert generate(request, BRUSSELS) == [
        (utc(2022, 1, 3, 8, 30), utc(2022, 1, 3, 10)),
        (utc(2022, 1, 3, 19), utc(2022, 1, 3, 20, 30)),
        (utc(2022, 1, 10, 8, 30), utc(2022, 1, 10, 10)),
        (utc(2022, 1, 10, 19), utc(2022, 1, 10, 20, 30)),
    ]


def test_a_duration_of_1_5_hours_is_one_hour_thirty():
    [(begin, end)] = generate(weekly(start=date(2022, 1, 2), until=date(2022, 1, 2)), BRUSSELS)
    assert end - begin == timedelta(hours=1, minutes=30)


def test_a_two_decimal_duration_is_kept_to_the_second():
    [(begin, end)] = generate(weekly(until=date(2022, 1, 2), duration=1.33), BRUSSELS)
    assert end - begin == timedelta(hours=1, minutes=19, seconds=48)


def test_duration_is_absolute_across_the_night_of_the_dst_change():
    request = weekly(
        interval=1, weekdays=("sat",), start=date(2022, 3, 26), until=date(2022, 3, 26), timeslots=(22.0,), duration=6.0
    )
    assert generate(request, BRUSSELS) == [(utc(2022, 3, 26, 21), utc(2022, 3, 27, 3))]


def test_weekly_16_00_sessions_follow_spring_dst_in_utc():
    request = weekly(interval=1, weekdays=("sun",), start=date(2022, 3, 20), until=date(2022, 4, 3))
    assert [begin for begin, _ in generate(request, BRUSSELS)] == [
        utc(2022, 3, 20, 15),
        utc(2022, 3, 27, 14),
        utc(2022, 4, 3, 14),
    ]


def test_weekly_16_00_sessions_follow_autumn_dst_in_utc():
    request = weekly(interval=1, weekdays=("sun",), start=date(2022, 10, 23), until=date(2022, 11, 6))
    assert [begin for begin, _ in generate(request, BRUSSELS)] == [
        utc(2022, 10, 23, 14),
        utc(2022, 10, 30, 15),
        utc(2022, 11, 6, 15),
    ]


def test_gap_and_overlap_slots_in_a_batch_take_standard_time():
    request = weekly(interval=1, weekdays=("sun",), start=date(2022, 3, 27), until=date(2022, 3, 27), timeslots=(2.5,))
    assert generate(request, BRUSSELS)[0][0] == utc(2022, 3, 27, 1, 30)
    assert generate(replace(request, start=date(2022, 10, 30), until=date(2022, 10, 30)), BRUSSELS)[0][0] == utc(
        2022, 10, 30, 1, 30
    )


def test_monthly_sessions_before_start_are_generated_too_q10():
    begins = [begin for begin, _ in generate(monthly(), BRUSSELS)]
    assert begins == [utc(2022, 3, 15, 15), utc(2022, 4, 15, 14), utc(2022, 5, 15, 14)]


def test_repeated_timeslots_make_one_session_each():
    assert len(generate(weekly(timeslots=(16.0, 16.0, 20.0)), BRUSSELS)) == 12


def test_an_empty_range_generates_nothing():
    request = weekly(interval=1, weekdays=("mon",), start=date(2022, 1, 4), until=date(2022, 1, 9))
    assert generate(request, BRUSSELS) == []


def test_exactly_the_cap_is_allowed():
    request = weekly(
        interval=1,
        weekdays=("mon",),
        start=date(2022, 1, 3),
        until=date(2022, 1, 3) + timedelta(weeks=499),
        timeslots=(10.0, 16.0),
    )
    assert len(generate(request, BRUSSELS)) == MAX_SESSIONS_PER_BATCH


def test_more_than_the_cap_is_refused_on_until():
    request = weekly(
        interval=1,
        weekdays=("mon",),
        start=date(2022, 1, 3),
        until=date(2022, 1, 3) + timedelta(weeks=500),
        timeslots=(10.0, 16.0),
    )
    with pytest.raises(InvalidInputError) as refused:
        generate(request, BRUSSELS)
    assert refused.value.field == "until"
    assert "1000" in refused.value.message


def test_a_mistyped_far_future_until_is_refused_quickly():
    request = weekly(interval=1, weekdays=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), until=date(9999, 12, 31))
    with pytest.raises(InvalidInputError) as refused:
        generate(request, BRUSSELS)
    assert refused.value.field == "until"


def test_sessions_past_the_end_of_the_calendar_are_malformed_input():
    request = weekly(
        interval=1,
        weekdays=("fri",),
        start=date(9999, 12, 31),
        until=date(9999, 12, 31),
        timeslots=(23.0,),
        duration=2.0,
    )
    with pytest.raises(InvalidInputError) as refused:
        generate(request, "America/New_York")
    assert refused.value.field == "until"


def test_generate_refuses_an_unknown_timezone():
    with pytest.raises(InvalidInputError) as refused:
        generate(weekly(), "Mars/Olympus_Mons")
    assert refused.value.field == "date_tz"


@settings(max_examples=60, deadline=None)
@given(
    rrule_type=st.sampled_from(["weekly", "monthly"]),
    interval=st.integers(1, 3),
    weekdays=st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, max_size=7),
    month_by=st.sampled_from(["date", "day"]),
    day=st.integers(1, 31),
    byday=st.sampled_from([1, 2, 3, 4, -1]),
    weekday=st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    span=st.integers(0, 120),
    timeslots=st.lists(st.sampled_from([0.0, 2.5, 9.5, 16.0, 23.99]), min_size=1, max_size=4),
    duration=st.floats(0.01, 48),
    week_start=st.sampled_from(["sunday", "monday"]),
    tz=st.sampled_from([BRUSSELS, "America/New_York", "Australia/Sydney", "UTC"]),
)
def test_every_generated_session_ends_after_it_begins_and_the_batch_is_sorted(tz, span, **fields):
    fields.update(weekdays=tuple(fields["weekdays"]), timeslots=tuple(fields["timeslots"]))
    request = WizardRequest(until=fields["start"] + timedelta(days=span), **fields)
    sessions = generate(request, tz)
    assert all(end > begin and begin.tzinfo is UTC for begin, end in sessions)
    assert [begin for begin, _ in sessions] == sorted(begin for begin, _ in sessions)
    assert len(sessions) == len(occurrences(request)) * len(set(request.timeslots))
    days = occurrences(request)
    assert all(d <= request.until for d in days)
    if request.rrule_type == "weekly":
        assert all(d >= request.start for d in days)
    else:
        assert all(d >= request.start.replace(day=1) for d in days)


# --- §8.2 defaults ---------------------------------------------------------------------------------------------


def test_default_start_is_the_utc_date_after_the_event_end_q11():
    # 22:00 UTC is already the 28th in Brussels; the default is still the 28th, not the 29th.
    assert default_start(utc(2017, 5, 27, 22)) == date(2017, 5, 28)


def test_default_start_reads_naive_as_utc_and_converts_aware_values():
    assert default_start(datetime(2017, 5, 27, 22)) == date(2017, 5, 28)
    assert default_start(datetime(2017, 5, 28, 0, 30, tzinfo=ZoneInfo(BRUSSELS))) == date(2017, 5, 28)


def test_default_duration_is_the_latest_starting_active_session_in_hours():
    sessions = [
        (utc(2022, 1, 1, 10), utc(2022, 1, 1, 12), True),
        (utc(2022, 1, 8, 10), utc(2022, 1, 8, 11, 20), True),
        (utc(2022, 1, 3, 10), utc(2022, 1, 3, 10, 30), True),
        (utc(2022, 2, 1, 10), utc(2022, 2, 1, 18), False),  # archived: ignored although it starts last
    ]
    assert default_duration(sessions) == 1.33


def test_default_duration_is_none_without_an_active_session():
    assert default_duration([]) is None
    assert default_duration([(utc(2022, 1, 1, 10), utc(2022, 1, 1, 12), False)]) is None


# --- C11-C14 and the shape of the request ----------------------------------------------------------------------


@pytest.mark.parametrize("duration", [0, 0.0, -1.5, math.nan, math.inf, 0.0001])
def test_a_missing_or_non_positive_duration_is_c11(duration):
    error = refusal(weekly(duration=duration))
    assert (error.field, error.message) == ("duration", "Duration is required.")


def test_an_absurd_duration_is_refused():
    assert refusal(weekly(duration=1e300)).field == "duration"


@pytest.mark.parametrize("interval", [0, -1, -7])
def test_a_zero_or_negative_interval_is_c12(interval):
    error = refusal(weekly(interval=interval))
    assert (error.field, error.message) == ("interval", "The interval cannot be negative.")


def test_weekly_without_a_weekday_is_c13():
    error = refusal(weekly(weekdays=()))
    assert (error.field, error.message) == ("weekdays", "You have to choose at least one day in the week")


def test_no_timeslot_is_a_required_field_error_c14():
    assert refusal(weekly(timeslots=())).field == "timeslots"


@pytest.mark.parametrize("field", ["start", "until"])
def test_a_missing_date_is_a_required_field_error_c14(field):
    assert refusal(weekly(**{field: None})).field == field


def test_a_datetime_is_not_a_calendar_date():
    assert refusal(weekly(start=datetime(2022, 1, 2))).field == "start"


def test_until_before_start_is_refused():
    assert refusal(weekly(until=date(2022, 1, 1))).field == "until"
    validate(weekly(until=date(2022, 1, 2)))  # a one-day range is fine


@pytest.mark.parametrize("slot", [24.0, 23.999, -0.5, math.nan])
def test_a_timeslot_that_is_no_time_of_day_is_refused(slot):
    error = refusal(weekly(timeslots=(16.0, slot)))
    assert (error.field, error.message) == ("timeslots", "Time has to be between 0:00 and 23:59")


def test_a_bad_weekday_name_is_refused():
    assert refusal(weekly(weekdays=("mon", "monday"))).field == "weekdays"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"byday": None, "weekday": "tue"}, "byday"),
        ({"byday": 5, "weekday": "tue"}, "byday"),
        ({"byday": 0, "weekday": "tue"}, "byday"),
        ({"byday": 2, "weekday": None}, "weekday"),
        ({"byday": 2, "weekday": "TU"}, "weekday"),
    ],
)
def test_monthly_by_day_needs_an_ordinal_and_a_weekday(changes, field):
    assert refusal(monthly(month_by="day", **changes)).field == field


@pytest.mark.parametrize("day", [0, 32, -1])
def test_monthly_by_date_needs_a_day_of_the_month(day):
    assert refusal(monthly(day=day)).field == "day"


def test_the_day_of_the_month_is_only_checked_in_monthly_by_date():
    validate(weekly(day=0))
    validate(monthly(month_by="day", byday=1, weekday="mon", day=0))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rrule_type": "daily"}, "rrule_type"),
        ({"week_start": "saturday"}, "week_start"),
    ],
)
def test_unknown_enum_values_are_refused(changes, field):
    assert refusal(weekly(**changes)).field == field


def test_an_unknown_month_by_is_refused():
    assert refusal(monthly(month_by="week")).field == "month_by"


def test_occurrences_and_generate_validate_first():
    with pytest.raises(InvalidInputError):
        occurrences(weekly(weekdays=()))
    with pytest.raises(InvalidInputError):
        generate(weekly(interval=0), BRUSSELS)
