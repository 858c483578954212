"""The timeslot catalogue's rules: spec §2.5, §8.1 and C8-C10."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.eventsessions.timeslots import (
    SEED_TIMESLOTS,
    DuplicateTimeslotError,
    check_timeslot_range,
    check_timeslot_unique,
    float_to_hm,
    parse_timeslot,
    timeslot_name,
)
from domain.shared.errors import InvalidInputError, RuleViolationError


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("23:00", 23.0),
        ("23:30", 23.5),
        ("0:00", 0.0),
        ("00:00", 0.0),
        ("9:30", 9.5),
        ("09:30", 9.5),
        ("7:5", 7 + 5 / 60),
        ("  16:45 \t", 16.75),
        ("23:59", 23 + 59 / 60),
    ],
)
def test_parse_timeslot_reads_24_hour_text_as_decimal_hours(text, time):
    assert parse_timeslot(text) == pytest.approx(time)


@pytest.mark.parametrize(
    "text",
    [
        "25:30",
        "22:70",
        "24:00",
        "23:60",
        "",
        "   ",
        "16",
        "16:",
        ":30",
        "16:00:00",
        "4:30 PM",
        "16h30",
        "123:00",
        "16:300",
        "-1:30",
        "16.5",
        "1 6:30",
        "١٦:٣٠",
        "16:30x",
    ],
)
def test_parse_timeslot_refuses_anything_else_with_the_c8_message(text):
    with pytest.raises(InvalidInputError) as refused:
        parse_timeslot(text)
    assert refused.value.message == "The timeslot has to be defined in HH:MM format"
    assert refused.value.field == "time"


@pytest.mark.parametrize("time", [0.0, 10.0, 23.5, 23 + 59 / 60, 24.0])
def test_check_timeslot_range_accepts_0_to_24_inclusive(time):
    assert check_timeslot_range(time) == time


@pytest.mark.parametrize("time", [-0.01, -1.0, 24.01, 25.0, math.nan, math.inf, -math.inf])
def test_check_timeslot_range_refuses_outside_0_to_24_with_the_c10_message(time):
    with pytest.raises(InvalidInputError) as refused:
        check_timeslot_range(time)
    assert refused.value.message == "Time has to be between 0:00 and 23:59"
    assert refused.value.field == "time"


def test_a_duplicate_time_is_a_rule_violation_with_the_c9_message():
    with pytest.raises(DuplicateTimeslotError) as refused:
        check_timeslot_unique(16.0, SEED_TIMESLOTS)
    assert isinstance(refused.value, RuleViolationError)
    assert refused.value.message == "The timeslot has to be unique"
    assert refused.value.code == "eventsessions.timeslot.duplicate"
    assert refused.value.time == 16.0


def test_a_new_time_is_unique():
    check_timeslot_unique(16.5, SEED_TIMESLOTS)
    check_timeslot_unique(16.0, [])


@pytest.mark.parametrize(
    ("time", "name"),
    [
        (16, "16:00"),
        (9.5, "09:30"),
        (0.0, "00:00"),
        (23.5, "23:30"),
        (10 + 1 / 3, "10:20"),
        (23.999, "24:00"),
        (9.9999, "10:00"),
        (24.0, "24:00"),
        (0.25, "00:15"),
    ],
)
def test_timeslot_name_is_zero_padded_hh_mm_with_a_minute_carry(time, name):
    assert timeslot_name(time) == name


@pytest.mark.parametrize(
    ("time", "hm"),
    [
        (1.5, (1, 30)),
        (0.99, (0, 59)),
        (20, (20, 0)),
        (20.0, (20, 0)),
        (0.0, (0, 0)),
        (23.75, (23, 45)),
        (0.999, (1, 0)),
        (24.0, (24, 0)),
    ],
)
def test_float_to_hm_rounds_to_two_decimals_then_to_minutes(time, hm):
    assert float_to_hm(time) == hm


def test_the_seed_is_the_13_whole_hours_from_10_to_22():
    assert SEED_TIMESLOTS == (10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0)
    assert [timeslot_name(time) for time in SEED_TIMESLOTS][:2] == ["10:00", "11:00"]


@given(st.integers(0, 23), st.integers(0, 59))
def test_parsed_text_displays_as_itself_zero_padded(hours, minutes):
    time = parse_timeslot(f"{hours}:{minutes}")
    assert timeslot_name(time) == f"{hours:02d}:{minutes:02d}"
    assert float_to_hm(time) == (hours, minutes)  # 2-decimal rounding is off by at most 0.3 minute
    assert check_timeslot_range(time) == time


@given(st.floats(0, 24, allow_nan=False))
def test_float_to_hm_always_gives_minutes_below_60(time):
    hours, minutes = float_to_hm(time)
    assert 0 <= minutes <= 59
    assert 0 <= hours <= 24
