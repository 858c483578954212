"""Events stored by an older class still load, replay and rebuild: ``Registration.StateChanged`` v1 -> v2
(``date_closed`` renamed ``closed_at``, ``reason`` added), rows written with the old JSON."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from infra.audit.history import History
from infra.audit.rebuild import rebuild_as_of
from infra.audit.replay import ensure_topic, replay
from infra.kafka import read_topic
from producers.relay import EventDecoder, Row
from projections.catalogue import PROJECTIONS
from tests.integration import auditing
from tests.integration.auditing import (
    history,
    position_of,
    seal_everything,
    sql,
    verified,
)

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def stored_as_version_1(container, registration_id, version: int) -> datetime | None:
    """Rewrites the stored event as the v1 class wrote it; returns its ``date_closed``."""
    (state,) = sql(container, "SELECT state FROM EVENTS WHERE originator_id = %s AND originator_version = %s",
                   registration_id, version)[0]  # fmt: skip
    new = json.loads(bytes(state))
    assert new.pop("class_version") == 2 and "reason" in new
    old = {"timestamp": new["timestamp"], "from_state": new["from_state"], "to_state": new["to_state"],
           "date_closed": new["closed_at"]}  # fmt: skip
    sql(container, "UPDATE EVENTS SET state = %s WHERE originator_id = %s AND originator_version = %s",
        json.dumps(old, separators=(",", ":")).encode(), registration_id, version)  # fmt: skip
    return datetime.fromisoformat(old["date_closed"]["_data_"]) if old["date_closed"] else None


def test_old_events_load_replay_and_rebuild_through_the_upcaster(fresh_container):
    container = fresh_container
    app = container.app
    _, _, registrations = history(container, registrations=2)
    attended = registrations[0]
    app.change_registration_state(attended, RegistrationState.DONE)
    closed = stored_as_version_1(container, attended, 2)

    loaded = app.repository.get(attended, version=2)  # versioned: read from the store, never the cache
    row = sql(container, "SELECT notification_id, originator_id, originator_version, topic, state FROM EVENTS"
                         " WHERE originator_id = %s AND originator_version = 2", attended)[0]  # fmt: skip
    fast = EventDecoder(app.mapper)(Row(*row[:4], bytes(row[4])))
    topic = f"upcast-{uuid.uuid4().hex[:8]}"
    ensure_topic(container.endpoints.kafka_bootstrap, topic)
    replay(container.event_store, container.producer, topic)
    replayed = [json.loads(r.value) for r in read_topic(container.endpoints.kafka_bootstrap, topic)]
    rebuild_as_of(container.event_store, container.pool, PROJECTIONS["registrations"], None, "upcast_check")
    rebuilt = sql(container, "SELECT state, date_closed FROM upcast_check.registrations WHERE id = %s", attended)[0]
    data = History(container.event_store).events(attended).events[1]["data"]

    assert (loaded.version, loaded.state, loaded.date_closed) == (2, "done", closed)
    assert isinstance(fast, Registration.StateChanged) and (fast.closed_at, fast.reason) == (closed, None)
    changed = next(
        m for m in replayed if m["type"] == "RegistrationStateChanged" and m["aggregate_id"] == str(attended)
    )
    assert datetime.fromisoformat(changed["date_closed"]) == closed
    assert rebuilt == ("done", closed)
    assert data == {"from_state": "open", "to_state": "done", "closed_at": closed.isoformat().replace("+00:00", "Z"),
                    "reason": None}  # fmt: skip


def test_new_events_are_stored_as_version_2_and_old_ones_keep_their_bytes_under_the_chain(fresh_container):
    container = fresh_container
    app = container.app
    _, _, registrations = history(container, registrations=2)
    app.change_registration_state(registrations[0], RegistrationState.CANCEL)
    stored_as_version_1(container, registrations[0], 2)
    app.change_registration_state(registrations[1], RegistrationState.DONE)
    seal_everything(container)

    (state,) = sql(container, "SELECT state FROM EVENTS WHERE notification_id = %s",
                   position_of(container, registrations[1], 2))[0]  # fmt: skip

    assert json.loads(bytes(state))["class_version"] == 2
    assert verified(container).intact
    assert datetime.now(timezone.utc) - timedelta(minutes=5) < app.get_registration(registrations[1]).date_closed
