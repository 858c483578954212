"""inbound.registrations.v1: one outcome per message, dead letters, idempotent by message_id."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from kafka import KafkaConsumer

from infra import kafka
from producers import topics
from producers.eventsessions import topics as es_topics
from tests.conftest import wait_for

START = datetime(2027, 5, 1, 9, tzinfo=timezone.utc)


class TopicReader:
    def __init__(self, container, topic: str) -> None:
        self.consumer = KafkaConsumer(
            topics.physical(topic, container.settings.topic_prefix),
            bootstrap_servers=container.endpoints.kafka_bootstrap,
            auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        )  # fmt: skip
        self.records: list = []

    def read(self) -> list:
        for batch in self.consumer.poll(timeout_ms=200).values():
            self.records += batch
        return self.records


def _send(container, value: bytes, key: bytes = b"k") -> None:
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    producer.send(topics.physical(es_topics.INBOUND_REGISTRATIONS, container.settings.topic_prefix), key=key, value=value,
                  headers=[("origin", b"ticketing")])  # fmt: skip
    producer.flush()
    producer.close()


def _request(**fields) -> bytes:
    return json.dumps({"message_id": str(uuid.uuid4()), **fields}, default=str).encode()


def test_a_malformed_message_lands_in_the_dead_letter_topic_and_the_next_is_processed(app, container):
    event = app.create_event(name="Inbound", use_sessions=True, seats_limited=True, seats_max=5)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    dlt = TopicReader(container, topics.dead_letter_topic(es_topics.INBOUND_REGISTRATIONS))
    outcomes = TopicReader(container, topics.outcomes_topic(es_topics.INBOUND_REGISTRATIONS))
    malformed = b'{"action": "register", "not json'
    good = _request(action="register", event_id=event.id, session_id=session.id, name="Ada", email="ada@example.org")

    _send(container, malformed, key=b"bad-key")
    _send(container, good)

    letter = wait_for(lambda: [r for r in dlt.read() if r.key == b"bad-key"])[0]
    assert letter.value == malformed
    headers = dict(letter.headers)
    origin = topics.physical(es_topics.INBOUND_REGISTRATIONS, container.settings.topic_prefix)
    assert headers["dlt.origin.topic"] == origin.encode()
    assert int(headers["dlt.origin.offset"]) >= 0 and "dlt.origin.partition" in headers
    assert headers["dlt.exception.class"] == b"ValidationError"
    assert headers["dlt.exception.message"]
    assert headers["origin"] == b"ticketing"
    good_id = json.loads(good)["message_id"]
    outcome = wait_for(lambda: [json.loads(r.value) for r in outcomes.read() if json.loads(r.value)["message_id"] == good_id])
    assert outcome[0]["status"] == "accepted" and outcome[0]["version"] == 1
    assert app.get_session(session.id).seats.seats_unconfirmed == 1


def test_a_message_processed_twice_has_the_effect_of_once_and_one_outcome(app, container):
    event = app.create_event(name="Idempotent", use_sessions=True, seats_limited=True, seats_max=5)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    outcomes = TopicReader(container, topics.outcomes_topic(es_topics.INBOUND_REGISTRATIONS))
    request = _request(action="register", event_id=event.id, session_id=session.id, name="Bo", email="bo@example.org",
                       state="open")  # fmt: skip
    _send(container, request)
    _send(container, request)
    marker = _request(action="register", event_id=event.id, session_id=session.id, name="Cy", email="cy@example.org")
    _send(container, marker)
    ids = {json.loads(request)["message_id"], json.loads(marker)["message_id"]}
    wait_for(lambda: json.loads(marker)["message_id"] in {json.loads(r.value)["message_id"] for r in outcomes.read()})
    mine = [json.loads(r.value) for r in outcomes.records if json.loads(r.value)["message_id"] in ids]
    assert len(mine) == 2
    seats = app.get_session(session.id).seats
    assert (seats.seats_reserved, seats.seats_unconfirmed) == (1, 1)


def test_a_full_session_is_a_rejected_outcome_not_a_dead_letter(app, container):
    event = app.create_event(name="Full", use_sessions=True, seats_limited=True, seats_max=1)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    app.register(event_id=event.id, session_id=session.id, name="first", email="f@example.org", state="open")
    outcomes = TopicReader(container, topics.outcomes_topic(es_topics.INBOUND_REGISTRATIONS))
    request = _request(action="register", event_id=event.id, session_id=session.id, name="late", email="l@example.org")
    _send(container, request)
    message_id = json.loads(request)["message_id"]
    outcome = wait_for(lambda: [json.loads(r.value) for r in outcomes.read() if json.loads(r.value)["message_id"] == message_id])[0]
    assert outcome["status"] == "rejected"
    assert outcome["detail"] == "No more seats available for this session."
    assert outcome["code"] == "eventsessions.seats.no_more"
