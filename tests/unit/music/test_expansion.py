"""Expansion of a session's recurrence (A.2.3-A.3) with the spec's worked examples and A.9.1-A.9.3."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.music.patterns import parse_recurrence
from domain.music.schedule import Schedule

UTC = timezone.utc
CHICAGO = "America/Chicago"
DUBLIN = "Europe/Dublin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def schedule(recurrence: Any, tz: str = CHICAGO, initiation: date | None = None, termination: date | None = None):
    return Schedule(tz, parse_recurrence(recurrence, initiation), initiation, termination)


def weekly(days: list[int], start: str = "21:00", end: str = "23:30", **extra: Any) -> dict[str, Any]:
    return {"type": "weekly", "daysOfWeek": days, "startTime": start, "endTime": end, **extra}


def dates(found) -> list[date]:
    return [o.date for o in found]


def test_A9_1_every_other_week_skips_the_off_weeks():
    every_other = schedule(weekly([4], interval=2, startDate="2025-01-02"))

    assert dates(every_other.expand(date(2025, 1, 1), date(2025, 2, 28))) == [
        date(2025, 1, 2), date(2025, 1, 16), date(2025, 1, 30), date(2025, 2, 13), date(2025, 2, 27),
    ]  # fmt: skip


def test_A2_6_every_other_week_parity_does_not_depend_on_the_query_start():
    every_other = schedule(weekly([4], interval=2, startDate="2025-01-02"))

    assert dates(every_other.expand(date(2025, 1, 9), date(2025, 1, 31))) == [date(2025, 1, 16), date(2025, 1, 30)]
    assert dates(every_other.expand(date(2027, 6, 1), date(2027, 6, 30))) == [date(2027, 6, 3), date(2027, 6, 17)]


def test_A2_3_the_initiation_date_anchors_the_interval_when_there_is_no_start_date():
    every_other = schedule(weekly([4], interval=2), initiation=date(2025, 1, 9))

    assert dates(every_other.expand(date(2025, 1, 1), date(2025, 1, 31))) == [date(2025, 1, 9), date(2025, 1, 23)]


def test_A9_2_the_fourth_sunday_is_found_when_it_is_also_the_last():
    fourth = schedule({"type": "monthly", "daysOfWeek": [7], "setPositions": [4]})

    assert dates(fourth.expand(date(2025, 2, 1), date(2025, 3, 31))) == [date(2025, 2, 23), date(2025, 3, 23)]


def test_A2_3_second_and_last_thursday():
    pattern = {"type": "monthly", "daysOfWeek": [4], "setPositions": [2, -1], "startTime": "21:00", "endTime": "23:30"}

    assert dates(schedule(pattern).expand(date(2025, 5, 1), date(2025, 6, 30))) == [
        date(2025, 5, 8), date(2025, 5, 29), date(2025, 6, 12), date(2025, 6, 26),
    ]  # fmt: skip


def test_A2_3_set_positions_apply_to_the_combined_weekdays():
    first_of_either = schedule({"type": "monthly", "daysOfWeek": [2, 4], "setPositions": [1]})

    assert dates(first_of_either.expand(date(2025, 1, 1), date(2025, 2, 28))) == [date(2025, 1, 2), date(2025, 2, 4)]


def test_A2_6_a_mid_month_start_date_drops_the_earlier_date_without_substitute():
    first_tuesday = schedule({"type": "monthly", "daysOfWeek": [2], "setPositions": [1], "startDate": "2025-01-10"})

    assert dates(first_tuesday.expand(date(2025, 1, 1), date(2025, 2, 28))) == [date(2025, 2, 4)]


def test_A9_3_a_cross_midnight_occurrence_ends_the_next_day():
    late = schedule(weekly([5], "21:00", "01:00"))

    (occurrence,) = late.expand(date(2025, 6, 6), date(2025, 6, 6))

    assert (occurrence.start, occurrence.end) == (utc(2025, 6, 7, 2), utc(2025, 6, 7, 6))


def test_A2_4_a_weekly_session_keeps_its_local_time_across_spring_forward_in_chicago():
    found = schedule(weekly([4], "19:00", "22:00")).expand(date(2025, 3, 6), date(2025, 3, 13))

    assert [o.start for o in found] == [utc(2025, 3, 7, 1), utc(2025, 3, 14, 0)]


def test_A2_4_a_weekly_session_keeps_its_local_time_across_fall_back_in_dublin():
    found = schedule(weekly([4], "19:00", "22:00"), DUBLIN).expand(date(2025, 10, 23), date(2025, 10, 30))

    assert [o.start for o in found] == [utc(2025, 10, 23, 18), utc(2025, 10, 30, 19)]


def test_A2_4_a_start_in_the_spring_forward_gap_shifts_forward_in_chicago_and_dublin():
    chicago = schedule(weekly([7], "02:30", "04:00")).expand(date(2025, 3, 9), date(2025, 3, 9))
    dublin = schedule(weekly([7], "01:30", "03:00"), DUBLIN).expand(date(2025, 3, 30), date(2025, 3, 30))

    assert chicago[0].start == utc(2025, 3, 9, 8, 30)  # 03:30 CDT
    assert dublin[0].start == utc(2025, 3, 30, 1, 30)  # 02:30 IST


def test_A2_4_a_start_in_the_fall_back_fold_takes_the_first_occurrence_in_chicago_and_dublin():
    chicago = schedule(weekly([7], "01:30", "03:00")).expand(date(2025, 11, 2), date(2025, 11, 2))
    dublin = schedule(weekly([7], "01:30", "03:00"), DUBLIN).expand(date(2025, 10, 26), date(2025, 10, 26))

    assert chicago[0].start == utc(2025, 11, 2, 6, 30)  # CDT
    assert dublin[0].start == utc(2025, 10, 26, 0, 30)  # IST


def test_A2_4_a_cross_midnight_session_over_spring_forward_lasts_an_hour_less():
    (occurrence,) = schedule(weekly([6], "21:00", "03:00")).expand(date(2025, 3, 8), date(2025, 3, 8))

    assert (occurrence.start, occurrence.end) == (utc(2025, 3, 9, 3), utc(2025, 3, 9, 8))


def test_A2_5_occurrences_are_clipped_to_the_initiation_and_termination_dates():
    clipped = schedule(weekly([4]), initiation=date(2025, 1, 9), termination=date(2025, 1, 23))

    assert dates(clipped.expand(date(2025, 1, 1), date(2025, 1, 31))) == [
        date(2025, 1, 9), date(2025, 1, 16), date(2025, 1, 23),
    ]  # fmt: skip


def test_A2_5_a_one_time_occurrence_is_clipped_too_but_ignores_no_start_date():
    once = {"type": "one_time", "date": "2025-12-24", "startTime": "20:00", "endTime": "23:00"}

    assert dates(schedule(once).expand(date(2025, 12, 1), date(2025, 12, 31))) == [date(2025, 12, 24)]
    assert schedule(once, termination=date(2025, 12, 23)).expand(date(2025, 12, 1), date(2025, 12, 31)) == []


def test_A3_several_patterns_are_merged_by_start_instant():
    both = schedule({"schedules": [weekly([7], "15:00", "18:00"), weekly([2], "19:00", "22:00")]})

    found = both.expand(date(2025, 6, 1), date(2025, 6, 10))

    assert [(o.date, o.pattern_index) for o in found] == [
        (date(2025, 6, 1), 0), (date(2025, 6, 3), 1), (date(2025, 6, 8), 0), (date(2025, 6, 10), 1),
    ]  # fmt: skip


def test_A3_a_time_less_pattern_has_dates_but_no_instants():
    found = schedule({"type": "weekly", "daysOfWeek": [1]}).expand(date(2025, 6, 2), date(2025, 6, 2))

    assert (found[0].start_time, found[0].start, found[0].end) == (None, None, None)


def test_A2_no_recurrence_expands_to_nothing():
    assert schedule(None).expand(date(2025, 1, 1), date(2025, 12, 31)) == []


def test_A3_occurrences_carry_the_pattern_times():
    (occurrence,) = schedule(weekly([4])).expand(date(2025, 6, 5), date(2025, 6, 5))

    assert (occurrence.start_time, occurrence.end_time) == (time(21), time(23, 30))


# -- property: a session pattern expands as the RFC 5545 rule written from its JSON by hand -------------------

CODES = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}


@st.composite
def anchored_patterns(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["weekly", "monthly"]))
    pattern: dict[str, Any] = {
        "type": kind,
        "interval": draw(st.integers(1, 4)),
        "daysOfWeek": draw(st.lists(st.integers(1, 7), unique=True, min_size=1, max_size=3)),
        "startDate": draw(st.dates(date(2015, 1, 1), date(2030, 12, 31))).isoformat(),
        "startTime": "21:00",
        "endTime": "01:00",
    }
    if kind == "monthly" and draw(st.booleans()):
        pattern["setPositions"] = draw(
            st.lists(st.sampled_from([1, 2, 3, 4, -1, -2]), unique=True, min_size=1, max_size=2)
        )
    return pattern


def rfc5545_text(pattern: dict[str, Any]) -> str:
    parts = [f"FREQ={pattern['type'].upper()}", f"INTERVAL={pattern['interval']}", "WKST=MO",
             "BYDAY=" + ",".join(CODES[d] for d in pattern["daysOfWeek"])]  # fmt: skip
    if "setPositions" in pattern:
        parts.append("BYSETPOS=" + ",".join(str(p) for p in pattern["setPositions"]))
    return f"DTSTART:{pattern['startDate'].replace('-', '')}T000000\nRRULE:" + ";".join(parts)


@settings(max_examples=150, deadline=None)
@given(anchored_patterns(), st.integers(-100, 2500), st.integers(0, 370))
def test_A2_6_expansion_equals_rrulestr_of_the_rule_written_from_the_pattern(pattern, offset, days):
    start = date.fromisoformat(pattern["startDate"]) + timedelta(days=offset)
    end = start + timedelta(days=days)

    expected = rrulestr(rfc5545_text(pattern)).between(
        datetime.combine(start, time()), datetime.combine(end, time()), inc=True
    )

    assert dates(schedule(pattern).expand(start, end)) == [d.date() for d in expected]
