"""Mail scheduler arithmetic and states (spec §7.1, §2.6-§2.8, Q15) and the date-range phrase (§9)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.eventsessions.mail_intervals import (
    DEFAULT_MAIL_SCHEDULERS,
    INTERVAL_TYPES,
    INTERVAL_UNITS,
    MailRule,
    attendee_scheduled_date,
    date_range_phrase,
    delta,
    mail_state,
    medium_date,
    scheduled_date,
    shift,
)
from domain.shared.errors import InvalidInputError

UTC = timezone.utc
AT = datetime(2022, 3, 31, 16, 30, tzinfo=UTC)
CREATED = datetime(2022, 1, 10, 8, 0, tzinfo=UTC)
BEGIN = datetime(2022, 2, 1, 15, 0, tzinfo=UTC)
END = datetime(2022, 2, 1, 17, 0, tzinfo=UTC)


def test_units_and_types_are_the_specs():
    assert INTERVAL_UNITS == ("now", "hours", "days", "weeks", "months")
    assert INTERVAL_TYPES == ("after_sub", "before_event", "after_event")


# --- Δ(unit, k) --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [-3, 0, 1, 5])
def test_now_is_no_shift_whatever_k_is(k):
    assert shift(AT, "now", k) == AT


@pytest.mark.parametrize(
    ("unit", "k", "expected"),
    [
        ("hours", 1, datetime(2022, 3, 31, 17, 30, tzinfo=UTC)),
        ("hours", -1, datetime(2022, 3, 31, 15, 30, tzinfo=UTC)),
        ("hours", 48, datetime(2022, 4, 2, 16, 30, tzinfo=UTC)),
        ("days", 3, datetime(2022, 4, 3, 16, 30, tzinfo=UTC)),
        ("days", -3, datetime(2022, 3, 28, 16, 30, tzinfo=UTC)),
        ("weeks", 2, datetime(2022, 4, 14, 16, 30, tzinfo=UTC)),
        ("weeks", -1, datetime(2022, 3, 24, 16, 30, tzinfo=UTC)),
        ("months", 1, datetime(2022, 4, 30, 16, 30, tzinfo=UTC)),
        ("months", 0, AT),
    ],
)
def test_hours_days_weeks_are_exact_and_months_are_calendar_months(unit, k, expected):
    assert shift(AT, unit, k) == expected


def test_months_clamp_the_day_to_the_month_length():
    assert shift(datetime(2022, 3, 31, 9), "months", -1) == datetime(2022, 2, 28, 9)
    assert shift(datetime(2024, 3, 31, 9), "months", -1) == datetime(2024, 2, 29, 9)
    assert shift(datetime(2022, 1, 31, 9), "months", 1) == datetime(2022, 2, 28, 9)
    assert shift(datetime(2022, 1, 31, 9), "months", 13) == datetime(2023, 2, 28, 9)


def test_delta_is_shift_in_the_specs_argument_order():
    assert delta("days", 3, AT) == shift(AT, "days", 3)


def test_an_unknown_unit_is_malformed_input():
    with pytest.raises(InvalidInputError) as refused:
        shift(AT, "fortnights", 1)
    assert refused.value.field == "interval_unit"


@given(st.sampled_from(["hours", "days", "weeks"]), st.integers(-1000, 1000))
def test_exact_units_shift_back_and_forth(unit, k):
    assert shift(shift(AT, unit, k), unit, -k) == AT


# --- scheduled dates -------------------------------------------------------------------------------------------


def when(interval_type, unit, nbr, *, created_at=CREATED, date_begin=BEGIN, date_end=END):
    return scheduled_date(interval_type, unit, nbr, created_at=created_at, date_begin=date_begin, date_end=date_end)


def test_after_sub_counts_forward_from_the_creation_time():
    assert when("after_sub", "now", 0) == CREATED
    assert when("after_sub", "hours", 2) == CREATED + timedelta(hours=2)


def test_before_event_counts_back_from_the_begin():
    assert when("before_event", "hours", 1) == datetime(2022, 2, 1, 14, 0, tzinfo=UTC)
    assert when("before_event", "days", 3) == datetime(2022, 1, 29, 15, 0, tzinfo=UTC)
    assert when("before_event", "months", 1) == datetime(2022, 1, 1, 15, 0, tzinfo=UTC)
    assert when("before_event", "now", 5) == BEGIN


def test_after_event_counts_forward_from_the_end():
    assert when("after_event", "weeks", 1) == datetime(2022, 2, 8, 17, 0, tzinfo=UTC)
    assert when("after_event", "now", 0) == END


@pytest.mark.parametrize(
    ("interval_type", "empty"),
    [("after_sub", "created_at"), ("before_event", "date_begin"), ("after_event", "date_end")],
)
def test_an_empty_base_date_gives_no_scheduled_date(interval_type, empty):
    assert when(interval_type, "days", 1, **{empty: None}) is None


def test_only_the_types_own_base_date_matters():
    assert when("before_event", "days", 1, created_at=None, date_end=None) == BEGIN - timedelta(days=1)
    assert when("after_event", "days", 1, created_at=None, date_begin=None) == END + timedelta(days=1)
    assert when("after_sub", "days", 1, date_begin=None, date_end=None) == CREATED + timedelta(days=1)


def test_an_unknown_interval_type_is_malformed_input():
    with pytest.raises(InvalidInputError) as refused:
        when("before_registration", "days", 1)
    assert refused.value.field == "interval_type"


def test_an_attendee_mail_is_due_from_the_registrations_creation():
    assert attendee_scheduled_date("now", 0, CREATED) == CREATED
    assert attendee_scheduled_date("days", 2, CREATED) == CREATED + timedelta(days=2)
    # Q14: the number is an input like the others, so changing it changes the date.
    assert attendee_scheduled_date("days", 3, CREATED) != attendee_scheduled_date("days", 2, CREATED)


# --- mail_state (Q15) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval_type", "mail_done", "date", "state"),
    [
        ("after_sub", False, None, "running"),
        ("after_sub", True, CREATED, "running"),
        ("before_event", True, BEGIN, "sent"),
        ("before_event", True, None, "sent"),
        ("before_event", False, BEGIN, "scheduled"),
        ("before_event", False, None, "running"),
        ("after_event", True, END, "sent"),
        ("after_event", False, END, "scheduled"),
        ("after_event", False, None, "running"),
    ],
)
def test_mail_state_is_computed_from_the_session_copy(interval_type, mail_done, date, state):
    assert mail_state(interval_type, mail_done, date) == state


# --- default schedulers and MailRule -----------------------------------------------------------------------------


def test_the_three_core_default_schedulers():
    expected = (
        MailRule("after_sub", "now", 0, "Registration"),
        MailRule("before_event", "hours", 1, "Reminder"),
        MailRule("before_event", "days", 3, "Reminder"),
    )
    assert expected == DEFAULT_MAIL_SCHEDULERS
    assert all(rule.validate() is rule for rule in DEFAULT_MAIL_SCHEDULERS)


def test_mail_rules_are_immutable():
    with pytest.raises(AttributeError):
        DEFAULT_MAIL_SCHEDULERS[0].interval_nbr = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (MailRule("before_registration", "days", 1, "Reminder"), "interval_type"),
        (MailRule("before_event", "fortnights", 1, "Reminder"), "interval_unit"),
        (MailRule("before_event", "days", -1, "Reminder"), "interval_nbr"),
        (MailRule("before_event", "days", 1.5, "Reminder"), "interval_nbr"),  # type: ignore[arg-type]
        (MailRule("before_event", "days", True, "Reminder"), "interval_nbr"),
        (MailRule("before_event", "days", 1, ""), "template"),
        (MailRule("before_event", "days", 1, "   "), "template"),
    ],
)
def test_a_malformed_mail_rule_names_its_field(rule, field):
    with pytest.raises(InvalidInputError) as refused:
        rule.validate()
    assert refused.value.field == field


# --- §9 date-range phrase ----------------------------------------------------------------------------------------

TODAY = date(2017, 5, 12)


def starting(local_day: date, hour: int = 10) -> datetime:
    """A UTC start that is ``hour`` o'clock Brussels summer time on ``local_day``."""
    return datetime(local_day.year, local_day.month, local_day.day, hour, tzinfo=UTC) - timedelta(hours=2)


