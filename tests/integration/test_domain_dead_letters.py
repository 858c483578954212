"""An undecodable record on a domain topic goes to its DLT, headers and all, and the read model goes on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from producers import topics
from producers.eventsessions import topics as es_topics
from tests.support.database import read_row
from tests.support.kafka import TopicReader, send
from tests.support.waiting import wait_for

START = datetime(2027, 9, 1, 9, tzinfo=timezone.utc)


def test_a_garbled_session_record_is_dead_lettered_and_the_next_one_applied(app, container):
    event = app.create_event(name="Garbled", use_sessions=True, seats_limited=True, seats_max=5)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    dlt = TopicReader(container, topics.dead_letter_topic(es_topics.SESSIONS))
    send(
        container,
        es_topics.SESSIONS,
        b'{"type": "SessionSeatsChanged", "garbled',
        key=str(event.id).encode(),
        headers=[("ce_type", b"SessionSeatsChanged")],
    )
    app.register(event_id=event.id, session_id=session.id, name="Ada", email="ada@example.org", state="open")
    version = app.get_session(session.id).version
    wait_for(
        lambda: read_row(
            container, "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s", session.id, version
        )
    )
    letters = wait_for(lambda: [r for r in dlt.read() if r.key == str(event.id).encode()])
    headers = dict(letters[0].headers)
    assert headers["ce_type"] == b"SessionSeatsChanged"
    assert headers["dlt.origin.topic"] == topics.physical(es_topics.SESSIONS, container.settings.topic_prefix).encode()
    # The topic's decoder parses and validates in one step (pydantic): broken JSON is a ValidationError.
    assert headers["dlt.exception.class"] == b"ValidationError"
