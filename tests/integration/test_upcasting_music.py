"""``SessionInstance.LogMarkedComplete`` v1 -> v2 (``at`` renamed ``completed_at``, ``tune_count`` added):
rows written with the v1 JSON still load, replay and rebuild as before, under an intact hash chain (A.1)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any
from uuid import UUID

from domain.music.instance import SessionInstance
from infra.container import Container
from tests.integration import auditing
from tests.integration.auditing import seal_everything, sql, verified
from tests.integration.upcasting import decoded, event_data, rebuilt, replayed, store_as_older, version_of

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def completed_log(container: Container, tunes: int) -> tuple[UUID, int]:
    """An instance with ``tunes`` tunes whose log is marked complete; its id and that event's version."""
    app = container.music
    session = app.create_session(name="Upcast", path=f"upcast-{uuid.uuid4().hex[:8]}").id
    instance = app.create_instance(session, date=date(2031, 3, 6), start_time="19:00", end_time="22:00").id
    for n in range(tunes):
        app.add_tune(instance, name=f"Reel {n}")
    app.update_instance(instance, {"log_complete": True})
    return instance, version_of(container, instance, SessionInstance.LogMarkedComplete)


def as_version_1(new: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": new["timestamp"], "at": new["completed_at"]}


def test_v1_completed_logs_load_replay_and_rebuild_as_before(fresh_container):
    container = fresh_container
    instance, version = completed_log(container, tunes=2)
    completed_at = container.music.repository.get(instance).log_complete_date
    messages_before = replayed(container, "music")
    read_models_before = [rebuilt(container, name, f"upcast_before_{i}")
                          for i, name in enumerate(("music_instances", "music_tune_log"))]  # fmt: skip

    assert [row for row in read_models_before[0]["music_instances"] if completed_at in row]  # the row to compare
    store_as_older(container, instance, version, as_version_1)

    loaded = container.music.repository.get(instance, version=version)  # versioned: from the store, not the cache
    event = decoded(container, instance, version)
    assert loaded.log_complete_date == completed_at is not None
    assert isinstance(event, SessionInstance.LogMarkedComplete)
    assert (event.completed_at, event.tune_count) == (completed_at, None)
    assert replayed(container, "music") == messages_before  # the published v1 message keeps ``at``
    assert [rebuilt(container, name, f"upcast_after_{i}")
            for i, name in enumerate(("music_instances", "music_tune_log"))] == read_models_before  # fmt: skip
    data = event_data(container, instance, version)
    assert (data["tune_count"], "at" in data, "completed_at" in data) == (None, False, True)


def test_new_completed_logs_are_stored_as_version_2_and_the_chain_still_verifies(fresh_container):
    container = fresh_container
    old, old_version = completed_log(container, tunes=1)
    store_as_older(container, old, old_version, as_version_1)
    new, new_version = completed_log(container, tunes=3)
    seal_everything(container)

    (state,) = sql(container, "SELECT state FROM EVENTS WHERE originator_id = %s AND originator_version = %s",
                   new, new_version)[0]  # fmt: skip
    stored = json.loads(bytes(state))

    assert (stored["class_version"], stored["tune_count"], "at" in stored) == (2, 3, False)
    assert verified(container).intact
    published = [m for m in replayed(container, "music") if m["type"] == "InstanceLogMarkedComplete"]
    assert [m["aggregate_id"] for m in published] == [str(old), str(new)]
    assert all("at" in m and "completed_at" not in m and "tune_count" not in m for m in published)
