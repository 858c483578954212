"""Music scenarios for tests: an in-memory application, and one run of commands that records every kind
of event the context has (for the mapping's tests and the integration tests' mixed traffic).  The run
names its own instants, so it runs under any clock, and its own unique path, so it runs in any store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from uuid import UUID, uuid4

from domain.music.application import MusicSessions
from domain.music.tunelog import After, Before, TuneSpec
from domain.shared.clock import FrozenClock

NOW = datetime(2025, 6, 2, 12, tzinfo=timezone.utc)  # a Monday, before the scenario's instants

WEEKLY_THURSDAY = {"type": "weekly", "daysOfWeek": [4], "startTime": "21:00", "endTime": "23:30"}
#: Thursday 2025-06-05 21:00 in New York is 01:00Z on the 6th: with a 30-minute buffer the window opens
#: at 00:30Z, so a tick at 00:30Z creates the instance and (at tick + 60 s) activates it.
TICK = datetime(2025, 6, 6, 0, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Scenario:
    session_id: UUID
    other_session_id: UUID
    auto_instance_id: UUID
    manual_instance_id: UUID
    logged_instance_id: UUID


def in_memory(clock: FrozenClock | None = None) -> MusicSessions:
    return MusicSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock or FrozenClock(NOW))


def every_event(app: MusicSessions) -> MusicSessions:
    """Runs commands that record at least one event of every class of the music aggregates."""
    record_every_event(app)
    return app


def record_every_event(app: MusicSessions) -> Scenario:
    """``every_event``, answering the ids of what it made."""
    path = f"scenario-{uuid4().hex[:8]}"
    session = app.create_session(
        name="Scenario", path=path, timezone="America/Chicago", recurrence=WEEKLY_THURSDAY, auto_create_instances=True
    ).id
    app.update_session(session, {
        "path": f"{path}-moved", "name": "Scenario, renamed", "timezone": "America/New_York",
        "recurrence": {**WEEKLY_THURSDAY, "interval": 1}, "initiation_date": date(2025, 1, 1),
        "active_buffer_minutes_before": 30, "auto_create_hours_ahead": 48,
    })  # fmt: skip
    other = app.create_session(name="Takes the old path", path=path).id  # the released path is reclaimed

    app.tick(TICK)  # auto-creates Thursday's instance and activates it
    auto = app.instance_on(session, date(2025, 6, 5))
    assert auto is not None
    app.update_instance(auto, {"is_cancelled": True})  # cancelled while active: deactivated
    app.update_instance(auto, {"is_cancelled": False})

    manual = app.create_instance(session, date=date(2025, 6, 10), start_time="19:00", end_time="22:00").id
    app.update_instance(manual, {
        "date": date(2025, 6, 11), "start_time": "20:00", "location_override": "The back room", "comments": "Fiddles",
        "log_complete": True,
    })  # fmt: skip
    app.update_instance(manual, {"log_complete": False})

    logged = app.create_instance(session, date=date(2025, 6, 12), start_time="19:00", end_time="22:00").id
    first = app.add_tune(logged, name="The Kesh").entry_id
    app.add_tune(logged, name="Out on the Ocean", continues_set=True)
    third = app.add_tune(logged, tune_id=55, name="Banish Misfortune").entry_id
    fourth = app.add_tune(logged, position=After(third), tune_id=71, continues_set=True).entry_id
    head = first
    for n in range(11):  # midpoints before the head until the gap is exhausted: renumbered
        head = app.add_tune(logged, position=Before(head), name=f"Reel {n}").entry_id
    app.remove_tune(logged, first)  # it opened its set: the next entry opens it now
    app.move_tune(logged, fourth, "left")
    app.move_set(logged, third, "up")
    app.update_tune(logged, fourth, {"key_override": "Amixolydian", "setting_override": 12})
    app.replace_tunes(manual, [[TuneSpec(name="The Silver Spear"), TuneSpec(tune_id=1)], [TuneSpec()]])
    app.delete_instance(manual)
    return Scenario(session, other, auto, manual, logged)
