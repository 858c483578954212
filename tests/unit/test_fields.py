"""The shared field types and limits: what every door (HTTP, inbound topics) refuses, and why."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from domain.eventsessions.mail_intervals import scheduled_date, shift
from domain.eventsessions.wizard import WizardRequest, default_start, generate
from domain.shared.errors import InvalidInputError
from domain.shared.limits import (
    EARLIEST_INSTANT,
    EMAIL_MAX,
    INT4_MAX,
    INT8_MAX,
    LATEST_INSTANT,
    NAME_MAX,
    calendar_result,
    check_int4,
    unstorable_character,
)
from producers.eventsessions.inbound import RegistrationRequest
from producers.fields import Day, Email, FiniteFloat, Instant, Int4, Name, Offset, Phone, Template

UTC = timezone.utc


def refused(kind: object, value: object) -> str:
    with pytest.raises(ValidationError) as error:
        TypeAdapter(kind).validate_python(value)
    return str(error.value)


@pytest.mark.parametrize("kind", [Name, Template, Phone, Email])
def test_text_with_a_nul_character_is_refused(kind):
    assert "NUL characters are not allowed" in refused(kind, "a\x00b@example.org")


@pytest.mark.parametrize("kind", [Name, Template, Phone, Email])
def test_text_with_a_lone_surrogate_is_refused(kind):
    refused(kind, "a\ud800b@example.org")


def test_a_lone_surrogate_is_found_wherever_it_is():
    assert unstorable_character("ok \udfff") == "lone surrogates are not allowed"
    assert unstorable_character("emoji \U0001f600 is fine") is None


def test_names_have_a_length_limit_and_cannot_be_empty():
    assert TypeAdapter(Name).validate_python("x" * NAME_MAX) == "x" * NAME_MAX
    assert "at most 256 characters" in refused(Name, "x" * (NAME_MAX + 1))
    refused(Name, "")


def test_the_email_check_keeps_the_address_as_given():
    assert TypeAdapter(Email).validate_python("Ada@Example.ORG") == "Ada@Example.ORG"


@pytest.mark.parametrize("value", ["not an email", "a@b", "Ada <ada@example.org>", "a@" + "b" * EMAIL_MAX + ".org"])
def test_a_malformed_or_overlong_email_is_refused(value):
    refused(Email, value)


def test_http_and_inbound_refuse_the_same_email():
    """One validator: the inbound request uses the same ``Email`` type as ``POST /registrations``."""
    message = {"message_id": "7d2b1c1e-0d5b-4d3e-9a53-6b0c2b4b7d11", "action": "register",
               "event_id": "7d2b1c1e-0d5b-4d3e-9a53-6b0c2b4b7d12", "name": "Ada"}  # fmt: skip
    for bad in ("not an email", "a@b", "a\x00@example.org"):
        with pytest.raises(ValidationError):
            RegistrationRequest.model_validate({**message, "email": bad})
        refused(Email, bad)
    assert RegistrationRequest.model_validate({**message, "email": "Ada@Example.ORG"}).email == "Ada@Example.ORG"


def test_integers_beyond_postgresql_integer_are_refused():
    assert TypeAdapter(Int4).validate_python(INT4_MAX) == INT4_MAX
    refused(Int4, INT4_MAX + 1)
    refused(Int4, 3_000_000_000)
    with pytest.raises(InvalidInputError) as error:
        check_int4("seats_max", 3_000_000_000)
    assert error.value.field == "seats_max"


def test_offsets_beyond_bigint_are_refused():
    assert TypeAdapter(Offset).validate_python(INT8_MAX) == INT8_MAX
    refused(Offset, INT8_MAX + 1)
    refused(Offset, -1)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_infinite_and_nan_floats_are_refused(value):
    refused(FiniteFloat, value)


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00Z", "0001-01-01T03:00:00+05:00", "9999-12-31T00:00:00Z", "9999-12-31T23:59:59-05:00"],
)
def test_instants_at_the_ends_of_the_calendar_are_refused(value):
    assert "must lie between 0001-01-02 and 9999-12-30" in refused(Instant, value)


def test_instants_inside_the_range_are_utc_whole_seconds():
    assert TypeAdapter(Instant).validate_python("2025-10-06T11:00:00.7+02:00") == datetime(2025, 10, 6, 9, tzinfo=UTC)
    assert TypeAdapter(Instant).validate_python("9999-12-30 23:59:59") == LATEST_INSTANT


def test_every_storable_instant_shows_in_every_time_zone():
    """The range stays a day inside the calendar, and no zone's offset reaches a day."""
    for name in sorted(available_timezones()):
        zone = ZoneInfo(name)
        EARLIEST_INSTANT.astimezone(zone)
        LATEST_INSTANT.astimezone(zone)


def test_dates_at_the_ends_of_the_calendar_are_refused():
    refused(Day, date(1, 1, 1))
    refused(Day, date(9999, 12, 31))
    assert TypeAdapter(Day).validate_python("9999-12-30") == date(9999, 12, 30)


@pytest.mark.parametrize(("unit", "nbr"), [("weeks", 8735248), ("days", 10**9), ("hours", 10**12), ("months", 10**6)])
def test_a_mail_interval_past_the_calendar_is_malformed_input_on_interval_nbr(unit, nbr):
    with pytest.raises(InvalidInputError) as error:
        scheduled_date("after_event", unit, nbr, created_at=None, date_begin=None,
                       date_end=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    assert error.value.field == "interval_nbr"


@given(st.sampled_from(["hours", "days", "weeks", "months"]), st.integers(-(2**31), 2**31 - 1))
def test_any_interval_either_shifts_inside_the_calendar_or_is_refused(unit, k):
    try:
        result = shift(datetime(2025, 6, 1, tzinfo=UTC), unit, k)
    except InvalidInputError as error:
        assert error.field == "interval_nbr"
    else:
        assert EARLIEST_INSTANT <= result <= LATEST_INSTANT


def test_calendar_arithmetic_that_overflows_names_the_field():
    with pytest.raises(InvalidInputError) as error:
        calendar_result("until", lambda: datetime.max.replace(tzinfo=UTC) + timedelta(days=1))
    assert error.value.field == "until"


def test_the_wizard_default_start_after_the_last_day_asks_for_a_start():
    with pytest.raises(InvalidInputError) as error:
        default_start(datetime(9999, 12, 31, 12, tzinfo=UTC))
    assert error.value.field == "start"


def test_wizard_sessions_past_the_storable_range_are_refused_on_until():
    request = WizardRequest(
        rrule_type="weekly", weekdays=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        start=date(9999, 12, 30), until=date(9999, 12, 30), timeslots=(23.0,), duration=2.0,
    )  # fmt: skip
    with pytest.raises(InvalidInputError) as error:
        generate(request, "UTC")
    assert error.value.field == "until"


@pytest.mark.parametrize("value", ["0.35357011128021054", "1700000000", "2025-10-06", "2025-10-06T9"])
def test_an_instant_needs_a_date_and_a_time_not_a_number(value):
    refused(Instant, value)
