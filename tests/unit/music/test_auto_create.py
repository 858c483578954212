"""Auto-create (A.4, A.8, MU-22, MU-23): eligibility, the inclusive absolute horizon, occupied dates,
idempotency and racing runs.

The default session meets on Thursdays 21:00-23:30 in Chicago: Thursday 2025-06-05 21:00 CDT is
2025-06-06 02:00Z.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid5

import pytest
from eventsourcing.persistence import IntegrityError

from domain.music.instance import SessionInstance
from domain.music.patterns import parse_recurrence
from domain.music.schedule import Schedule, plan_auto_create
from tests.unit.music.builders import CHICAGO, WEEKLY_THURSDAY, new_session, utc

START = utc(2025, 6, 6, 2)  # the 2025-06-05 occurrence
THURSDAY = date(2025, 6, 5)


def auto_session(app, **values):
    values.setdefault("auto_create_instances", True)
    return new_session(app, **values)


def test_A4_an_occurrence_exactly_at_the_horizon_end_is_created(app):
    session_id = auto_session(app)

    result = app.auto_create(START - timedelta(hours=24))

    assert result.auto_created[0].dates == (THURSDAY,)
    assert app.instance_on(session_id, THURSDAY) is not None


def test_A4_an_occurrence_one_second_past_the_horizon_is_not_created(app):
    session_id = auto_session(app)

    app.auto_create(START - timedelta(hours=24, seconds=1))

    assert app.instance_on(session_id, THURSDAY) is None


def test_A4_an_occurrence_starting_exactly_now_is_created(app):
    session_id = auto_session(app)

    app.auto_create(START)

    assert app.instance_on(session_id, THURSDAY) is not None


def test_A4_an_occurrence_that_already_started_is_never_created(app):
    session_id = auto_session(app)

    app.auto_create(START + timedelta(seconds=1))

    assert app.instance_on(session_id, THURSDAY) is None


def test_A9_5_the_horizon_is_absolute_time_across_fall_back(app):
    sunday_evening = {"type": "weekly", "daysOfWeek": [7], "startTime": "19:00", "endTime": "22:00"}
    session_id = auto_session(app, recurrence=sunday_evening)

    # 2025-11-02 19:00 CST is 2025-11-03 01:00Z.  From Nov 1 19:30 CDT, 24 wall-clock hours would reach
    # Nov 2 19:30 CST (25 real hours) and include it; 24 absolute hours end at 00:30Z and do not.
    app.auto_create(utc(2025, 11, 2, 0, 30))

    assert app.instance_on(session_id, date(2025, 11, 2)) is None


def test_A4_a_created_instance_takes_the_pattern_times_and_is_the_systems(app):
    session_id = auto_session(app)

    app.auto_create(START - timedelta(hours=1))

    view = app.instance_view(app.instance_on(session_id, THURSDAY))
    created = next(iter(app.repository.event_store.get(view.id)))
    assert (view.start_time, view.end_time, view.created_by, view.auto_created) == ("21:00", "23:30", None, True)
    assert (view.is_cancelled, created.horizon_hours) == (False, 24)


def test_A4_a_date_with_a_cancelled_instance_of_other_times_is_occupied(app):
    session_id = auto_session(app)
    manual = app.create_instance(session_id, date=THURSDAY, start_time="18:00", end_time="19:00").id
    app.update_instance(manual, {"is_cancelled": True})

    result = app.auto_create(START - timedelta(hours=1))

    assert result.auto_created == ()
    assert app.get_session(session_id).instances_on(THURSDAY) == [manual]


def test_A4_a_deleted_instance_frees_its_date_and_it_is_created_again_under_a_new_id(app):
    session_id = auto_session(app)
    app.auto_create(START - timedelta(hours=2))
    first = app.instance_on(session_id, THURSDAY)
    app.delete_instance(first)

    app.auto_create(START - timedelta(hours=1))

    again = app.instance_on(session_id, THURSDAY)
    assert again is not None and again != first
    assert again == uuid5(session_id, "2025-06-05#1")


def test_A4_a_second_run_creates_nothing_more(app):
    auto_session(app)
    app.auto_create(START - timedelta(hours=2))

    assert app.auto_create(START - timedelta(hours=1)).auto_created == ()


@pytest.mark.parametrize(
    "values",
    [
        {"auto_create_instances": False},
        {"recurrence": None},
        {"termination_date": date(2025, 6, 4)},  # terminated: before the local today (June 5)
    ],
)
def test_A4_ineligible_sessions_are_skipped_silently(app, values):
    session_id = auto_session(app, **values)

    result = app.auto_create(START - timedelta(hours=1))

    assert (result.auto_created, result.errors) == ((), ())
    assert app.instance_on(session_id, THURSDAY) is None


def test_A2_5_a_session_terminating_today_still_gets_todays_instance(app):
    session_id = auto_session(app, termination_date=THURSDAY)

    app.auto_create(START - timedelta(hours=1))

    assert app.instance_on(session_id, THURSDAY) is not None


def test_A4_time_less_patterns_are_never_auto_created(app):
    session_id = auto_session(app, recurrence={"type": "weekly", "daysOfWeek": [4]})

    app.auto_create(START - timedelta(hours=23))

    assert app.instance_on(session_id, THURSDAY) is None


def test_A4_two_patterns_on_one_date_create_only_the_earliest():
    both = Schedule(CHICAGO, parse_recurrence({"schedules": [
        {"type": "weekly", "daysOfWeek": [4], "startTime": "21:00", "endTime": "23:00"},
        {"type": "weekly", "daysOfWeek": [4], "startTime": "15:00", "endTime": "17:00"},
    ]}))  # fmt: skip

    planned = plan_auto_create(both, now=utc(2025, 6, 5, 12), hours_ahead=24, occupied=())

    assert [(o.date, o.pattern_index) for o in planned] == [(THURSDAY, 1)]


def test_A4_the_horizon_of_168_hours_creates_a_week_ahead_in_one_run(app):
    session_id = auto_session(app, recurrence={**WEEKLY_THURSDAY, "daysOfWeek": [1, 4]}, auto_create_hours_ahead=168)

    result = app.auto_create(utc(2025, 6, 2, 12))

    # Monday June 2 21:00 CDT (02:00Z June 3) and Thursday June 5; Monday June 9 starts after the horizon.
    assert result.auto_created[0].dates == (date(2025, 6, 2), date(2025, 6, 5))
    assert result.auto_created[0].instances_created == 2
    assert len(app.get_session(session_id).calendar) == 2


def test_MU22_a_second_create_of_the_same_occurrence_id_is_refused_by_the_store(app):
    session_id = auto_session(app)
    app.auto_create(START - timedelta(hours=1))
    session = app.get_session(session_id)
    duplicate = SessionInstance(
        id=uuid5(session_id, THURSDAY.isoformat()), session_id=session_id, date=THURSDAY.isoformat(),
        start_time="21:00", end_time="23:30", location_override=None, comments=None, created_by=None,
        auto_created=True, horizon_hours=24, created_at=START, fingerprint="",
    )  # fmt: skip

    with pytest.raises(IntegrityError):
        app.save(duplicate)
    assert session.calendar == app.get_session(session_id).calendar


def test_MU22_racing_runs_create_the_occurrence_once(app):
    session_id = auto_session(app)
    now = START - timedelta(hours=1)
    save = app.save
    raced: list[object] = []

    def save_after_a_rival_run(*aggregates):
        # The first save of this run waits while a rival run loads, decides and commits first.
        if not raced:
            raced.append(None)
            raced[0] = app.auto_create_for(session_id, now)
        return save(*aggregates)

    app.save = save_after_a_rival_run  # type: ignore[method-assign]
    ours = app.auto_create_for(session_id, now)

    rival = raced[0]
    assert rival.instances_created == 1  # type: ignore[attr-defined]
    assert ours is not None and ours.instances_created == 0  # our retry found the date occupied
    assert app.get_session(session_id).instances_on(THURSDAY) == [uuid5(session_id, "2025-06-05")]


def test_MU23_an_error_in_one_session_is_collected_and_the_run_goes_on(app, monkeypatch):
    broken = auto_session(app)
    healthy = auto_session(app)
    load = app.get_session

    def failing(session_id):
        if session_id == broken:
            raise RuntimeError("Invalid timezone")
        return load(session_id)

    monkeypatch.setattr(app, "get_session", failing)

    result = app.auto_create(START - timedelta(hours=1))

    assert result.as_dict()["errors"] == [{"session_id": str(broken), "error": "Invalid timezone"}]
    assert [row.session_id for row in result.auto_created] == [healthy]


def test_A4_the_result_has_the_spec_shape(app):
    session_id = auto_session(app)

    result = app.auto_create(START - timedelta(hours=1)).as_dict()

    assert result == {
        "auto_created": [{"session_id": str(session_id), "session_name": "The Cobblestone", "instances_created": 1,
                          "dates": ["2025-06-05"]}],
        "errors": [],
    }  # fmt: skip


def test_A4_a_tick_creates_first_then_activates_an_instance_already_in_its_window(app):
    session_id = auto_session(app)

    result = app.tick(START - timedelta(minutes=30))

    instance_id = app.instance_on(session_id, THURSDAY)
    assert result.active_window.activated == (instance_id,)
    assert app.instance_view(instance_id).is_active
