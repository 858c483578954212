"""The field limits and Kafka's message limit agree: messages built from the largest value of every
free-text field (and the longest lists) go through the relay and the broker, far below the limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.eventsessions.mail_intervals import MailRule
from domain.shared.limits import (
    EMAIL_MAX,
    KAFKA_MESSAGE_MAX_BYTES,
    LIST_MAX,
    NAME_MAX,
    PHONE_MAX,
    TEMPLATE_MAX,
    TIMEZONE_MAX,
)
from producers.eventsessions import topics
from tests.support.kafka import all_records
from tests.support.waiting import wait_for

WIDE = "\U0001f600"  # four bytes in UTF-8: the most bytes a character of the limit can take
START = datetime(2031, 3, 1, 9, tzinfo=timezone.utc)


def record_size(record) -> int:
    return len(record.value or b"") + len(record.key or b"") + sum(len(k) + len(v or b"") for k, v in record.headers)


def test_messages_of_the_largest_values_reach_their_topics_far_below_the_message_limit(app, container):
    rules = [MailRule("before_event", "days", i, WIDE * TEMPLATE_MAX) for i in range(LIST_MAX)]
    event_type = app.create_event_type(name=WIDE * NAME_MAX, mail_schedulers=rules)
    event = app.create_event(name=WIDE * NAME_MAX, use_sessions=True, mail_schedulers=rules)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=2))
    registration = app.register(event_id=event.id, session_id=session.id, name=WIDE * NAME_MAX,
                                email=WIDE * EMAIL_MAX, phone=WIDE * PHONE_MAX)  # fmt: skip
    assert TIMEZONE_MAX * 4 < NAME_MAX * 4  # zone names are ASCII and shorter than names anyway

    expected = {
        topics.CATALOGUES: event_type.id, topics.EVENTS: event.id, topics.REGISTRATIONS: registration.id,
        topics.MAIL: event.id,
    }  # fmt: skip
    largest = 0
    for topic, aggregate_id in expected.items():
        wanted = str(aggregate_id).encode()
        mine = wait_for(lambda t=topic, a=wanted: [r for r in all_records(container, t) if a in r.value])
        largest = max(largest, *(record_size(r) for r in mine))
    # A quarter of the limit: room for contexts that add fields, and for headers.
    assert largest < KAFKA_MESSAGE_MAX_BYTES / 4, largest
    print(f"\nlargest message of maximal fields: {largest} bytes (limit {KAFKA_MESSAGE_MAX_BYTES})")
