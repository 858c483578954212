"""The music read models after mixed traffic (every event class, HTTP-style commands and inbound
messages): each equals a rebuild from the event store, and each agrees with the aggregates."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from infra.api.context import read
from infra.rebuild import rebuild, verify
from projections.catalogue import PROJECTIONS
from projections.music import instances as instances_model
from projections.music.popular_tunes import popular_tunes, tune_key
from projections.music.tune_log import tune_log
from tests.integration.music_kafka import Outcomes, publish, request
from tests.support.database import read_row
from tests.support.music import record_every_event
from tests.support.waiting import wait_for

MUSIC_READ_MODELS = ("music_instances", "music_tune_log", "music_popular_tunes")


def caught_up(container, aggregate_ids) -> bool:
    """Every music read model reflects every given aggregate's current version."""
    for aggregate_id in aggregate_ids:
        version = container.event_store.repository.get(aggregate_id).version
        for name in MUSIC_READ_MODELS:
            row = read_row(container, "SELECT version FROM readmodels.projection_versions"
                                      " WHERE projection = %s AND aggregate_id = %s", name, aggregate_id)  # fmt: skip
            if row is None or row[0] < version:
                return False
    return True


@pytest.fixture(scope="module")
def traffic(service):
    """Mixed traffic on one session: the every-event scenario, more logs, an inbound queue."""
    container = service.container
    music = container.music
    scenario = record_every_event(music)
    session_id = scenario.session_id
    logs = [scenario.logged_instance_id]
    for day in (date(2025, 6, 19), date(2025, 6, 26)):
        instance_id = music.create_instance(session_id, date=day, start_time="21:00", end_time="23:30").id
        music.add_tune(instance_id, tune_id=55, name="Banish Misfortune")
        music.add_tune(instance_id, name="the kesh", continues_set=True)
        logs.append(instance_id)
    music.update_instance(logs[1], {"date": date(2025, 6, 20)})
    queue = [request(logs[2], "add", name="The Kesh"), request(logs[2], "add", name="Cooley's"),
             request(logs[0], "update", entry_id=str(music.tune_log(logs[0])[0].id), name="Renamed reel")]  # fmt: skip
    publish(container, *queue)
    Outcomes(container).of(*queue)
    instances = [scenario.auto_instance_id, scenario.manual_instance_id, *logs]
    wait_for(lambda: caught_up(container, instances), timeout=60)
    return container, session_id, instances


@pytest.mark.parametrize("name", MUSIC_READ_MODELS)
def test_each_music_read_model_equals_a_rebuild(traffic, name):
    container, _, _ = traffic
    assert verify(container.event_store, container.pool, PROJECTIONS[name], settle_seconds=5) == []


def test_the_instances_read_model_agrees_with_the_aggregates(traffic):
    container, session_id, instances = traffic
    music = container.music
    rows = read(container, lambda cur: instances_model.list_instances(cur, session_id))
    live = [i for i in instances if i != instances[1]]  # the manual one was deleted
    assert {r["id"] for r in rows} == set(live)
    for row in rows:
        view = music.instance_view(row["id"])
        assert (row["version"], row["date"], row["is_active"], row["is_cancelled"]) == (
            view.version, view.date, view.is_active, view.is_cancelled,
        )  # fmt: skip


def test_the_tune_log_read_model_agrees_with_the_aggregates(traffic):
    container, _, instances = traffic
    for instance_id in instances[2:]:
        rows = read(container, lambda cur, i=instance_id: tune_log(cur, i))
        log = container.music.tune_log(instance_id)
        assert [(r["entry_id"], r["order_number"], r["continues_set"], r["name"], r["set_index"]) for r in rows] == [
            (e.id, e.order_number, e.continues_set, e.name, e.set_index) for e in log
        ]


def test_the_popular_tunes_agree_with_the_logs_of_the_instances_that_took_place(traffic):
    container, session_id, instances = traffic
    music = container.music
    expected: Counter[str] = Counter()
    for instance_id in instances[2:]:
        for entry in music.tune_log(instance_id):
            key = tune_key(entry.tune_id, entry.name)
            if key is not None:
                expected[key] += 1
    rows = read(container, lambda cur: popular_tunes(cur, session_id))
    assert {
        (r["tune_id"] and f"tune:{r['tune_id']}") or f"name:{r['name'].casefold()}": r["plays"] for r in rows
    } == dict(expected)
    assert rows[0]["plays"] == max(expected.values())


@pytest.mark.parametrize("name", MUSIC_READ_MODELS)
def test_a_rebuilt_music_read_model_serves_the_same_answers(traffic, name):
    container, session_id, _ = traffic
    before = read(
        container, lambda cur: (instances_model.list_instances(cur, session_id), popular_tunes(cur, session_id))
    )
    rebuild(container.event_store, container.pool, PROJECTIONS[name])
    after = read(
        container, lambda cur: (instances_model.list_instances(cur, session_id), popular_tunes(cur, session_id))
    )
    assert after == before
