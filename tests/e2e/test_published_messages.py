"""Real messages read from every topic of the catalogue validate against their published schemas.

A service of its own (its topics carry only what this test makes them carry): commands of every
context, a valid and an undecodable request on every inbound topic, an undecodable record on each
domain topic with a dead-letter topic, a due mail sent, and the sealer's checkpoints.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import jsonschema
import pytest

from infra import kafka
from infra.asyncapi import channels, message_key, payload_schema
from infra.audit.chain import ChainStore
from infra.kafka import read_topic
from infra.service import Service
from producers import catalogue, topics
from producers.charging.topics import INBOUND_OCPI_SESSIONS, session_key
from producers.classroom.topics import INBOUND_PRESENCE
from producers.music.topics import INBOUND_TUNELOG
from projections.catalogue import PROJECTIONS
from tests.e2e.charging_support import dumps
from tests.e2e.charging_support import session as charging_session
from tests.support.waiting import wait_for

START = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=20)


def unread_dead_letters(topic: str, read: set[str]) -> bool:
    """A dead-letter topic of a domain topic that none of our read models consumes: nothing of ours
    writes it."""
    domain = topic.removesuffix(".DLT")
    return topic.endswith(".DLT") and domain in catalogue.DECODERS and domain not in read


def other_contexts(container) -> list[tuple[str, bytes, dict]]:
    """Commands of charging, classroom and music, and one valid request for each of their inbound
    topics (``(topic, key, value)``), so their domain and outcome topics carry real messages too."""
    ocpi = charging_session()
    teacher, student = uuid.uuid4(), uuid.uuid4()
    classroom_id = container.classroom.create_classroom(name="Published", teacher_id=teacher).id
    container.classroom.add_member(classroom_id, student)
    room = container.classroom.schedule_live_session(classroom_id, actor_id=teacher, title="Published",
                                                     scheduled_at=START, reminders=[60]).id  # fmt: skip
    music = container.music
    session = music.create_session(name="Published", path=f"published-{uuid.uuid4().hex[:8]}", timezone="UTC")
    instance = music.create_instance(session.id, date=date(2025, 11, 2), start_time="19:00", end_time="22:00").id
    return [
        (INBOUND_OCPI_SESSIONS, session_key("NL", "STK", ocpi["id"]).encode(),
         {"message_id": str(uuid.uuid4()), "method": "PUT", "country_code": "NL", "party_id": "STK",
          "session_id": ocpi["id"], "body": ocpi}),
        (INBOUND_PRESENCE, str(room).encode(),
         {"message_id": str(uuid.uuid4()), "event": "participant_joined", "room": str(room),
          "participant": str(student), "at": START.strftime("%Y-%m-%dT%H:%M:%SZ")}),
        (INBOUND_TUNELOG, str(instance).encode(),
         {"message_id": str(uuid.uuid4()), "instance_id": str(instance), "action": "add", "name": "The Kesh"}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def traffic(container_factory):
    container = container_factory()
    service = Service.assemble(container)
    service.start()
    app = container.app
    app.create_event_type(name="Workshop", use_sessions=True, has_seats_limitation=True, seats_max=20,
                          auto_confirm=True, default_timezone="UTC")  # fmt: skip
    event = app.create_event(name="Published", use_sessions=True, seats_limited=True, seats_max=20)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=2))
    registered = app.register(event_id=event.id, session_id=session.id, name="Ada", email="ada@example.org",
                              state="open")  # fmt: skip
    app.move_registration(registered.id, app.add_session(event.id, date_begin=START + timedelta(days=1),
                                                         date_end=START + timedelta(days=1, hours=1)).id)  # fmt: skip
    prefix = container.settings.topic_prefix
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    inbound = topics.physical("inbound.registrations.v1", prefix)
    request = {"message_id": str(uuid.uuid4()), "action": "register", "event_id": str(event.id),
               "session_id": str(session.id), "name": "Bo", "email": "bo@example.org"}  # fmt: skip
    producer.send(inbound, key=str(event.id).encode(), value=json.dumps(request).encode())
    for name, key, value in other_contexts(container):
        producer.send(topics.physical(name, prefix), key=key, value=dumps(value).encode())  # Decimal-safe
    for spec in catalogue.TOPICS:  # an undecodable request on each inbound topic
        if spec.name.startswith("inbound.") and not spec.name.endswith((".outcomes", ".DLT")):
            producer.send(topics.physical(spec.name, prefix), key=b"garbled", value=b'{"message_id": ')
    for spec in catalogue.TOPICS:  # an undecodable record on each domain topic that has a dead-letter topic
        if spec.name.endswith(".DLT") and spec.name.removesuffix(".DLT") in catalogue.DECODERS:
            producer.send(topics.physical(spec.name.removesuffix(".DLT"), prefix), key=b"garbled", value=b"{")
    producer.flush()
    producer.close()
    # A domain topic no read model reads (music.sessions.v1) has its dead letters written by other consumers.
    read = {t for projection in PROJECTIONS.values() for t in projection.topics}
    wanted = [t.name for t in catalogue.TOPICS if not unread_dead_letters(t.name, read)]
    try:
        empty = [t for t in wanted if t != "audit.checkpoints.v1"]
        deadline = time.monotonic() + 90
        while empty and time.monotonic() < deadline:
            empty = [
                t for t in empty if not read_topic(container.endpoints.kafka_bootstrap, topics.physical(t, prefix))
            ]
            time.sleep(0.5)
        assert not empty, f"no message on {empty}"
        last = app.recorder.max_notification_id()
        chain = ChainStore(container.pool)
        wait_for(lambda: chain.head_link()[0] >= last, timeout=30)
    finally:
        service.stop()  # the sealer publishes its head as it stops
    return container


def test_every_topic_carries_real_messages_that_validate_against_their_published_schemas(traffic):
    container = traffic
    checked: dict[str, int] = {}
    for channel in channels():
        records = read_topic(container.endpoints.kafka_bootstrap,
                             topics.physical(channel.topic, container.settings.topic_prefix))  # fmt: skip
        by_type = {payload_schema(m)["properties"].get("type", {}).get("const"): payload_schema(m)
                   for m in channel.models}  # fmt: skip
        for record in records:
            if record.key == b"garbled" and channel.models:  # undecodable on purpose: only their DLT copies count
                continue
            headers = {k: v.decode() for k, v in record.headers}
            jsonschema.validate(headers, channel.headers)
            if channel.models:
                value = json.loads(record.value)
                schema = by_type.get(value.get("type"), by_type.get(None))
                assert schema is not None, f"{channel.topic}: no published schema for {value.get('type')}"
                jsonschema.validate(value, schema)
            checked[channel.topic] = checked.get(channel.topic, 0) + 1

    read = {t for projection in PROJECTIONS.values() for t in projection.topics}
    expected = {t.name for t in catalogue.TOPICS if not unread_dead_letters(t.name, read)}
    assert set(checked) == expected, expected - set(checked)


def test_a_message_that_breaks_its_schema_fails_validation(traffic):
    model = next(m for c in channels() if c.topic == "eventsessions.sessions.v1" for m in c.models
                 if message_key(m) == "eventsessions.SessionSeatsChanged")  # fmt: skip
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"type": "SessionSeatsChanged", "aggregate_id": "x"}, payload_schema(model))