@pytest.mark.parametrize(
    ("days", "phrase"),
    [
        (-3, "today"),
        (0, "today"),
        (1, "tomorrow"),
        (2, "in 2 days"),
        (6, "in 6 days"),
        (7, "next week"),
        (13, "next week"),
    ],
)
def test_near_starts_read_in_days(days, phrase):
    assert date_range_phrase(starting(TODAY + timedelta(days=days)), TODAY, "Europe/Brussels") == phrase


def test_a_start_in_next_calendar_month_reads_next_month():
    assert date_range_phrase(starting(date(2017, 6, 30)), TODAY, "Europe/Brussels") == "next month"


def test_a_start_later_this_month_two_weeks_out_reads_on_the_medium_date():
    assert date_range_phrase(starting(date(2017, 5, 26)), TODAY, "Europe/Brussels") == "on May 26, 2017"


def test_a_start_further_out_reads_on_the_medium_date():
    assert date_range_phrase(starting(date(2017, 7, 4)), TODAY, "Europe/Brussels") == "on Jul 4, 2017"


def test_next_month_wraps_from_december_to_january():
    assert date_range_phrase(starting(date(2018, 1, 20), 12), date(2017, 12, 1), "Europe/Brussels") == "next month"


def test_next_month_compares_the_month_number_only_like_the_original():
    assert date_range_phrase(starting(date(2018, 6, 15)), TODAY, "Europe/Brussels") == "next month"


def test_days_are_counted_between_local_dates_in_the_event_timezone():
    late_evening_utc = datetime(2017, 5, 12, 22, 30, tzinfo=UTC)  # already the 13th in Brussels
    assert date_range_phrase(late_evening_utc, TODAY, "Europe/Brussels") == "tomorrow"
    assert date_range_phrase(late_evening_utc, TODAY, "UTC") == "today"
    assert date_range_phrase(datetime(2017, 5, 12, 22, 30), TODAY, "Europe/Brussels") == "tomorrow"  # naive is UTC


def test_the_medium_date_is_the_local_one():
    # 22:30 UTC on May 25 is May 26 in Brussels.
    assert date_range_phrase(datetime(2017, 5, 25, 22, 30, tzinfo=UTC), TODAY, "Europe/Brussels") == "on May 26, 2017"


def test_an_unknown_timezone_is_malformed_input():
    with pytest.raises(InvalidInputError) as refused:
        date_range_phrase(BEGIN, TODAY, "Nowhere/City")
    assert refused.value.field == "date_tz"


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2017, 5, 26), "May 26, 2017"),
        (date(2022, 1, 1), "Jan 1, 2022"),
        (date(2022, 9, 9), "Sep 9, 2022"),
        (date(2022, 12, 31), "Dec 31, 2022"),
    ],
)
def test_medium_date_is_en_us_mmm_d_y(day, text):
    assert medium_date(day) == text
