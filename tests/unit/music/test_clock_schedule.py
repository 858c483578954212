"""The music clock's schedule (A.8): cron ``14,29,44,59 * * * *`` fires at second 0 of those minutes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from consumers.music.clock import CRON_MINUTES, MusicClock, next_fire, tick_report
from domain.music.application import MusicSessions
from domain.shared.clock import FrozenClock

UTC = timezone.utc


def at(hour: int, minute: int, second: int = 0, microsecond: int = 0) -> datetime:
    return datetime(2025, 11, 2, hour, minute, second, microsecond, tzinfo=UTC)


def test_a_scheduled_minute_at_second_zero_is_its_own_fire_time():
    assert next_fire(at(18, 59)) == at(18, 59)


def test_a_second_past_a_fire_time_waits_for_the_next_quarter():
    assert next_fire(at(18, 59, 0, 1)) == at(19, 14)
    assert next_fire(at(19, 0)) == at(19, 14)


def test_the_last_fire_of_the_hour_is_followed_by_the_next_hours_first():
    assert next_fire(at(23, 59, 30)) == datetime(2025, 11, 3, 0, 14, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_the_next_fire_is_the_first_scheduled_minute_not_before_the_instant(naive: datetime):
    instant = naive.replace(tzinfo=UTC)
    fire = next_fire(instant)
    assert fire >= instant and fire.minute in CRON_MINUTES and (fire.second, fire.microsecond) == (0, 0)
    assert fire - instant < timedelta(minutes=15)


def test_the_job_ticks_once_per_scheduled_minute_and_not_in_between():
    clock = FrozenClock(at(18, 50))
    app = MusicSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    job = MusicClock(app, clock)

    fired = []
    for instant in (at(18, 50), at(18, 58, 59), at(18, 59), at(18, 59, 30), at(19, 13), at(19, 14), at(19, 28)):
        clock.set(instant)
        if job.tick() is not None:
            fired.append(instant)

    assert fired == [at(18, 59), at(19, 14)]
    clock.set(at(19, 47))
    assert job.tick() is not None  # the missed 19:29 and 19:44 run once, late
    clock.set(at(19, 50))
    assert job.tick() is None  # then the schedule goes on: 19:59


def test_a_tick_report_has_the_spec_shape():
    clock = FrozenClock(at(18, 59))
    app = MusicSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    report = tick_report(app.tick(at(18, 59)))
    assert report == {"at": "2025-11-02T18:59:00Z", "auto_created": [], "errors": [],
                      "active_window": {"activated": [], "deactivated": [], "errors": []}}  # fmt: skip
