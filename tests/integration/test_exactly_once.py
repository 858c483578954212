"""Every event counts exactly once: duplicates delivered on the topic change no figure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from infra import kafka
from infra.rebuild import verify
from producers.eventsessions import topics
from projections.catalogue import PROJECTIONS
from tests.support.database import read_row
from tests.support.kafka import all_records
from tests.support.waiting import wait_for

START = datetime(2027, 4, 1, 9, tzinfo=timezone.utc)


def test_records_delivered_twice_are_counted_once(app, container):
    event = app.create_event(name="Twice", use_sessions=True, seats_limited=True, seats_max=50)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    for i in range(5):
        app.register(event_id=event.id, session_id=session.id, name=f"p{i}", email=f"p{i}@example.org", state="open")
    version = app.get_session(session.id).version
    wait_for(
        lambda: read_row(
            container, "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s", session.id, version
        )
    )

    # Re-deliver every record of this event, as a relay resending its tail after a crash would.
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    resent = 0
    for topic in (topics.SESSIONS, topics.REGISTRATIONS, topics.EVENTS):
        for record in all_records(container, topic):
            if record.key == str(event.id).encode():
                producer.send(record.topic, key=record.key, value=record.value, headers=record.headers)
                resent += 1
    producer.flush()
    producer.close()
    assert resent >= 12

    # A marker after the duplicates: once it is applied, the duplicates were consumed too.
    app.register(event_id=event.id, session_id=session.id, name="marker", email="m@example.org", state="open")
    final = app.get_session(session.id).version
    row = wait_for(
        lambda: read_row(
            container,
            "SELECT seats_reserved, version FROM readmodels.session_seats WHERE id = %s AND version = %s",
            session.id,
            final,
        )
    )
    assert row[0] == 6
    count = wait_for(
        lambda: read_row(
            container, "SELECT count(*) FROM readmodels.registrations WHERE event_id = %s HAVING count(*) = 6", event.id
        )
    )
    assert count[0] == 6
    for projection in PROJECTIONS.values():
        assert verify(app, container.pool, projection, settle_seconds=10) == [], projection.name
