"""inbound.registrations.v1 at the door: poison values are dead-lettered, a reused message id is
rejected, and every worker of the service is still up afterwards."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from producers import topics
from producers.eventsessions import topics as es_topics
from tests.integration.test_inbound_registrations import START, TopicReader, _send
from tests.support.service import every_worker_up
from tests.support.waiting import wait_for

POISON_NAMES = {
    "nul": "a\u0000b",
    "too-long": "x" * 300_000,
}


def _raw(message_id: str, **fields: object) -> bytes:
    return json.dumps({"message_id": message_id, **fields}).encode()


def _outcome(reader: TopicReader, message_id: str) -> dict:
    return wait_for(lambda: [o for r in reader.read() if (o := json.loads(r.value))["message_id"] == message_id])[0]


def test_poison_values_on_the_inbound_topic_are_dead_lettered_and_every_worker_stays_up(app, container, service):
    event = app.create_event(name="Poison", use_sessions=True, seats_limited=True, seats_max=5)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    dlt = TopicReader(container, topics.dead_letter_topic(es_topics.INBOUND_REGISTRATIONS))
    outcomes = TopicReader(container, topics.outcomes_topic(es_topics.INBOUND_REGISTRATIONS))
    base = {"action": "register", "event_id": str(event.id), "session_id": str(session.id), "email": "p@example.org"}
    poison = {f"name-{k}".encode(): _raw(str(uuid.uuid4()), **base, name=v) for k, v in POISON_NAMES.items()}
    poison[b"surrogate"] = _raw(str(uuid.uuid4()), **base, name="a").replace(b'"name": "a"', b'"name": "a\\ud800"')
    poison[b"email"] = _raw(str(uuid.uuid4()), **{**base, "email": "not-an-email"}, name="Ada")
    poison[b"phone"] = _raw(str(uuid.uuid4()), **base, name="Ada", phone="1" * 65)
    poison[b"tombstone"] = None  # type: ignore[assignment]
    for key, value in poison.items():
        _send(container, value, key=key)
    good_id = str(uuid.uuid4())
    _send(container, _raw(good_id, **base, name="Ada"))

    assert _outcome(outcomes, good_id)["status"] == "accepted"
    lettered = wait_for(lambda: {r.key for r in dlt.read()} >= set(poison) and {r.key for r in dlt.records})
    assert set(poison) <= lettered
    assert not [r for r in outcomes.records if r.key in poison], "a dead-lettered message has no outcome"
    assert app.get_session(session.id).seats.seats_unconfirmed == 1
    assert every_worker_up(service.readiness()), service.readiness()


def test_a_reused_message_id_with_another_body_gets_a_rejected_outcome(app, container):
    event = app.create_event(name="Reused", use_sessions=True, seats_limited=True, seats_max=5)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    outcomes = TopicReader(container, topics.outcomes_topic(es_topics.INBOUND_REGISTRATIONS))
    message_id = str(uuid.uuid4())
    base = {"action": "register", "event_id": str(event.id), "session_id": str(session.id), "email": "r@example.org"}
    _send(container, _raw(message_id, **base, name="First"), key=b"first")
    _send(container, _raw(message_id, **base, name="Second"), key=b"second")

    second = wait_for(lambda: [json.loads(r.value) for r in outcomes.read() if r.key == b"second"])[0]
    assert second["status"] == "rejected" and second["code"] == "inbound.message_id_reused"
    first = [json.loads(r.value) for r in outcomes.records if r.key == b"first"]
    assert len(first) == 1 and first[0]["status"] == "accepted"
    assert app.get_registration(uuid.UUID(first[0]["aggregate_id"])).name == "First"
    assert app.get_session(session.id).seats.seats_unconfirmed == 1
