"""inbound.registrations.v1: one outcome per message, dead letters, idempotent by message_id."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from producers import topics
from producers.eventsessions import topics as es_topics
from tests.support import kafka
from tests.support.kafka import TopicReader
from tests.support.waiting import wait_for

START = datetime(2027, 5, 1, 9, tzinfo=timezone.utc)


def _send(container, value: bytes, key: bytes = b"k") -> None:
    kafka.send(container, es_topics.INBOUND_REGISTRATIONS, value, key=key, headers=[("origin", b"ticketing")])


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
    outcome = wait_for(
        lambda: [json.loads(r.value) for r in outcomes.read() if json.loads(r.value)["message_id"] == good_id]
    )
    assert outcome[0]["status"] == "accepted" and outcome[0]["version"] == 1
    assert app.get_session(session.id).seats.seats_unconfirmed == 1


def test_a_message_processed_twice_has_the_effect_of_once_and_one_outcome(app, container):
    event = app.create_event(name="Idempotent", use_sessions=True, seats_limited=True, seats_max=5)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    outcomes = TopicReader(container, topics.outcomes_topic(es_topics.INBOUND_REGISTRATIONS))
    request = _request(
        action="register", event_id=event.id, session_id=session.id, name="Bo", email="bo@example.org", state="open"
    )
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
    outcome = wait_for(
        lambda: [json.loads(r.value) for r in outcomes.read() if json.loads(r.value)["message_id"] == message_id]
    )[0]
    assert outcome["status"] == "rejected"
    assert outcome["detail"] == "No more seats available for this session."
    assert outcome["code"] == "eventsessions.seats.no_more"
