"""The canonical recurrence JSON (A.2.1, MU-11) and the legacy upcaster (A.2.7)."""

from __future__ import annotations

from datetime import date, time

import pytest

from domain.music.errors import RecurrenceError
from domain.music.legacy import upcast_legacy
from domain.music.patterns import Pattern, parse_recurrence

WEEKLY = {"type": "weekly", "daysOfWeek": [4], "startTime": "21:00", "endTime": "23:30"}


def code_of(recurrence: object, initiation: date | None = None) -> str:
    with pytest.raises(RecurrenceError) as refused:
        parse_recurrence(recurrence, initiation)
    assert refused.value.field == "recurrence"
    return refused.value.code


def test_A2_null_and_empty_string_mean_no_schedule():
    assert parse_recurrence(None) == ()
    assert parse_recurrence("") == ()


def test_A2_1_a_weekly_pattern_parses_with_its_defaults():
    assert parse_recurrence(WEEKLY) == (Pattern("weekly", 1, (4,), start_time=time(21), end_time=time(23, 30)),)


def test_A2_schedules_wrapper_keeps_its_patterns_in_order():
    patterns = parse_recurrence({"schedules": [WEEKLY, {"type": "one_time", "date": "2025-12-24"}]})

    assert [p.type for p in patterns] == ["weekly", "one_time"]
    assert patterns[1].date == date(2025, 12, 24)


@pytest.mark.parametrize(
    ("recurrence", "code"),
    [
        ({"daysOfWeek": [1]}, "recurrence.unknown_type"),
        ({"type": "daily", "daysOfWeek": [1]}, "recurrence.unknown_type"),
        ({**WEEKLY, "colour": "red"}, "recurrence.unknown_field"),
        ({**WEEKLY, "interval": 0}, "recurrence.interval.invalid"),
        ({**WEEKLY, "interval": True}, "recurrence.interval.invalid"),
        ({**WEEKLY, "interval": 1.5}, "recurrence.interval.invalid"),
        ({"type": "weekly"}, "recurrence.days_of_week.required"),
        ({**WEEKLY, "daysOfWeek": []}, "recurrence.days_of_week.required"),
        ({**WEEKLY, "daysOfWeek": [0]}, "recurrence.days_of_week.invalid"),
        ({**WEEKLY, "daysOfWeek": [8]}, "recurrence.days_of_week.invalid"),
        ({**WEEKLY, "daysOfWeek": [True]}, "recurrence.days_of_week.invalid"),
        ({**WEEKLY, "daysOfWeek": [2, 2]}, "recurrence.days_of_week.duplicate"),
        ({"type": "monthly", "daysOfWeek": [7], "setPositions": [0]}, "recurrence.set_positions.invalid"),
        ({"type": "monthly", "daysOfWeek": [7], "setPositions": [6]}, "recurrence.set_positions.invalid"),
        ({"type": "monthly", "daysOfWeek": [7], "setPositions": []}, "recurrence.set_positions.invalid"),
        ({"type": "monthly", "daysOfWeek": [7], "setPositions": [-1, -1]}, "recurrence.set_positions.duplicate"),
        ({**WEEKLY, "setPositions": [1]}, "recurrence.set_positions.not_allowed"),
        ({"type": "one_time"}, "recurrence.date.invalid"),
        ({"type": "one_time", "date": "2025-02-30"}, "recurrence.date.invalid"),
        ({"type": "one_time", "date": "20250201"}, "recurrence.date.invalid"),
        ({"type": "one_time", "date": "2025-02-01", "daysOfWeek": [1]}, "recurrence.field_not_allowed"),
        ({"type": "one_time", "date": "2025-02-01", "interval": 1}, "recurrence.field_not_allowed"),
        ({**WEEKLY, "date": "2025-02-01"}, "recurrence.field_not_allowed"),
        ({"type": "weekly", "daysOfWeek": [4], "startTime": "21:00"}, "recurrence.time.incomplete"),
        ({**WEEKLY, "startTime": "7:00"}, "recurrence.time.invalid"),
        ({**WEEKLY, "startTime": "19:00:00"}, "recurrence.time.invalid"),
        ({**WEEKLY, "endTime": "24:00"}, "recurrence.time.invalid"),
        ({**WEEKLY, "endTime": "21:00"}, "recurrence.time.empty_range"),
        ({**WEEKLY, "interval": 2}, "recurrence.anchor.required"),
        ({**WEEKLY, "startDate": "2025-13-01"}, "recurrence.start_date.invalid"),
        ({"schedules": []}, "recurrence.schedules.invalid"),
        ({"schedules": [WEEKLY], "note": "x"}, "recurrence.unknown_field"),
        ([WEEKLY], "recurrence.invalid"),
    ],
)
def test_A2_1_each_invalid_pattern_gets_its_code(recurrence, code):
    assert code_of(recurrence) == code


