"""Every event counts exactly once: duplicates delivered on the topic change no figure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kafka import KafkaConsumer, TopicPartition

from infra import kafka
from infra.rebuild import verify
from producers import topics
from projections.catalogue import PROJECTIONS
from tests.conftest import read_row, wait_for

START = datetime(2027, 4, 1, 9, tzinfo=timezone.utc)


def _all_records(container, topic: str) -> list:
    name = topics.physical(topic, container.settings.topic_prefix)
    consumer = KafkaConsumer(bootstrap_servers=container.endpoints.kafka_bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        records = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=500).values():
                records += batch
        return records
    finally:
        consumer.close()


def test_records_delivered_twice_are_counted_once(app, container):
    event = app.create_event(name="Twice", use_sessions=True, seats_limited=True, seats_max=50)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    for i in range(5):
        app.register(event_id=event.id, session_id=session.id, name=f"p{i}", email=f"p{i}@example.org", state="open")
    version = app.get_session(session.id).version
    wait_for(lambda: read_row(container, "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s",
                              session.id, version))  # fmt: skip

    # Re-deliver every record of this event, as a relay resending its tail after a crash would.
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    resent = 0
    for topic in (topics.SESSIONS, topics.REGISTRATIONS, topics.EVENTS):
        for record in _all_records(container, topic):
            if record.key == str(event.id).encode():
                producer.send(record.topic, key=record.key, value=record.value, headers=record.headers)
                resent += 1
    producer.flush()
    producer.close()
    assert resent >= 12

    # A marker after the duplicates: once it is applied, the duplicates were consumed too.
    app.register(event_id=event.id, session_id=session.id, name="marker", email="m@example.org", state="open")
    final = app.get_session(session.id).version
    row = wait_for(lambda: read_row(
        container, "SELECT seats_reserved, version FROM readmodels.session_seats WHERE id = %s AND version = %s",
        session.id, final))  # fmt: skip
    assert row[0] == 6
    count = wait_for(lambda: read_row(
        container, "SELECT count(*) FROM readmodels.registrations WHERE event_id = %s HAVING count(*) = 6", event.id))
    assert count[0] == 6
    for projection in PROJECTIONS.values():
        assert verify(app, container.pool, projection, settle_seconds=10) == [], projection.name
