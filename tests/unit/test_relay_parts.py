"""The relay's fast parts equal the slow originals: event decoding, message ids, scopes (no network)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.eventsessions.application import EventSessions
from domain.eventsessions.seats import RegistrationState
from domain.shared.clock import FrozenClock
from producers.catalogue import relay_scopes
from producers.eventsessions import mapping
from producers.relay import MESSAGE_ID_NAMESPACE, EventDecoder, Row, covers, message_id

NOW = datetime(2027, 1, 10, 8, tzinfo=timezone.utc)
BEGIN = datetime(2027, 2, 1, 9, tzinfo=timezone.utc)


@pytest.fixture
def app() -> EventSessions:
    """An in-memory application with every kind of event the mapping publishes, and some it does not."""
    app = EventSessions(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FrozenClock(NOW))
    event = app.create_event(name="Relay", use_sessions=True, seats_limited=True, seats_max=10)
    first = app.add_session(event.id, date_begin=BEGIN, date_end=BEGIN + timedelta(hours=1))
    later = BEGIN + timedelta(days=1)
    second = app.add_session(event.id, date_begin=later, date_end=later + timedelta(hours=1))
    registration = app.register(
        event_id=event.id, session_id=first.id, name="Ada", email="ada@example.org", state="open"
    )
    app.register(event_id=event.id, session_id=first.id, name="Bo", email="bo@example.org", state="draft")
    app.change_registration_state(registration.id, RegistrationState.DONE)
    app.move_registration(registration.id, second.id)
    app.update_event(event.id, {"name": "Relay 2"})
    return app


def _notifications(app: EventSessions) -> list:
    return list(app.recorder.select_notifications(start=None, limit=10_000))


def test_the_decoder_builds_the_events_the_mapper_builds(app):
    decode = EventDecoder(app.mapper)
    assert decode.fast
    notifications = _notifications(app)
    assert len(notifications) > 10
    for n in notifications:
        fast = decode(Row(n.id, n.originator_id, n.originator_version, n.topic, n.state))
        slow = app.mapper.to_domain_event(n)
        assert type(fast) is type(slow)
        assert vars(fast) == vars(slow)
        assert {k: type(v) for k, v in vars(fast).items()} == {k: type(v) for k, v in vars(slow).items()}


@given(st.uuids(), st.integers(min_value=1, max_value=10**9))
def test_message_ids_are_the_uuid5_of_aggregate_and_version(aggregate_id: UUID, version: int):
    assert message_id(str(aggregate_id), version) == str(uuid5(MESSAGE_ID_NAMESPACE, f"{aggregate_id}:{version}"))


def test_every_event_falls_in_exactly_one_scope_the_scope_of_its_topic(app):
    plan = relay_scopes()
    assert len({s.name for s in plan}) == len(plan)
    parents = mapping.ParentIndex(app.repository)
    for n in _notifications(app):
        (scope,) = covers(plan, n.topic)
        event = app.mapper.to_domain_event(n)
        parents.see(event)
        outgoing = mapping.to_message(event, parents)
        if outgoing is not None:
            assert scope == outgoing.topic
    # Events of aggregates the mapping does not know fall in the first scope, not in none.
    assert covers(plan, "domain.elsewhere:Unknown.Created") == [plan[0].name]
    assert covers(plan, f"x:{uuid4().hex}") == [plan[0].name]
