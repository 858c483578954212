"""The music clock against the real PostgreSQL (A.4, A.5, A.8): the job's schedule, the inclusive
horizon on absolute time, occupied dates, terminated sessions, and racing ticks in two containers and in
two processes, which never create one occurrence twice.

Sessions here end on 2025-12-31, so the service's own clock (reading the real date) leaves them alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from consumers.music.clock import MusicClock
from domain.shared.clock import FrozenClock
from infra.container import Container
from tests.support.waiting import wait_for

UTC = timezone.utc
SUNDAY_EVENING = {"type": "weekly", "daysOfWeek": [7], "startTime": "19:00", "endTime": "22:00"}
#: Sunday 2025-11-02 19:00 CST (after the fall-back switch) is 2025-11-03 01:00Z.
NOV_2 = date(2025, 11, 2)
NOV_2_START = datetime(2025, 11, 3, 1, tzinfo=UTC)


@pytest.fixture
def music(container):
    return container.music


def auto_session(music, **values):
    values = {"timezone": "America/Chicago", "recurrence": SUNDAY_EVENING, "auto_create_instances": True,
              "termination_date": date(2025, 12, 31), **values}  # fmt: skip
    return music.create_session(name="Clocked", path=f"clocked-{uuid.uuid4().hex[:8]}", **values).id


def test_the_job_in_the_service_ticks_on_the_cron_minutes_with_an_injected_clock(music):
    session_id = auto_session(music)
    clock = FrozenClock(datetime(2025, 10, 26, 23, 50, tzinfo=UTC))  # Sunday 18:50 CDT
    job = MusicClock(music, clock, poll_s=0.02)
    worker = threading.Thread(target=job.run, daemon=True)
    worker.start()
    try:
        clock.set(datetime(2025, 10, 26, 23, 58, 59, tzinfo=UTC))
        threading.Event().wait(0.2)
        assert music.instance_on(session_id, date(2025, 10, 26)) is None  # not a scheduled minute yet
        clock.set(datetime(2025, 10, 26, 23, 59, tzinfo=UTC))  # the 18:59 CDT tick
        instance_id = wait_for(lambda: music.instance_on(session_id, date(2025, 10, 26)))
        view = wait_for(lambda: (v := music.instance_view(instance_id)).is_active and v)  # created, then activated
        assert view.auto_created and (view.start_time, view.end_time) == ("19:00", "22:00")
    finally:
        job.stop()
        worker.join(5)
    assert job.failed is None


def test_the_horizon_is_inclusive_on_absolute_time_across_the_dst_switch(music):
    session_id = auto_session(music, auto_create_hours_ahead=168)
    week_before = NOV_2_START - timedelta(hours=168)  # 2025-10-27 01:00Z: Sunday 20:00 CDT, 167 wall-clock hours

    music.tick(week_before - timedelta(seconds=1))
    assert music.instance_on(session_id, NOV_2) is None
    result = music.tick(week_before)

    assert [row.dates for row in result.auto_create.auto_created if row.session_id == session_id] == [(NOV_2,)]
    assert music.instance_on(session_id, NOV_2) is not None


def test_an_occupied_date_is_skipped_and_a_deleted_instance_frees_it(music):
    session_id = auto_session(music)
    manual = music.create_instance(session_id, date=NOV_2, start_time="20:00", end_time="23:00").id
    music.update_instance(manual, {"is_cancelled": True})
    tick = NOV_2_START - timedelta(hours=2)

    music.tick(tick)
    assert music.get_session(session_id).instances_on(NOV_2) == [manual]

    music.delete_instance(manual)
    music.tick(tick)
    (recreated,) = music.get_session(session_id).instances_on(NOV_2)
    assert recreated != manual and music.instance_view(recreated).auto_created


def test_a_terminated_session_gets_nothing_and_one_ending_today_still_gets_todays(music):
    ended = auto_session(music, termination_date=date(2025, 11, 1))
    ending_today = auto_session(music, termination_date=NOV_2)

    music.tick(NOV_2_START - timedelta(hours=3))  # Sunday 16:00 CST

    assert music.instance_on(ended, NOV_2) is None
    assert music.instance_on(ending_today, NOV_2) is not None


def test_two_containers_racing_create_each_occurrence_once(container: Container, container_factory):
    twin = Container(container.settings, container.endpoints, create_event_store=False)
    sessions = [auto_session(container.music, auto_create_hours_ahead=168) for _ in range(5)]
    at = NOV_2_START - timedelta(hours=100)
    start = threading.Barrier(4)
    results = []

    def race(app) -> None:
        start.wait()
        results.append(app.tick(at))

    try:
        threads = [threading.Thread(target=race, args=(app,)) for app in (container.music, twin.music) * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        twin.close()
    assert len(results) == 4
    for session_id in sessions:
        assert len(container.music.get_session(session_id).instances_on(NOV_2)) == 1
        created = [row for r in results for row in r.auto_create.auto_created if row.session_id == session_id]
        assert sum(row.instances_created for row in created) == 1
    assert all(not r.auto_create.errors for r in results)


def test_two_processes_racing_on_the_cli_create_the_occurrence_once(container: Container):
    session_id = auto_session(container.music)
    env = container.settings.child_env(
        DATABASE_URL=container.endpoints.database_url,
        KAFKA_BOOTSTRAP_SERVERS=container.endpoints.kafka_bootstrap,
        SESSIONSTREAM_TOPIC_PREFIX=container.settings.topic_prefix, SESSIONSTREAM_LOG_LEVEL="WARNING",
    )  # fmt: skip
    command = [sys.executable, "-m", "infra.cli.main", "music", "tick", "--at", "2025-11-02T22:00:00Z"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], [err.decode()[-2000:] for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert all(set(r) == {"at", "auto_created", "errors", "active_window"} for r in reports)
    mine = [row for r in reports for row in r["auto_created"] if row["session_id"] == str(session_id)]
    assert [(row["instances_created"], row["dates"]) for row in mine] == [(1, ["2025-11-02"])]
    assert mine[0]["session_name"] == "Clocked"
    assert len(container.music.get_session(session_id).instances_on(NOV_2)) == 1
