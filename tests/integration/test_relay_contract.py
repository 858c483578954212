"""The relay publishes exactly the messages its first version did: topics, keys, values, headers, order.

The reference below is that version's ``_send``, verbatim in what it computes; the relay now computes
the same bytes more cheaply, per scope, from its own reading of the notification log.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid5

from domain.eventsessions.seats import RegistrationState
from producers.catalogue import QUIET_TOPICS, REGISTRY, relay_scopes
from producers.eventsessions import mapping
from producers.registry import Outgoing
from producers.relay import MESSAGE_ID_NAMESPACE, Relay
from producers.topics import physical
from tests.support.kafka import CapturingSender

START = datetime(2027, 8, 1, 9, tzinfo=timezone.utc)


def reference(notification: Any, outgoing: Outgoing, prefix: str) -> tuple[str, bytes, bytes, list]:
    message = outgoing.message
    aggregate_id = str(message.aggregate_id)
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid5(MESSAGE_ID_NAMESPACE, f"{aggregate_id}:{message.version}")).encode()),
        ("ce_type", outgoing.event_type.encode()),
        ("ce_source", b"sessionstream/eventsessions"),
        ("ce_subject", aggregate_id.encode()),
        ("ce_time", message.occurred_at.isoformat().encode()),
        ("schema_version", str(message.schema_version).encode()),
        ("aggregate_id", aggregate_id.encode()),
        ("aggregate_version", str(message.version).encode()),
        ("notification_id", str(notification.id).encode()),
        ("correlation_id", str(outgoing.key).encode()),
    ]
    return (physical(outgoing.topic, prefix), str(outgoing.key).encode(), message.model_dump_json().encode(), headers)


def test_the_relay_and_its_scopes_publish_what_the_first_relay_published(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    event = app.create_event(name="Contract", use_sessions=True, seats_limited=True, seats_max=20)
    sessions = [
        app.add_session(event.id, date_begin=START + timedelta(days=d), date_end=START + timedelta(days=d, hours=1))
        for d in range(3)
    ]
    for i in range(12):
        outcome = app.register(
            event_id=event.id,
            session_id=sessions[i % 3].id,
            name=f"p{i}",
            email=f"p{i}@example.org",
            state="open" if i % 2 else "draft",
        )
        if i % 4 == 0:
            app.change_registration_state(outcome.id, RegistrationState.CANCEL)
        if i % 5 == 0:
            app.move_registration(outcome.id, sessions[(i + 1) % 3].id)
    app.update_event(event.id, {"name": "Contract v2"})
    prefix = container.settings.topic_prefix
    notifications = app.recorder.select_notifications(start=None, limit=100_000)
    parents = mapping.ParentIndex(app.repository)
    expected = []
    for notification in notifications:
        event = app.mapper.to_domain_event(notification)
        parents.see(event)
        expected += [reference(notification, o, prefix) for o in mapping.to_messages(event, parents)]

    def relayed(scope: Any, batch_size: int) -> list:
        capture = CapturingSender()
        relay = Relay(app, capture, capture, REGISTRY, topic_prefix=prefix, batch_size=batch_size, scope=scope)
        while relay.relay_once():
            pass
        assert relay.stats.position == notifications[-1].id
        return [(s.topic, s.key, s.value, s.headers) for s in capture.samples]

    assert relayed(None, 7) == expected
    for scope in relay_scopes():
        # The first scope also publishes the quiet topics, which have no relay process of their own.
        covered = {scope.name, *(QUIET_TOPICS if scope.others is not None else ())}
        mine = [m for m in expected if m[0] in {physical(t, prefix) for t in covered}]
        assert relayed(scope, 5) == mine, scope.name
