"""``audit replay``: the history on a topic of the auditor's own, enough to build a read model from."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from infra.audit.log import timestamp_of
from infra.audit.replay import ensure_topic, replay
from infra.kafka import read_topic
from producers.eventsessions import topics as es_topics
from tests.integration import auditing
from tests.integration.auditing import (
    history,
    sql,
)
from tests.support.kafka import all_records
from tests.support.waiting import wait_for

fresh_container = auditing.fresh_container  # the fixture, bound where pytest looks for it


def auditor_topic() -> str:
    return f"auditor-{uuid.uuid4().hex[:8]}.history"


def test_the_replayed_count_equals_the_events_in_the_window_and_so_does_the_topic(fresh_container):
    container = fresh_container
    history(container, registrations=3)
    since = datetime.now(timezone.utc)
    history(container, registrations=4)
    until = datetime.now(timezone.utc)
    history(container, registrations=2)
    in_window = sum(
        since <= timestamp_of(bytes(state)) <= until for (state,) in sql(container, "SELECT state FROM EVENTS")
    )
    topic = auditor_topic()
    ensure_topic(container.endpoints.kafka_bootstrap, topic)

    count = replay(container.event_store, container.producer, topic, since=since, until=until, context="eventsessions")

    records = read_topic(container.endpoints.kafka_bootstrap, topic)
    assert count == in_window == len(records) > 0
    positions = [int(dict(r.headers)["notification_id"]) for r in records]
    assert positions == sorted(positions)  # one partition: the whole topic in log order


def test_replayed_messages_carry_the_domain_topics_contract_and_headers_plus_ce_replay(service):
    container = service.container
    history(container, registrations=1)
    live = wait_for(lambda: all_records(container, es_topics.REGISTRATIONS))
    topic = auditor_topic()
    ensure_topic(container.endpoints.kafka_bootstrap, topic)

    replay(container.event_store, container.producer, topic)

    replayed = {dict(r.headers)["ce_id"]: r for r in read_topic(container.endpoints.kafka_bootstrap, topic)}
    original = live[-1]
    copy = replayed[dict(original.headers)["ce_id"]]
    assert (copy.key, copy.value) == (original.key, original.value)
    assert dict(copy.headers) == {**dict(original.headers), "ce_replay": b"true"}


def test_an_independent_consumer_builds_seat_availability_from_the_replay_alone_equal_to_the_live_one(service):
    container = service.container
    for _ in range(3):
        history(container, registrations=5)
    topic = auditor_topic()
    ensure_topic(container.endpoints.kafka_bootstrap, topic)
    replay(container.event_store, container.producer, topic)

    seats: dict[str, dict] = {}  # the auditor's own model: plain JSON, none of our code
    for record in read_topic(container.endpoints.kafka_bootstrap, topic):
        m = json.loads(record.value)
        if m["type"] == "SessionScheduled":
            seats[m["aggregate_id"]] = {"version": m["version"], "seats_max": m["seats_max"], "reserved": 0,
                                        "used": 0, "unconfirmed": 0}  # fmt: skip
        elif m["type"].startswith("Session") and m["aggregate_id"] in seats:
            row = seats[m["aggregate_id"]]
            row["version"] = m["version"]
            if m["type"] == "SessionSeatsChanged":
                row.update(reserved=m["seats_reserved"], used=m["seats_used"], unconfirmed=m["seats_unconfirmed"])
            if m["type"] == "SessionCapacityChanged":
                row["seats_max"] = m["seats_max"]

    def live() -> dict[str, dict]:
        rows = sql(container, "SELECT id, version, seats_max, seats_reserved, seats_used, seats_unconfirmed"
                              " FROM readmodels.session_seats")  # fmt: skip
        return {str(r[0]): {"version": r[1], "seats_max": r[2], "reserved": r[3], "used": r[4], "unconfirmed": r[5]}
                for r in rows}  # fmt: skip

    assert len(seats) >= 3
    assert wait_for(lambda: live() == seats or None, timeout=20)
