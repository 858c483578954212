"""A message too large for the broker never stops the relay and is never skipped: it travels as a
claim check, in its place, and the read models resolve it from the event store."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from infra.rebuild import verify
from producers import claim_check
from producers.eventsessions import topics as es_topics
from projections.catalogue import PROJECTIONS
from tests.support.database import read_row
from tests.support.kafka import all_records
from tests.support.waiting import wait_for

START = datetime(2027, 10, 1, 9, tzinfo=timezone.utc)
HUGE_NAME = "N" * 1_500_000  # 1.5 MB: over the broker's 1 MB message limit


def _registration_records(container, registration_id) -> list:
    return [r for r in all_records(container, es_topics.REGISTRATIONS)
            if dict(r.headers)["aggregate_id"] == str(registration_id).encode()]  # fmt: skip


def _register_huge_and_small(app):
    event = app.create_event(name="Claim check", use_sessions=True, seats_limited=True, seats_max=10)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=1))
    huge = app.register(event_id=event.id, session_id=session.id, name=HUGE_NAME, email="h@example.org", state="open")
    small = app.register(event_id=event.id, session_id=session.id, name="Small", email="s@example.org", state="open")
    return huge, small


def test_a_registration_with_a_1_5_mb_name_is_published_as_a_claim_check_and_resolved(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    huge, small = _register_huge_and_small(app)
    relay = container.relay()
    while relay.relay_once():
        pass
    assert relay.stats.position == app.recorder.max_notification_id()

    (record,) = _registration_records(container, huge.id)
    headers = dict(record.headers)
    assert headers[claim_check.HEADER] == b"1"
    assert len(record.value) < 1000 and claim_check.is_claim(record.value)
    assert headers["aggregate_version"] == b"1" and headers["ce_type"]
    assert len(_registration_records(container, small.id)) == 1  # the relay went on in order

    runner = container.projection_runner("registrations")
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        row = wait_for(lambda: read_row(container, "SELECT name FROM readmodels.registrations WHERE id = %s", huge.id),
                       timeout=30)  # fmt: skip
        assert row[0] == HUGE_NAME
        wait_for(lambda: read_row(container, "SELECT 1 FROM readmodels.registrations WHERE id = %s", small.id))
        assert verify(app, container.pool, PROJECTIONS["registrations"], settle_seconds=2) == []
    finally:
        runner.stop()
        thread.join(10)


def test_a_message_the_broker_refuses_as_too_large_is_sent_again_as_a_claim_check(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    huge, small = _register_huge_and_small(app)
    # The relay believes the broker takes 4 MB: the broker refuses the message (MSG_SIZE_TOO_LARGE).
    relay = container.relay(message_max_bytes=4 * 1024 * 1024)
    while relay.relay_once():
        pass
    assert relay.claim_checked, "the broker did not refuse the message: the test proved nothing"
    assert relay.stats.position == app.recorder.max_notification_id()
    records = _registration_records(container, huge.id)
    assert [claim_check.is_claim(r.value) for r in records] == [True]
    assert len(_registration_records(container, small.id)) >= 1
