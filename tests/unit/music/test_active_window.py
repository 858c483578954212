"""The active window (A.5, A.8, A.9.3-A.9.5, MU-20, MU-21): the pure predicate and the pass that keeps
``is_active`` equal to it.

The instance meets on 2025-06-10, 19:00-22:00 in Chicago (CDT): 2025-06-11 00:00Z to 03:00Z.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from domain.music.schedule import is_active
from tests.unit.music.builders import CHICAGO, new_session, utc

DAY = date(2025, 6, 10)
START, END = utc(2025, 6, 11, 0), utc(2025, 6, 11, 3)


def active_at(at, *, before=60, after=60, start=time(19), end=time(22), day=DAY, cancelled=False, termination=None):
    return is_active(
        day=day, start_time=start, end_time=end, is_cancelled=cancelled, tz=CHICAGO, before_minutes=before,
        after_minutes=after, termination_date=termination, at=at,
    )  # fmt: skip


def session_with_instance(app, **values):
    values.setdefault("recurrence", None)
    session_id = new_session(app, **values)
    instance_id = app.create_instance(session_id, date=DAY, start_time="19:00", end_time="22:00").id
    return session_id, instance_id


# -- the predicate -------------------------------------------------------------------------------------------


def test_A5_the_window_opens_exactly_at_start_minus_the_buffer():
    assert active_at(START - timedelta(minutes=60))
    assert not active_at(START - timedelta(minutes=60, seconds=1))


def test_A5_the_window_closes_exactly_at_end_plus_the_buffer():
    assert active_at(END + timedelta(minutes=60))
    assert not active_at(END + timedelta(minutes=60, seconds=1))


def test_A9_3_a_cross_midnight_instance_is_active_after_midnight():
    assert active_at(utc(2025, 6, 11, 5, 30), start=time(21), end=time(1), before=0, after=0)  # 00:30 CDT


def test_A9_4_a_cancelled_instance_is_never_active():
    assert not active_at(START, cancelled=True)


def test_A5_an_instance_without_both_times_is_never_active():
    assert not active_at(START, end=None)


def test_A2_5_an_instance_of_a_terminated_session_is_not_active():
    assert not active_at(START, termination=date(2025, 6, 9))
    assert active_at(START, termination=DAY)


def test_A9_5_buffers_are_absolute_time_across_fall_back():
    # 02:00 CST on 2025-11-02 is 08:00Z; two absolute hours earlier is 06:00Z (01:00 CDT).  Wall-clock
    # arithmetic would open the window at 00:00 CDT (05:00Z).
    fall_back = date(2025, 11, 2)

    assert not active_at(utc(2025, 11, 2, 5, 30), day=fall_back, start=time(2), end=time(4), before=120)
    assert active_at(utc(2025, 11, 2, 6), day=fall_back, start=time(2), end=time(4), before=120)


# -- the pass ------------------------------------------------------------------------------------------------


def test_A5_a_session_without_buffers_turns_on_at_the_tick_one_minute_before_it_starts(app):
    session_id, instance_id = session_with_instance(app, active_buffer_minutes_before=0, active_buffer_minutes_after=0)

    early = app.tick(START - timedelta(minutes=16))  # the 18:44 tick
    on_time = app.tick(START - timedelta(minutes=1))  # the 18:59 tick

    assert early.active_window.activated == ()
    assert on_time.active_window.activated == (instance_id,)
    assert app.active_instance_ids(session_id) == [instance_id]


def test_A5_a_sixty_minute_buffer_turns_on_at_the_1759_tick(app):
    _, instance_id = session_with_instance(app)

    assert app.tick(START - timedelta(minutes=76)).active_window.activated == ()
    assert app.tick(START - timedelta(minutes=61)).active_window.activated == (instance_id,)


def test_A5_deactivation_lags_to_the_first_tick_whose_lookahead_passes_the_window(app):
    _, instance_id = session_with_instance(app, active_buffer_minutes_after=30)  # the window ends 22:30 CDT
    app.tick(START)

    still = app.tick(END + timedelta(minutes=29))  # the 22:29 tick looks at 22:30
    off = app.tick(END + timedelta(minutes=44))  # the 22:44 tick looks at 22:45

    assert still.active_window.deactivated == ()
    assert off.active_window.deactivated == (instance_id,)
    assert not app.instance_view(instance_id).is_active


def test_A9_4_instances_of_a_session_without_recurrence_are_activated(app):
    _, instance_id = session_with_instance(app, recurrence=None)

    assert app.tick(START).active_window.activated == (instance_id,)


def test_A9_4_cancelling_an_active_instance_deactivates_it_at_once(app, clock):
    session_id, instance_id = session_with_instance(app)
    app.tick(START)
    clock.set(START + timedelta(minutes=5))

    app.update_instance(instance_id, {"is_cancelled": True})

    assert not app.instance_view(instance_id).is_active
    assert app.active_instance_ids(session_id) == []


def test_A5_uncancelling_inside_the_window_activates_at_once(app, clock):
    _, instance_id = session_with_instance(app)
    app.update_instance(instance_id, {"is_cancelled": True})
    clock.set(START)

    app.update_instance(instance_id, {"is_cancelled": False})

    assert app.instance_view(instance_id).is_active


def test_A5_moving_the_times_out_of_the_window_deactivates_at_once(app, clock):
    _, instance_id = session_with_instance(app)
    clock.set(START)
    app.tick(START)

    app.update_instance(instance_id, {"start_time": "23:00", "end_time": "23:30"})

    assert not app.instance_view(instance_id).is_active


def test_A5_a_buffer_change_re_evaluates_the_session_instances_at_once(app, clock):
    session_id, instance_id = session_with_instance(app)
    clock.set(START - timedelta(minutes=90))
    app.tick(START - timedelta(minutes=90))

    app.update_session(session_id, {"active_buffer_minutes_before": 120})

    assert app.instance_view(instance_id).is_active


def test_A2_5_terminating_the_session_deactivates_its_instances_at_once(app, clock):
    session_id, instance_id = session_with_instance(app)
    clock.set(START)
    app.tick(START)

    app.update_session(session_id, {"termination_date": date(2025, 6, 9)})

    assert not app.instance_view(instance_id).is_active


def test_MU21_a_manual_instance_created_inside_its_window_is_active_at_once(app, clock):
    clock.set(START)
    session_id = new_session(app)

    instance_id = app.create_instance(session_id, date=DAY, start_time="19:00", end_time="22:00").id

    assert app.instance_view(instance_id).is_active


def test_A9_3_a_cross_midnight_instance_is_activated_by_the_pass(app):
    session_id = new_session(app, active_buffer_minutes_before=0, active_buffer_minutes_after=0)
    instance_id = app.create_instance(session_id, date=DAY, start_time="21:00", end_time="01:00").id

    assert app.tick(utc(2025, 6, 11, 5, 30)).active_window.activated == (instance_id,)  # 00:30 CDT next day


def test_MU20_an_instance_left_active_by_missed_ticks_is_deactivated_days_later(app):
    session_id, instance_id = session_with_instance(app)
    app.tick(START)

    result = app.tick(START + timedelta(days=5))

    assert result.active_window.deactivated == (instance_id,)
    assert app.active_instance_ids(session_id) == []


def test_A5_several_instances_of_one_session_may_be_active_at_once(app):
    session_id, first = session_with_instance(app)
    second = app.create_instance(session_id, date=DAY, start_time="20:00", end_time="23:00").id

    result = app.tick(START)

    assert set(result.active_window.activated) == {first, second}
    assert set(app.active_instance_ids(session_id)) == {first, second}


def test_MU21_deleting_an_active_instance_deactivates_it_first(app):
    session_id, instance_id = session_with_instance(app)
    app.tick(START)

    app.delete_instance(instance_id)

    names = [type(e).__name__ for e in app.repository.event_store.get(instance_id)]
    assert names[-2:] == ["Deactivated", "Deleted"]
    assert app.active_instance_ids(session_id) == []


def test_A5_a_second_tick_at_the_same_instant_records_nothing(app):
    _, instance_id = session_with_instance(app)
    app.tick(START)
    version = app.instance_view(instance_id).version

    result = app.tick(START)

    assert result.active_window.activated == ()
    assert app.instance_view(instance_id).version == version