def test_A2_1_an_end_before_the_start_is_valid_and_means_the_next_day():
    (pattern,) = parse_recurrence({**WEEKLY, "startTime": "21:00", "endTime": "01:00"})

    assert pattern.end_time == time(1)


def test_A2_1_the_initiation_date_anchors_an_interval_above_one():
    (pattern,) = parse_recurrence({**WEEKLY, "interval": 2}, date(2025, 1, 6))

    assert pattern.anchor(date(2025, 1, 6)) == date(2025, 1, 6)


def test_MU11_a_schedules_error_names_the_pattern_index():
    with pytest.raises(RecurrenceError) as refused:
        parse_recurrence({"schedules": [WEEKLY, {**WEEKLY, "daysOfWeek": [0]}]})

    assert refused.value.message.startswith("schedules[1]: ")


def test_MU11_checks_run_in_a_fixed_order_type_before_unknown_keys():
    assert code_of({"type": "hourly", "colour": "red"}) == "recurrence.unknown_type"
    assert code_of({"type": "weekly", "colour": "red", "daysOfWeek": [0]}) == "recurrence.unknown_field"


# -- A.2.7 legacy upcaster ------------------------------------------------------------------------------------


def test_A2_7_legacy_weekly_becomes_canonical_weekly():
    legacy = {"schedules": [{"type": "weekly", "weekday": "thursday", "start_time": "19:00", "end_time": "22:30",
                             "every_n_weeks": 1}]}  # fmt: skip

    upcast = upcast_legacy(legacy)

    assert upcast.recurrence == {"schedules": [
        {"type": "weekly", "interval": 1, "daysOfWeek": [4], "startTime": "19:00", "endTime": "22:30"}
    ]}  # fmt: skip
    assert upcast.warnings == ()


def test_A2_7_every_other_week_is_anchored_on_the_initiation_date_with_a_warning_off_monday():
    legacy = {"schedules": [{"type": "weekly", "weekday": "tuesday", "start_time": "20:00", "end_time": "23:00",
                             "every_n_weeks": 2}]}  # fmt: skip

    upcast = upcast_legacy(legacy, date(2025, 1, 8))  # a Wednesday

    assert upcast.recurrence["schedules"][0]["startDate"] == "2025-01-08"
    assert len(upcast.warnings) == 1 and "not a Monday" in upcast.warnings[0]
    assert parse_recurrence(upcast.recurrence, date(2025, 1, 8))[0].interval == 2


def test_A2_7_monthly_nth_weekday_becomes_monthly_with_set_positions():
    legacy = '{"schedules": [{"type": "monthly_nth_weekday", "weekday": "Sunday", "which": [1, -1], ' \
             '"start_time": "15:00", "end_time": "18:00"}]}'  # fmt: skip

    upcast = upcast_legacy(legacy)

    assert upcast.recurrence == {
        "schedules": [
            {
                "type": "monthly",
                "interval": 1,
                "daysOfWeek": [7],
                "setPositions": [1, -1],
                "startTime": "15:00",
                "endTime": "18:00",
            }
        ]
    }
    assert parse_recurrence(upcast.recurrence)[0].set_positions == (1, -1)


def test_A2_7_canonical_patterns_pass_through_unchanged():
    assert upcast_legacy({"schedules": [WEEKLY]}).recurrence == {"schedules": [WEEKLY]}


def test_A2_7_an_every_other_week_pattern_without_initiation_date_warns_and_then_fails_validation():
    legacy = {"schedules": [{"type": "weekly", "weekday": "friday", "start_time": "20:00", "end_time": "23:00",
                             "every_n_weeks": 2}]}  # fmt: skip

    upcast = upcast_legacy(legacy)

    assert "no anchor" in upcast.warnings[0]
    assert code_of(upcast.recurrence) == "recurrence.anchor.required"


def test_A2_7_an_unknown_weekday_name_is_refused():
    with pytest.raises(RecurrenceError) as refused:
        upcast_legacy({"schedules": [{"type": "weekly", "weekday": "funday", "start_time": "20:00"}]})

    assert refused.value.code == "recurrence.days_of_week.invalid"
